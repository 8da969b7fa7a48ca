"""Orcheo against bare LangGraph behind FastAPI, on equal terms: one core each side.

Both servers run the same four-node workflow (``examples/workflows/order_tiers.json``:
set a field, if amount > 10 tier it big, else small) and answer with its final state:

- **Orcheo**: the local stack (``python -m functions.local``, what ``make dev`` runs),
  which stores every run and its eight events in SQLite; measured on ``run_wait``
  (``POST /api/workflows/{id}/runs`` with ``wait``, bearer token), ``webhook_wait``
  unsigned (``auth: none``) and signed (``auth: hmac``, a fresh signed body per
  request, so the replay-nonce write is measured).
- **baseline**: ``bench/peers_baseline.py``, the same graph written by hand in
  LangGraph, ``await graph.ainvoke(...)`` in a FastAPI route under uvicorn: no history,
  no auth, no telemetry.

Each server is pinned to CPU 0 and this process (the load generator, the same client
for both) to CPU 1, so neither side shares its core with the other. Both servers are
up for the whole run and measured in alternation, round after round, so drift in the
machine hits both alike; only one is under load at a time. Every answer is checked
(final state, run status, event count), and afterwards Orcheo's runs and events are
read back through its API: history really kept.

    python -m bench peers                       # writes bench/results/peers.json
    python -m bench peers --requests 500 --rounds 1 --no-write   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.api import (
    BRANCHY,
    CONCURRENCIES,
    HOOKED,
    HOST,
    REPO_ROOT,
    START_DEADLINE,
    Call,
    Client,
    Connection,
    Load,
    Server,
    _expect,
    _get_once,
    _pinned,
    drive,
    free_port,
    hook_call,
    machine,
    run_call,
    verify_hook_runs,
    verify_runs,
)

RESULTS = Path(__file__).parent / "results" / "peers.json"
SERVER_CPU = 0
CLIENT_CPU = 1
# issue 20's targets: Orcheo / baseline runs per second, and Orcheo's own latency.
TARGET_RATIO = {1: 0.8, 16: 1.0}
TARGET_P99_MS_C16 = 50.0
TARGET_P50_MS_C1 = 3.0

OPEN_HOOK: dict[str, Any] = {
    **HOOKED,
    "name": "bench hooked, unsigned",
    "triggers": [{"type": "webhook", "auth": "none", "response": {"mode": "wait"}}],
}


class BaselineServer:
    """``python -m bench.peers_baseline`` on a free port, pinned like the Orcheo server."""

    def __init__(self, log: Path, cpus: set[int]) -> None:
        self.port = free_port()
        self.cpus = cpus
        self._log = log
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "bench.peers_baseline", "--port", str(self.port)]
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_pinned(self.cpus),
            )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the baseline exited at start:\n{self._log.read_text()}")
            try:
                if asyncio.run(_get_once(self.port, "/health"))[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the baseline did not answer /health within {START_DEADLINE}s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


def baseline_run_call() -> Call:
    async def call(client: Client, index: int) -> Any:
        amount = 50 if index % 2 else 5
        status, state = await client.request("POST", "/run", {"inputs": {"amount": amount}})
        _expect(status, state, 200, "baseline run")
        if state.get("tier") != ("big" if amount > 10 else "small"):
            raise AssertionError(f"baseline run {index}: final state {state}")
        return index

    return call


def baseline_hook_call() -> Call:
    async def call(client: Client, index: int) -> Any:
        amount = 50 if index % 2 else 5
        raw = json.dumps({"amount": amount, "n": index}).encode()
        status, state = await client.request("POST", "/hook", raw=raw)
        _expect(status, state, 200, "baseline hook")
        if state.get("tier") != ("big" if amount > 10 else "small"):
            raise AssertionError(f"baseline hook {index}: final state {state}")
        return index

    return call


def open_hook_call(workflow_id: str) -> Call:
    path = f"/hooks/{workflow_id}"

    async def call(client: Client, index: int) -> Any:
        amount = 50 if index % 2 else 5
        raw = json.dumps({"amount": amount, "n": index}).encode()
        status, state = await client.request("POST", path, raw=raw)
        _expect(status, state, 200, "unsigned webhook with wait")
        if state.get("tier") != ("big" if amount > 10 else "small"):
            raise AssertionError(f"unsigned webhook {index}: final state {state}")
        return index

    return call


async def _create(client: Client, spec: dict[str, Any], name: str) -> str:
    status, workflow = await client.request("POST", "/api/workflows", {"name": name, "spec": spec})
    _expect(status, workflow, 201, f"create {name}")
    return str(workflow["id"])


async def _orcheo_cases(
    label: str, port: int, token: str, pools: dict[str, list[Client]]
) -> tuple[dict[str, tuple[str, Call]], dict[str, str]]:
    """One Orcheo server's three cases (and the workflows they run), named ``label_*``."""
    admin = Connection(port, token)
    try:
        runs_wf = await _create(admin, BRANCHY, "peers run_wait")
        open_wf = await _create(admin, OPEN_HOOK, "peers webhook unsigned")
        signed_wf = await _create(admin, HOOKED, "peers webhook signed")
        status, shown = await admin.request(
            "POST", f"/api/workflows/{signed_wf}/triggers/webhook/secret", {}
        )
        _expect(status, shown, 201, "rotate the webhook secret")
    finally:
        await admin.close()
    width = max(CONCURRENCIES)
    pools[f"{label}_api"] = [Connection(port, token) for _ in range(width)]
    pools[f"{label}_hook"] = [Connection(port, None) for _ in range(width)]
    cases = {
        f"{label}_run_wait": (f"{label}_api", run_call(runs_wf)),
        f"{label}_webhook_unsigned": (f"{label}_hook", open_hook_call(open_wf)),
        f"{label}_webhook_signed": (f"{label}_hook", hook_call(signed_wf, shown["secret"])),
    }
    workflows = {
        f"{label}_run_wait": runs_wf,
        f"{label}_webhook_unsigned": open_wf,
        f"{label}_webhook_signed": signed_wf,
    }
    return cases, workflows


