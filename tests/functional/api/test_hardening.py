"""Holes found by attacking the local stack (issue 12, point 4), each closed at its root."""

from __future__ import annotations

import json
import os
import time

import pytest
from starlette.testclient import TestClient

from functions.api.json_depth import MAX_DEPTH, TOO_DEEP
from functions.backends.local.lease import HomeInUseError
from functions.backends.ports import EventRecord, RunRecord
from functions.local import LocalStack
from functions.settings import Settings
from tests.functional.api.conftest import create_workflow, make_token


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_run_inputs_nested_too_deep_are_a_422_naming_where(
    client: TestClient, admin: dict[str, str]
) -> None:
    wid = create_workflow(client, admin)["id"]
    runner = make_token(client, admin, "run")
    body = '{"inputs": {"name": "x", "deep": ' + _nested(700) + "}}"
    answer = client.post(
        f"/api/workflows/{wid}/runs",
        content=body,
        headers={**runner, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["details"]["limit"] == MAX_DEPTH
    assert error["details"]["field"].startswith("body.inputs.deep[0][0]")
    # Nothing was started, and the list of runs still answers.
    listed = client.get("/api/runs", headers=admin)
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_nesting_within_the_limit_is_accepted(client: TestClient, admin: dict[str, str]) -> None:
    wid = create_workflow(client, admin)["id"]
    # body -> inputs -> deep: two levels used by the request itself.
    body = '{"inputs": {"name": "x", "deep": ' + _nested(MAX_DEPTH - 2) + '}, "wait": true}'
    answer = client.post(
        f"/api/workflows/{wid}/runs",
        content=body,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text


def test_a_stored_run_nested_too_deep_cannot_break_the_list(
    stack: LocalStack, client: TestClient, admin: dict[str, str]
) -> None:
    # Written straight to the store, as an older server or a node's output could have.
    deep: object = "bottom"
    for _ in range(700):
        deep = {"a": deep}
    wid = create_workflow(client, admin)["id"]
    now = time.time()
    stack.services.runs.create_run(
        RunRecord(
            id="deep-run",
            workflow_id=wid,
            version=1,
            status="succeeded",
            inputs={"deep": deep},
            state={"deep": deep},
            created_at=now,
            finished_at=now,
        )
    )
    stack.services.runs.append_events(
        [
            EventRecord(
                run_id="deep-run",
                workflow_id=wid,
                seq=1,
                type="run.succeeded",
                data={"state": {"deep": deep}},
                ts=now,
            )
        ]
    )
    listed = client.get("/api/runs", headers=admin)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["id"] == "deep-run"
    assert TOO_DEEP in json.dumps(item["inputs"])
    detail = client.get("/api/runs/deep-run", headers=admin)
    assert detail.status_code == 200, detail.text
    assert TOO_DEEP in json.dumps(detail.json()["events"][0]["data"])


def test_a_second_stack_on_a_home_in_use_refuses_to_start(
    stack: LocalStack, client: TestClient, settings: Settings
) -> None:
    second = LocalStack(settings)
    with pytest.raises(HomeInUseError, match=rf"another Orcheo \(pid {os.getpid()}\)"):
        second.start()
    assert not second.lease.held
