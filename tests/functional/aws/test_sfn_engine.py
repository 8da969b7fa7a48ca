"""The Engine port on Step Functions: moto runs the generated state machine, runs follow it.

moto's Lambda invoke seam is routed in-process to ``handle_task`` (as in
``tests/functional/compile/test_sfn_execution.py``, the seam's canary), so a run goes
through the real Task contract from start to its recorded outcome.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto.awslambda.models import LambdaFunction

from aws.moto_env import REGION, moto_tables
from functions.backends.aws import DynamoRunStore
from functions.backends.aws.bus import DynamoEventBus
from functions.backends.aws.engine import StepFunctionsEngine, outcome_of
from functions.backends.ports import RunRecord, VersionRecord
from orcheo_core.compile.runtime import MemoryStateStore, TaskError, handle_task
from orcheo_core.graph.builder import compile_workflow
from tests.conformance.corpus import as_json, load_cases
from tests.conformance.nodes import registry

CASES = {c.name: c for c in load_cases()}


class NodeRunner:
    """The node-runner Lambda, in this process: finds the run's workflow by its id."""

    def __init__(self) -> None:
        self.workflows: dict[str, Any] = {}
        self.store = MemoryStateStore()
        # Workflows whose Tasks answer with this instead of the real output (a broken runner).
        self.garbage: dict[str, Any] = {}

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        body = json.loads(event) if isinstance(event, str | bytes) else dict(event or {})
        workflow_id = body["payload"]["run"]["workflow_id"]
        if workflow_id in self.garbage:
            return json.dumps(self.garbage[workflow_id]), False, ""
        workflow = self.workflows[workflow_id]
        try:
            out = asyncio.run(handle_task(workflow, body, store=self.store))
        except TaskError as exc:
            return json.dumps({"errorType": exc.name, "errorMessage": str(exc)}), True, ""
        return json.dumps(out), False, ""


@dataclass
class Env:
    runs: DynamoRunStore
    bus: DynamoEventBus
    engine: StepFunctionsEngine
    runner: NodeRunner


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    runner = NodeRunner()
    original = LambdaFunction._invoke_lambda

    def seam(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return runner.invoke(self, event)

    LambdaFunction._invoke_lambda = seam  # type: ignore[method-assign]
    try:
        with moto_tables(config={"stepfunctions": {"execute_state_machine": True}}) as base:
            role = boto3.client("iam", region_name=REGION).create_role(
                RoleName="orcheo-sfn", AssumeRolePolicyDocument="{}"
            )["Role"]["Arn"]
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
            function = boto3.client("lambda", region_name=REGION).create_function(
                FunctionName="orcheo-node-runner",
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": buf.getvalue()},
            )["FunctionArn"]
            settings = type(base)(
                **{**vars(base), "node_runner_arn": function, "state_machine_role_arn": role}
            )
            runs = DynamoRunStore()
            bus = DynamoEventBus()
            engine = StepFunctionsEngine(
                runs,
                bus,
                settings,
                registry=registry(),
                state_store=runner.store,
                poll_interval=0.05,
            )
            yield Env(runs, bus, engine, runner)
    finally:
        LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]


def version_of(env: Env, workflow_id: str, spec: dict[str, Any]) -> VersionRecord:
    env.runner.workflows[workflow_id] = compile_workflow(spec, registry())
    return VersionRecord(workflow_id=workflow_id, number=1, spec=spec)


def queued(env: Env, run_id: str, workflow_id: str, inputs: dict[str, Any]) -> RunRecord:
    run = RunRecord(id=run_id, workflow_id=workflow_id, version=1, inputs=inputs, created_at=1.0)
    env.runs.create_run(run)
    return run


async def test_a_run_succeeds_with_the_final_state_and_its_events(env: Env) -> None:
    case = CASES["linear_pipeline"]
    version = version_of(env, "wf-linear", case.workflow())
    run = queued(env, "run-ok", "wf-linear", case.inputs)
    subscription = env.bus.subscribe(["run:run-ok"])
    await env.engine.start(run, version)
    assert await env.engine.wait("run-ok", timeout=60)
    done = env.runs.get_run("run-ok")
    assert done.status == "succeeded", done.error
    assert as_json(done.state) == case.meta["expected_state"]
    assert done.error is None and done.duration is not None
    assert env.engine.status("run-ok") == "succeeded"
    types = [e.type for e in env.runs.list_events("run-ok")]
    assert types == ["run.started", "run.succeeded"]
    published = [await subscription.get(1), await subscription.get(1)]
    assert [e.type for e in published if e is not None] == types
    # The state machine is the version's, named after it; the execution after the run.
    described = env.engine._client.describe_execution(executionArn=env.engine.execution_arn(run))
    assert described["name"] == "run-ok"
    assert described["stateMachineArn"].endswith(":stateMachine:orcheo-wf-linear-v1")


async def test_a_failing_run_records_the_orcheo_error(env: Env) -> None:
    case = CASES["template_error"]
    version = version_of(env, "wf-fail", case.workflow())
    run = queued(env, "run-fail", "wf-fail", case.inputs)
    await env.engine.start(run, version)
    assert await env.engine.wait("run-fail", timeout=60)
    failed = env.runs.get_run("run-fail")
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error["code"] == case.meta["expected_error"]["code"]
    assert [e.type for e in env.runs.list_events("run-fail")][-1] == "run.failed"