async def measure(
    servers: dict[str, tuple[int, str]],
    baseline_port: int,
    *,
    requests: int,
    warmup: int,
    rounds: int,
) -> dict[str, Any]:
    """Every case at every concurrency, ``rounds`` times in alternation; medians kept.

    ``servers``: label -> (port, admin token) of each Orcheo server ("orcheo", and
    "before" when an older checkout is measured beside it).
    """
    width = max(CONCURRENCIES)
    pools: dict[str, list[Client]] = {
        "baseline": [Connection(baseline_port, None) for _ in range(width)]
    }
    cases: dict[str, tuple[str, Call]] = {
        "baseline_run": ("baseline", baseline_run_call()),
        "baseline_hook": ("baseline", baseline_hook_call()),
    }
    workflows: dict[str, str] = {}
    for label, (port, token) in servers.items():
        more, wfs = await _orcheo_cases(label, port, token, pools)
        cases.update(more)
        workflows.update(wfs)
    seen: dict[str, dict[int, list[dict[str, Any]]]] = {name: {} for name in cases}
    made: dict[str, list[Any]] = {name: [] for name in workflows}
    try:
        for round_no in range(rounds):
            order = list(cases)
            shift = round_no % len(order)  # rotate, so no case always goes first
            order = order[shift:] + order[:shift]
            for c in CONCURRENCIES:
                for name in order:
                    pool_name, call = cases[name]
                    warm = await drive(pools[pool_name][:c], call, warmup)
                    load: Load = await drive(pools[pool_name][:c], call, requests)
                    seen[name].setdefault(c, []).append(load.summary())
                    if name in made:
                        made[name] += warm.results + load.results
                    print(
                        f"  round {round_no + 1} c{c:<2} {name:<24} "
                        f"{load.summary()['requests_per_s']:>7.1f} runs/s",
                        flush=True,
                    )
        # History really kept: every Orcheo run listed back, each with its 8 events.
        verified: dict[str, int] = {}
        for name, workflow_id in workflows.items():
            api = pools[name.split("_", 1)[0] + "_api"]
            if name.endswith("_run_wait"):
                verified[f"{name}_events"] = await verify_runs(api, workflow_id, made[name])
            else:
                verified[f"{name}_events"] = await verify_hook_runs(
                    api, workflow_id, len(made[name])
                )
    finally:
        for conn in (c for pool in pools.values() for c in pool):
            await conn.close()
    return {"cases": {name: _medians(by_c) for name, by_c in seen.items()}, "verified": verified}


