"""Cron triggers on the real local stack: schedules follow versions, fire on a test clock.

The stack runs with ``ORCHEO_TEST_CLOCK``: time stands still until ``POST
/api/system/clock`` moves it, and that call ticks the scheduler once and names what
fired, so no test depends on the wall clock.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from functions.local import LocalStack
from functions.settings import Settings
from tests.functional.api.conftest import create_workflow

T0 = 1_800_000_000  # 2027-01-15 08:00 UTC = 09:00 in Berlin
NEXT_0230_BERLIN = datetime.fromisoformat("2027-01-16T02:30:00+01:00").timestamp()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", static_dir=tmp_path / "no-canvas", test_clock=T0)


def cron_spec(*triggers: dict[str, Any], delay: float | None = None) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "mark", "type": "set_variable", "config": {"values": {"done": True}}}
    ]
    edges = [{"source": "mark", "target": "__end__"}]
    if delay is not None:
        nodes.insert(0, {"id": "wait", "type": "delay", "config": {"seconds": delay}})
        edges.insert(0, {"source": "wait", "target": "mark"})
    return {
        "name": "scheduled",
        "nodes": nodes,
        "edges": edges,
        "state": {"done": {}, "full": {}},
        "triggers": list(triggers),
    }


NIGHTLY = {
    "type": "cron",
    "id": "nightly",
    "expression": "30 2 * * *",
    "timezone": "Europe/Berlin",
    "inputs": {"full": True},
}


def move(client: TestClient, admin: dict[str, str], **body: float) -> list[str]:
    answer = client.post("/api/system/clock", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    fired: list[str] = answer.json()["fired"]
    return fired


def runs_of(client: TestClient, admin: dict[str, str], workflow_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        f"/api/runs?workflow_id={workflow_id}", headers=admin
    ).json()["items"]
    return items


def trigger(client: TestClient, admin: dict[str, str], workflow_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/workflows/{workflow_id}/triggers", headers=admin)
    assert answer.status_code == 200, answer.text
    crons = [t for t in answer.json() if t["type"] == "cron"]
    assert len(crons) == 1
    return crons[0]


def test_saving_a_cron_trigger_schedules_it_and_it_fires_on_time(
    client: TestClient, admin: dict[str, str]
) -> None:
    workflow = create_workflow(client, admin, cron_spec(NIGHTLY))
    wid = workflow["id"]
    listed = trigger(client, admin, wid)
    assert listed["scheduled"] is True and listed["paused"] is False
    assert listed["schedule_id"] == f"wf:{wid}:nightly"
    assert listed["description"] == "at 02:30 every day"
    fires = listed["next_fire_times"]
    assert len(fires) == 5
    assert fires[0] == {"unix": NEXT_0230_BERLIN, "at": "2027-01-16T02:30:00+01:00"}

    assert move(client, admin, now=NEXT_0230_BERLIN - 1) == []
    assert runs_of(client, admin, wid) == []
    assert move(client, admin, advance=1) == [f"wf:{wid}:nightly"]
    (run,) = runs_of(client, admin, wid)
    assert run["trigger"] == "cron" and run["inputs"] == {"full": True}
    assert trigger(client, admin, wid)["last_run_id"] == run["id"]


def test_next_fire_times_follow_daylight_saving(client: TestClient, admin: dict[str, str]) -> None:
    workflow = create_workflow(client, admin, cron_spec(NIGHTLY))
    # Two months of missed fires are caught up by one fire, not sixty.
    later = datetime.fromisoformat("2027-03-27T12:00:00+00:00").timestamp()
    assert move(client, admin, now=later) == [f"wf:{workflow['id']}:nightly"]
    assert len(runs_of(client, admin, workflow["id"])) == 1
    answer = client.get(
        f"/api/workflows/{workflow['id']}/triggers/nightly/next?count=3", headers=admin
    )
    assert answer.status_code == 200, answer.text
    # Berlin springs forward on 28 March 2027: 02:30 does not exist and fires at 03:00 CEST.
    assert [f["at"] for f in answer.json()["next_fire_times"]] == [
        "2027-03-28T03:00:00+02:00",
        "2027-03-29T02:30:00+02:00",
        "2027-03-30T02:30:00+02:00",
    ]
    assert answer.json()["timezone"] == "Europe/Berlin"
    # And the scheduler fires it then: 03:00 CEST is 01:00 UTC.
    gap_end = datetime.fromisoformat("2027-03-28T01:00:00+00:00").timestamp()
    assert move(client, admin, now=gap_end - 1) == []
    assert move(client, admin, advance=1) == [f"wf:{workflow['id']}:nightly"]
    assert len(runs_of(client, admin, workflow["id"])) == 2


def test_pause_stops_fires_and_resume_restarts_them(
    client: TestClient, admin: dict[str, str]
) -> None:
    every_minute = {"type": "cron", "expression": "* * * * *"}
    wid = create_workflow(client, admin, cron_spec(every_minute))["id"]
    paused = client.post(f"/api/workflows/{wid}/triggers/cron/pause", headers=admin)
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert paused.json()["next_fire_times"] == []
    assert move(client, admin, advance=120) == []
    assert runs_of(client, admin, wid) == []

    # A new version keeps the pause.
    version = client.post(
        f"/api/workflows/{wid}/versions", json={"spec": cron_spec(every_minute)}, headers=admin
    )
    assert version.status_code == 201
    assert move(client, admin, advance=60) == []

    resumed = client.post(f"/api/workflows/{wid}/triggers/cron/resume", headers=admin)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    assert move(client, admin, advance=60) == [f"wf:{wid}:cron"]
    assert len(runs_of(client, admin, wid)) == 1


def test_overlap_skip_waits_for_the_previous_run(client: TestClient, admin: dict[str, str]) -> None:
    every_minute = {"type": "cron", "expression": "* * * * *", "overlap": "skip"}
    wid = create_workflow(client, admin, cron_spec(every_minute, delay=30))["id"]
    assert move(client, admin, advance=60) == [f"wf:{wid}:cron"]
    (first,) = runs_of(client, admin, wid)
    # The first run sits in its 30 s delay (real time): the next fire is skipped.
    assert move(client, admin, advance=60) == [f"wf:{wid}:cron"]
    assert [r["id"] for r in runs_of(client, admin, wid)] == [first["id"]]
    assert trigger(client, admin, wid)["skipped_fires"] == 1
    cancel = client.post(f"/api/runs/{first['id']}/cancel", headers=admin)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    move(client, admin, advance=60)
    assert len(runs_of(client, admin, wid)) == 2
    for run in runs_of(client, admin, wid):
        if run["status"] == "running":
            client.post(f"/api/runs/{run['id']}/cancel", headers=admin)


def test_overlap_allow_fires_anyway(client: TestClient, admin: dict[str, str]) -> None:
    every_minute = {"type": "cron", "expression": "* * * * *", "overlap": "allow"}
    wid = create_workflow(client, admin, cron_spec(every_minute, delay=30))["id"]
    move(client, admin, advance=60)
    move(client, admin, advance=60)
    runs = runs_of(client, admin, wid)
    assert len(runs) == 2
    for run in runs:
        client.post(f"/api/runs/{run['id']}/cancel", headers=admin)


def test_schedules_follow_versions_archive_and_delete(
    stack: LocalStack, client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin, cron_spec(NIGHTLY))["id"]

    def schedules() -> list[str]:
        return [s.id for s in stack.scheduler.list_schedules()]

    assert schedules() == [f"wf:{wid}:nightly"]
    # A new version without the trigger: unscheduled, and nothing fires.
    without = client.post(
        f"/api/workflows/{wid}/versions", json={"spec": cron_spec()}, headers=admin
    )
    assert without.status_code == 201
    assert client.post(
        f"/api/workflows/{wid}/promote", json={"version": 2}, headers=admin
    ).is_success
    assert schedules() == []
    assert move(client, admin, now=NEXT_0230_BERLIN) == []
    # Rolling back schedules it again.
    assert client.post(
        f"/api/workflows/{wid}/promote", json={"version": 1}, headers=admin
    ).is_success
    assert schedules() == [f"wf:{wid}:nightly"]

    assert client.post(f"/api/workflows/{wid}/archive", headers=admin).status_code == 200
    assert schedules() == []
    assert move(client, admin, advance=86400) == []
    assert runs_of(client, admin, wid) == []
    revision = client.get(f"/api/workflows/{wid}", headers=admin).json()["revision"]
    unarchive = client.patch(
        f"/api/workflows/{wid}", json={"archived": False, "revision": revision}, headers=admin
    )
    assert unarchive.status_code == 200
    assert schedules() == [f"wf:{wid}:nightly"]

    assert client.delete(f"/api/workflows/{wid}", headers=admin).status_code == 204
    assert schedules() == []


def test_a_pause_survives_a_restart(settings: Settings) -> None:
    first = LocalStack(settings)
    with TestClient(first.app) as client:
        admin = {"Authorization": f"Bearer {first.admin_token}"}
        wid = create_workflow(client, admin, cron_spec(NIGHTLY))["id"]
        client.post(f"/api/workflows/{wid}/triggers/nightly/pause", headers=admin)
    second = LocalStack(settings)
    with TestClient(second.app) as client:
        assert trigger(client, admin, wid)["paused"] is True
        assert move(client, admin, now=NEXT_0230_BERLIN) == []


def test_trigger_routes_refuse_unknown_and_wrong_kinds(
    client: TestClient, admin: dict[str, str]
) -> None:
    spec = cron_spec(NIGHTLY)
    spec["triggers"].append({"type": "webhook", "auth": "none"})
    wid = create_workflow(client, admin, spec)["id"]
    assert (
        client.post(f"/api/workflows/{wid}/triggers/nope/pause", headers=admin).status_code == 404
    )
    hook_pause = client.post(f"/api/workflows/{wid}/triggers/webhook/pause", headers=admin)
    assert hook_pause.status_code == 422
    public_secret = client.get(f"/api/workflows/{wid}/triggers/webhook/secret", headers=admin)
    assert public_secret.status_code == 409
    assert client.get("/api/workflows/nothing-here/triggers", headers=admin).status_code == 404


def test_the_clock_route_exists_only_with_the_test_clock(tmp_path: Path) -> None:
    stack = LocalStack(Settings(home=tmp_path / "plain", static_dir=tmp_path / "no-canvas"))
    with TestClient(stack.app) as client:
        admin = {"Authorization": f"Bearer {stack.admin_token}"}
        answer = client.post("/api/system/clock", json={"advance": 60}, headers=admin)
        assert answer.status_code == 404
        assert abs(stack.services.clock() - time.time()) < 5
