"""LangGraph scripts as workflow versions: submit, draw, run, refuse, through the real API."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from functions.local import LocalStack
from orcheo_core.sandbox import SandboxLimits, ScriptSandbox

from .conftest import create_workflow

EXAMPLE = Path(__file__).parents[3] / "examples" / "scripts" / "hello_graph.py"
SOURCE = EXAMPLE.read_text()


def _line_of(text: str) -> int:
    """The line of SOURCE holding ``text``."""
    return next(i for i, line in enumerate(SOURCE.splitlines(), 1) if text in line)


FAILING = """\
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int


def divide(state: State) -> dict:
    return {"n": 10 // state["n"]}


graph = StateGraph(State)
graph.add_node("divide", divide)
graph.add_edge(START, "divide")
graph.add_edge("divide", END)
"""


@pytest.fixture
def stack(settings: Any) -> LocalStack:
    stack = LocalStack(settings)
    # small limits for checking scripts keep the hostile case short
    stack.services.script_sandbox = ScriptSandbox(
        extract_limits=SandboxLimits(memory_mb=384, cpu_seconds=2, wall_seconds=3.0)
    )
    return stack


def _wait_for(client: TestClient, admin: dict[str, str], run_id: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}", headers=admin).json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not end")


def test_the_example_runs_locally_with_plain_python() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "'greeting': 'HELLO, ADA!'" in proc.stdout


def test_a_script_becomes_a_version_with_its_graph_and_runs(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    answer = client.post(
        f"/api/workflows/{wid}/versions/script",
        json={"source": SOURCE, "note": "from a file", "base_version": 1},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    version = answer.json()
    assert (version["number"], version["kind"], version["source"]) == (2, "script", SOURCE)
    graph = version["spec"]
    assert [n["id"] for n in graph["nodes"]] == ["greet", "louder"]
    assert {"source": "__start__", "target": "greet"} in graph["edges"]
    assert {"source": "louder", "target": "__end__"} in graph["edges"]
    assert graph["routes"] == [
        {
            "source": "greet",
            "name": "how_loud",
            "targets": ["__end__", "louder"],
            "path_map": {"louder": "louder", "__end__": "__end__"},
        }
    ]
    assert (graph["entry"], graph["finish"]) == (["greet"], ["greet", "louder"])
    assert graph["state"] == ["name", "greeting", "shout", "log"]
    again = client.get(f"/api/workflows/{wid}/versions/2", headers=admin).json()
    assert again["spec"] == graph

    run = client.post(
        f"/api/workflows/{wid}/runs",
        json={"inputs": {"name": "Ada", "shout": True}, "version": 2, "wait": True},
        headers=admin,
    ).json()
    assert run["status"] == "succeeded", run
    assert run["state"]["greeting"] == "HELLO, ADA!"
    detail = client.get(f"/api/runs/{run['id']}", headers=admin).json()
    kinds = [(e["type"], e["node"]) for e in detail["events"]]
    assert kinds == [
        ("run.started", None),
        ("node.started", "greet"),
        ("node.succeeded", "greet"),
        ("node.started", "louder"),
        ("node.succeeded", "louder"),
        ("run.succeeded", None),
    ]
    assert detail["events"][2]["data"]["output"] == {"greeting": "Hello, Ada!", "log": ["greet"]}


def test_a_workflow_can_start_from_a_script(client: TestClient, admin: dict[str, str]) -> None:
    answer = client.post(
        "/api/workflows/script", json={"name": "Hello", "source": SOURCE}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    workflow = answer.json()
    assert workflow["current_version"] == 1
    version = client.get(f"/api/workflows/{workflow['id']}/versions/1", headers=admin).json()
    assert version["kind"] == "script"


def test_a_failing_script_run_names_the_node_and_the_line(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    answer = client.post(
        f"/api/workflows/{wid}/versions/script", json={"source": FAILING}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["spec"]["graph"] == "graph"
    started = client.post(
        f"/api/workflows/{wid}/runs", json={"inputs": {"n": 0}, "version": 2}, headers=admin
    ).json()
    run = _wait_for(client, admin, started["id"])
    assert run["status"] == "failed"
    assert run["error"]["code"] == "node_failed"
    assert "ZeroDivisionError" in run["error"]["message"]
    assert run["error"]["details"]["line"] == 11
    failed = [e for e in run["events"] if e["type"] == "node.failed"]
    assert failed and failed[0]["node"] == "divide"


@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        ("import os\n" + SOURCE, 1, 1, "import"),
        (SOURCE.replace("def louder(", "def louder(:"), _line_of("def louder("), 12, "syntax"),
        ("x = 1\nraise ValueError('no config')\n", 2, None, "load"),
        ("x = 1\n", None, None, "no_graph"),
    ],
)
def test_a_bad_script_is_a_422_with_line_column_and_hint(
    client: TestClient,
    admin: dict[str, str],
    source: str,
    line: int | None,
    column: int | None,
    reason: str,
) -> None:
    wid = create_workflow(client, admin)["id"]
    answer = client.post(
        f"/api/workflows/{wid}/versions/script", json={"source": source}, headers=admin
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_script"
    details = error["details"]
    assert (details["line"], details["column"], details["reason"]) == (line, column, reason)
    assert details["hint"]
    versions = client.get(f"/api/workflows/{wid}/versions", headers=admin).json()
    assert len(versions) == 1, "a refused script stores nothing"


def test_a_hostile_script_is_contained_while_the_server_keeps_answering(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    spinning = SOURCE.replace(
        "builder = StateGraph", "while True:\n    pass\n\nbuilder = StateGraph"
    )
    answers: list[Any] = []
    submit = threading.Thread(
        target=lambda: answers.append(
            client.post(
                f"/api/workflows/{wid}/versions/script", json={"source": spinning}, headers=admin
            )
        )
    )
    submit.start()
    health = 0
    while submit.is_alive():
        began = time.monotonic()
        assert client.get("/api/health").status_code == 200
        assert time.monotonic() - began < 1.0, "the API waited for the sandbox"
        health += 1
        time.sleep(0.1)
    submit.join()
    assert health >= 5
    answer = answers[0]
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "script_timeout"

    refused = client.post(
        f"/api/workflows/{wid}/versions/script",
        json={"source": SOURCE.replace("import operator", "import operator\nimport socket")},
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["line"] == _line_of("import operator") + 1


def test_cancel_stops_a_script_run(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin)["id"]
    slow = FAILING.replace('return {"n": 10 // state["n"]}', "while True:\n        pass")
    client.post(f"/api/workflows/{wid}/versions/script", json={"source": slow}, headers=admin)
    run = client.post(
        f"/api/workflows/{wid}/runs", json={"inputs": {"n": 1}, "version": 2}, headers=admin
    ).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = client.get(f"/api/runs/{run['id']}/events", headers=admin).json()
        if any(e["type"] == "node.started" for e in events):
            break
        time.sleep(0.05)
    assert client.post(f"/api/runs/{run['id']}/cancel", headers=admin).status_code == 200
    ended = _wait_for(client, admin, run["id"])
    assert ended["status"] == "cancelled"
