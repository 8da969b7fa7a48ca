"""Runs through the HTTP API and the WebSocket, on the real local stack in-process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.functional.api.conftest import create_workflow, make_token

# The 4-node workflow: set -> if_else (amount > 10) -> set "big" | set "small" -> end.
BRANCHY: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parents[3] / "examples" / "workflows" / "order_tiers.json"
    ).read_text()
)

SLOW: dict[str, Any] = {
    "name": "slow",
    "nodes": [{"id": "wait", "type": "delay", "config": {"seconds": 60}}],
    "edges": [{"source": "wait", "target": "__end__"}],
}


def _wait_for(client: TestClient, admin: dict[str, str], run_id: str, status: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}", headers=admin).json()
        if run["status"] == status:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never reached {status}: {run['status']}")


def test_run_waits_and_records_events_in_order(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin, BRANCHY)["id"]
    answer = client.post(
        f"/api/workflows/{wid}/runs", json={"inputs": {"amount": 50}, "wait": True}, headers=admin
    )
    assert answer.status_code == 200
    run = answer.json()
    assert run["status"] == "succeeded" and run["state"]["tier"] == "big"

    detail = client.get(f"/api/runs/{run['id']}", headers=admin).json()
    seqs = [e["seq"] for e in detail["events"]]
    assert seqs == list(range(1, len(seqs) + 1)) and detail["last_seq"] == seqs[-1]
    finished = [e["node"] for e in detail["events"] if e["type"] == "node.succeeded"]
    assert finished == ["start", "check", "big"]
    assert detail["events"][-1]["type"] == "run.succeeded"
    assert all("duration" in e["data"] for e in detail["events"] if e["type"] == "node.succeeded")

    later = client.get(f"/api/runs/{run['id']}/events?after_seq=3", headers=admin).json()
    assert [e["seq"] for e in later] == seqs[3:]


def test_unknown_inputs_fail_the_run_with_a_clear_error(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin, BRANCHY)["id"]
    run = client.post(
        f"/api/workflows/{wid}/runs", json={"inputs": {"amont": 5}, "wait": True}, headers=admin
    ).json()
    assert run["status"] == "failed"
    assert run["error"]["code"] == "invalid_input" or "amont" in run["error"]["message"]


def test_batch_starts_one_run_per_inputs(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin, BRANCHY)["id"]
    answer = client.post(
        f"/api/workflows/{wid}/runs/batch",
        json={"batch": [{"amount": 1}, {"amount": 99}, {"amount": 5}]},
        headers=admin,
    )
    assert answer.status_code == 202
    batch = answer.json()
    assert len(batch["runs"]) == 3
    tiers = [_wait_for(client, admin, r["id"], "succeeded")["state"]["tier"] for r in batch["runs"]]
    assert tiers == ["small", "big", "small"]
    assert {r["batch_id"] for r in batch["runs"]} == {batch["batch_id"]}
    empty = client.post(f"/api/workflows/{wid}/runs/batch", json={"batch": []}, headers=admin)
    assert empty.status_code == 422


def test_list_runs_filters(client: TestClient, admin: dict[str, str]) -> None:
    one = create_workflow(client, admin, BRANCHY)["id"]
    two = create_workflow(client, admin)["id"]
    for wid in (one, one, two):
        client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin)
    by_workflow = client.get("/api/runs", params={"workflow_id": one}, headers=admin).json()
    assert len(by_workflow["items"]) == 2
    failed = client.get("/api/runs", params={"status": "failed"}, headers=admin).json()
    assert failed["items"] == []
    page = client.get("/api/runs", params={"limit": 2}, headers=admin).json()
    rest = client.get(
        "/api/runs", params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin
    ).json()
    ids = [r["id"] for r in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3
    future = client.get("/api/runs", params={"since": time.time() + 3600}, headers=admin).json()
    assert future["items"] == []


def test_cancel_a_long_run(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin, SLOW)["id"]
    run = client.post(f"/api/workflows/{wid}/runs", json={}, headers=admin).json()
    assert run["status"] in ("queued", "running")
    _wait_for(client, admin, run["id"], "running")
    cancelled = client.post(f"/api/runs/{run['id']}/cancel", headers=admin)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/runs/{run['id']}/cancel", headers=admin)
    assert again.status_code == 409


def test_replay_with_inputs_and_from_a_recorded_step(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin, BRANCHY)["id"]
    run = client.post(
        f"/api/workflows/{wid}/runs",
        json={"inputs": {"amount": 50}, "debug": True, "wait": True},
        headers=admin,
    ).json()
    steps = [
        e["data"]
        for e in client.get(f"/api/runs/{run['id']}", headers=admin).json()["events"]
        if e["type"] == "run.step"
    ]
    assert [s["step"] for s in steps] == list(range(len(steps)))
    assert steps[1]["next"] == ["check"] and steps[1]["state"]["seen"] == 1

    again = client.post(f"/api/runs/{run['id']}/replay", json={}, headers=admin).json()
    again = _wait_for(client, admin, again["id"], "succeeded")
    assert again["replay_of"] == run["id"] and again["inputs"] == {"amount": 50}
    assert again["state"] == run["state"]

    resumed = client.post(
        f"/api/runs/{run['id']}/replay", json={"from_step": 2}, headers=admin
    ).json()
    assert resumed["resumed_from_step"] == 2
    resumed = _wait_for(client, admin, resumed["id"], "succeeded")
    assert resumed["state"] == run["state"]
    ran = [
        e["node"]
        for e in client.get(f"/api/runs/{resumed['id']}", headers=admin).json()["events"]
        if e["type"] == "node.started"
    ]
    assert ran == ["big"]

    plain = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin).json()
    refused = client.post(f"/api/runs/{plain['id']}/replay", json={"from_step": 1}, headers=admin)
    assert refused.status_code == 422
    assert "debug" in refused.json()["error"]["message"]


def test_delete_run(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin)["id"]
    run = client.post(f"/api/workflows/{wid}/runs", json={"wait": True}, headers=admin).json()
    assert client.delete(f"/api/runs/{run['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/runs/{run['id']}", headers=admin).status_code == 404
    assert client.get(f"/api/runs/{run['id']}/events", headers=admin).status_code == 404


def test_scopes(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin)["id"]
    reader = make_token(client, admin, "read")
    runner = make_token(client, admin, "run")
    assert client.get(f"/api/workflows/{wid}", headers=reader).status_code == 200
    denied = client.post(f"/api/workflows/{wid}/runs", json={}, headers=reader)
    assert denied.status_code == 403
    assert "'run' scope" in denied.json()["error"]["message"]
    assert client.post(f"/api/workflows/{wid}/runs", json={}, headers=runner).status_code == 202
    assert client.post("/api/workflows", json={"name": "x"}, headers=runner).status_code == 403
    assert client.get("/api/tokens", headers=runner).status_code == 403


def test_tokens_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/tokens", json={"name": "ci", "scopes": ["run"]}, headers=admin
    ).json()
    secret = created["token"]
    listed = client.get("/api/tokens", headers=admin).json()
    assert secret not in str(listed)
    assert {t["name"] for t in listed} == {"admin (first start)", "ci"}
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/runs", headers=headers).status_code == 200
    revoked = client.delete(f"/api/tokens/{created['id']}", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    gone = client.get("/api/runs", headers=headers)
    assert gone.status_code == 401 and "revoked" in gone.json()["error"]["message"]
    assert gone.headers["www-authenticate"] == "Bearer"


def test_repeated_bad_tokens_are_rate_limited(client: TestClient) -> None:
    bad = {"Authorization": "Bearer orch_nope"}
    codes = [client.get("/api/runs", headers=bad).status_code for _ in range(35)]
    assert codes[0] == 401 and codes[-1] == 429
    limited = client.get("/api/runs", headers=bad)
    assert int(limited.headers["retry-after"]) >= 1


def test_websocket_late_subscriber_gets_history_then_live_without_gaps(
    client: TestClient, admin: dict[str, str]
) -> None:
    spec = {
        "name": "two waits",
        "nodes": [
            {"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}},
            {"id": "pause", "type": "delay", "config": {"seconds": 0.3}},
            {"id": "b", "type": "set_variable", "config": {"values": {"y": 2}}},
        ],
        "edges": [
            {"source": "a", "target": "pause"},
            {"source": "pause", "target": "b"},
            {"source": "b", "target": "__end__"},
        ],
        "state": {"x": {}, "y": {}},
    }
    wid = create_workflow(client, admin, spec)["id"]
    run = client.post(f"/api/workflows/{wid}/runs", json={}, headers=admin).json()
    token = admin["Authorization"].split()[1]
    with client.websocket_connect(f"/ws?token={token}") as ws:
        ws.send_json({"type": "subscribe", "run_id": run["id"], "after_seq": 0})
        assert ws.receive_json()["type"] == "subscribed"
        seqs, types = [], []
        while True:
            message = ws.receive_json()
            if message["type"] == "end":
                break
            assert message["type"] == "event"
            seqs.append(message["event"]["seq"])
            types.append(message["event"]["type"])
    assert seqs == list(range(1, len(seqs) + 1))
    assert types[-1] == "run.succeeded"
    stored = client.get(f"/api/runs/{run['id']}/events", headers=admin).json()
    assert [e["seq"] for e in stored] == seqs


def test_websocket_refuses_a_bad_token(client: TestClient) -> None:
    with client.websocket_connect("/ws?token=wrong") as ws:
        message = ws.receive_json()
        assert message["type"] == "error" and message["error"]["code"] == "unauthorized"
