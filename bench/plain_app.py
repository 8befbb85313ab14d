"""The ceiling of the stack: a plain Starlette endpoint answering fixed bytes, under uvicorn as `serve` runs.

    .venv/bin/python bench/plain_app.py --port PORT --body FILE [--media-type application/json]

GET /story answers the file's bytes (the suite gives it the GraphQL answer it measures), /healthz
answers ok. Under uvicorn as `heritage-graph serve` runs (heritage_graph/ops/server.py): one process,
no access log; nothing else — no middleware, no per-request log line, no metrics — since it is the
ceiling of uvicorn and Starlette themselves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def build(body: bytes, media_type: str) -> Starlette:
    async def story(request: Request) -> Response:
        return Response(body, media_type=media_type)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/story", story), Route("/healthz", healthz)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--media-type", default="application/json")
    args = parser.parse_args(argv)
    uvicorn.run(build(args.body.read_bytes(), args.media_type), host="127.0.0.1", port=args.port, lifespan="on",
                log_config=None, access_log=False)


if __name__ == "__main__":
    main()
