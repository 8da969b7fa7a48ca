"""The hostile corpus (tests/e2e/hostile_corpus.py) against the real local stack.

Every program goes through each channel its case names: at load time of a LangGraph
script (when it is saved, and again when it runs), inside a script's node, in a Python
Code node and in a JavaScript Code node. For each, whatever the outcome (refused when
saved, a failed run, or a run that succeeded with what the attack could see), it must
be contained:

- nothing outside the job's temp dir read: the admin token, the vault key, the SQLite
  header, a canary file in ORCHEO_HOME and one outside it, and a secret in the server's
  environment never appear in any answer, run state or event;
- nothing written outside it: no ``pwned`` file in ORCHEO_HOME or the outside directory,
  the canaries unchanged;
- no process survives the job (none carries the run's marker, the fork server has no
  child left);
- no connection made: a TCP listener, a UDP socket and an abstract Unix socket on this
  machine receive nothing;
- and ``/api/health`` answers throughout (a thread polls it during the whole corpus).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import REPO_ROOT, LocalServer
from tests.e2e.hostile_corpus import CASES, Case

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("ORCHEO_SANDBOX") == "process", reason="the namespaces boundary is off"
    ),
]

_SCRIPT_HEAD = """
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
"""
_SCRIPT_LOAD = """
try:
    LOOT = str(attack())[:4000]
except Exception as exc:
    LOOT = "raised " + repr(exc)[:500]


class S(TypedDict, total=False):
    loot: str


def report(state: S) -> S:
    return {"loot": LOOT}
"""
_SCRIPT_NODE = """

class S(TypedDict, total=False):
    loot: str


def report(state: S) -> S:
    try:
        loot = str(attack())[:4000]
    except Exception as exc:
        loot = "raised " + repr(exc)[:500]
    return {"loot": loot}
