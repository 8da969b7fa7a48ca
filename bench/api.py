"""API throughput and latency of the local stack: create a workflow, run one to its end.

The real local stack (``python -m functions.local``, what ``make dev`` runs) is started
as a subprocess on a free loopback port with a fresh ``ORCHEO_HOME``; this process
drives it over keep-alive HTTP/1.1 connections, one per concurrent client.

Workloads, each at concurrency 1 and 16 (a warm-up first, then a fixed request count):

- ``create_workflow``: ``POST /api/workflows`` with a name and a spec (validated and
  stored as version 1): 201.
- ``run_wait``: ``POST /api/workflows/{id}/runs`` with ``{"inputs", "wait": true}`` on
  a four-node workflow (set -> if_else -> set, or the other set, -> END): 200 with the
  finished run, ``status == "succeeded"``. Each run stores its record and 8 events
  (run.started, node.started/succeeded x 3, run.succeeded) in SQLite.
- ``webhook_wait``: ``POST /hooks/{id}`` on the same four-node workflow with a webhook
  trigger (``auth: hmac``, ``response: wait``): each request is signed (``X-Orcheo-
  Signature``, a fresh body per request so no nonce repeats), so the HMAC check and the
  replay nonce are measured; 200 with the run's final state. No bearer token is sent.

Every response is checked (status code, run status, final state); at the end the runs
and events are counted back through the API. Latency is wall clock from writing the
request to reading the whole answer.

    python -m bench api                    # writes bench/results/api.json
    python -m bench api --requests 500     # quicker
    python -m bench api --profile          # cProfile of the server under the run load
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import pstats
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from orcheo_core.triggers import sign

RESULTS = Path(__file__).parent / "results" / "api.json"
REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGET_RUNS_PER_S = 300.0
TARGET_P99_MS = 100.0
CONCURRENCIES = (1, 16)
EVENTS_PER_RUN = 8
START_DEADLINE = 60.0

# The 4-node workflow: set -> if_else (amount > 10) -> set "big" | set "small" -> end.
BRANCHY: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[1] / "examples" / "workflows" / "order_tiers.json"
    ).read_text()
)

# The same four nodes, fed by a webhook: the amount comes in the request body, and the
# hook answers with the final state once the run has ended.
HOOKED: dict[str, Any] = {
    **BRANCHY,
    "name": "bench hooked",
    "nodes": [
        node
        if node["id"] != "check"
        else {
            **node,
            "config": {
                "conditions": [
                    {"left": "{{ state.webhook.body.amount }}", "operator": "gt", "right": 10}
                ]
            },
        }
        for node in BRANCHY["nodes"]
    ],
    "state": {"webhook": {}, "seen": {}, "tier": {}},
    "triggers": [{"type": "webhook", "auth": "hmac", "response": {"mode": "wait"}}],
}


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# ``--profile``: the same entry point, run under cProfile; stats are dumped on Ctrl+C.
_PROFILED = (
    "import cProfile, sys; from functions.local import main; "
    "cProfile.run('main(sys.argv[1:])', sys.argv.pop(1))"
)


def _pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to ``cpus`` before it starts (None: no pin)."""
    if cpus is None:
        return None
    chosen = set(cpus)
    return lambda: os.sched_setaffinity(0, chosen)


