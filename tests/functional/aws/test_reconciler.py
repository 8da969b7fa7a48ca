"""Runs nobody waits for are finalised: Step Functions' status-change events (EventBridge)
reach the reconciler Lambda, which records the run's outcome like a waited run's."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aws.moto_env import dynamo_requests_in_turn
from functions.backends.ports import RunRecord
from functions.emulation import AwsEmulation, LambdaContext, http_event
from functions.reconciler.handler import handler as reconciler
from functions.service.tokens import issue_token

EVENTS = Path(__file__).resolve().parents[2] / "events"
SPEC = {
    "name": "unwaited",
    "entry": "start",
    "nodes": [
        {"id": "start", "type": "manual_trigger", "config": {}},
        {"id": "mark", "type": "set_variable", "config": {"values": {"done": True}}},
    ],
    "edges": [{"source": "start", "target": "mark"}, {"source": "mark", "target": "__end__"}],
    "state": {"done": {}},
}


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[AwsEmulation, str]]:
    dynamo_requests_in_turn()
    with AwsEmulation(prefix="reconcile-") as emulation:
        assert emulation.stack is not None
        _, secret = issue_token(emulation.stack.services, "reconcile", ["admin"])
        yield emulation, secret


def api(token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    from functions.api.handler import handler

    answer = handler(http_event(method, path, body=body, token=token), LambdaContext())
    return int(answer["statusCode"]), json.loads(answer.get("body") or "null")


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"sfn_execution_status_change_{name}.json").read_text()))


def stored(emulation: AwsEmulation, run_id: str, *, until_not: str = "running") -> RunRecord:
    """The run as stored (no read-time reconcile), once it has left ``until_not``."""
    assert emulation.stack is not None
    runs = emulation.stack.services.runs
    deadline = time.monotonic() + 60
    run = runs.get_run(run_id)
    while run.status in ("queued", until_not) and time.monotonic() < deadline:
        time.sleep(0.05)
        run = runs.get_run(run_id)
    return run


def test_a_run_nobody_waits_for_is_finalised_when_its_execution_ends(aws: Any) -> None:
    emulation, token = aws
    status, workflow = api(token, "POST", "/api/workflows", {"name": "unwaited", "spec": SPEC})
    assert status == 201, workflow
    status, run = api(token, "POST", f"/api/workflows/{workflow['id']}/runs", {})
    assert status in (200, 201, 202), run
    done = stored(emulation, run["id"])
    assert done.status == "succeeded", done
    assert done.state == {"done": True}
    assert done.finished_at is not None and done.duration is not None
    assert emulation.stack is not None
    types = [e.type for e in emulation.stack.services.runs.list_events(run["id"])]
    assert types[-1] == "run.succeeded"
    # It was the reconciler Lambda, sent the execution's status-change event, that did it.
    (event,) = [
        e
        for name, e in emulation.runtime.invocations
        if name == "orcheo-reconciler" and e["detail"]["name"] == run["id"]
    ]
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert set(event["detail"]) == set(fixture("succeeded")["detail"])


def test_the_documented_failed_event_records_the_failure(aws: Any) -> None:
    emulation, _ = aws
    assert emulation.stack is not None
    runs = emulation.stack.services.runs
    runs.create_run(
        RunRecord(id="run-failed", workflow_id="wf", version=1, inputs={}, created_at=1.0)
    )
    runs.update_run("run-failed", expected_status=["queued"], status="running", started_at=2.0)
    event = fixture("failed")
    event["detail"]["input"] = json.dumps({"run": {"run_id": "run-failed"}, "inputs": {}})
    assert reconciler(event, LambdaContext()) == {"run_id": "run-failed", "status": "failed"}
    run = runs.get_run("run-failed")
    assert run.status == "failed"
    assert run.error is not None and run.error["code"] == "execution_failed"
    assert "States.Runtime" in run.error["message"]
    assert run.finished_at == pytest.approx(1551225151.881)
    # Delivered again (EventBridge delivers at least once): nothing changes.
    again = copy.deepcopy(event)
    again["detail"]["status"] = "SUCCEEDED"
    assert reconciler(again, LambdaContext())["status"] == "failed"


def test_an_execution_that_is_not_an_orcheo_run_is_ignored(aws: Any) -> None:
    assert reconciler(fixture("succeeded"), LambdaContext()) == {"run_id": None}
