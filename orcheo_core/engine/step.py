"""The single-node step: run one node of a graph from a serialisable state.

The AWS engine runs a workflow as a state machine whose Task states each call
:func:`run_node` (one node) and whose joins call :func:`apply_step` (merge the writes
of one superstep with the channels' reducers). Both work on a :class:`StepState`, a
plain snapshot of the graph's channels, so each call may happen in a different
process. LangGraph's own Pregel algorithm decides which nodes run next and how writes
combine, so a workflow driven node by node ends exactly as the local engine ends it:
:func:`run_stepwise` is that driver, and the conformance suite checks the equality.

The local engine's debug mode drives a run with :func:`run_superstep` and records the
state before each superstep in JSON (:func:`record_step`, :func:`encode_checkpoint`);
:func:`load_checkpoint` turns such a record back into a state to resume from.
"""

from __future__ import annotations

import asyncio
import copy
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph._internal._constants import INPUT, INTERRUPT, TASKS
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import Checkpoint
from langgraph.pregel._algo import PregelTaskWrites, apply_writes, increment, prepare_next_tasks
from langgraph.pregel._checkpoint import (
    channels_from_checkpoint,
    create_checkpoint,
    empty_checkpoint,
)
from langgraph.pregel._io import map_input, read_channels
from langgraph.pregel._retry import arun_with_retry
from langgraph.types import Send

from orcheo_core.engine._json_codec import decode_value, encode_value
from orcheo_core.engine.context import CredentialResolver, RunContext
from orcheo_core.engine.errors import CheckpointError
from orcheo_core.engine.instrument import RUN_KEY
from orcheo_core.engine.local import (
    LocalEngine,
    max_steps_error,
    prepare_inputs,
    to_orcheo_error,
)
from orcheo_core.graph.builder import CompiledWorkflow, compile_workflow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langgraph.channels.base import BaseChannel
    from langgraph.types import PregelExecutableTask

    from orcheo_core.nodes.registry import NodeRegistry

__all__ = [
    "CHECKPOINT_FORMAT",
    "PendingTask",
    "StepOutcome",
    "StepState",
    "apply_step",
    "check_step_limit",
    "decode_checkpoint",
    "encode_checkpoint",
    "load_checkpoint",
    "next_tasks",
    "record_step",
    "run_node",
    "run_stepwise",
    "run_superstep",
    "start",
    "step",
]

CHECKPOINT_FORMAT = "orcheo.step/1"
"""Marks an encoded StepState; a change to the encoding gets a new number."""


@dataclass
class StepState:
    """The graph's channels between two steps (LangGraph checkpoint form) and the step count."""

    checkpoint: Checkpoint
    step: int = 0

    @property
    def superstep(self) -> int:
        """The superstep this state comes before: 0 for the workflow's first nodes.

        ``step`` also counts the superstep that copies the inputs into the channels.
        """
        return self.step - 1


@dataclass(frozen=True)
class PendingTask:
    """A node due to run in the current superstep; ``id`` tells two ``Send``s to one node apart."""

    id: str
    node: str
    arg: Any = None


@dataclass
class StepOutcome:
    """What one node step produced: the new state and the nodes due next."""

    state: StepState
    writes: list[tuple[str, Any]] = field(default_factory=list)
    next: list[PendingTask] = field(default_factory=list)

    def values(self, workflow: CompiledWorkflow) -> dict[str, Any]:
        return values(workflow, self.state)


def _restore(workflow: CompiledWorkflow, state: StepState) -> tuple[Checkpoint, Any, Any]:
    checkpoint = copy.deepcopy(state.checkpoint)
    channels, managed = channels_from_checkpoint(workflow.graph.channels, checkpoint)
    return checkpoint, channels, managed


def _checkpoint(
    checkpoint: Checkpoint, channels: Mapping[str, BaseChannel[Any, Any, Any]], step: int
) -> Checkpoint:
    new = create_checkpoint(checkpoint, channels, step)
    # A DeltaChannel leaves its value out of a checkpoint, for a checkpointer to rebuild
    # from past writes; a StepState has no checkpointer, so it keeps the value itself
    # (LangGraph reads a plain value back as the channel's value).
    for name, channel in channels.items():
        if isinstance(channel, DeltaChannel) and channel.is_available():
            new["channel_values"][name] = channel.get()
    return new


def _config(workflow: CompiledWorkflow, ctx: RunContext) -> Any:
    return {"configurable": {RUN_KEY: ctx}, "recursion_limit": workflow.max_steps}


