"""Scripts, webhooks and cron on the real local stack, over HTTP only.

The server runs as ``make dev`` runs it, with ``ORCHEO_TEST_CLOCK`` set: its clock
stands still at ``T0`` and moves only through ``POST /api/system/clock``, which ticks the
scheduler once. So the cron part never waits for the wall clock, and the webhook
signatures are dated on the server's clock.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from orcheo_core.triggers import sign
from tests.e2e.conftest import WAIT_DEADLINE, LocalServer

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
# 2027-01-15 07:00 UTC = 08:00 in Berlin (CET, UTC+1): the 09:00 fire is an hour away.
T0 = int(dt.datetime(2027, 1, 15, 7, 0, tzinfo=dt.UTC).timestamp())
NINE_BERLIN = int(dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC).timestamp())
DAY = 86_400

ORDERS: dict[str, Any] = {
    "name": "orders hook",
    "nodes": [
        {
            "id": "check",
            "type": "if_else",
            "config": {
                "conditions": [
                    {"left": "{{ state.webhook.body.amount }}", "operator": "gt", "right": 10}
                ]
            },
        },
        {"id": "big", "type": "set_variable", "config": {"values": {"tier": "big"}}},
        {"id": "small", "type": "set_variable", "config": {"values": {"tier": "small"}}},
    ],
    "edges": [
        {"source": "check", "routes": {"true": "big", "false": "small"}},
        {"source": "big", "target": "__end__"},
        {"source": "small", "target": "__end__"},
    ],
    "state": {"webhook": {}, "tier": {}, "full": {}},
    "triggers": [
        {
            "type": "webhook",
            "id": "orders",
            "methods": ["POST"],
            "response": {"mode": "wait", "output_key": "tier"},
        },
        {
            "type": "cron",
            "id": "morning",
            "expression": "0 9 * * *",
            "timezone": "Europe/Berlin",
            # The morning batch goes through the same branch as a small order.
            "inputs": {"full": True, "webhook": {"body": {"amount": 1}}},
        },
    ],
}


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[LocalServer]:
    local = LocalServer(tmp_path / "home", tmp_path / "logs", env={"ORCHEO_TEST_CLOCK": str(T0)})
    try:
        local.start()
        yield local
    finally:
        local.close()


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _runs(server: LocalServer, workflow_id: str) -> list[dict[str, Any]]:
    page = _ok(server.http.get(f"/api/runs?workflow_id={workflow_id}", headers=server.headers))
    return list(page["items"])


def _wait_ended(server: LocalServer, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_DEADLINE
    while time.monotonic() < deadline:
        run: dict[str, Any] = _ok(server.http.get(f"/api/runs/{run_id}", headers=server.headers))
        if run["status"] not in {"queued", "running"}:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end within {WAIT_DEADLINE}s")


def test_a_langgraph_script_becomes_a_workflow_and_runs_out_of_process(
    clocked: LocalServer,
) -> None:
    server = clocked
    source = (REPO_ROOT / "examples" / "scripts" / "hello_graph.py").read_text()
    workflow = _ok(
        server.http.post(
            "/api/workflows/script",
            json={"name": "hello script", "source": source},
            headers=server.headers,
        ),
        201,
    )
    version = _ok(
        server.http.get(f"/api/workflows/{workflow['id']}/versions/1", headers=server.headers)
    )
    assert version["kind"] == "script" and version["source"] == source
    assert {n["id"] for n in version["spec"]["nodes"]} == {"greet", "louder"}
    assert version["spec"]["routes"][0]["targets"] == ["__end__", "louder"]

    run = _ok(
        server.http.post(
            f"/api/workflows/{workflow['id']}/runs",
            json={"inputs": {"name": "Ada", "shout": True}, "wait": True},
            headers=server.headers,
        )
    )
    assert run["status"] == "succeeded", run
    assert run["state"]["greeting"] == "HELLO, ADA!"
    assert run["state"]["log"] == ["greet", "louder"]
    events = _ok(server.http.get(f"/api/runs/{run['id']}/events", headers=server.headers))
    finished = [e["node"] for e in events if e["type"] == "node.succeeded"]
    assert finished == ["greet", "louder"]

    # A hostile script is refused with its place in the source, and nothing is stored.
    refused = server.http.post(
        f"/api/workflows/{workflow['id']}/versions/script",
        json={"source": "import os\nos.system('echo pwned')\n"},
        headers=server.headers,
    )
    assert refused.status_code == 422, refused.text
    details = refused.json()["error"]["details"]
    assert (details["line"], details["column"]) == (1, 1) and details["hint"]
    versions = _ok(
        server.http.get(f"/api/workflows/{workflow['id']}/versions", headers=server.headers)
    )
    assert len(versions) == 1


def test_signed_webhooks_and_a_cron_trigger_on_a_controllable_clock(
    clocked: LocalServer,
) -> None:
    server = clocked
    workflow = _ok(
        server.http.post(
            "/api/workflows", json={"name": "orders", "spec": ORDERS}, headers=server.headers
        ),
        201,
    )
    wid = workflow["id"]
    secret = _ok(
        server.http.get(f"/api/workflows/{wid}/triggers/orders/secret", headers=server.headers)
    )["secret"]

    # A signed webhook runs the workflow and answers with its output.
    body = json.dumps({"amount": 42}).encode()
    headers = {"Content-Type": "application/json", "X-Orcheo-Signature": sign(secret, body, T0)}
    answer = server.http.post(f"/hooks/{wid}", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.text == "big"  # output_key names a string: sent as text/plain
    assert answer.headers["content-type"].startswith("text/plain")

    # The same request again is a replay; a wrong secret is a mismatch. Both 401, no run.
    replayed = server.http.post(f"/hooks/{wid}", content=body, headers=headers)
    assert replayed.status_code == 401, replayed.text
    assert replayed.json()["error"]["details"]["reason"] == "replayed"
    forged = {**headers, "X-Orcheo-Signature": sign("whsec_not-the-secret", body, T0)}
    mis_signed = server.http.post(f"/hooks/{wid}", content=body, headers=forged)
    assert mis_signed.status_code == 401, mis_signed.text
    assert mis_signed.json()["error"]["details"]["reason"] == "mismatch"
    assert [r["trigger"] for r in _runs(server, wid)] == ["webhook"]

    # The cron trigger: its next fire times, read in Berlin time.
    triggers = _ok(server.http.get(f"/api/workflows/{wid}/triggers", headers=server.headers))
    (morning,) = [t for t in triggers if t["id"] == "morning"]
    assert morning["paused"] is False
    fires = morning["next_fire_times"]
    assert [f["unix"] for f in fires] == [NINE_BERLIN + i * DAY for i in range(5)]
    assert fires[0]["at"] == "2027-01-15T09:00:00+01:00"

    # A minute before the fire nothing happens; at 09:00 the scheduler fires one run.
    clock = "/api/system/clock"
    early = _ok(server.http.post(clock, json={"now": NINE_BERLIN - 60}, headers=server.headers))
    assert early["fired"] == []
    fired = _ok(server.http.post(clock, json={"advance": 60}, headers=server.headers))
    assert fired["fired"] == [morning["schedule_id"]]
    cron_runs = [r for r in _runs(server, wid) if r["trigger"] == "cron"]
    assert len(cron_runs) == 1
    ended = _wait_ended(server, cron_runs[0]["id"])
    assert ended["status"] == "succeeded", ended
    assert ended["state"]["full"] is True and ended["state"]["tier"] == "small"

    # Paused, the next morning passes without a fire; resumed, the one after fires.
    _ok(server.http.post(f"/api/workflows/{wid}/triggers/morning/pause", headers=server.headers))
    paused = _ok(server.http.post(clock, json={"now": NINE_BERLIN + DAY}, headers=server.headers))
    assert paused["fired"] == []
    assert len([r for r in _runs(server, wid) if r["trigger"] == "cron"]) == 1
    _ok(server.http.post(f"/api/workflows/{wid}/triggers/morning/resume", headers=server.headers))
    resumed = _ok(
        server.http.post(clock, json={"now": NINE_BERLIN + 2 * DAY}, headers=server.headers)
    )
    assert resumed["fired"] == [morning["schedule_id"]]
    assert len([r for r in _runs(server, wid) if r["trigger"] == "cron"]) == 2
