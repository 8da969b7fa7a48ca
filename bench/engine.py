"""Engine overhead: Orcheo's LocalEngine against the same graph run with plain LangGraph.

Two graphs, each built twice:

- ``linear10``: ten nodes in a chain, each writing one state key.
- ``fanout4``: a start node, four parallel branches, and a join node after all four.

The Orcheo side is a WorkflowSpec of ``set_variable`` nodes compiled once with
``compile_workflow`` and run with ``await LocalEngine().run(compiled, inputs)`` (events,
run context, timeout and all). The LangGraph side is a ``StateGraph`` of plain async
functions making the same updates, compiled once and run with ``await graph.ainvoke``.
A third column, ``orcheo graph``, invokes the graph Orcheo built directly with
``ainvoke`` (no LocalEngine around it): it splits the overhead between the nodes'
instrumentation and the engine's run loop.

Runs are interleaved (Orcheo, LangGraph, Orcheo graph, in rotating order) after a warm
up, so drift in the machine affects every column alike; medians are reported.

    python -m bench engine              # 300 runs per case, writes bench/results/engine.json
    python -m bench engine --runs 50    # quicker
    python -m bench engine --profile    # cProfile of the Orcheo side instead
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from orcheo_core import CompiledWorkflow, LocalEngine, compile_workflow

RESULTS = Path(__file__).parent / "results" / "engine.json"
TARGET_RATIO = 1.3
Runner = Callable[[], Awaitable[Any]]


# --- the two graphs, as Orcheo specs -----------------------------------------------------


def _set(node_id: str, key: str, value: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "set_variable", "config": {"values": {key: value}}}


def linear_spec(n: int = 10) -> dict[str, Any]:
    nodes = [_set(f"n{i}", f"v{i}", i) for i in range(n)]
    edges = [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(n - 1)]
    return {
        "name": "bench linear",
        "entry": "n0",
        "state": {"x": {}},
        "nodes": nodes,
        "edges": [*edges, {"source": f"n{n - 1}", "target": "END"}],
    }


def fanout_spec(width: int = 4) -> dict[str, Any]:
    branches = [f"b{i}" for i in range(width)]
    return {
        "name": "bench fanout",
        "entry": "start",
        "state": {"x": {}},
        "nodes": [
            _set("start", "started", True),
            *(_set(b, f"v{i}", i) for i, b in enumerate(branches)),
            _set("join", "joined", True),
        ],
        "edges": [
            *({"source": "start", "target": b} for b in branches),
            {"sources": branches, "target": "join"},
            {"source": "join", "target": "END"},
        ],
    }


# --- the same graphs in plain LangGraph --------------------------------------------------


def _writer(key: str, value: Any) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    async def node(state: dict[str, Any]) -> dict[str, Any]:
        return {key: value}

    return node


def _state_type(keys: list[str]) -> Any:
    return TypedDict("BenchState", dict.fromkeys(["x", *keys], Any), total=False)


def linear_langgraph(n: int = 10) -> Any:
    graph = StateGraph(_state_type([f"v{i}" for i in range(n)]))
    for i in range(n):
        graph.add_node(f"n{i}", _writer(f"v{i}", i))
    graph.add_edge(START, "n0")
    for i in range(n - 1):
        graph.add_edge(f"n{i}", f"n{i + 1}")
    graph.add_edge(f"n{n - 1}", END)
    return graph.compile()


def fanout_langgraph(width: int = 4) -> Any:
    branches = [f"b{i}" for i in range(width)]
    graph = StateGraph(_state_type(["started", "joined", *(f"v{i}" for i in range(width))]))
    graph.add_node("start", _writer("started", True))
    for i, b in enumerate(branches):
        graph.add_node(b, _writer(f"v{i}", i))
        graph.add_edge("start", b)
    graph.add_node("join", _writer("joined", True))
    graph.add_edge(START, "start")
    graph.add_edge(branches, "join")
    graph.add_edge("join", END)
    return graph.compile()


# --- measuring ---------------------------------------------------------------------------


def cases() -> dict[str, tuple[CompiledWorkflow, Any]]:
    return {
        "linear10": (compile_workflow(linear_spec()), linear_langgraph()),
        "fanout4": (compile_workflow(fanout_spec()), fanout_langgraph()),
    }


def runners(compiled: CompiledWorkflow, plain: Any) -> dict[str, Runner]:
    engine = LocalEngine()
    inputs = {"x": 1}

    async def orcheo() -> Any:
        result = await engine.run(compiled, inputs)
        assert result.status == "succeeded", result.error
        return result.state

    async def langgraph() -> Any:
        return await plain.ainvoke(inputs)

    async def orcheo_graph() -> Any:
        return await compiled.graph.ainvoke(inputs)

    return {"orcheo": orcheo, "langgraph": langgraph, "orcheo_graph": orcheo_graph}


async def measure(fns: dict[str, Runner], runs: int, warmup: int) -> dict[str, list[float]]:
    """Microseconds per run for each runner, interleaved in rotating order."""
    names = list(fns)
    first = {name: await fns[name]() for name in names}
    assert first["orcheo"] == first["langgraph"], "the two sides end in different states"
    for _ in range(warmup):
        for name in names:
            await fns[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for i in range(runs):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            started = time.perf_counter_ns()
            await fns[name]()
            samples[name].append((time.perf_counter_ns() - started) / 1000)
    return samples


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "langgraph": version("langgraph"),
        "pydantic": version("pydantic"),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


async def run_bench(runs: int, warmup: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for case, (compiled, plain) in cases().items():
        samples = await measure(runners(compiled, plain), runs, warmup)
        medians = {name: statistics.median(values) for name, values in samples.items()}
        results[case] = {
            "median_us": {k: round(v, 1) for k, v in medians.items()},
            "p90_us": {k: round(statistics.quantiles(v, n=10)[-1], 1) for k, v in samples.items()},
            "ratio": round(medians["orcheo"] / medians["langgraph"], 3),
            "ratio_graph_only": round(medians["orcheo_graph"] / medians["langgraph"], 3),
        }
    return results


def print_table(results: dict[str, Any]) -> None:
    print(
        f"{'case':<10} {'orcheo us':>10} {'langgraph us':>13} {'orcheo graph us':>16} {'ratio':>6}"
    )
    for case, r in results.items():
        m = r["median_us"]
        print(
            f"{case:<10} {m['orcheo']:>10.1f} {m['langgraph']:>13.1f} "
            f"{m['orcheo_graph']:>16.1f} {r['ratio']:>6.2f}"
        )
    worst = max(r["ratio"] for r in results.values())
    verdict = "within" if worst <= TARGET_RATIO else "ABOVE"
    print(f"worst ratio orcheo/langgraph {worst:.2f}: {verdict} the target of {TARGET_RATIO}")


def profile(runs: int) -> None:
    """cProfile the Orcheo side of both cases; print where the time goes."""
    for case, (compiled, plain) in cases().items():
        orcheo = runners(compiled, plain)["orcheo"]

        async def loop(fn: Runner = orcheo) -> None:
            for _ in range(runs):
                await fn()

        asyncio.run(loop())  # warm up
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(loop())
        profiler.disable()
        print(f"\n=== {case}: Orcheo side, {runs} runs, by own time (tottime)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print(f"=== {case}: by cumulative time")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench engine", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=300, help="timed runs per side and case")
    parser.add_argument("--warmup", type=int, default=30, help="untimed runs first")
    parser.add_argument("--profile", action="store_true", help="cProfile the Orcheo side")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.runs)
        return 0
    print(f"engine overhead: {args.runs} interleaved runs per side, medians")
    results = asyncio.run(run_bench(args.runs, args.warmup))
    print_table(results)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "benchmark": "engine",
            "runs": args.runs,
            "warmup": args.warmup,
            "target_ratio": TARGET_RATIO,
            "machine": machine(),
            "cases": results,
        }
        RESULTS.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
