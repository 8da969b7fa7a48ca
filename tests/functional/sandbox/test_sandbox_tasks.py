"""Step Functions jobs in the sandbox: a script's state machine, and one Task of it.

What the AWS backend does with a script version instead of loading it in its own
process: the API compiles the machine in a worker, the node runner runs each Task in one.
"""

from __future__ import annotations

import json

from orcheo_core.compile.runtime import MemoryStateStore
from orcheo_core.sandbox import SandboxLimits, ScriptSandbox

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orcheo-node-runner"

SCRIPT = """\
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    size: int
    items: list[str]
    mode: str


def build(state: State) -> dict:
    if state.get("mode") == "spin":
        while True:
            pass
    return {"items": ["x" * 100 for _ in range(state["size"])]}


def count(state: State) -> dict:
    return {"size": len(state["items"])}


graph = StateGraph(State)
graph.add_node("build", build)
graph.add_node("count", count)
graph.add_edge(START, "build")
graph.add_edge("build", "count")
graph.add_edge("count", END)
"""


# refused by the static check; the audit hook must refuse it too when the check is off
SOCKET_SCRIPT = SCRIPT.replace(
    '    if state.get("mode") == "spin":',
    '    if state.get("mode") == "socket":\n'
    "        import socket\n\n"
    '        socket.create_connection(("192.0.2.1", 80))\n'
    '    if state.get("mode") == "spin":',
)


def _event(action: str, payload: dict, **extra: object) -> dict:
    return {"action": action, "state_ref_threshold": 2_000, "payload": payload, **extra}


async def test_the_machine_is_compiled_in_a_worker() -> None:
    machine = await ScriptSandbox().compile_machine(SCRIPT, {"node_runner_arn": ARN})
    assert machine["type"] == "STANDARD"
    assert {"build", "count"} <= set(machine["definition"]["States"])
    assert ARN in json.dumps(machine["definition"])


async def test_tasks_run_in_workers_with_state_by_reference_through_the_store() -> None:
    sandbox, store = ScriptSandbox(), MemoryStateStore()
    run = {"run_id": "run-1"}
    first = await sandbox.run_task(
        SCRIPT,
        _event("step", {"run": run, "inputs": {"size": 50}}),
        store=store,
        run_id="run-1",
    )
    assert first.error is None and first.output is not None
    assert first.output["route"] == "build"
    built = await sandbox.run_task(
        SCRIPT, _event("step", first.output, node="build"), store=store, run_id="run-1"
    )
    assert built.error is None and built.output is not None
    # 50 x 100 characters is over the threshold: the worker's put reached our store
    assert set(built.output["state"]) == {"$ref"}
    assert built.output["state"]["$ref"]["store"] == "memory"
    assert [(e.type, e.node) for e in built.events] == [
        ("node.started", "build"),
        ("node.succeeded", "build"),
    ]
    last = await sandbox.run_task(
        SCRIPT, _event("step", built.output, node="count"), store=store, run_id="run-1"
    )
    assert last.error is None and last.output is not None
    assert last.output["route"] == "__end__"
    assert last.output["result"]["$ref"]["store"] == "memory"  # read back from our store


async def test_a_node_that_breaks_a_limit_fails_its_task() -> None:
    sandbox = ScriptSandbox(run_limits=SandboxLimits(cpu_seconds=1, wall_seconds=5))
    store = MemoryStateStore()
    payload = {"run": {"run_id": "run-2"}, "inputs": {"size": 1, "mode": "spin"}}
    first = await sandbox.run_task(SCRIPT, _event("step", payload), store=store, run_id="run-2")
    assert first.output is not None
    spun = await sandbox.run_task(
        SCRIPT, _event("step", first.output, node="build"), store=store, run_id="run-2"
    )
    assert spun.output is None and spun.error is not None
    name, cause = spun.error
    assert (name, cause["code"]) == ("ScriptTimeoutError", "script_timeout")
    assert [(e.type, e.node) for e in spun.events] == [("node.failed", "build")]


async def test_the_audit_layer_still_refuses_what_the_static_check_would() -> None:
    sandbox, store = ScriptSandbox(check=False), MemoryStateStore()
    payload = {"run": {"run_id": "run-3"}, "inputs": {"size": 1, "mode": "socket"}}
    first = await sandbox.run_task(
        SOCKET_SCRIPT, _event("step", payload), store=store, run_id="run-3"
    )
    assert first.output is not None
    refused = await sandbox.run_task(
        SOCKET_SCRIPT, _event("step", first.output, node="build"), store=store, run_id="run-3"
    )
    assert refused.error is not None
    assert refused.error[1]["code"] == "sandbox_violation", refused.error