class Server:
    """``python -m functions.local`` on a free port and a temporary home, as ``make dev``."""

    def __init__(
        self,
        home: Path,
        profile_to: Path | None = None,
        cpus: set[int] | None = None,
        repo: Path | None = None,
    ) -> None:
        self.home = home
        # another checkout's server, run with that checkout's virtualenv (bench peers)
        self.repo = repo or REPO_ROOT
        self.python = str(self.repo / ".venv" / "bin" / "python") if repo else sys.executable
        self.cpus = cpus  # pin the server to these CPUs (bench peers)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.profile_to = profile_to
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = home / "server.log"

    def start(self) -> str:
        """Start it, wait for /api/health, return the admin token it saved."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
        args = ["--host", HOST, "--port", str(self.port), "--home", str(self.home)]
        if self.profile_to is None:
            command = [self.python, "-m", "functions.local", *args]
        else:
            command = [self.python, "-c", _PROFILED, str(self.profile_to), *args]
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=self.repo,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_pinned(self.cpus),
            )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self._log.read_text()}")
            try:
                status, _ = asyncio.run(_get_once(self.port, "/api/health"))
                if status == 200:
                    return (self.home / "admin-token").read_text().strip()
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server did not answer /api/health within {START_DEADLINE}s")

    def stop(self) -> None:
        """Ctrl+C, as a user stops it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- a minimal HTTP/1.1 client ---------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: request, then read the whole answer.

    Hand-written rather than httpx because on this 2-core machine the client shares the
    CPUs with the server: httpx.AsyncClient spends ~5x more CPU per request (see
    ``--client httpx`` and the README), which shows up in the server's numbers.
    """

    def __init__(self, port: int, token: str | None) -> None:
        self.port = port
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._head = f"Host: {HOST}:{port}\r\n{auth}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, extra: str = ""
    ) -> tuple[int, Any]:
        """``body`` is sent as JSON; or ``raw`` bytes as they are, with ``extra`` header lines."""
        if self._reader is None or self._reader.at_eof():
            # uvicorn closes a connection idle for 5 s; open a new one, as httpx would.
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        assert self._writer is not None
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        if body is not None or raw is not None:
            extra += "Content-Type: application/json\r\n"
        self._writer.write(
            f"{method} {path} HTTP/1.1\r\n".encode()
            + self._head
            + extra.encode()
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        raw = await self._reader.readexactly(length) if length else b""
        return status, json.loads(raw) if raw else None

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxConnection:
    """The same interface over ``httpx.AsyncClient`` (keep-alive), for comparison."""

    def __init__(self, port: int, token: str | None) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(
            base_url=f"http://{HOST}:{port}", headers=headers, trust_env=False, timeout=60
        )

    async def request(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, extra: str = ""
    ) -> tuple[int, Any]:
        headers = dict(
            line.split(": ", 1)
            for line in extra.split("\r\n")
            if line  # "Name: value" lines
        )
        if raw is not None:
            headers["Content-Type"] = "application/json"
            answer = await self._client.request(method, path, content=raw, headers=headers)
        else:
            answer = await self._client.request(method, path, json=body, headers=headers)
        return answer.status_code, answer.json() if answer.content else None

    async def close(self) -> None:
        await self._client.aclose()


async def _get_once(port: int, path: str) -> tuple[int, Any]:
    conn = Connection(port, None)
    try:
        return await conn.request("GET", path)
    finally:
        await conn.close()


# --- load ------------------------------------------------------------------------------------

Client = Connection | HttpxConnection
Call = Callable[[Client, int], Awaitable[Any]]


@dataclass
class Load:
    """What one (workload, concurrency) measurement saw."""

    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    results: list[Any] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "requests": len(ordered),
            "seconds": round(self.elapsed_s, 3),
            "requests_per_s": round(len(ordered) / self.elapsed_s, 1),
            "p50_ms": round(percentile(ordered, 50), 2),
            "p99_ms": round(percentile(ordered, 99), 2),
            "max_ms": round(ordered[-1], 2),
            "client_cpu_us_per_request": round(self.client_cpu_s / len(ordered) * 1e6),
        }


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


async def drive(clients: list[Client], call: Call, count: int) -> Load:
    """``count`` calls spread over the clients, each client one request at a time."""
    load = Load()
    next_index = 0

    async def worker(client: Client) -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            result = await call(client, index)
            load.latencies_ms.append((time.perf_counter() - started) * 1000)
            load.results.append(result)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(c) for c in clients))
    load.elapsed_s = time.perf_counter() - started
    load.client_cpu_s = time.process_time() - cpu
    return load


def _expect(status: int, body: Any, want: int, what: str) -> None:
    if status != want:
        raise AssertionError(f"{what}: HTTP {status} (wanted {want}): {body}")


def create_call(tag: str) -> Call:
    async def call(client: Client, index: int) -> Any:
        body = {"name": f"bench create {index}", "tags": [tag], "spec": BRANCHY}
        status, answer = await client.request("POST", "/api/workflows", body)
        _expect(status, answer, 201, "create workflow")
        if answer["current_version"] != 1:
            raise AssertionError(f"create workflow: no version 1 in {answer}")
        return answer["id"]

    return call


def run_call(workflow_id: str) -> Call:
    path = f"/api/workflows/{workflow_id}/runs"

    async def call(client: Client, index: int) -> Any:
        amount = 50 if index % 2 else 5  # both branches, so the if_else really decides
        body = {"inputs": {"amount": amount}, "wait": True}
        status, run = await client.request("POST", path, body)
        _expect(status, run, 200, "run with wait")
        tier = "big" if amount > 10 else "small"
        if run["status"] != "succeeded" or run["state"]["tier"] != tier:
            raise AssertionError(f"run {run['id']}: {run['status']}, state {run['state']}")
        if run["last_seq"] != EVENTS_PER_RUN:
            raise AssertionError(f"run {run['id']}: {run['last_seq']} events")
        return run["id"]

    return call


def hook_call(workflow_id: str, secret: str) -> Call:
    path = f"/hooks/{workflow_id}"
    sent = itertools.count()

    async def call(client: Client, index: int) -> Any:
        amount = 50 if index % 2 else 5
        # A fresh body per request: the same timestamp and body twice would be a replay.
        serial = next(sent)
        raw = json.dumps({"amount": amount, "n": serial}).encode()
        extra = f"X-Orcheo-Signature: {sign(secret, raw, int(time.time()))}\r\n"
        status, state = await client.request("POST", path, raw=raw, extra=extra)
        _expect(status, state, 200, "webhook with wait")
        tier = "big" if amount > 10 else "small"
        if state.get("tier") != tier or state["webhook"]["body"]["n"] != serial:
            raise AssertionError(f"webhook {serial}: final state {state}")
        return serial

    return call


# --- checking what was stored ----------------------------------------------------------------


async def _pages(client: Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit=500" + (f"&cursor={cursor}" if cursor else "")
        status, page = await client.request("GET", url)
        _expect(status, page, 200, f"GET {url}")
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def verify_runs(clients: list[Client], workflow_id: str, run_ids: list[str]) -> int:
    """Every run is listed as succeeded and has its events 1..8; returns events counted."""
    listed = await _pages(clients[0], f"/api/runs?workflow_id={workflow_id}")
    if {r["id"] for r in listed} != set(run_ids) or len(listed) != len(run_ids):
        raise AssertionError(f"{len(listed)} runs listed for {workflow_id}, made {len(run_ids)}")
    if any(r["status"] != "succeeded" for r in listed):
        raise AssertionError("a listed run did not succeed")

    async def events(client: Client, index: int) -> int:
        status, got = await client.request("GET", f"/api/runs/{run_ids[index]}/events")
        _expect(status, got, 200, "list events")
        if [e["seq"] for e in got] != list(range(1, EVENTS_PER_RUN + 1)):
            raise AssertionError(f"run {run_ids[index]}: events {[e['seq'] for e in got]}")
        return len(got)

    load = await drive(clients, events, len(run_ids))
    return sum(load.results)


async def verify_hook_runs(clients: list[Client], workflow_id: str, count: int) -> int:
    """``count`` webhook runs are listed, all succeeded, each with events 1..8."""
    listed = await _pages(clients[0], f"/api/runs?workflow_id={workflow_id}")
    if len(listed) != count or any(
        r["status"] != "succeeded" or r["trigger"] != "webhook" for r in listed
    ):
        raise AssertionError(f"{len(listed)} webhook runs listed for {workflow_id}, sent {count}")
    return await verify_runs(clients, workflow_id, [r["id"] for r in listed])


async def verify_created(client: Client, tag: str, ids: list[str]) -> None:
    listed = await _pages(client, f"/api/workflows?q={tag}")
    if {w["id"] for w in listed} != set(ids):
        raise AssertionError(f"{len(listed)} workflows listed with tag {tag}, created {len(ids)}")


# --- the benchmark ---------------------------------------------------------------------------


async def bench_create(pool: list[Client], c: int, requests: int, warmup: int) -> Any:
    tag = f"bench-create-{c}x"  # not "-c1": a search for that would also find "-c16"
    call = create_call(tag)
    warm = await drive(pool[:c], call, warmup)
    load = await drive(pool[:c], call, requests)
    await verify_created(pool[0], tag, warm.results + load.results)
    return load.summary(), {"workflows": warmup + requests}


async def bench_runs(
    pool: list[Client], c: int, requests: int, warmup: int, *, verify: bool = True
) -> Any:
    body = {"name": f"bench runs c{c}", "spec": BRANCHY}
    status, workflow = await pool[0].request("POST", "/api/workflows", body)
    _expect(status, workflow, 201, "create the run workflow")
    call = run_call(workflow["id"])
    warm = await drive(pool[:c], call, warmup)
    load = await drive(pool[:c], call, requests)
    if not verify:
        return load.summary(), {}
    events = await verify_runs(pool, workflow["id"], warm.results + load.results)
    return load.summary(), {"runs": warmup + requests, "events": events}


async def bench_hooks(
    pool: list[Client], hook_pool: list[Client], c: int, requests: int, warmup: int, verify: bool
) -> Any:
    body = {"name": f"bench hooks c{c}", "spec": HOOKED}
    status, workflow = await pool[0].request("POST", "/api/workflows", body)
    _expect(status, workflow, 201, "create the webhook workflow")
    path = f"/api/workflows/{workflow['id']}/triggers/webhook/secret"
    status, shown = await pool[0].request("POST", path, {})
    _expect(status, shown, 201, "rotate the webhook secret")
    call = hook_call(workflow["id"], shown["secret"])
    await drive(hook_pool[:c], call, warmup)
    load = await drive(hook_pool[:c], call, requests)
    if not verify:
        return load.summary(), {}
    # A replayed request is refused: the nonce path really ran.
    raw = b'{"amount": 1, "n": -1}'
    extra = f"X-Orcheo-Signature: {sign(shown['secret'], raw, int(time.time()))}\r\n"
    hook = f"/hooks/{workflow['id']}"
    _expect(*(await hook_pool[0].request("POST", hook, raw=raw, extra=extra)), 200, "first send")
    _expect(*(await hook_pool[0].request("POST", hook, raw=raw, extra=extra)), 401, "replay")
    runs = warmup + requests + 1
    events = await verify_hook_runs(pool, workflow["id"], runs)
    return load.summary(), {"runs": runs, "events": events, "replay_refused": True}


async def run_bench(
    port: int,
    token: str,
    *,
    requests: int,
    warmup: int,
    client_kind: str,
    workloads: tuple[str, ...] = ("create_workflow", "run_wait", "webhook_wait"),
    verify: bool = True,
) -> dict[str, Any]:
    """Each workload at each concurrency; the answers checked, what was stored counted."""
    make = Connection if client_kind == "raw" else HttpxConnection
    pool: list[Client] = [make(port, token) for _ in range(max(CONCURRENCIES))]
    hook_pool: list[Client] = [make(port, None) for _ in range(max(CONCURRENCIES))]
    results: dict[str, Any] = {}
    verified: dict[str, Any] = {}
    try:
        for workload in workloads:
            results[workload] = {}
            for c in CONCURRENCIES:
                if workload == "create_workflow":
                    summary, stored = await bench_create(pool, c, requests, warmup)
                elif workload == "webhook_wait":
                    summary, stored = await bench_hooks(
                        pool, hook_pool, c, requests, warmup, verify
                    )
                else:
                    summary, stored = await bench_runs(pool, c, requests, warmup, verify=verify)
                results[workload][f"c{c}"] = summary
                verified[f"{workload}_c{c}"] = stored
    finally:
        for conn in pool + hook_pool:
            await conn.close()
    return {"cases": results, "verified": verified}


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "langgraph": version("langgraph"),
        "pydantic": version("pydantic"),
        "fastapi": version("fastapi"),
        "uvicorn": version("uvicorn"),
        "uvloop": version("uvloop"),
        "httptools": version("httptools"),
        "sqlite": sqlite3.sqlite_version,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def verdict(cases: dict[str, Any]) -> str:
    lines = []
    for workload in ("run_wait", "webhook_wait"):
        runs = cases.get(workload, {}).get("c16")
        if runs is None:
            lines.append(f"{workload} at c16 not measured")
            continue
        ok = runs["requests_per_s"] >= TARGET_RUNS_PER_S and runs["p99_ms"] <= TARGET_P99_MS
        lines.append(
            f"{workload} c16: {runs['requests_per_s']:.0f} runs/s, p99 {runs['p99_ms']:.1f} ms: "
            f"{'MEETS' if ok else 'MISSES'} the target (>= {TARGET_RUNS_PER_S:.0f} runs/s, "
            f"p99 <= {TARGET_P99_MS:.0f} ms)"
        )
    return "; ".join(lines)


def print_table(cases: dict[str, Any]) -> None:
    print(
        f"{'workload':<16} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'client us/req':>13}"
    )
    for workload, by_c in cases.items():
        for c, r in by_c.items():
            print(
                f"{workload:<16} {c[1:]:>4} {r['requests']:>8} {r['requests_per_s']:>8.1f} "
                f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['client_cpu_us_per_request']:>13}"
            )
    print(verdict(cases))


# Where a profiled function's own time is counted, by the first match in its file name.
_AREAS = (
    ("sqlite3", "SQLite (statements, commits)"),
    ("/langgraph/", "LangGraph"),
    ("/langchain_core/", "LangGraph"),
    ("/orcheo_core/", "orcheo_core (engine, nodes)"),
    ("/functions/", "functions (service, stores, API code)"),
    ("/fastapi/", "FastAPI / Starlette / pydantic"),
    ("/starlette/", "FastAPI / Starlette / pydantic"),
    ("pydantic", "FastAPI / Starlette / pydantic"),
    ("/uvicorn/", "uvicorn (HTTP, incl. the socket writes)"),
    ("/json/", "json"),
    ("asyncio", "asyncio / uvloop (the loop itself)"),
)


def _area(key: tuple[str, int, str]) -> str:
    where = f"{key[0]} {key[2]}"
    return next((area for needle, area in _AREAS if needle in where), "other (stdlib, builtins)")


def profile(args: argparse.Namespace) -> None:
    """Drive the run workload against a server running under cProfile; print its profile."""
    with tempfile.TemporaryDirectory(prefix="orcheo-bench-") as tmp:
        stats_file = Path(tmp) / "server.prof"
        server = Server(Path(tmp) / "home", profile_to=stats_file)
        server.home.mkdir()
        token = server.start()
        try:
            asyncio.run(
                run_bench(
                    server.port,
                    token,
                    requests=args.requests,
                    warmup=args.warmup,
                    client_kind=args.client,
                    workloads=(args.workload,),
                    verify=False,  # profile the runs only, not the reads that count them
                )
            )
        finally:
            server.stop()
        stats = pstats.Stats(str(stats_file))
        runs = 2 * (args.requests + args.warmup)
        print(f"=== server under the {args.workload} load ({runs} runs), by own time")
        stats.sort_stats("tottime").print_stats(30)
        print("=== by cumulative time")
        stats.sort_stats("cumulative").print_stats(50)
        own: dict[str, float] = {}
        for key, (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
            own[_area(key)] = own.get(_area(key), 0.0) + tottime
        total = sum(own.values())
        print(f"=== own time by area, per run (total {total:.2f} s, includes idle waits)")
        for area, seconds in sorted(own.items(), key=lambda item: -item[1]):
            print(f"{area:<42} {seconds / runs * 1e6:>8.0f} us  {seconds / total:>6.1%}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests first")
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="the load generator's client"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the server instead")
    parser.add_argument(
        "--workload",
        choices=("run_wait", "webhook_wait"),
        default="run_wait",
        help="the load --profile drives",
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args)
        return 0
    print(
        f"api: local stack on {HOST}, {args.client} client, {args.warmup} warm-up + "
        f"{args.requests} timed requests per case"
    )
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"note: the 1-minute load average is {load_before:.2f}; numbers will be noisy")
    with tempfile.TemporaryDirectory(prefix="orcheo-bench-") as tmp:
        server = Server(Path(tmp))
        token = server.start()
        try:
            outcome = asyncio.run(
                run_bench(
                    server.port,
                    token,
                    requests=args.requests,
                    warmup=args.warmup,
                    client_kind=args.client,
                )
            )
        finally:
            server.stop()
    print_table(outcome["cases"])
    print("stored, counted back through the API:", json.dumps(outcome["verified"]))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "benchmark": "api",
            "command": "python -m bench api",
            "requests": args.requests,
            "warmup": args.warmup,
            "client": args.client,
            "concurrency": list(CONCURRENCIES),
            "target": {"runs_per_s_at_c16": TARGET_RUNS_PER_S, "p99_ms_at_c16": TARGET_P99_MS},
            "server": {
                "command": "python -m functions.local --host 127.0.0.1 --port <free> --home <tmp>",
                # what uvicorn's "auto" picks in this interpreter, as the server does
                "loop": "uvloop" if find_spec("uvloop") else "asyncio",
                "http": "httptools" if find_spec("httptools") else "h11",
            },
            "machine": machine(),
            "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
            "cases": outcome["cases"],
            "verified": outcome["verified"],
            "verdict": verdict(outcome["cases"]),
        }
        RESULTS.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
