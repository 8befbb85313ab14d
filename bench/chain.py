"""Write a synthetic import file: N practitioners in a binary teacher tree, one source.

    .venv/bin/python bench/chain.py 20000 > /tmp/chain.jsonl
    /usr/bin/time -f "%e s, %M KB" .venv/bin/heritage-graph --db /tmp/chain-db import /tmp/chain.jsonl

A quick import baseline; the national-scale generator of issue 5 replaces it.
"""

from __future__ import annotations

import json
import sys


def main(count: int) -> None:
    out = sys.stdout
    out.write(json.dumps({"kind": "Source", "id": "s", "name": "S"}) + "\n")
    for i in range(count):
        out.write(json.dumps({"kind": "Practitioner", "id": f"p{i}", "name": f"P {i}", "sources": ["s"]}) + "\n")
    for i in range(1, count):
        out.write(json.dumps({"rel": "LEARNED_FROM", "from": f"p{i}", "to": f"p{(i - 1) // 2}"}) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