def _tasks(
    workflow: CompiledWorkflow, state: StepState, ctx: RunContext
) -> tuple[Checkpoint, Any, dict[str, PregelExecutableTask]]:
    checkpoint, channels, managed = _restore(workflow, state)
    graph = workflow.graph
    tasks = prepare_next_tasks(
        checkpoint,
        [],
        graph.nodes,
        channels,
        managed,
        _config(workflow, ctx),
        state.step,
        state.step + workflow.max_steps + 1,
        for_execution=True,
        store=None,
        checkpointer=None,
        manager=None,
        trigger_to_nodes=graph.trigger_to_nodes,
    )
    return checkpoint, channels, tasks


def values(workflow: CompiledWorkflow, state: StepState) -> dict[str, Any]:
    """The user-visible workflow state held by ``state``."""
    _, channels, _ = _restore(workflow, state)
    return dict(read_channels(channels, workflow.graph.output_channels))


def start(workflow: CompiledWorkflow, inputs: Mapping[str, Any] | None) -> StepState:
    """The state before the first step: the inputs applied to the channels."""
    checkpoint = empty_checkpoint()
    channels, _ = channels_from_checkpoint(workflow.graph.channels, checkpoint)
    writes = deque(map_input(workflow.graph.input_channels, prepare_inputs(workflow, inputs)))
    apply_writes(
        checkpoint,
        channels,
        [PregelTaskWrites((), INPUT, writes, [])],
        increment,
        workflow.graph.trigger_to_nodes,
    )
    state = StepState(_checkpoint(checkpoint, channels, -1), 0)
    # LangGraph's __start__ node only copies the input into the channels: run it here
    # so the first due task is the workflow's entry node.
    _, _, tasks = _tasks(workflow, state, RunContext())
    for task in tasks.values():
        task.proc.invoke(task.input, task.config)
    return apply_step(workflow, state, {tid: list(t.writes) for tid, t in tasks.items()})


def next_tasks(workflow: CompiledWorkflow, state: StepState) -> list[PendingTask]:
    """The nodes due in the current superstep (empty when the run is over)."""
    _, _, tasks = _tasks(workflow, state, RunContext())
    return [
        PendingTask(tid, t.name, t.input if t.path[0] == "__pregel_push" else None)
        for tid, t in tasks.items()
    ]


async def run_node(
    workflow: CompiledWorkflow,
    state: StepState,
    task: PendingTask | str,
    ctx: RunContext | None = None,
) -> list[tuple[str, Any]]:
    """Run one due node against ``state`` and return its writes (routes included)."""
    _, _, tasks = _tasks(workflow, state, ctx or RunContext())
    return await _execute(_choose(tasks, task))


async def _execute(task: PregelExecutableTask) -> list[tuple[str, Any]]:
    # LangGraph's own task runner, as in a normal run: it applies a script node's
    # RetryPolicy and TimeoutPolicy and delivers a subgraph's Command to its parent.
    await arun_with_retry(task, None)
    return list(task.writes)


def _choose(
    tasks: Mapping[str, PregelExecutableTask], task: PendingTask | str
) -> PregelExecutableTask:
    if isinstance(task, PendingTask):
        if task.id in tasks:
            return tasks[task.id]
        name = task.node
    else:
        name = task
    for candidate in tasks.values():
        if candidate.name == name:
            return candidate
    due = ", ".join(sorted({t.name for t in tasks.values()})) or "none (the run is over)"
    raise KeyError(f"node {name!r} is not due in this step; due: {due}")


def apply_step(
    workflow: CompiledWorkflow,
    state: StepState,
    writes: Mapping[str, Sequence[tuple[str, Any]]],
) -> StepState:
    """Merge the writes of the tasks that ran in this superstep (task id -> writes)."""
    checkpoint, channels, tasks = _tasks(workflow, state, RunContext())
    ran = []
    for tid, task_writes in writes.items():
        task = tasks[tid]
        task.writes.extend(task_writes)
        ran.append(task)
    apply_writes(checkpoint, channels, ran, increment, workflow.graph.trigger_to_nodes)
    return StepState(_checkpoint(checkpoint, channels, state.step), state.step + 1)


