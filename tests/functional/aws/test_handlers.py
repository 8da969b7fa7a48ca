"""The Lambda handlers on moto: the scheduler's fire and overlap guard, the WebSocket
routes, and the canary for moto's Lambda invoke seam that the AWS tiers rely on."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.awslambda.models import LambdaFunction

from aws.moto_env import dynamo_requests_in_turn, posted
from functions.backends.aws.scheduler import SCHEDULED_TIME
from functions.emulation import REGION, AwsEmulation, LambdaContext, http_event
from functions.service.tokens import issue_token
from functions.websocket.handler import handler as websocket

REPO = Path(__file__).resolve().parents[3]
SPEC = {
    "name": "nightly",
    "entry": "start",
    "nodes": [
        {"id": "start", "type": "manual_trigger", "config": {}},
        {"id": "mark", "type": "set_variable", "config": {"values": {"done": True}}},
    ],
    "edges": [{"source": "start", "target": "mark"}, {"source": "mark", "target": "__end__"}],
    "state": {"done": {}},
    "triggers": [{"type": "cron", "id": "nightly", "expression": "0 3 * * *", "overlap": "skip"}],
}


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[AwsEmulation, str]]:
    dynamo_requests_in_turn()
    with AwsEmulation(prefix="handlers-") as emulation:
        assert emulation.stack is not None
        _, secret = issue_token(emulation.stack.services, "handlers", ["admin"])
        yield emulation, secret


def api(token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    from functions.api.handler import handler

    answer = handler(http_event(method, path, body=body, token=token), LambdaContext())
    return int(answer["statusCode"]), json.loads(answer.get("body") or "null")


def fire_event(emulation: AwsEmulation, workflow_id: str, at: float) -> dict[str, Any]:
    """What EventBridge Scheduler sends the target of ``workflow_id``'s one schedule: the
    schedule's input, time filled in. The emulation is shared by the module's tests, so
    the group may hold other tests' schedules: pick this workflow's, whatever ran first."""
    assert emulation.settings is not None
    group = emulation.settings.schedule_group
    client = boto3.client("scheduler", region_name=REGION)
    mine = []
    for summary in client.list_schedules(GroupName=group)["Schedules"]:
        raw = client.get_schedule(GroupName=group, Name=summary["Name"])
        if json.loads(raw["Target"]["Input"])["target"].get("workflow_id") == workflow_id:
            mine.append(raw)
    (raw,) = mine
    assert raw["Target"]["Arn"] == emulation.settings.scheduler_target_arn
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(json.loads(raw["Target"]["Input"].replace(SCHEDULED_TIME, stamp)))


def runs_of(token: str, workflow_id: str) -> list[dict[str, Any]]:
    status, body = api(token, "GET", f"/api/runs?workflow_id={workflow_id}")
    assert status == 200, body
    return list(body["items"])


def test_a_cron_fire_starts_one_run_however_often_it_is_delivered(aws: Any) -> None:
    emulation, token = aws
    status, body = api(token, "POST", "/api/workflows", {"name": "nightly", "spec": SPEC})
    assert status == 201, body
    workflow_id = body["id"]
    at = float(int(time.time()) // 60 * 60 + 3600)
    event = fire_event(emulation, workflow_id, at)
    runtime = emulation.runtime
    first = json.loads(runtime.invoke("orcheo-scheduler", event)[0])
    assert first["fired"] is True
    (run,) = runs_of(token, workflow_id)
    assert run["trigger"] == "cron"
    # EventBridge retries a delivery it thinks failed: the answer is the first one's.
    assert json.loads(runtime.invoke("orcheo-scheduler", event)[0]) == first
    assert len(runs_of(token, workflow_id)) == 1
    # The next fire while the previous run is still recorded as running ("skip"): the
    # guard asks the engine first, which records the finished execution, so it fires.
    assert emulation.stack is not None
    assert emulation.stack.services.runs.get_run(run["id"]).status == "running"
    deadline = time.monotonic() + 30
    while emulation.stack.services.engine.status(run["id"]) == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = json.loads(
        runtime.invoke("orcheo-scheduler", fire_event(emulation, workflow_id, at + 86400))[0]
    )
    assert second["fired"] is True
    assert len(runs_of(token, workflow_id)) == 2


def test_a_fire_another_scheduler_holds_the_lock_for_is_skipped(aws: Any) -> None:
    emulation, token = aws
    assert emulation.stack is not None
    status, body = api(token, "POST", "/api/workflows", {"name": "locked", "spec": SPEC})
    assert status == 201, body
    workflow_id = body["id"]
    schedules = emulation.stack.scheduler.list_schedules()
    (schedule,) = [s for s in schedules if s.target["workflow_id"] == workflow_id]
    # Another Lambda is between "is the previous run over?" and "start the next":
    # the conditional-write lock (with an expiry) in the trigger-state table.
    state = emulation.stack.services.trigger_state
    lock = f"cron-lock:{workflow_id}:nightly"
    assert state.acquire_lock(lock, "another-lambda", 60)
    event = json.loads(
        emulation.stack.scheduler._client.get_schedule(
            GroupName=emulation.settings.schedule_group if emulation.settings else "",
            Name=_name_of(emulation, schedule.id),
        )["Target"]["Input"].replace(SCHEDULED_TIME, "2100-01-01T03:00:00Z")
    )
    answer = json.loads(emulation.runtime.invoke("orcheo-scheduler", event)[0])
    assert runs_of(token, workflow_id) == []
    assert answer["fired"] is True  # the fire was handled: the guard said no run
    assert state.release_lock(lock, "another-lambda")


def _name_of(emulation: AwsEmulation, schedule_id: str) -> str:
    from functions.backends.aws.scheduler import schedule_name

    return schedule_name(schedule_id)


def ws(route: str, connection_id: str, **extra: Any) -> dict[str, Any]:
    event = {
        "requestContext": {"routeKey": route, "connectionId": connection_id, "stage": "prod"},
        **extra,
    }
    answer: dict[str, Any] = websocket(event, LambdaContext())
    return answer


def test_websocket_routes_authenticate_subscribe_and_replay(aws: Any) -> None:
    emulation, token = aws
    assert emulation.stack is not None
    _, reader = issue_token(emulation.stack.services, "reader", ["read"])
    assert ws("$connect", "c0")["statusCode"] == 401
    assert ws("$connect", "c0", headers={"Authorization": "Bearer nope"})["statusCode"] == 401
    assert ws("$connect", "c1", headers={"Authorization": f"Bearer {reader}"})["statusCode"] == 200
    bad = ws("$default", "c1", body="not json")
    assert bad["statusCode"] == 400
    missing = ws("$default", "c1", body=json.dumps({"type": "subscribe", "run_id": "nope"}))
    assert json.loads(missing["body"])["error"]["code"] == "not_found"
    status, body = api(
        token, "POST", "/api/workflows", {"name": "ws", "spec": {**SPEC, "triggers": []}}
    )
    assert status == 201, body
    status, run = api(
        token, "POST", f"/api/workflows/{body['id']}/runs", {"wait": True, "timeout": 60}
    )
    assert run["status"] == "succeeded", run
    # A late subscriber catches up from after_seq: the stored events are posted to it.
    answer = ws(
        "$default",
        "c1",
        body=json.dumps({"type": "subscribe", "run_id": run["id"], "after_seq": 1}),
    )
    assert json.loads(answer["body"]) == {"type": "subscribed", "topic": f"run:{run['id']}"}
    seqs = [m["seq"] for m in posted("c1")]
    assert seqs == list(range(2, len(seqs) + 2)) and len(seqs) >= 4
    assert emulation.stack.connections.topics("c1") == [f"run:{run['id']}"]
    ws("$default", "c1", body=json.dumps({"type": "unsubscribe", "run_id": run["id"]}))
    assert emulation.stack.connections.topics("c1") == []
    assert json.loads(ws("$default", "c1", body='{"type": "ping"}')["body"]) == {"type": "pong"}


# ---------------------------------------------------------------------------- the seam


def test_moto_is_the_pinned_version() -> None:
    pin = re.search(r'"moto\[[^\]]*\]==([^"]+)"', (REPO / "pyproject.toml").read_text())
    assert pin is not None, "moto must stay pinned: the AWS tiers replace its invoke seam"
    assert importlib.metadata.version("moto") == pin.group(1)


def test_the_lambda_invoke_seam_is_where_the_emulation_routes_it(aws: Any) -> None:
    """moto invokes a Lambda through ``LambdaFunction._invoke_lambda(event)`` and reads
    ``(payload_json, errored, logs)`` back; if a moto upgrade moves it, this fails first."""
    emulation, _ = aws
    assert emulation.moto_invoke is not None
    assert list(inspect.signature(emulation.moto_invoke).parameters) == ["self", "event"]
    assert LambdaFunction._invoke_lambda is not emulation.moto_invoke  # routed while active
    lam = boto3.client("lambda", region_name=REGION)
    before = len(emulation.runtime.invocations)
    answer = lam.invoke(
        FunctionName="orcheo-node-runner",
        Payload=json.dumps({"action": "step", "payload": {"run": {"run_id": "missing"}}}),
    )
    assert answer.get("FunctionError")  # moto says "Handled"; Lambda itself "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "NotFoundError"  # raised by our handler, not by moto
    assert emulation.runtime.invocations[before][0] == "orcheo-node-runner"


# ---------------------------------------------------------------------------- orcheo dev --aws


def test_the_emulation_shows_a_run_as_the_state_machine_it_ran_on(aws: Any) -> None:
    from fastapi.testclient import TestClient

    from functions.emulation import emulation_app

    emulation, token = aws
    headers = {"Authorization": f"Bearer {token}"}
    spec = {**SPEC, "triggers": []}
    with TestClient(emulation_app(emulation)) as client:
        created = client.post(
            "/api/workflows", json={"name": "watch", "spec": spec}, headers=headers
        )
        assert created.status_code == 201, created.text
        run = client.post(
            f"/api/workflows/{created.json()['id']}/runs",
            json={"wait": True, "timeout": 60},
            headers=headers,
        ).json()
        assert run["status"] == "succeeded", run
        shown = client.get(f"/emulation/runs/{run['id']}", headers=headers).json()
    assert shown["status"] == "SUCCEEDED"
    assert [h["state"] for h in shown["history"] if h["state"]] == ["start", "mark"]
    assert set(shown["definition"]["States"]) >= {"start", "mark"}
