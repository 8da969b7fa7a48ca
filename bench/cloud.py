"""The AWS side's cold-start and cost figures: per Lambda, and per executed node.

- **import**: wall time of ``import functions.<fn>.handler`` in a fresh interpreter
  (median of ``--repeat`` processes): what the Lambda's init phase pays before the
  first event. Targets: api <= 0.6 s, node_runner <= 0.9 s.
- **first event**: the same process then builds what the first event uses (the stack's
  stores and clients, the FastAPI app for the API, the compiler and engine modules for
  the node runner; no AWS call is made): the rest of a cold start.
- **from the asset**: the same two figures with python3.12 and only the function's
  asset folder on ``sys.path`` (plus the runtime's boto3): the host-CPU build of the
  same assets (``python -m infra.assets build --host``; Lambda's arm64 build cannot
  load here), sourceless ``.pyc`` as deployed. Skipped when that build is missing.
- **asset**: the unzipped size of ``build/lambda/<fn>/`` (``make lambda-assets``),
  every file counted even where assets share files by hard link. Target <= 60 MB
  (Lambda's limit is 250 MB).
- **transitions per node**: for every conformance case that succeeds, the state
  transitions its generated state machine takes (``count_transitions``, checked against
  moto's executions in tests/functional/compile) over the nodes it runs. Target on
  linear workflows (one node per superstep, no routing): <= 1.3.

    python -m bench cloud                  # writes bench/results/cloud.json
    python -m bench cloud --repeat 3       # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "cloud.json"
ASSETS = REPO / "build" / "lambda"
HOST_ASSETS = REPO / "build" / "lambda-host"
FUNCTIONS = ("api", "node_runner", "scheduler", "websocket", "telemetry")
IMPORT_TARGETS = {"api": 0.6, "node_runner": 0.9}
ASSET_TARGET_MB = 60.0
TRANSITIONS_TARGET = 1.3

# What each handler's first event builds (no AWS call): see the handlers.
FIRST_EVENT = {
    "api": "from functions.api.handler import adapter; adapter()",
    "node_runner": (
        "import orcheo_core.compile.runtime, functions.service.tasks\n"
        "from functions.aws import current; current().tasks.engine()"
    ),
    "scheduler": (
        "import functions.service.triggers\nfrom functions.aws import current; current().scheduler"
    ),
    "websocket": (
        "import functions.service.tokens, functions.service.runs\n"
        "from functions.aws import current; s = current(); s.services; s.connections; s.pusher"
    ),
    "telemetry": "from functions.aws import current; current().pusher",
    "reconciler": (
        "import functions.backends.aws.engine\n"
        "from functions.aws import current; current().services.engine"
    ),
}
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "ORCHEO_NODE_RUNNER_ARN": "arn:aws:lambda:us-east-1:123456789012:function:orcheo-node-runner",
    "ORCHEO_SCHEDULER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:orcheo-sch",
    "ORCHEO_WEBSOCKET_CALLBACK_URL": "https://x.execute-api.us-east-1.amazonaws.com/prod",
    "ORCHEO_STATE_BUCKET": "orcheo-state",
    "POWERTOOLS_METRICS_NAMESPACE": "Orcheo",
}

_PROBE = """
import time, sys
t0 = time.perf_counter()
import functions.{fn}.handler
t1 = time.perf_counter()
{first}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def _probe(fn: str) -> tuple[float, float]:
    code = _PROBE.format(fn=fn, first=FIRST_EVENT[fn])
    env = {**os.environ, **ENV, "PYTHONDONTWRITEBYTECODE": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def _asset_probe(python: str, fn: str, provided: Path) -> tuple[float, float]:
    """``_PROBE`` in ``python -I -S`` with only the function's host asset on sys.path."""
    path = f"import sys; sys.path[:0] = [{str(HOST_ASSETS / fn)!r}, {str(provided)!r}]\n"
    code = path + _PROBE.format(fn=fn, first=FIRST_EVENT[fn])
    env = {"PATH": os.environ["PATH"], **ENV}
    out = subprocess.run(
        [python, "-I", "-S", "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def _asset_python() -> str | None:
    if not all((HOST_ASSETS / fn).is_dir() for fn in FUNCTIONS):
        return None
    from infra.assets import _python312

    return _python312()


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return (
        round(statistics.median(s[0] for s in samples), 3),
        round(statistics.median(s[1] for s in samples), 3),
    )


def cold_start(repeat: int) -> dict[str, dict[str, Any]]:
    results = {}
    python = _asset_python()
    with tempfile.TemporaryDirectory() as tmp:
        provided = Path(tmp)
        for name in ("boto3", "botocore", "s3transfer"):  # the Lambda runtime's own
            spec = importlib.util.find_spec(name)
            assert spec is not None and spec.submodule_search_locations
            (provided / name).symlink_to(next(iter(spec.submodule_search_locations)))
        for fn in FUNCTIONS:
            _probe(fn)  # bytecode compiled once, as in an asset
            imports, first = _median([_probe(fn) for _ in range(repeat)])
            target = IMPORT_TARGETS.get(fn)
            results[fn] = {
                "import_s": imports,
                "first_event_s": first,
                "import_target_s": target,
                "import_ok": None if target is None else imports <= target,
                "asset_import_s": None,
                "asset_first_event_s": None,
            }
            if python is not None:
                asset = _median([_asset_probe(python, fn, provided) for _ in range(repeat)])
                results[fn]["asset_import_s"], results[fn]["asset_first_event_s"] = asset
    return results


def asset_sizes() -> dict[str, Any]:
    sizes: dict[str, Any] = {}
    for fn in FUNCTIONS:
        folder = ASSETS / fn
        if not folder.is_dir():
            sizes[fn] = None
            continue
        total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file())
        mb = total / 1_000_000
        sizes[fn] = {"unzipped_mb": round(mb, 1), "ok": mb <= ASSET_TARGET_MB}
    return sizes


async def _supersteps(case: Any, workflow: Any, registry: Any) -> list[list[str]]:
    from orcheo_core.engine.context import RunContext
    from orcheo_core.engine.local import LocalEngine
    from orcheo_core.engine.step import apply_step, next_tasks, run_node, start

    engine = LocalEngine(registry, workflows=case.workflows())
    ctx = RunContext(subworkflows=engine.run_subworkflow)
    state = start(workflow, case.inputs)
    steps = []
    while pending := next_tasks(workflow, state):
        steps.append([t.node for t in pending])
        writes = {t.id: await run_node(workflow, state, t, ctx) for t in pending}
        state = apply_step(workflow, state, writes)
    return steps


def transitions() -> dict[str, Any]:
    from orcheo_core.compile import CompileOptions, compile_state_machine, count_transitions
    from orcheo_core.graph.builder import compile_workflow
    from tests.conformance.corpus import load_cases
    from tests.conformance.nodes import registry

    arn = ENV["ORCHEO_NODE_RUNNER_ARN"]
    cases: dict[str, Any] = {}
    for case in load_cases():
        if "expected_error" in case.meta:
            continue
        reg = registry()
        workflow = compile_workflow(case.workflow(), reg)
        machine = compile_state_machine(
            case.workflow(), CompileOptions(node_runner_arn=arn), registry=reg
        )
        steps = asyncio.run(_supersteps(case, workflow, reg))
        # Structure only; Step Functions' retries of a node add their own transitions.
        cost = count_transitions(machine.definition, steps)
        billed = count_transitions(
            machine.definition, steps, attempts=case.meta.get("expected_attempts") or None
        )
        states = machine.definition["States"]
        # Linear: one node per superstep and nothing but Tasks entered (no route, no join).
        linear = all(len(s) == 1 for s in steps) and all(
            states.get(name, {}).get("Type") == "Task" for name in cost.path
        )
        cases[case.name] = {
            "nodes_run": cost.node_runs,
            "transitions": cost.transitions,
            "with_retries": billed.transitions,
            "per_node": round(cost.per_node, 3),
            "linear": linear,
        }
    linear_worst = max((c["per_node"] for c in cases.values() if c["linear"]), default=None)
    runs = sum(c["nodes_run"] for c in cases.values())
    return {
        "cases": cases,
        "linear_cases": sorted(n for n, c in cases.items() if c["linear"]),
        "linear_worst_per_node": linear_worst,
        "linear_ok": linear_worst is not None and linear_worst <= TRANSITIONS_TARGET,
        "corpus_per_node": round(sum(c["transitions"] for c in cases.values()) / runs, 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cloud", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per handler")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "cold_start": cold_start(args.repeat),
        "assets": asset_sizes(),
        "transitions": transitions(),
    }
    print(
        f"{'function':<12} {'import s':>9} {'1st event s':>12} "
        f"{'from asset: import s':>21} {'1st event s':>12} {'asset MB':>9}"
    )
    for fn in FUNCTIONS:
        cs, asset = result["cold_start"][fn], result["assets"][fn]
        size = "-" if asset is None else f"{asset['unzipped_mb']:.1f}"
        own = [cs["asset_import_s"], cs["asset_first_event_s"]]
        a_imp, a_first = ("-" if v is None else f"{v:.3f}" for v in own)
        print(
            f"{fn:<12} {cs['import_s']:>9.3f} {cs['first_event_s']:>12.3f} "
            f"{a_imp:>21} {a_first:>12} {size:>9}"
        )
    tr = result["transitions"]
    print(
        f"transitions per node: linear worst {tr['linear_worst_per_node']} "
        f"(target {TRANSITIONS_TARGET}), whole corpus {tr['corpus_per_node']}"
    )
    if not args.no_write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0
