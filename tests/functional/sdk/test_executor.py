"""HttpWorkflowExecutor and the typed client against the real local server on loopback.

Faults are injected at the HTTP boundary (``FaultInjector`` around the real app): 503s
and 429s the server never saw, and answers lost after the server handled the request.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from orcheo_core.sdk import (
    AsyncHttpWorkflowExecutor,
    AuthenticationError,
    HttpWorkflowExecutor,
    NotFoundError,
    OrcheoClient,
    RateLimitedError,
    RetryPolicy,
    RunFailedError,
    ServerError,
    ServerUnreachableError,
    UnprocessableError,
)
from tests.functional.sdk.conftest import FAST, GREET_SPEC
from tests.functional.sdk.server import Fault, ThreadedServer


def _workflow(client: OrcheoClient, spec: dict[str, Any] | None = None) -> str:
    return client.create_workflow("greet", spec=spec or GREET_SPEC).id


def _runs_path(workflow_id: str) -> str:
    return f"/api/workflows/{workflow_id}/runs"


def test_run_waits_and_returns_the_final_state(server: ThreadedServer) -> None:
    with HttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow_id = _workflow(executor.client)
        state = executor.run(workflow_id, {"name": "Ada"})
    assert state == {"name": "Ada", "greeting": "Hello Ada"}


def test_injected_503s_are_retried_until_the_run_starts(server: ThreadedServer) -> None:
    with HttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow_id = _workflow(executor.client)
        path = _runs_path(workflow_id)
        server.faults.inject(Fault("POST", path), Fault("POST", path), Fault("POST", path))
        state = executor.run(workflow_id, {"name": "Bo"})
        runs = executor.client.list_runs(workflow_id=workflow_id).items
    assert state["greeting"] == "Hello Bo"
    assert server.faults.faults == [], "all three 503s were answered, then it went through"
    assert len(runs) == 1


def test_a_retried_dispatch_creates_exactly_one_run(server: ThreadedServer) -> None:
    # The server starts the run, but its answers are lost twice: the client retries with
    # the same Idempotency-Key and gets the one run back.
    with HttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow_id = _workflow(executor.client)
        path = _runs_path(workflow_id)
        server.faults.inject(
            Fault("POST", path, after_app=True), Fault("POST", path, after_app=True)
        )
        run = executor.run(workflow_id, {"name": "Cy"}, wait=False)
        reached = [h for m, p, h in server.faults.seen if m == "POST" and p == path]
        runs = executor.client.list_runs(workflow_id=workflow_id).items
    assert len(reached) == 3, "two lost answers, then the third attempt"
    keys = {h["idempotency-key"] for h in reached}
    assert len(keys) == 1, f"every attempt carries the same key: {keys}"
    assert [r.id for r in runs] == [run.id], "one run, whatever the retries"


def test_the_server_honours_idempotency_keys(server: ThreadedServer, client: OrcheoClient) -> None:
    workflow_id = _workflow(client)
    first = client.start_run(workflow_id, {"name": "Di"}, idempotency_key="k-1")
    again = httpx.post(
        f"{server.url}{_runs_path(workflow_id)}",
        json={"inputs": {"name": "Di"}},
        headers={"Authorization": f"Bearer {server.token}", "Idempotency-Key": "k-1"},
    )
    assert again.status_code in (200, 202) and again.json()["id"] == first.id
    assert again.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(UnprocessableError) as refused:
        client.start_run(workflow_id, {"name": "Other"}, idempotency_key="k-1")
    assert "different request" in refused.value.message
    batch = client.start_batch(workflow_id, [{"name": "x"}, {"name": "y"}], idempotency_key="b")
    same = client.start_batch(workflow_id, [{"name": "x"}, {"name": "y"}], idempotency_key="b")
    assert [r.id for r in same.runs] == [r.id for r in batch.runs]
    assert len(client.list_runs(workflow_id=workflow_id).items) == 3


def test_a_401_raises_a_typed_error_with_the_servers_message(server: ThreadedServer) -> None:
    answer = httpx.get(f"{server.url}/api/workflows", headers={"Authorization": "Bearer nope"})
    with (
        HttpWorkflowExecutor(server.url, "nope", retry=FAST) as executor,
        pytest.raises(AuthenticationError) as caught,
    ):
        executor.run("any", {})
    error = caught.value
    assert (error.status, error.code) == (401, "unauthorized")
    assert error.message == answer.json()["error"]["message"]


def test_errors_carry_code_message_and_details(client: OrcheoClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_workflow("no-such-workflow")
    assert missing.value.code == "not_found" and "no-such-workflow" in missing.value.message
    bad = {"name": "bad", "nodes": [{"id": "n", "type": "no_such_node", "config": {}}]}
    with pytest.raises(UnprocessableError) as invalid:
        client.create_workflow("bad", spec=bad)
    assert invalid.value.status == 422 and invalid.value.details


def test_a_failed_run_raises_run_failed_error(server: ThreadedServer) -> None:
    with HttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow_id = _workflow(executor.client)
        with pytest.raises(RunFailedError) as failed:
            executor.run(workflow_id, {"nmae": "typo"})
    assert failed.value.run.status == "failed"
    assert "nmae" in failed.value.message


def test_429_honours_retry_after(server: ThreadedServer, client: OrcheoClient) -> None:
    server.faults.inject(Fault("GET", "/api/workflows", status=429, retry_after="1"))
    started = time.monotonic()
    client.list_workflows()
    assert time.monotonic() - started >= 0.95


def test_a_retry_after_beyond_the_limit_is_not_waited_for(server: ThreadedServer) -> None:
    patient = RetryPolicy(max_retries=3, base_delay=0.01, max_retry_after=5)
    server.faults.inject(Fault("GET", "/api/workflows", status=429, retry_after="3600"))
    with OrcheoClient(server.url, server.token, retry=patient) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitedError) as limited:
            client.list_workflows()
    assert limited.value.retry_after == 3600 and time.monotonic() - started < 2


def test_a_post_without_a_key_is_not_retried_after_a_500(
    server: ThreadedServer, client: OrcheoClient
) -> None:
    body = {"error": {"code": "internal_error", "message": "boom", "details": {}}}
    server.faults.inject(
        Fault("POST", "/api/workflows", status=500, body=body),
        Fault("POST", "/api/workflows", status=500, body=body),
    )
    with pytest.raises(ServerError) as failed:
        client.create_workflow("once", spec=GREET_SPEC)
    assert failed.value.message == "boom"
    assert len(server.faults.faults) == 1, "the create was tried once: it could have happened"


def test_connection_errors_are_retried_then_reported(server: ThreadedServer) -> None:
    # A port nothing listens on: every attempt is refused.
    url = server.url.rsplit(":", 1)[0] + ":9"
    policy = RetryPolicy(max_retries=2, base_delay=0.01)
    with OrcheoClient(url, "t", retry=policy) as client, pytest.raises(ServerUnreachableError) as e:
        client.list_workflows()
    assert e.value.details["attempts"] == 3


def test_stream_yields_every_event_in_order(server: ThreadedServer) -> None:
    with HttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow_id = _workflow(executor.client)
        run = executor.run(workflow_id, {"name": "Ed"}, wait=False)
        events = list(executor.stream(run.id))
        stored = executor.client.get_run(run.id).events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].type == "run.succeeded"
    assert [e.model_dump() for e in events] == [e.model_dump() for e in stored]


def test_stream_with_a_bad_token_raises_a_typed_error(server: ThreadedServer) -> None:
    with (
        HttpWorkflowExecutor(server.url, "bad", retry=FAST) as executor,
        pytest.raises(AuthenticationError),
    ):
        list(executor.stream("whatever"))


async def test_the_async_executor_runs_and_streams(server: ThreadedServer) -> None:
    async with AsyncHttpWorkflowExecutor(server.url, server.token, retry=FAST) as executor:
        workflow = await executor.client.create_workflow("greet", spec=GREET_SPEC)
        path = _runs_path(workflow.id)
        server.faults.inject(Fault("POST", path, after_app=True))
        state = await executor.run(workflow.id, {"name": "Flo"})
        run = await executor.run(workflow.id, {"name": "Gus"}, wait=False)
        events = [event async for event in executor.stream(run.id)]
        runs = await executor.client.list_runs(workflow_id=workflow.id)
    assert state["greeting"] == "Hello Flo"
    assert events[-1].type == "run.succeeded"
    assert len(runs.items) == 2, "the lost answer did not start a second run"