"""
_SCRIPT_TAIL = """
builder = StateGraph(S)
builder.add_node("report", report)
builder.add_edge(START, "report")
builder.add_edge("report", END)
graph = builder.compile()
"""


def test_the_corpus_has_at_least_40_programs_over_every_channel() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    channels = {channel for case in CASES for channel in case.channels}
    assert channels == {"load", "node", "python", "javascript"}


class _Listeners:
    """A TCP listener, a UDP socket and an abstract Unix socket that count what reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.abstract_name = f"orcheo-canary-{uuid.uuid4().hex}"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind("\0" + self.abstract_name)
        self.unix.listen()
        self.received: list[str] = []
        self.stop = threading.Event()
        for sock in (self.tcp, self.udp, self.unix):
            sock.settimeout(0.1)
            threading.Thread(target=self._watch, args=(sock,), daemon=True).start()

    def _watch(self, sock: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                if sock.type == socket.SOCK_DGRAM:
                    self.received.append(f"udp {sock.recvfrom(4096)!r}")
                else:
                    self.received.append(f"connection {sock.accept()!r}")
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


class _Health:
    """Polls /api/health for the whole corpus and keeps every failure."""

    def __init__(self, url: str) -> None:
        self.failures: list[str] = []
        self.answers = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, args=(url,), daemon=True)
        self.thread.start()

    def _poll(self, url: str) -> None:
        with httpx.Client(base_url=url, trust_env=False, timeout=10.0) as client:
            while not self.stop.is_set():
                try:
                    answer = client.get("/api/health")
                    if answer.status_code != 200:
                        self.failures.append(f"{answer.status_code} {answer.text[:200]}")
                    else:
                        self.answers += 1
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                time.sleep(0.2)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def _processes() -> dict[int, tuple[int, int, bytes]]:
    """pid -> (parent pid, start time, command line) of every process we can see."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[1]), int(fields[19]), cmdline)
    return found


def _leftovers(server_pid: int, marker: str) -> list[str]:
    """Processes carrying ``marker``, and any process under the server but the fork
    server itself (the oldest Python under bubblewrap): a job, or what a job started,
    wherever it was reparented."""
    processes = _processes()
    mine = {server_pid}
    for _ in range(6):
        mine |= {pid for pid, (ppid, _, _) in processes.items() if ppid in mine}
    sandboxed = sorted(
        (start, pid)
        for pid, (_, start, cmdline) in processes.items()
        if pid in mine
        and b"orcheo_core.sandbox._worker" in cmdline
        and not cmdline.split(b"\0")[0].endswith(b"bwrap")
    )
    servers = {pid for _, pid in sandboxed[:1]}
    left = [
        f"{pid} {cmd[:80]!r}" for pid, (_, _, cmd) in processes.items() if marker.encode() in cmd
    ]
    left += [f"job {pid}" for _, pid in sandboxed[1:]]
    left += [
        f"{pid} {cmd[:80]!r}"
        for pid, (ppid, _, cmd) in processes.items()
        if pid in mine
        and pid not in servers
        and ppid in servers | {p for _, p in sandboxed}
        and f"job {pid}" not in left
    ]
    return left


class _Corpus:
    def __init__(self, server: LocalServer, outside: Path, listeners: _Listeners) -> None:
        self.server = server
        self.outside = outside
        self.listeners = listeners
        assert server._proc is not None
        self.server_pid = server._proc.pid
        home = server.home
        self.canary = f"CANARY-{uuid.uuid4().hex}"
        (home / "canary.txt").write_text(self.canary)
        (outside / "canary.txt").write_text(self.canary)
        key = (home / "vault.key").read_bytes()
        self.vault_key = key
        self.secrets = {
            "admin token": server.token,
            "canary": self.canary,
            "environment secret": server.env["ORCHEO_CANARY_SECRET"],
            "vault key (text)": key.decode("latin-1")[:24],
            "vault key (hex)": key.hex()[:24],
            "vault key (repr)": repr(key)[2:26],
            "SQLite header": "SQLite format 3",
        }

    def fill(self, source: str, marker: str) -> str:
        values = {
            "{HOME}": str(self.server.home),
            "{OUTSIDE}": str(self.outside),
            "{REPO}": str(REPO_ROOT),
            "{API_PORT}": str(self.server.port),
            "{LISTEN_PORT}": str(self.listeners.tcp.getsockname()[1]),
            "{UDP_PORT}": str(self.listeners.udp.getsockname()[1]),
            "{ABSTRACT}": self.listeners.abstract_name,
            "{SERVER_PID}": str(self.server_pid),
            "{MARKER}": marker,
        }
        for key, value in values.items():
            source = source.replace(key, value)
        return source

    def _request(self, method: str, path: str, body: Any, seen: list[str]) -> httpx.Response:
        answer = self.server.http.request(
            method, path, json=body, headers=self.server.headers, timeout=120.0
        )
        seen.append(answer.text)
        return answer

    def _run(self, workflow_id: str, seen: list[str]) -> str:
        answer = self._request(
            "POST", f"/api/workflows/{workflow_id}/runs", {"inputs": {}, "wait": True}, seen
        )
        assert answer.status_code in (200, 202), answer.text
        run = answer.json()
        run_id = str(run["id"])
        if run["status"] in ("queued", "running"):
            run = self.server.wait_for(run_id, "succeeded", "failed", "cancelled")
            seen.append(json.dumps(run))
        events = self._request("GET", f"/api/runs/{run_id}/events", None, seen)
        assert events.status_code == 200
        return str(run["status"])

    def attempt(self, case: Case, channel: str, marker: str) -> str:
        """Run ``case`` through ``channel``; its outcome, every answer kept in ``seen``."""
        seen: list[str] = []
        source = self.fill(case.source, marker)
        name = f"{case.name} via {channel}"
        if channel in ("load", "node"):
            middle = _SCRIPT_LOAD if channel == "load" else _SCRIPT_NODE
            script = _SCRIPT_HEAD + source + middle + _SCRIPT_TAIL
            answer = self._request(
                "POST", "/api/workflows/script", {"name": name, "source": script}, seen
            )
            if answer.status_code == 422:
                outcome = "refused when saved"
            else:
                assert answer.status_code == 201, answer.text
                outcome = self._run(str(answer.json()["id"]), seen)
        else:
            if channel == "python":
                code = source + "\n\ndef main(state):\n    return str(attack())[:4000]\n"
                node_type = "python_code"
            else:
                code, node_type = source, "javascript_code"
            config = {"code": code, "timeout": 3, "memory_mb": 128, "cpu_seconds": 2}
            spec = {
                "name": name,
                "entry": "attack",
                "nodes": [{"id": "attack", "type": node_type, "config": config}],
                "edges": [{"source": "attack", "target": "__end__"}],
                "state": {"result": {"default": None}},
            }
            answer = self._request("POST", "/api/workflows", {"name": name, "spec": spec}, seen)
            assert answer.status_code == 201, answer.text
            outcome = self._run(str(answer.json()["id"]), seen)
        self.check(name, marker, seen)
        return outcome

    def check(self, name: str, marker: str, seen: list[str]) -> None:
        text = "\n".join(seen)
        leaked = [label for label, secret in self.secrets.items() if secret in text]
        assert leaked == [], f"{name}: {leaked} reached an answer"
        home, outside = self.server.home, self.outside
        written = [p.name for p in [*home.iterdir(), *outside.iterdir()] if "pwned" in p.name]
        assert written == [], f"{name} wrote {written}"
        assert (home / "canary.txt").read_text() == self.canary
        assert (outside / "canary.txt").read_text() == self.canary
        assert (home / "vault.key").read_bytes() == self.vault_key
        for _ in range(100):  # the fork server reaps a job as soon as it ends
            left = _leftovers(self.server_pid, marker)
            if not left:
                break
            time.sleep(0.05)
        assert left == [], f"{name} left processes behind: {left}"
        assert self.listeners.received == [], f"{name} reached {self.listeners.received}"


@pytest.fixture
def hostile_server(tmp_path: Path) -> Any:
    secret = f"ENV-SECRET-{uuid.uuid4().hex}"
    local = LocalServer(tmp_path / "home", tmp_path / "logs", env={"ORCHEO_CANARY_SECRET": secret})
    try:
        local.start()
        yield local
    finally:
        local.close()


def test_every_hostile_program_is_refused_or_contained(
    hostile_server: LocalServer, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    listeners = _Listeners()
    health = _Health(hostile_server.url)
    outcomes: dict[str, str] = {}
    try:
        corpus = _Corpus(hostile_server, outside, listeners)
        for case in CASES:
            for channel in case.channels:
                marker = f"orcheo-marker-{uuid.uuid4().hex}"
                outcomes[f"{case.name} via {channel}"] = corpus.attempt(case, channel, marker)
                assert health.failures == [], f"/api/health failed: {health.failures}"
    finally:
        health.close()
        listeners.close()
    assert health.failures == [] and health.answers > 0
    print(json.dumps(outcomes, indent=1))
    # A few must fail outright, not merely come back empty-handed.
    assert outcomes["fork_bomb via python"] == "failed"
    assert outcomes["memory_bomb via python"] == "failed"
    assert outcomes["sleep_forever via python"] == "failed"
    assert outcomes["js_endless_loop via javascript"] == "failed"
    assert outcomes["js_buffer_bomb via javascript"] == "failed"
