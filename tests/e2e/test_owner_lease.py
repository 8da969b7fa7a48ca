"""One server per home (issue 12): a second process refuses; a crash is recovered honestly."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import REPO_ROOT, free_port

if TYPE_CHECKING:
    from tests.e2e.conftest import LocalServer

pytestmark = pytest.mark.e2e

SLOW = {
    "name": "slow",
    "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 600}}],
    "edges": [{"source": "wait", "target": "__end__"}],
}


def _start_slow_run(server: LocalServer) -> str:
    wid = server.post("/api/workflows", {"name": "slow", "spec": SLOW}, expect=201)["id"]
    run_id: str = server.post(f"/api/workflows/{wid}/runs", {}, expect=202)["id"]
    server.wait_for(run_id, "running")
    return run_id


def test_a_second_server_on_the_same_home_refuses_and_leaves_runs_alone(
    server: LocalServer,
) -> None:
    run_id = _start_slow_run(server)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHEO_")}
    second = subprocess.run(
        [sys.executable, "-m", "functions.local", "--host", "127.0.0.1"]
        + ["--port", str(free_port()), "--home", str(server.home)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert second.returncode == 1
    pid = server._proc.pid if server._proc else None
    assert f"another Orcheo (pid {pid}) is using this home" in second.stderr
    assert "Traceback" not in second.stderr
    # The first server's run was not "recovered" from under it.
    assert server.get(f"/api/runs/{run_id}")["status"] == "running"
    server.post(f"/api/runs/{run_id}/cancel", expect=200)


def test_after_kill_9_the_run_is_interrupted_with_its_outcome_event(
    server: LocalServer,
) -> None:
    run_id = _start_slow_run(server)
    server.kill()
    server.start()
    run = server.wait_for(run_id, "interrupted")
    assert run["error"]["code"] == "interrupted"
    last = run["events"][-1]
    assert last["type"] == "run.cancelled"
    assert last["data"]["error"]["code"] == "interrupted"
    assert last["seq"] == run["last_seq"]
