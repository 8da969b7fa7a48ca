"""Fixtures for the e2e tier: the real local stack as a subprocess on a free loopback port.

``LocalServer`` runs ``python -m functions.local`` exactly as ``make dev`` does, waits
for ``/api/health``, and stops it the way a user does (Ctrl+C, i.e. SIGINT). It can be
started again on the same home to check that data survives a restart. Everything the
server prints goes to files under the test's tmp dir and is printed at teardown, so a
failing test shows it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# Readiness waits, never budgets: each wait polls for the thing it needs and only gives
# up after a deadline generous enough for a machine busy with other work (a cold
# interpreter imports FastAPI and LangGraph first), saying what was still pending.
START_DEADLINE = 300.0
STOP_DEADLINE = 120.0
WAIT_DEADLINE = 180.0
# pytest-timeout's per-test limit for this tier (the fast tiers keep pyproject's 120 s):
# an e2e test drives several subprocesses, each of which waits as above.
E2E_TEST_TIMEOUT = 1800


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """One ``functions.local`` process at a time on ``home``; ``start`` again to restart."""

    def __init__(
        self,
        home: Path,
        logs: Path,
        static_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.logs = logs
        # The built canvas to serve at `/`; None serves the placeholder page.
        self.static_dir = static_dir
        self.env = dict(env or {})  # extra ORCHEO_* settings, e.g. ORCHEO_TEST_CLOCK
        self.port = 0
        self.starts = 0
        self.exit_codes: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def token(self) -> str:
        return (self.home / "admin-token").read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stdout(self, start: int | None = None) -> str:
        """What start number ``start`` (default: the latest) printed on stdout."""
        return (self.logs / f"start-{start or self.starts}.out").read_text()

    def start(self) -> None:
        """Start on a free port and wait until it answers; retried if the port was taken
        between choosing it and binding it."""
        for _ in range(3):
            if self._start():
                return
            self._proc = None
            self.http.close()
        raise AssertionError("no free loopback port could be bound in 3 tries")

    def _start(self) -> bool:
        assert self._proc is None, "the server is already running"
        self.starts += 1
        self.port = free_port()
        # The server reads ORCHEO_* from the environment: only what this test sets counts.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
        env["ORCHEO_STATIC_DIR"] = str(self.static_dir or self.logs / "no-canvas")
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.env)
        self.logs.mkdir(parents=True, exist_ok=True)
        args = ["--host", HOST, "--port", str(self.port), "--home", str(self.home)]
        with (
            (self.logs / f"start-{self.starts}.out").open("wb") as out,
            (self.logs / f"start-{self.starts}.err").open("wb") as err,
        ):
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "functions.local", *args],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
        self._client = httpx.Client(base_url=self.url, trust_env=False, timeout=30.0)
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                printed = (self.logs / f"start-{self.starts}.err").read_text(errors="replace")
                if "address already in use" in printed.lower():
                    return False
                raise AssertionError(
                    f"the server exited with {self._proc.returncode} at start:\n{printed[-2000:]}"
                )
            try:
                if self._client.get("/api/health").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        printed = (self.logs / f"start-{self.starts}.err").read_text(errors="replace")
        raise AssertionError(
            f"still pending after {START_DEADLINE}s: the server (pid {self._proc.pid}) "
            f"never answered /api/health on {self.url}; it printed:\n{printed[-2000:]}"
        )

    def stop(self) -> int:
        """Ctrl+C the server, wait for it to exit and return its exit code."""
        proc, self._proc = self._proc, None
        assert proc is not None, "the server is not running"
        if self._client is not None:
            self._client.close()
            self._client = None
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"the server ignored Ctrl+C for {STOP_DEADLINE}s and was killed"
            ) from None
        self.exit_codes.append(code)
        return code

    def kill(self) -> None:
        """kill -9: no shutdown code runs, as when the machine or the process dies."""
        proc, self._proc = self._proc, None
        assert proc is not None, "the server is not running"
        if self._client is not None:
            self._client.close()
            self._client = None
        proc.kill()
        proc.wait()

    def restart(self) -> None:
        assert self.stop() == 0, "Ctrl+C stops the server cleanly"
        self.start()

    def close(self) -> None:
        """Teardown: Ctrl+C whatever still runs, print the logs (pytest shows them when a
        test fails), and fail unless every stop was clean."""
        problem = None
        if self._proc is not None:
            try:
                self.stop()
            except AssertionError as exc:
                problem = str(exc)
        for path in sorted(self.logs.glob("start-*")):
            print(f"----- {path.name}\n{path.read_text(errors='replace')}")
        if problem is None and any(self.exit_codes):
            problem = f"the server exited with {self.exit_codes} on Ctrl+C, not 0"
        assert problem is None, problem

    # ------------------------------------------------------------------ HTTP helpers

    @property
    def http(self) -> httpx.Client:
        assert self._client is not None, "the server is not running"
        return self._client

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        """An authenticated request that must answer ``expect``; returns the JSON body."""
        answer = self.http.request(method, path, headers=self.headers, **kwargs)
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, expect: int = 200) -> Any:
        return self.call("POST", path, expect=expect, json={} if body is None else body)

    def wait_for(self, run_id: str, *statuses: str) -> dict[str, Any]:
        """Poll the run until its status is one of ``statuses``; returns it with its events."""
        deadline = time.monotonic() + WAIT_DEADLINE
        while True:
            run: dict[str, Any] = self.get(f"/api/runs/{run_id}")
            if run["status"] in statuses:
                return run
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"still pending after {WAIT_DEADLINE}s: run {run_id} is {run['status']}, "
                    f"never {statuses}; its last events: {run.get('events', [])[-5:]}"
                )
            time.sleep(0.05)

    # ------------------------------------------------------------------ WebSocket

    def ws(self) -> ClientConnection:
        return connect(
            f"ws://{HOST}:{self.port}/ws",
            additional_headers=self.headers,
            proxy=None,
            open_timeout=WAIT_DEADLINE,
        )


def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=WAIT_DEADLINE))
    return message


def subscribe(ws: ClientConnection, run_id: str, after_seq: int = 0) -> None:
    ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "after_seq": after_seq}))
    answer = receive(ws)
    assert answer == {"type": "subscribed", "topic": f"run:{run_id}"}, answer


def follow(
    ws: ClientConnection, until: str | None = None, node: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Events of the subscribed run up to its ``end`` message (returned too), or up to the
    first event of type ``until`` (for ``node``), in which case the end is None."""
    events: list[dict[str, Any]] = []
    while True:
        message = receive(ws)
        if message["type"] == "end":
            return events, message
        assert message["type"] == "event", message
        event = message["event"]
        events.append(event)
        if until is not None and event["type"] == until and node in (None, event["node"]):
            return events, None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    """The local stack, started on a fresh home; stopped (and its output printed) at teardown."""
    local = LocalServer(tmp_path / "home", tmp_path / "logs")
    try:
        local.start()
        yield local
    finally:
        local.close()
