"""User-code jobs through the sandbox: before and after the OS boundary, side by side.

Cases, each timed end to end from the caller (a job's start, its work, its answer):

- ``script extract``: load ``examples/scripts/hello_graph.py`` and describe its graph
  (what saving a script costs), ``ScriptSandbox.extract``;
- ``script run``: run it (``ScriptSandbox.run``);
- ``python_code``: a Python Code ``main(state)`` summing a list.

Columns: ``process`` is the fork server without namespaces (``ORCHEO_SANDBOX=process``:
the path every script took before the boundary), ``namespaces`` the default now
(bubblewrap + per-job namespaces + seccomp). For ``python_code``, ``retired`` is the
node's old runner (a fresh ``python -I -S`` per call, kept in
``bench/retired_python_code_runner.py``), and ``javascript`` the new JavaScript Code
node on the same runner. Runs are interleaved in rotating order after a warm-up, so
drift in the machine affects every column alike; medians and p90 are reported.

    python -m bench sandbox             # 40 runs per cell, writes bench/results/sandbox.json
    python -m bench sandbox --runs 10   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "sandbox.json"
RETIRED = Path(__file__).resolve().parent / "retired_python_code_runner.py"
SCRIPT = (ROOT / "examples" / "scripts" / "hello_graph.py").read_text()
PY_CODE = "def main(state):\n    return {'total': sum(state['amounts'])}\n"
JS_CODE = "function main(state) { return {total: state.amounts.reduce((a, b) => a + b, 0)}; }"
STATE = {"amounts": list(range(100))}


async def _retired_python_code() -> None:
    """The old Python Code path: one fresh interpreter per call."""
    payload = json.dumps({"code": PY_CODE, "state": STATE}).encode()
    with tempfile.TemporaryDirectory(prefix="orcheo-code-") as workdir:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            str(RETIRED),
            "256",
            "10",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            cwd=workdir,
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},
        )
        out, _ = await proc.communicate(payload)
    assert json.loads(out)["ok"], out


def _cells() -> dict[str, Callable[[], Awaitable[Any]]]:
    from orcheo_core.sandbox import SandboxLimits, ScriptSandbox

    limits = SandboxLimits(memory_mb=256, cpu_seconds=10, wall_seconds=10)
    boxes = {mode: ScriptSandbox(mode=mode) for mode in ("process", "namespaces")}  # type: ignore[arg-type]

    async def code(mode: str, language: str, source: str) -> None:
        run = await boxes[mode].run_code(language, source, STATE, limits=limits)  # type: ignore[arg-type]
        assert run.outcome.get("ok"), run.outcome

    async def run(mode: str) -> None:
        result = await boxes[mode].run(SCRIPT, {"name": "Ada"})
        assert result.status == "succeeded", result.error

    cells: dict[str, Callable[[], Awaitable[Any]]] = {}
    for mode in ("process", "namespaces"):
        cells[f"script extract|{mode}"] = lambda m=mode: boxes[m].extract(SCRIPT)
        cells[f"script run|{mode}"] = lambda m=mode: run(m)
        cells[f"python_code|{mode}"] = lambda m=mode: code(m, "python", PY_CODE)
    cells["python_code|retired"] = _retired_python_code
    cells["javascript_code|namespaces"] = lambda: code("namespaces", "javascript", JS_CODE)
    return cells


async def _measure(runs: int) -> dict[str, dict[str, float]]:
    cells = _cells()
    names = list(cells)
    for name in names:  # warm-up: the fork servers start, imports happen
        await cells[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            began = time.perf_counter()
            await cells[name]()
            times[name].append((time.perf_counter() - began) * 1000)
    return {
        name: {
            "median_ms": round(statistics.median(values), 2),
            "p90_ms": round(sorted(values)[int(len(values) * 0.9) - 1], 2),
        }
        for name, values in times.items()
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sandbox", description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    results = asyncio.run(_measure(args.runs))
    table: dict[str, dict[str, Any]] = {}
    for key, value in results.items():
        case, column = key.split("|")
        table.setdefault(case, {})[column] = value
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "runs": args.runs,
        "cases": table,
    }
    for case, columns in table.items():
        cells = "  ".join(f"{col} {v['median_ms']:.1f} ms" for col, v in columns.items())
        print(f"{case:16} {cells}")
    if not args.no_write:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0
