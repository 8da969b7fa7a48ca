"""The local stack as a user meets it: a real server process on loopback, HTTP and /ws only."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.conftest import follow, receive, subscribe

if TYPE_CHECKING:
    from tests.e2e.conftest import LocalServer

pytestmark = pytest.mark.e2e

ORDERS: dict[str, Any] = {
    "name": "orders",
    "nodes": [
        {"id": "start", "type": "set_variable", "config": {"values": {"seen": 1}}},
        {
            "id": "check",
            "type": "if_else",
            "config": {
                "conditions": [{"left": "{{ state.amount }}", "operator": "gt", "right": 10}]
            },
        },
        {"id": "big", "type": "set_variable", "config": {"values": {"tier": "big"}}},
        {"id": "small", "type": "set_variable", "config": {"values": {"tier": "small"}}},
        {
            "id": "summary",
            "type": "set_variable",
            "config": {"values": {"summary": "{{ state.tier }}:{{ state.amount }}"}},
        },
    ],
    "edges": [
        {"source": "start", "target": "check"},
        {"source": "check", "routes": {"true": "big", "false": "small"}},
        {"source": "big", "target": "summary"},
        {"source": "small", "target": "summary"},
        {"source": "summary", "target": "__end__"},
    ],
    "state": {"amount": {"default": 0}, "seen": {}, "tier": {}, "summary": {}},
}

SLOW: dict[str, Any] = {
    "name": "slow",
    "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60}}],
    "edges": [{"source": "wait", "target": "__end__"}],
}

# Step 0 runs `a`, step 1 waits: a run stopped in the wait has step 1 as its last record.
PAUSE: dict[str, Any] = {
    "name": "pause",
    "nodes": [
        {"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}},
        {"id": "wait", "type": "delay", "config": {"seconds": 30}},
        {"id": "b", "type": "set_variable", "config": {"values": {"y": 2}}},
    ],
    "edges": [
        {"source": "a", "target": "wait"},
        {"source": "wait", "target": "b"},
        {"source": "b", "target": "__end__"},
    ],
    "state": {"x": {}, "y": {}},
}


def _create(server: LocalServer, name: str, spec: dict[str, Any]) -> str:
    workflow = server.post("/api/workflows", {"name": name, "spec": spec}, expect=201)
    assert workflow["current_version"] == 1
    workflow_id: str = workflow["id"]
    return workflow_id


def _started(events: list[dict[str, Any]]) -> list[str]:
    return [e["node"] for e in events if e["type"] == "node.started"]


def _seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events]


def test_the_whole_journey_survives_a_restart(server: LocalServer) -> None:
    token = server.token
    assert token in server.stdout(), "the first start prints the admin token"

    # Create from spec JSON, run, follow live.
    orders = _create(server, "Orders", ORDERS)
    with server.ws() as ws:
        run = server.post(f"/api/workflows/{orders}/runs", {"inputs": {"amount": 50}}, 202)
        subscribe(ws, run["id"])
        live, end = follow(ws)
        assert end == {"type": "end", "topic": f"run:{run['id']}", "last_seq": len(live)}
        assert _seqs(live) == list(range(1, len(live) + 1))
        assert live[0]["type"] == "run.started" and live[-1]["type"] == "run.succeeded"
        assert _started(live) == ["start", "check", "big", "summary"]
        assert [e["node"] for e in live if e["type"] == "node.succeeded"] == _started(live)

        # A late subscriber gets exactly what it has not seen, then the end.
        subscribe(ws, run["id"], after_seq=2)
        late, end = follow(ws)
        assert late == live[2:] and end is not None and end["last_seq"] == len(live)

    first = server.get(f"/api/runs/{run['id']}")
    assert first["status"] == "succeeded" and first["events"] == live
    assert first["state"] == {"amount": 50, "seen": 1, "tier": "big", "summary": "big:50"}

    # Replay: the same version again with the recorded inputs.
    replay = server.post(f"/api/runs/{run['id']}/replay", expect=202)
    replay = server.wait_for(replay["id"], "succeeded", "failed")
    assert replay["replay_of"] == run["id"] and replay["inputs"] == {"amount": 50}
    assert replay["state"] == first["state"]

    # A debug run records every step; replaying from one runs only what comes after.
    debug = server.post(
        f"/api/workflows/{orders}/runs", {"inputs": {"amount": 5}, "debug": True, "wait": True}
    )
    assert debug["status"] == "succeeded" and debug["state"]["summary"] == "small:5"
    steps = [
        e["data"]
        for e in server.get(f"/api/runs/{debug['id']}")["events"]
        if e["type"] == "run.step"
    ]
    assert [s["next"] for s in steps] == [["start"], ["check"], ["small"], ["summary"], []]
    from_step = server.post(f"/api/runs/{debug['id']}/replay", {"from_step": 2}, 202)
    assert from_step["resumed_from_step"] == 2 and from_step["replay_of"] == debug["id"]
    from_step = server.wait_for(from_step["id"], "succeeded", "failed")
    assert from_step["state"] == debug["state"]
    assert _started(from_step["events"]) == ["small", "summary"]

    # A batch: one run per inputs, each with its own outcome.
    amounts = [1, 20, 3, 40, 5]
    batch = server.post(
        f"/api/workflows/{orders}/runs/batch", {"batch": [{"amount": a} for a in amounts]}, 202
    )
    assert {r["batch_id"] for r in batch["runs"]} == {batch["batch_id"]}
    done = [server.wait_for(r["id"], "succeeded", "failed") for r in batch["runs"]]
    assert [r["status"] for r in done] == ["succeeded"] * 5
    assert [r["state"]["summary"] for r in done] == [
        "small:1",
        "big:20",
        "small:3",
        "big:40",
        "small:5",
    ]

    # Cancel a long run while it waits.
    slow = _create(server, "Slow", SLOW)
    with server.ws() as ws:
        long = server.post(f"/api/workflows/{slow}/runs", expect=202)
        subscribe(ws, long["id"])
        follow(ws, until="node.started", node="wait")
        cancelled = server.post(f"/api/runs/{long['id']}/cancel")
        assert cancelled["status"] == "cancelled"
        rest, end = follow(ws)
        assert rest[-1]["type"] == "run.cancelled" and end is not None
    server.post(f"/api/runs/{long['id']}/cancel", expect=409)

    # Stop the server while a debug run waits in its second step.
    pause = _create(server, "Pause", PAUSE)
    server.post(f"/api/workflows/{orders}/versions", {"spec": ORDERS, "note": "v2"}, 201)
    with server.ws() as ws:
        inflight = server.post(f"/api/workflows/{pause}/runs", {"debug": True}, 202)
        subscribe(ws, inflight["id"])
        seen, _ = follow(ws, until="node.started", node="wait")
    before = {r["id"]: server.get(f"/api/runs/{r['id']}") for r in _all_runs(server)}
    workflows_before = server.get("/api/workflows")["items"]
    assert len(before) == 11 and before[inflight["id"]]["status"] == "running"

    server.restart()

    # The same token still works and no new one is printed.
    assert server.token == token
    assert "admin API token" not in server.stdout() and token not in server.stdout()
    assert f"http://127.0.0.1:{server.port}" in server.stdout()

    # Everything is still there.
    assert server.get("/api/workflows")["items"] == workflows_before
    versions = server.get(f"/api/workflows/{orders}/versions")
    assert [(v["number"], v["note"]) for v in versions] == [
        (1, "created with the workflow"),
        (2, "v2"),
    ]
    assert server.get(f"/api/workflows/{orders}")["current_version"] == 1
    after = {r["id"]: server.get(f"/api/runs/{r['id']}") for r in _all_runs(server)}
    assert after.keys() == before.keys()
    for run_id, was in before.items():
        if run_id != inflight["id"]:
            assert after[run_id] == was

    # The run in flight was recorded as interrupted, with every event it had emitted.
    stopped = after[inflight["id"]]
    assert stopped["status"] == "interrupted"
    assert stopped["error"]["code"] == "interrupted"
    assert "/resume" in stopped["error"]["message"]
    assert stopped["events"][: len(seen)] == seen
    assert _seqs(stopped["events"]) == list(range(1, stopped["last_seq"] + 1))
    assert _started(stopped["events"]) == ["a", "wait"]
    outcome = stopped["events"][-1]
    assert outcome["type"] == "run.cancelled" and outcome["data"]["error"] == stopped["error"]
    last_step = max(e["data"]["step"] for e in stopped["events"] if e["type"] == "run.step")
    assert last_step == 1

    with server.ws() as ws:
        # Its history can still be followed, and it ends.
        subscribe(ws, inflight["id"])
        history, end = follow(ws)
        assert history == stopped["events"] and end is not None
        assert end["last_seq"] == stopped["last_seq"]

        # Resume it: a new run that starts at the last recorded step, not from scratch.
        resumed = server.post(f"/api/runs/{inflight['id']}/resume", expect=202)
        assert resumed["replay_of"] == inflight["id"]
        assert resumed["resumed_from_step"] == last_step
        subscribe(ws, resumed["id"])
        events, _ = follow(ws, until="node.started", node="wait")
        assert _started(events) == ["wait"]
        step = next(e["data"] for e in events if e["type"] == "run.step")
        assert step["step"] == 1 and step["state"] == {"x": 1}
        assert server.post(f"/api/runs/{resumed['id']}/cancel")["status"] == "cancelled"
        follow(ws)

    assert server.stop() == 0


def _all_runs(server: LocalServer) -> list[dict[str, Any]]:
    page = server.get("/api/runs", params={"limit": 500})
    assert page["next_cursor"] is None
    runs: list[dict[str, Any]] = page["items"]
    return runs


def test_first_start_announces_the_url_and_the_admin_token(server: LocalServer) -> None:
    printed = server.stdout()
    assert f"http://127.0.0.1:{server.port}" in printed
    assert "Ctrl+C" in printed
    assert server.token in printed
    assert stat.S_IMODE((server.home / "admin-token").stat().st_mode) == 0o600
    assert server.get("/api/version")["version"]

    # A wrong token is refused over HTTP and on the socket.
    wrong = server.http.get("/api/runs", headers={"Authorization": "Bearer orch_wrong"})
    assert wrong.status_code == 401
    with connect(f"ws://127.0.0.1:{server.port}/ws?token=orch_wrong", proxy=None) as ws:
        assert receive(ws)["error"]["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_placeholder_page_and_api_docs(server: LocalServer) -> None:
    home = server.http.get("/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in home.text
    docs = server.http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    openapi = server.http.get("/openapi.json").json()
    assert "/api/workflows" in openapi["paths"] and "/api/runs/{run_id}/resume" in openapi["paths"]


def test_a_run_answered_is_on_disk_even_if_the_server_dies_next(server: LocalServer) -> None:
    """kill -9 right after the answers: every answered run, with all its events, is there.

    Events are stored in batches (functions/backends/local/engine.py): a run is only
    answered once its whole history is written, so none of what a client was told is lost.
    """
    orders = _create(server, "Orders", ORDERS)
    hooked = {
        **ORDERS,
        "triggers": [{"type": "webhook", "auth": "none", "response": {"mode": "wait"}}],
    }
    hook = _create(server, "Hooked orders", hooked)
    answered = []
    for amount in range(20):
        run = server.post(
            f"/api/workflows/{orders}/runs", {"inputs": {"amount": amount}, "wait": True}
        )
        assert run["status"] == "succeeded", run
        answered.append((run["id"], run["last_seq"], run["state"]))
    reply = server.http.post(f"/hooks/{hook}", json={"amount": 99})
    assert reply.status_code == 200, reply.text
    server.kill()

    server.start()
    for run_id, last_seq, state in answered:
        run = server.get(f"/api/runs/{run_id}")
        assert run["status"] == "succeeded" and run["state"] == state, run
        assert _seqs(run["events"]) == list(range(1, last_seq + 1))
        assert run["events"][-1]["type"] == "run.succeeded"
    (hook_run,) = server.get(f"/api/runs?workflow_id={hook}")["items"]
    assert hook_run["status"] == "succeeded"
    events = server.get(f"/api/runs/{hook_run['id']}/events")
    assert events[-1]["type"] == "run.succeeded" and _seqs(events) == list(
        range(1, len(events) + 1)
    )
