"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench <name> [options]``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS: dict[str, str] = {
    "engine": "bench.engine",
    "api": "bench.api",
    "canvas": "bench.canvas",
    "cloud": "bench.cloud",
    "sandbox": "bench.sandbox",
    "peers": "bench.peers",
    "cli": "bench.cli",
}
"""Benchmark name -> module with a ``main(argv) -> int``."""


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return 0
    if argv and not argv[0].startswith("-"):
        name, rest = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose one of: {', '.join(BENCHMARKS)}")
            return 2
        return int(importlib.import_module(BENCHMARKS[name]).main(rest))
    status = 0
    for module in BENCHMARKS.values():
        status |= int(importlib.import_module(module).main(argv))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