async def run_superstep(
    workflow: CompiledWorkflow, state: StepState, ctx: RunContext | None = None
) -> StepState:
    """Run every node due in this superstep concurrently, then merge their writes.

    This is one turn of LangGraph's own loop: the nodes all see ``state``, and their
    writes combine with the channels' reducers in node order, whichever finishes first.
    """
    checkpoint, channels, tasks = _tasks(workflow, state, ctx or RunContext())
    runs = [asyncio.ensure_future(_execute(task)) for task in tasks.values()]
    try:
        await asyncio.gather(*runs)
    except BaseException:
        # One failing node stops its siblings, as in LangGraph's runner; waiting for them
        # keeps a stopped node from emitting events after the run has ended.
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)
        raise
    apply_writes(checkpoint, channels, tasks.values(), increment, workflow.graph.trigger_to_nodes)
    return StepState(_checkpoint(checkpoint, channels, state.step), state.step + 1)


def check_step_limit(workflow: CompiledWorkflow, state: StepState) -> None:
    """Raise MaxStepsExceededError where LangGraph stops a run for ``settings.max_steps``.

    LangGraph checks the limit before it looks for due nodes: ``max_steps`` supersteps
    run, and a run that has not ended by then fails even if nothing more was due.
    """
    if state.superstep >= workflow.max_steps:
        raise max_steps_error(workflow)


def encode_checkpoint(state: StepState) -> dict[str, Any]:
    """``state`` as JSON data, to store and later resume from with :func:`decode_checkpoint`.

    Example::

        data = json.loads(json.dumps(encode_checkpoint(state)))
        assert values(workflow, decode_checkpoint(data)) == values(workflow, state)

    Raises CheckpointError when the state holds a value JSON cannot carry (a class
    instance, say); sets, tuples, non-string keys, dates and ``Send`` are carried.
    """
    return {
        "format": CHECKPOINT_FORMAT,
        "step": state.step,
        "checkpoint": encode_value(dict(state.checkpoint), "checkpoint"),
    }


def decode_checkpoint(data: Mapping[str, Any]) -> StepState:
    """The StepState that :func:`encode_checkpoint` encoded; CheckpointError if malformed.

    This checks the form only: :func:`load_checkpoint` also checks that it fits a workflow.
    """
    if not isinstance(data, Mapping) or data.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"not an Orcheo step checkpoint (expected format {CHECKPOINT_FORMAT!r}); pass "
            "the `checkpoint` of a run.step event recorded by a debug run"
        )
    step_count = data.get("step")
    if not isinstance(step_count, int) or isinstance(step_count, bool) or step_count < 0:
        raise CheckpointError(f"checkpoint step must be a whole number >= 0, got {step_count!r}")
    return StepState(_as_checkpoint(decode_value(data.get("checkpoint"), "checkpoint")), step_count)


_CHECKPOINT_FIELDS: dict[str, type] = {
    "v": int,
    "id": str,
    "ts": str,
    "channel_values": dict,
    "channel_versions": dict,
    "versions_seen": dict,
}


def _as_checkpoint(raw: Any) -> Checkpoint:
    if not isinstance(raw, dict):
        raise CheckpointError("checkpoint.checkpoint must be an object")
    for name, kind in _CHECKPOINT_FIELDS.items():
        if not isinstance(raw.get(name), kind):
            raise CheckpointError(
                f"checkpoint field {name!r} is missing or not a {kind.__name__}", field=name
            )
    versions = [raw["channel_versions"], *raw["versions_seen"].values()]
    if not all(isinstance(v, dict) and all(map(_is_version, v.values())) for v in versions):
        # LangGraph would only fail on these at the next write, far from the cause
        raise CheckpointError(
            "checkpoint fields 'channel_versions' and 'versions_seen' must hold whole-number "
            "versions (versions_seen: one such object per node)"
        )
    updated = raw.get("updated_channels")
    if updated is not None and not isinstance(updated, list):
        raise CheckpointError("checkpoint field 'updated_channels' must be a list or null")
    return Checkpoint(
        v=raw["v"],
        id=raw["id"],
        ts=raw["ts"],
        channel_values=raw["channel_values"],
        channel_versions=raw["channel_versions"],
        versions_seen=raw["versions_seen"],
        updated_channels=updated,
    )


