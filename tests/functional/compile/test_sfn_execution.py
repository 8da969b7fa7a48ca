"""Generated state machines really run: moto interprets them, the Tasks reach handle_task.

moto's Lambda invoke seam (``LambdaFunction._invoke_lambda``, which returns
``(payload_json, errored, logs)``) is routed in-process to the Task contract's one
implementation, so this proves the contract end to end: Choice on the route, Parallel
with its join folded into the next Task, Map over ``Send``, state by reference, Catch
to the failure recorder. (This is the canary for moto's seam; moto's version is pinned.)
"""

from __future__ import annotations

import asyncio
import io
import json
import operator
import zipfile
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from langgraph.graph import START, StateGraph  # noqa: E402
from moto.awslambda.models import LambdaFunction  # noqa: E402

from orcheo_core.compile import (  # noqa: E402
    CompileOptions,
    compile_state_machine,
    count_transitions,
)
from orcheo_core.compile.runtime import MemoryStateStore, TaskError, handle_task  # noqa: E402
from orcheo_core.engine.step import apply_step, next_tasks, run_node, start  # noqa: E402
from orcheo_core.graph.builder import compile_workflow  # noqa: E402
from tests.conformance.corpus import as_json, load_cases, state_sha256  # noqa: E402
from tests.conformance.nodes import registry  # noqa: E402

REGION = "us-east-1"
CASES = {c.name: c for c in load_cases()}
RUN_CASES = [
    "linear_pipeline",
    "parallel_fanout_join",
    "script_send_map_reduce",
    "loop_counter_exit",
    "script_large_state",
    "template_error",
    "script_superstep_twice",
    "script_command_goto",
    "reducer_concurrent_writes",
    "replace_concurrent_conflict",
    "retry_flaky_succeeds",
    "loop_max_steps",
]


class _Runner:
    """What the node-runner Lambda does, in this process: one workflow per function name."""

    def __init__(self) -> None:
        self.workflows: dict[str, Any] = {}
        self.store = MemoryStateStore()
        self.calls: list[dict[str, Any]] = []

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        # Step Functions hands moto's seam the Task input already parsed
        body = json.loads(event) if isinstance(event, str | bytes) else dict(event or {})
        self.calls.append(body)
        workflow = self.workflows[function.function_name]
        try:
            out = asyncio.run(handle_task(workflow, body, store=self.store))
        except TaskError as exc:
            error = {"errorType": exc.name, "errorMessage": str(exc)}
            return json.dumps(error), True, ""
        return json.dumps(out), False, ""


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[Any, Any, _Runner]]:
    runner = _Runner()
    original = LambdaFunction._invoke_lambda

    def seam(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return runner.invoke(self, event)

    LambdaFunction._invoke_lambda = seam  # type: ignore[method-assign]
    try:
        with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            iam = boto3.client("iam", region_name=REGION)
            role = iam.create_role(
                RoleName="orcheo-sfn",
                AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
            )["Role"]["Arn"]
            yield (
                boto3.client("stepfunctions", region_name=REGION),
                (boto3.client("lambda", region_name=REGION), role),
                runner,
            )
    finally:
        LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def _execute(
    aws: Any,
    name: str,
    threshold: int = 200_000,
    *,
    workflow: Any = None,
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a corpus case's state machine (or ``workflow`` on ``inputs``) to its end."""
    sfn, (lam, role), runner = aws
    if workflow is None:
        case = CASES[name]
        workflow, inputs = case.workflow(), case.inputs
    fn = lam.create_function(
        FunctionName=f"runner-{name}",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    runner.workflows[f"runner-{name}"] = compile_workflow(workflow, registry())
    machine = compile_state_machine(
        workflow,
        CompileOptions(node_runner_arn=fn, state_ref_threshold=threshold),
        registry=registry(),
    )
    arn = sfn.create_state_machine(
        name=name.replace("_", "-"),
        definition=json.dumps(machine.definition),
        roleArn=role,
        type=machine.type,
    )["stateMachineArn"]
    run = {"run_id": f"run-{name}", "workflow_id": name}
    execution = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"run": run, "inputs": inputs or {}})
    )["executionArn"]
    for _ in range(600):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        asyncio.run(asyncio.sleep(0.05))
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    return {
        "described": described,
        "entered": entered,
        "runner": runner,
        "definition": machine.definition,
    }


def _result(runner: _Runner, output: dict[str, Any]) -> Any:
    from orcheo_core.engine._json_codec import decode_value

    result = output["result"]
    if isinstance(result, dict) and set(result) == {"$ref"}:
        result = json.loads(runner.store.get(result["$ref"]))
    return as_json(decode_value(result, "result"))


@pytest.mark.parametrize("name", RUN_CASES)
def test_the_generated_state_machine_ends_as_the_local_engine(aws: Any, name: str) -> None:
    case = CASES[name]
    got = _execute(aws, name)
    described = got["described"]
    if "expected_error" in case.meta:
        assert described["status"] == "FAILED", described
        assert "orcheo.record_failure" in got["entered"]
        expected = case.meta["expected_error"]
        assert described.get("error") == "Orcheo.RunFailed"
        cause = json.loads(described["cause"])
        assert cause["code"] == expected["code"]
        return
    assert described["status"] == "SUCCEEDED", (got["entered"], got["runner"].calls[-1])
    final = _result(got["runner"], json.loads(described["output"]))
    if "expected_state" in case.meta:
        assert final == case.meta["expected_state"]
    else:
        assert state_sha256(final) == case.meta["expected_state_sha256"]
    assert "orcheo.superstep" not in got["entered"], got["entered"]
    if name == "script_large_state":
        # the state outgrew the threshold: it travelled by reference
        assert any("/state/" in key for key in got["runner"].store.items)
    if name == "retry_flaky_succeeds":
        # Step Functions' Retry drove the attempts, the node saw them as 1, 2, 3
        counts = [c.get("retry_count") for c in got["runner"].calls if c.get("node") == "call"]
        assert counts == [0, 1, 2]
    else:
        # the cost figure is what the execution really did: one state entered per transition
        steps = asyncio.run(_supersteps(case))
        cost = count_transitions(got["definition"], steps)
        assert cost.transitions == len(got["entered"]), (cost.path, got["entered"])


async def _supersteps(case: Any) -> list[list[str]]:
    workflow = compile_workflow(case.workflow(), registry())
    state = start(workflow, case.inputs)
    steps = []
    while pending := next_tasks(workflow, state):
        steps.append([t.node for t in pending])
        writes = {t.id: await run_node(workflow, state, t) for t in pending}
        state = apply_step(workflow, state, writes)
    return steps


class _HopState(TypedDict):
    path: Annotated[list[str], operator.add]


def _hop(target: str) -> Any:
    from langgraph.types import Command

    return Command(update={"path": ["first"]}, goto=target)


def _first(state: _HopState) -> Any:
    return _hop("second")  # routes through a helper: nothing in this function names Command


def _second(state: _HopState) -> dict[str, Any]:
    return {"path": ["second"]}


def test_a_route_no_one_declared_fails_the_run_instead_of_ending_it_early(aws: Any) -> None:
    """The compiler cannot see this Command(goto); the run must not succeed after `first`."""
    graph = StateGraph(_HopState)
    graph.add_node("first", _first)
    graph.add_node("second", _second)
    graph.add_edge(START, "first")
    out = _execute(aws, "hidden_goto", workflow=graph, inputs={"path": []})
    described = out["described"]
    assert described["status"] == "FAILED", described
    assert "unplanned_route" in described["cause"] and "'second'" in described["cause"]
