"""/hooks/{workflow_id} on the real local stack: signatures, replays, verbs, sizes, answers.

The stack runs on a test clock (``ORCHEO_TEST_CLOCK``), so signature timestamps and
their 300 s window are checked against a time the test controls.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from functions.settings import Settings
from orcheo_core.triggers import sign
from tests.functional.api.conftest import create_workflow

T0 = 1_800_000_000  # 2027-01-15 08:00 UTC


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", static_dir=tmp_path / "no-canvas", test_clock=T0)


def hook_spec(**webhook: Any) -> dict[str, Any]:
    return {
        "name": "hooked",
        "nodes": [
            {
                "id": "greet",
                "type": "set_variable",
                "config": {"values": {"greeting": "Hello {{ state.webhook.body.name }}"}},
            }
        ],
        "edges": [{"source": "greet", "target": "__end__"}],
        "state": {"webhook": {}, "greeting": {}},
        "triggers": [{"type": "webhook", **webhook}],
    }


def rotate(client: TestClient, admin: dict[str, str], workflow_id: str, **body: Any) -> str:
    answer = client.post(
        f"/api/workflows/{workflow_id}/triggers/webhook/secret", json=body or None, headers=admin
    )
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def signed(secret: str, body: bytes, t: int = T0) -> dict[str, str]:
    return {"X-Orcheo-Signature": sign(secret, body, t), "Content-Type": "application/json"}


def wait_for(client: TestClient, admin: dict[str, str], run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/api/runs/{run_id}", headers=admin).json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.01)
    raise AssertionError(f"run {run_id} did not end")


def error(answer: Any) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()["error"]
    return body


def test_a_signed_request_starts_a_run_with_the_request_as_input(
    client: TestClient, admin: dict[str, str]
) -> None:
    workflow = create_workflow(client, admin, hook_spec())
    secret = rotate(client, admin, workflow["id"])
    body = json.dumps({"name": "Ada"}).encode()
    headers = {**signed(secret, body), "Authorization": "Bearer leaked?", "X-Extra": "1"}
    answer = client.post(f"/hooks/{workflow['id']}?src=test", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    run = wait_for(client, admin, answer.json()["run_id"])
    assert run["status"] == "succeeded" and run["trigger"] == "webhook"
    assert run["state"]["greeting"] == "Hello Ada"
    received = run["inputs"]["webhook"]
    assert received["method"] == "POST" and received["query"] == {"src": "test"}
    assert received["body"] == {"name": "Ada"} and received["headers"]["x-extra"] == "1"
    # Credentials never reach the workflow.
    assert "authorization" not in received["headers"]
    assert "x-orcheo-signature" not in received["headers"]


def test_the_secret_made_on_save_is_shown_once_and_signs(
    client: TestClient, admin: dict[str, str]
) -> None:
    workflow = create_workflow(client, admin, hook_spec())
    listed = client.get(f"/api/workflows/{workflow['id']}/triggers", headers=admin).json()
    assert listed[0]["url_path"] == f"/hooks/{workflow['id']}"
    assert listed[0]["secret"]["set"] is True and listed[0]["secret"]["shown"] is False
    first = client.get(f"/api/workflows/{workflow['id']}/triggers/webhook/secret", headers=admin)
    assert first.status_code == 200 and first.json()["secret"].startswith("whsec_")
    again = client.get(f"/api/workflows/{workflow['id']}/triggers/webhook/secret", headers=admin)
    assert again.status_code == 409 and "rotate" in error(again)["message"]
    body = b'{"name": "Bo"}'
    answer = client.post(
        f"/hooks/{workflow['id']}", content=body, headers=signed(first.json()["secret"], body)
    )
    assert answer.status_code == 202, answer.text
    # The secret is stored sealed by the vault, never as plain text.
    db_path = Path(client.app.state.services.settings.db_path)  # type: ignore[attr-defined]
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert b"whsec_" in stored or b"webhook-secret" in stored  # the sealed record is there
    assert first.json()["secret"].encode() not in stored


def test_wrong_replayed_stale_and_missing_signatures_are_401(
    client: TestClient, admin: dict[str, str]
) -> None:
    workflow = create_workflow(client, admin, hook_spec())
    url = f"/hooks/{workflow['id']}"
    secret = rotate(client, admin, workflow["id"])
    body = b'{"name": "Ada"}'

    wrong = client.post(url, content=body, headers=signed("whsec_not-the-secret", body))
    assert wrong.status_code == 401 and error(wrong)["details"]["reason"] == "mismatch"
    assert "www-authenticate" not in wrong.headers  # not a bearer-token route

    missing = client.post(url, content=body)
    assert missing.status_code == 401 and error(missing)["details"]["reason"] == "missing"

    headers = signed(secret, body)
    assert client.post(url, content=body, headers=headers).status_code == 202
    replay = client.post(url, content=body, headers=headers)
    assert replay.status_code == 401 and error(replay)["details"]["reason"] == "replayed"

    stale = client.post(url, content=body, headers=signed(secret, body, T0 - 301))
    assert stale.status_code == 401 and error(stale)["details"]["reason"] == "too_old"

    # Only the accepted request started a run.
    runs = client.get(f"/api/runs?workflow_id={workflow['id']}", headers=admin).json()["items"]
    assert len(runs) == 1


def test_a_rotated_secret_replaces_the_old_one_after_its_grace(
    client: TestClient, admin: dict[str, str]
) -> None:
    workflow = create_workflow(client, admin, hook_spec())
    url = f"/hooks/{workflow['id']}"
    old = rotate(client, admin, workflow["id"])
    new = rotate(client, admin, workflow["id"], grace_seconds=60)
    assert client.post(url, content=b"{}", headers=signed(old, b"{}")).status_code == 202
    assert client.post(url, content=b"[]", headers=signed(new, b"[]")).status_code == 202
    moved = client.post("/api/system/clock", json={"advance": 61}, headers=admin)
    assert moved.status_code == 200
    late = client.post(url, content=b"1", headers=signed(old, b"1", T0 + 61))
    assert late.status_code == 401 and error(late)["details"]["reason"] == "mismatch"
    assert client.post(url, content=b"1", headers=signed(new, b"1", T0 + 61)).status_code == 202


def test_a_public_hook_needs_no_signature(client: TestClient, admin: dict[str, str]) -> None:
    workflow = create_workflow(client, admin, hook_spec(auth="none"))
    answer = client.post(f"/hooks/{workflow['id']}", json={"name": "Cy"})
    assert answer.status_code == 202, answer.text
    assert wait_for(client, admin, answer.json()["run_id"])["state"]["greeting"] == "Hello Cy"


def test_refusals_404_405_413_400(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/hooks/nothing-here").status_code == 404
    no_hook = create_workflow(client, admin)  # a workflow without a webhook trigger
    assert client.post(f"/hooks/{no_hook['id']}").status_code == 404

    workflow = create_workflow(
        client, admin, hook_spec(auth="none", methods=["POST", "PUT"], max_body_bytes=64)
    )
    url = f"/hooks/{workflow['id']}"
    verb = client.get(url)
    assert verb.status_code == 405 and verb.headers["allow"] == "POST, PUT"
    assert error(verb)["code"] == "method_not_allowed"
    assert client.put(url, json={"name": "Di"}).status_code == 202

    big = client.post(url, content=b"x" * 65, headers={"Content-Type": "text/plain"})
    assert big.status_code == 413 and error(big)["details"] == {"size": 65, "limit": 64}

    bad = client.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and error(bad)["code"] == "invalid_body"

    archived = client.post(f"/api/workflows/{workflow['id']}/archive", headers=admin)
    assert archived.status_code == 200
    assert client.post(url, json={}).status_code == 404


def test_static_reply(client: TestClient, admin: dict[str, str]) -> None:
    response = {
        "mode": "static",
        "status_code": 200,
        "body": "thanks",
        "content_type": "text/plain",
    }
    workflow = create_workflow(client, admin, hook_spec(auth="none", response=response))
    answer = client.post(f"/hooks/{workflow['id']}", json={"name": "Ed"})
    assert answer.status_code == 200 and answer.text == "thanks"
    assert answer.headers["content-type"].startswith("text/plain")


def test_wait_reply_answers_with_the_output(client: TestClient, admin: dict[str, str]) -> None:
    whole = create_workflow(client, admin, hook_spec(auth="none", response="wait"))
    answer = client.post(f"/hooks/{whole['id']}", json={"name": "Flo"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["greeting"] == "Hello Flo"

    keyed = create_workflow(
        client,
        admin,
        hook_spec(response={"mode": "wait", "output_key": "greeting", "status_code": 201}),
    )
    secret = rotate(client, admin, keyed["id"])
    body = b'{"name": "Gus"}'
    answer = client.post(f"/hooks/{keyed['id']}", content=body, headers=signed(secret, body))
    assert answer.status_code == 201 and answer.text == "Hello Gus"


def test_head_and_options_are_answered_by_the_trigger(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert client.request("OPTIONS", "/hooks/nothing-here").status_code == 404
    workflow = create_workflow(client, admin, hook_spec(auth="none", methods=["POST", "GET"]))
    for verb in ("OPTIONS", "HEAD"):
        answer = client.request(verb, f"/hooks/{workflow['id']}")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST, GET"