def _is_version(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def record_step(
    workflow: CompiledWorkflow, state: StepState, pending: Sequence[PendingTask]
) -> dict[str, Any]:
    """What a debug run records before each superstep: the ``data`` of a ``run.step`` event.

    ``{"step", "state", "next", "checkpoint"}``: the superstep's number (0 first), the
    workflow state before it, the names of the nodes due (sorted; a node appears once per
    task, so a fan-out by ``Send`` shows how wide it is), and the encoded StepState to
    resume from. A state the codec cannot carry has ``checkpoint_error`` instead of
    ``checkpoint``: the step is still shown, just not resumable.
    """
    data: dict[str, Any] = {
        "step": state.superstep,
        "state": values(workflow, state),
        "next": sorted(task.node for task in pending),
    }
    try:
        data["checkpoint"] = encode_checkpoint(state)
    except CheckpointError as exc:
        # Debug mode must not fail a run that would succeed without it.
        data["checkpoint_error"] = exc.message
    return data


def load_checkpoint(workflow: CompiledWorkflow, recorded: Mapping[str, Any]) -> StepState:
    """The state to resume ``workflow`` from, given the ``data`` of a recorded ``run.step``.

    Raises CheckpointError when the record is malformed or was made by a workflow with
    other channels or nodes (or, if it says which nodes were due, other due nodes).
    """
    if not isinstance(recorded, Mapping) or "checkpoint" not in recorded:
        raise CheckpointError(
            "nothing to resume from: pass the data of a run.step event that has a "
            "`checkpoint` (debug runs record one before every step)"
        )
    state = decode_checkpoint(recorded["checkpoint"])
    _check_names(workflow, state.checkpoint)
    try:
        due = sorted(task.node for task in next_tasks(workflow, state))
    except Exception as exc:
        raise CheckpointError(
            f"the checkpoint does not fit this workflow: {type(exc).__name__}: {exc}"
        ) from exc
    for key, actual in (("step", state.superstep), ("next", due)):
        if key in recorded and recorded[key] != actual:
            raise CheckpointError(
                f"the recorded step says {key}={recorded[key]!r}, but its checkpoint gives "
                f"{actual!r} on this workflow: it was recorded for another workflow version",
                **{key: recorded[key]},
            )
    return state


def _check_names(workflow: CompiledWorkflow, checkpoint: Checkpoint) -> None:
    # LangGraph ignores channels it does not know and drops a Send to an unknown node
    # with a log line; resuming a checkpoint of another workflow version must fail loudly.
    graph = workflow.graph
    channels = set(checkpoint["channel_values"]) | set(checkpoint["channel_versions"])
    unknown = sorted(channels - set(graph.channels))
    if unknown:
        raise CheckpointError(
            f"the checkpoint has state channels this workflow lacks: {', '.join(unknown)}; "
            "it was recorded for another workflow version",
            channels=unknown,
        )
    sends = checkpoint["channel_values"].get(TASKS, [])
    if not isinstance(sends, list) or not all(isinstance(s, Send) for s in sends):
        raise CheckpointError(f"checkpoint channel {TASKS!r} must hold a list of Sends")
    nodes = set(graph.nodes)
    strangers = sorted(
        ({s.node for s in sends} | set(checkpoint["versions_seen"])) - nodes - {INPUT, INTERRUPT}
    )
    if strangers:
        raise CheckpointError(
            f"the checkpoint names nodes this workflow lacks: {', '.join(strangers)}; "
            "it was recorded for another workflow version",
            nodes=strangers,
        )


async def step(
    workflow: CompiledWorkflow,
    state: StepState,
    node: PendingTask | str,
    ctx: RunContext | None = None,
) -> StepOutcome:
    """Run one node, apply its writes with the reducers, and say which nodes are due next."""
    _, _, tasks = _tasks(workflow, state, ctx or RunContext())
    chosen = _choose(tasks, node)
    writes = await _execute(chosen)
    new_state = apply_step(workflow, state, {chosen.id: writes})
    return StepOutcome(new_state, writes, next_tasks(workflow, new_state))


async def run_stepwise(
    workflow: Any,
    inputs: Mapping[str, Any] | None = None,
    *,
    registry: NodeRegistry | None = None,
    workflows: Mapping[str, Any] | None = None,
    credentials: CredentialResolver | None = None,
    run_id: str = "stepwise",
) -> dict[str, Any]:
    """Drive ``workflow`` to its end one node at a time; the reference for distributed engines.

    Each node runs alone against the state before its superstep; the superstep's
    writes are then merged, as a Step Functions Parallel state and its join do.
    """
    compiled = compile_workflow(workflow, registry)
    engine = LocalEngine(registry, credentials=credentials, workflows=workflows)
    ctx = RunContext(run_id, credentials=credentials, subworkflows=engine.run_subworkflow)
    try:
        state = start(compiled, inputs)
        while True:
            check_step_limit(compiled, state)
            pending = next_tasks(compiled, state)
            if not pending:
                break
            results = {t.id: await run_node(compiled, state, t, ctx) for t in pending}
            state = apply_step(compiled, state, results)
        return values(compiled, state)
    except Exception as exc:
        raise to_orcheo_error(exc, compiled) from exc