async def test_cancel_stops_the_execution_and_the_run_is_cancelled(env: Env) -> None:
    spec = copy.deepcopy(CASES["linear_pipeline"].workflow())
    spec["nodes"].insert(1, {"id": "pause", "type": "delay", "config": {"seconds": 600}})
    spec["edges"] = [
        {"source": "start", "target": "pause"},
        {"source": "pause", "target": "greet"},
        {"source": "greet", "target": "shout"},
        {"source": "shout", "target": "inspect"},
    ]
    version = version_of(env, "wf-slow", spec)
    run = queued(env, "run-stop", "wf-slow", {"name": "Ada"})
    await env.engine.start(run, version)
    assert env.engine.status("run-stop") == "running"
    assert not await env.engine.wait("run-stop", timeout=0.1)
    assert await env.engine.cancel("run-stop")
    cancelled = env.runs.get_run("run-stop")
    assert cancelled.status == "cancelled"
    assert cancelled.error is not None and "cancelled by a user" in cancelled.error["message"]
    assert not await env.engine.cancel("run-stop")  # already over


async def test_a_run_cancelled_before_it_starts_is_not_started(env: Env) -> None:
    case = CASES["linear_pipeline"]
    version = version_of(env, "wf-linear", case.workflow())
    run = queued(env, "run-early", "wf-linear", case.inputs)
    env.runs.update_run("run-early", status="cancelled")
    await env.engine.start(run, version)
    assert env.runs.get_run("run-early").status == "cancelled"
    assert env.engine.status("run-early") == "cancelled"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("description", "status", "code"),
    [
        ({"status": "TIMED_OUT"}, "failed", "timeout"),
        ({"status": "ABORTED", "cause": "budget exceeded"}, "cancelled", "cancelled"),
        (
            {"status": "FAILED", "error": "States.Runtime", "cause": "bad"},
            "failed",
            "execution_failed",
        ),
        (
            {"status": "FAILED", "error": "Orcheo.RunFailed", "cause": '{"code": "node_error"}'},
            "failed",
            "node_error",
        ),
    ],
    ids=["timed out", "aborted", "failed outside Orcheo", "failed in a node"],
)
def test_an_execution_that_did_not_succeed_becomes_a_run_with_a_reason(
    description: dict[str, Any], status: str, code: str
) -> None:
    outcome = outcome_of(
        {**description, "startDate": at("2026-01-01 00:00"), "stopDate": at("2026-01-01 00:05")}
    )
    assert outcome.status == status
    assert outcome.error is not None and outcome.error["code"] == code
    assert outcome.finished_at is not None and outcome.started_at is not None
    assert outcome.finished_at - outcome.started_at == 300
    if code == "cancelled":
        assert "budget exceeded" in outcome.error["message"]


@pytest.mark.parametrize(
    "output",
    [None, "{}", '{"run": {"run_id": "r"}, "state": {"$ref": "x"}}', '{"result": {"a"', "[1, 2]"],
    ids=["no output", "empty", "no result", "truncated", "not an object"],
)
def test_an_execution_that_succeeded_without_a_final_state_is_a_failed_run(
    output: str | None,
) -> None:
    """Never a success with {}: the run fails with a stable code saying what is missing."""
    description: dict[str, Any] = {
        "status": "SUCCEEDED",
        "startDate": at("2026-01-01 00:00"),
        "stopDate": at("2026-01-01 00:01"),
    }
    if output is not None:
        description["output"] = output
    outcome = outcome_of(description)
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error["code"] == "no_final_state"
    assert outcome.result is None


ONE_NODE: dict[str, Any] = {
    "name": "one node",
    "nodes": [{"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}}],
    "edges": [{"source": "a", "target": "__end__"}],
    "state": {"x": {}},
}


async def test_a_task_that_answers_garbage_fails_the_run(env: Env) -> None:
    version = version_of(env, "wf-garbage", ONE_NODE)
    env.runner.garbage["wf-garbage"] = {"hello": "not a task output"}
    run = queued(env, "run-garbage", "wf-garbage", {})
    await env.engine.start(run, version)
    assert await env.engine.wait("run-garbage", timeout=60)
    done = env.runs.get_run("run-garbage")
    assert done.status == "failed" and done.state is None
    assert done.error is not None and done.error["code"] == "no_final_state"
    assert [e.type for e in env.runs.list_events("run-garbage")][-1] == "run.failed"


async def test_a_final_state_whose_reference_is_gone_fails_the_run(env: Env) -> None:
    version = version_of(env, "wf-big", ONE_NODE)
    # The final state went by reference, and the object is gone (expired, deleted).
    env.runner.garbage["wf-big"] = {"result": {"$ref": "runs/run-ref-gone/final"}}
    run = queued(env, "run-ref-gone", "wf-big", {})
    await env.engine.start(run, version)
    assert await env.engine.wait("run-ref-gone", timeout=60)
    done = env.runs.get_run("run-ref-gone")
    assert done.status == "failed" and done.state is None
    assert done.error is not None and done.error["code"] == "final_state_unreadable"
    assert [e.type for e in env.runs.list_events("run-ref-gone")][-1] == "run.failed"
