"""The Task contract of generated state machines, implemented once: what the node runner does.

The node-runner Lambda handler parses its event, loads the workflow version, and calls
:func:`handle_task`; everything it must do for each ``action`` of docs/compiler.md is
here, so the Step Functions engine and the tests share one implementation. State
larger than the definition's ``state_ref_threshold`` goes to a :class:`StateStore`
(S3 in the service, a dict in tests) and travels as ``{"$ref": {...}}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from orcheo_core.compile.analysis import model_of, route_of
from orcheo_core.compile.asl import DIVERGED_ERROR, RETRYABLE_ERROR
from orcheo_core.engine._json_codec import decode_value, encode_value
from orcheo_core.engine.context import NodeRunContext, RunContext
from orcheo_core.engine.instrument import _retryable
from orcheo_core.engine.local import to_orcheo_error
from orcheo_core.engine.step import (
    PendingTask,
    StepState,
    _tasks,
    apply_step,
    check_step_limit,
    decode_checkpoint,
    encode_checkpoint,
    next_tasks,
    run_node,
    start,
    values,
)
from orcheo_core.errors import DataError, OrcheoError

if TYPE_CHECKING:
    from orcheo_core.engine.events import RunEvent
    from orcheo_core.graph.builder import CompiledWorkflow

__all__ = ["MemoryStateStore", "StateStore", "TaskError", "handle_task"]


class StateStore(Protocol):
    """Where state too large for a Step Functions payload lives."""

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        """Store ``data``; return the body of its ``$ref`` (e.g. ``{"bucket", "key"}``)."""
        ...

    def get(self, ref: Mapping[str, Any]) -> bytes: ...


@dataclass
class MemoryStateStore:
    """A StateStore in a dict (tests, the local stack)."""

    items: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        self.items[key] = data
        return {"store": "memory", "key": key}

    def get(self, ref: Mapping[str, Any]) -> bytes:
        return self.items[str(ref["key"])]


class TaskError(Exception):
    """A Task failure as Step Functions sees it: ``name`` is the error a Retry/Catch matches."""

    def __init__(self, name: str, cause: Mapping[str, Any]) -> None:
        super().__init__(json.dumps(cause, ensure_ascii=False, default=str))
        self.name = name
        self.cause = dict(cause)


class _AttemptContext(RunContext):
    """A RunContext whose node attempts count Step Functions' retries."""

    def __init__(self, base: RunContext, offset: int) -> None:
        self.__dict__.update(base.__dict__)
        self.retries_enabled = False
        self._offset = offset

    def node_context(
        self, node_id: str, attempt: int, credentials: Mapping[str, str]
    ) -> NodeRunContext:
        return super().node_context(node_id, attempt + self._offset, credentials)

    def emit(
        self,
        event_type: str,
        *,
        node: str | None = None,
        attempt: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> RunEvent:
        # The events count attempts as the node sees them: Step Functions' retries too.
        if attempt is not None:
            attempt += self._offset
        return super().emit(event_type, node=node, attempt=attempt, data=data)


class _Task:
    def __init__(
        self,
        workflow: CompiledWorkflow,
        event: Mapping[str, Any],
        store: StateStore,
        ctx: RunContext,
    ) -> None:
        self.workflow = workflow
        self.event = event
        self.payload: dict[str, Any] = dict(event.get("payload") or {})
        self.run: dict[str, Any] = dict(self.payload.get("run") or {})
        self.store = store
        self.ctx = ctx
        self.threshold = int(event.get("state_ref_threshold", 200_000))
        self.model = model_of(workflow)

    # -- by-reference values -----------------------------------------------------------

    def _pack(self, value: Any, kind: str, seq: Any) -> Any:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(text.encode()) <= self.threshold:
            return value
        key = f"runs/{self.run.get('run_id', 'run')}/{kind}/{seq}.json"
        return {"$ref": self.store.put(key, text.encode())}

    def _unpack(self, value: Any) -> Any:
        if isinstance(value, Mapping) and set(value) == {"$ref"}:
            return json.loads(self.store.get(value["$ref"]))
        return value

    def state(self) -> StepState:
        if "state" not in self.payload:
            return self.first_state()
        return decode_checkpoint(self._unpack(self.payload["state"]))

    def first_state(self) -> StepState:
        """The run's state before its first node, the same in every Task that starts it.

        Task ids derive from the checkpoint id, which LangGraph makes from the clock:
        when a run opens with a Parallel, each branch and the join after it build this
        state apart (in Lambdas of their own), so its id is made from the run id instead.
        """
        state = start(self.workflow, self.payload.get("inputs") or {})
        seed = f"orcheo:{self.run.get('run_id', 'run')}:start"
        checkpoint = state.checkpoint.copy()
        checkpoint["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        return replace(state, checkpoint=checkpoint)

    def out(self, state: StepState) -> dict[str, Any]:
        pending = next_tasks(self.workflow, state)
        out: dict[str, Any] = {
            "run": self.run,
            "state": self._pack(encode_checkpoint(state), "state", state.step),
            "route": route_of([t.node for t in pending]),
            "tasks": [{"id": t.id, "node": t.node} for t in pending],
        }
        if not pending:
            result = encode_value(values(self.workflow, state), "result")
            out["result"] = self._pack(result, "result", "final")
        return out

    # -- catching up with what happened outside this Lambda ------------------------------

    def catch_up(self, state: StepState, node: str | None) -> StepState:
        results = self.payload.get("results")
        if results:
            writes = {}
            for item in results:
                item = self._unpack(item)
                writes[str(item["task"])] = [tuple(w) for w in decode_value(item["writes"], "w")]
            return apply_step(self.workflow, state, writes)
        pending = next_tasks(self.workflow, state)
        if len(pending) == 1 and pending[0].node != node:
            info = self.model.nodes.get(pending[0].node)
            if info is not None and info.kind in ("delay", "sub_workflow"):
                return self._complete(state, pending[0], info.kind)
        return state

    def _complete(self, state: StepState, task: PendingTask, kind: str) -> StepState:
        """Finish a node that ran as a Wait state or a nested execution."""
        update: dict[str, Any] = {}
        if kind == "sub_workflow":
            output = (self.payload.get("subworkflow") or {}).get("output") or {}
            result = decode_value(self._unpack(output.get("result")) or {}, "result")
            config = self._spec_node(task.node).instance(values(self.workflow, state)).config
            missing = [k for k in config.outputs.values() if k not in result]
            if missing:
                raise DataError(
                    f"the sub-workflow's final state has no {', '.join(map(repr, missing))}; "
                    f"fix `outputs` on node {task.node!r}",
                    node=task.node,
                )
            update = {channel: result[key] for channel, key in config.outputs.items()}
        self.ctx.emit("node.started", node=task.node, attempt=1, data={})
        _, _, tasks = _tasks(self.workflow, state, self.ctx)
        chosen = tasks[task.id]
        # the node's own writers turn its update into channel writes and edge triggers
        for writer in chosen.proc.steps[1:]:  # type: ignore[attr-defined]
            writer.invoke(update, chosen.config)
        self.ctx.emit("node.succeeded", node=task.node, attempt=1, data={"output": update})
        return apply_step(self.workflow, state, {task.id: list(chosen.writes)})

    def _spec_node(self, node: str) -> Any:
        runnable = self.workflow.graph.builder.nodes[node].runnable
        func = getattr(runnable, "afunc", None) or getattr(runnable, "func", None)
        return func.__orcheo_call__[0]  # type: ignore[union-attr]

    # -- running a node ---------------------------------------------------------------

    async def run_one(self, state: StepState, task: PendingTask) -> list[tuple[str, Any]]:
        retry_count = self.event.get("retry_count")
        info = self.model.nodes[task.node]
        ctx = self.ctx if retry_count is None else _AttemptContext(self.ctx, int(retry_count))
        try:
            return await run_node(self.workflow, state, task, ctx)
        except Exception as exc:
            error = to_orcheo_error(exc, self.workflow)
            policy = info.retry
            if (
                retry_count is not None
                and policy is not None
                and int(retry_count) + 1 < policy.max_attempts
                and _retryable(error, policy)
            ):
                raise TaskError(RETRYABLE_ERROR, error.to_dict()) from exc
            raise TaskError(type(error).__name__, error.to_dict()) from exc

    def due(self, state: StepState, node: str) -> PendingTask:
        check_step_limit(self.workflow, state)
        pending = next_tasks(self.workflow, state)
        wanted = self.event.get("task")
        if isinstance(wanted, Mapping):
            for task in pending:
                if task.id == wanted.get("id"):
                    return task
        elif route_of([t.node for t in pending]) == node or (
            self.event.get("action") == "run" and node in {t.node for t in pending}
        ):
            return next(t for t in pending if t.node == node)
        raise TaskError(
            DIVERGED_ERROR,
            {
                "expected": node,
                "due": [t.node for t in pending],
                "route": self.payload.get("route"),
            },
        )

    async def step(self) -> dict[str, Any]:
        node = self.event.get("node")
        state = self.catch_up(self.state(), node)
        if node is not None:
            task = self.due(state, str(node))
            writes = await self.run_one(state, task)
            state = apply_step(self.workflow, state, {task.id: writes})
        elif next_tasks(self.workflow, state):
            check_step_limit(self.workflow, state)
        if self.event.get("then_end"):
            due = sorted({t.node for t in next_tasks(self.workflow, state)})
            if due:
                raise TaskError(
                    "Orcheo.UnplannedRoute",
                    {
                        "code": "unplanned_route",
                        "message": f"node {node!r} routed to {', '.join(map(repr, due))} at "
                        "run time (Command(goto=...)?), where the compiled state machine "
                        "expected the run to end; annotate the node's return type as "
                        "Command[Literal[...]] naming its destinations, or add the edges",
                        "details": {"node": node, "due": due},
                    },
                )
        return self.out(state)

    async def run_task(self) -> dict[str, Any]:
        state = self.state()
        wanted = self.event.get("task")
        node = wanted.get("node") if isinstance(wanted, Mapping) else self.event.get("node")
        task = self.due(state, str(node))
        writes = await self.run_one(state, task)
        encoded = encode_value([list(w) for w in writes], "writes")
        item = {"task": task.id, "node": task.node, "writes": encoded}
        packed: dict[str, Any] = self._pack(item, "writes", task.id)
        return packed

    def subworkflow_input(self) -> dict[str, Any]:
        node = str(self.event["node"])
        state = self.state()
        self.due(state, node)
        config = self._spec_node(node).instance(values(self.workflow, state)).config
        out = self.out(state)
        child = {"parent_run_id": self.run.get("run_id"), "workflow_id": config.workflow}
        out["subworkflow"] = {"run": child, "inputs": encode_value(config.inputs, "inputs")}
        return out

    def fail(self) -> dict[str, Any]:
        error = self.payload.get("error") or {}
        name = str(error.get("Error", "Orcheo.UnexpectedRoute"))
        cause = error.get("Cause") or f"no state for route {self.payload.get('route')!r}"
        try:
            detail = json.loads(cause)
            detail = json.loads(detail["errorMessage"]) if "errorMessage" in detail else detail
        except (TypeError, ValueError, KeyError):
            detail = {"message": str(cause)}
        return {"run": self.run, "error": name, "detail": detail, "cause": json.dumps(detail)}


async def handle_task(
    workflow: CompiledWorkflow,
    event: Mapping[str, Any],
    *,
    store: StateStore,
    ctx: RunContext | None = None,
) -> dict[str, Any]:
    """Carry out one Task of a generated state machine; raise TaskError for Step Functions.

    ``event`` is the Task's Parameters after Step Functions resolved the paths:
    ``{"action", "node"?, "task"?, "retry_count"?, "state_ref_threshold", "payload"}``.
    """
    task = _Task(workflow, event, store, ctx or RunContext())
    action = event.get("action")
    try:
        if action == "step":
            return await task.step()
        if action == "run":
            return await task.run_task()
        if action == "subworkflow_input":
            return task.subworkflow_input()
        if action == "fail":
            return task.fail()
    except TaskError:
        raise
    except OrcheoError as exc:
        raise TaskError(type(exc).__name__, exc.to_dict()) from exc
    except Exception as exc:
        error = to_orcheo_error(exc, workflow)
        raise TaskError(type(error).__name__, error.to_dict()) from exc
    raise TaskError("Orcheo.BadTask", {"message": f"unknown action {action!r}"})