def _medians(by_c: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per concurrency: the round with the median throughput (its latencies with it)."""
    out: dict[str, Any] = {}
    for c, summaries in by_c.items():
        ordered = sorted(summaries, key=lambda s: s["requests_per_s"])
        out[f"c{c}"] = {**ordered[(len(ordered) - 1) // 2], "rounds": summaries}
    return out


def ratios(cases: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Orcheo runs/s over the baseline's (run vs /run, webhooks vs /hook)."""
    against = {
        f"{label}_{case}": base
        for label in ("orcheo", "before")
        for case, base in (
            ("run_wait", "baseline_run"),
            ("webhook_unsigned", "baseline_hook"),
            ("webhook_signed", "baseline_hook"),
        )
        if f"{label}_{case}" in cases
    }
    return {
        name: {
            f"c{c}": round(
                cases[name][f"c{c}"]["requests_per_s"] / cases[base][f"c{c}"]["requests_per_s"], 2
            )
            for c in CONCURRENCIES
        }
        for name, base in against.items()
    }


def verdict(cases: dict[str, Any], ratio: dict[str, dict[str, float]]) -> list[str]:
    lines = []
    for name, by_c in ratio.items():
        if not name.startswith("orcheo_"):
            continue
        c1, c16 = cases[name]["c1"], cases[name]["c16"]
        checks = [
            (by_c["c1"] >= TARGET_RATIO[1], f"c1 {by_c['c1']:.2f}x (>= {TARGET_RATIO[1]})"),
            (by_c["c16"] >= TARGET_RATIO[16], f"c16 {by_c['c16']:.2f}x (>= {TARGET_RATIO[16]})"),
            (c16["p99_ms"] <= TARGET_P99_MS_C16, f"c16 p99 {c16['p99_ms']:.1f} ms (<= 50)"),
            (c1["p50_ms"] <= TARGET_P50_MS_C1, f"c1 p50 {c1['p50_ms']:.2f} ms (<= 3)"),
        ]
        marks = ", ".join(f"{text} {'ok' if ok else 'MISS'}" for ok, text in checks)
        lines.append(f"{name}: {marks}")
    return lines


def print_table(cases: dict[str, Any], ratio: dict[str, dict[str, float]]) -> None:
    print(f"{'case':<26} {'conc':>4} {'runs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x base':>7}")
    for name, by_c in cases.items():
        for c, r in by_c.items():
            x = ratio.get(name, {}).get(c)
            shown = f"{x:.2f}" if x is not None else "-"
            print(
                f"{name:<26} {c[1:]:>4} {r['requests_per_s']:>8.1f} {r['p50_ms']:>8.2f} "
                f"{r['p99_ms']:>8.2f} {shown:>7}"
            )
    for line in verdict(cases, ratio):
        print(line)


def _describe(repo: Path) -> str:
    """The commit an older checkout is at, for the results file."""
    head = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return head.stdout.strip() or str(repo)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench peers", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests first")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median kept)")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (with its .venv) whose server is measured beside this one",
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        print("peers: needs two CPUs and os.sched_setaffinity (Linux): one per side")
        return 2
    os.sched_setaffinity(0, {CLIENT_CPU})
    load_before = os.getloadavg()[0]
    print(
        f"peers: servers pinned to CPU {SERVER_CPU}, client to CPU {CLIENT_CPU}; "
        f"{args.rounds} rounds x ({args.warmup} warm-up + {args.requests} timed) per case"
    )
    if load_before > 0.5:
        print(f"note: the 1-minute load average is {load_before:.2f}; numbers will be noisy")
    with tempfile.TemporaryDirectory(prefix="orcheo-peers-") as tmp, contextlib.ExitStack() as up:
        servers: dict[str, tuple[int, str]] = {}
        checkouts = {"orcheo": None, **({"before": args.before} if args.before else {})}
        for label, repo in checkouts.items():
            server = Server(Path(tmp) / label, cpus={SERVER_CPU}, repo=repo)
            server.home.mkdir()
            servers[label] = (server.port, server.start())
            up.callback(server.stop)
        baseline = BaselineServer(Path(tmp) / "baseline.log", cpus={SERVER_CPU})
        baseline.start()
        up.callback(baseline.stop)
        outcome = asyncio.run(
            measure(
                servers,
                baseline.port,
                requests=args.requests,
                warmup=args.warmup,
                rounds=args.rounds,
            )
        )
    ratio = ratios(outcome["cases"])
    print_table(outcome["cases"], ratio)
    print("history, read back through Orcheo's API:", json.dumps(outcome["verified"]))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "benchmark": "peers",
            "command": "python -m bench peers",
            "requests": args.requests,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "pinning": {"servers": SERVER_CPU, "client": CLIENT_CPU},
            "before": None if args.before is None else _describe(args.before),
            "host": HOST,
            "machine": machine(),
            "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
            "cases": outcome["cases"],
            "ratio_to_baseline": ratio,
            "verified": outcome["verified"],
            "verdict": verdict(outcome["cases"], ratio),
        }
        RESULTS.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
