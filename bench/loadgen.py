"""A small closed-loop HTTP/1.1 load generator: requests per second of one repeated request.

    .venv/bin/python bench/loadgen.py --port PORT --request FILE [--connections 32] [--duration 10] [--warmup 2]

FILE holds the raw request (request line, headers, blank line, body). Each of the keep-alive
connections sends it again as soon as the previous answer has been read whole, for --warmup seconds
unmeasured and then --duration seconds measured. Prints one JSON object: requests answered 200,
errors (other statuses, broken connections), requests per second, latency p50/p95, bytes per answer.

Plain asyncio on raw sockets, so that the generator costs as little CPU as a Python client can: on a
small machine it shares the cores with the server it measures. Use the same generator for every
server being compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from timing import summary


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    body_bytes: set[int] = field(default_factory=set)
    latencies_ms: list[float] = field(default_factory=list)


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body length, keep-alive) of one HTTP/1.1 answer, body read whole."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                break
    else:
        size = int(headers.get("content-length", "0"))
        await reader.readexactly(size)
    return status, size, headers.get("connection", "").lower() != "close"


async def connection(host: str, port: int, request: bytes, counting_from: float, until: float, tally: Tally) -> None:
    reader = writer = None
    while time.perf_counter() < until:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                tally.errors += 1
                await asyncio.sleep(0.05)
                continue
        assert reader is not None
        started = time.perf_counter()
        try:
            writer.write(request)
            status, size, keep = await read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            if started >= counting_from:
                tally.errors += 1
            writer.close()
            writer = None
            continue
        done = time.perf_counter()
        if started >= counting_from and done <= until:
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 200:
                tally.ok += 1
                tally.body_bytes.add(size)
                tally.latencies_ms.append((done - started) * 1000)
            else:
                tally.errors += 1
        if not keep:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def run(host: str, port: int, request: bytes, connections: int, duration: float, warmup: float) -> dict:
    tally = Tally()
    start = time.perf_counter()
    counting_from, until = start + warmup, start + warmup + duration
    await asyncio.gather(*(connection(host, port, request, counting_from, until, tally) for _ in range(connections)))
    return {"requests": tally.ok, "errors": tally.errors, "seconds": duration,
            "rps": round(tally.ok / duration, 1), "connections": connections,
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "latency_ms": summary(tally.latencies_ms), "body_bytes": sorted(tally.body_bytes)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request", type=Path, required=True, help="file with the raw HTTP/1.1 request")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.host, args.port, args.request.read_bytes(), args.connections, args.duration,
                             args.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def raw_request(method: str, target: str, port: int, body: bytes = b"", content_type: str = "") -> bytes:
    head = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json"]
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


if __name__ == "__main__":
    main()
