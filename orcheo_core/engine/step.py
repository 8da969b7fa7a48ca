"""The single-node step: run one node of a graph from a serialisable state.

The AWS engine runs a workflow as a state machine whose Task states each call
:func:`run_node` (one node) and whose joins call :func:`apply_step` (merge the writes
of one superstep with the channels' reducers). Both work on a :class:`StepState`, a
plain snapshot of the graph's channels, so each call may happen in a different
process. LangGraph's own Pregel algorithm decides which nodes run next and how writes
combine, so a workflow driven node by node ends exactly as the local engine ends it:
:func:`run_stepwise` is that driver, and the conformance suite checks the equality.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph._internal._constants import INPUT
from langgraph.pregel._algo import PregelTaskWrites, apply_writes, increment, prepare_next_tasks
from langgraph.pregel._checkpoint import (
    channels_from_checkpoint,
    create_checkpoint,
    empty_checkpoint,
)
from langgraph.pregel._io import map_input, read_channels

from orcheo_core.engine.context import CredentialResolver, RunContext
from orcheo_core.engine.instrument import RUN_KEY
from orcheo_core.engine.local import (
    LocalEngine,
    max_steps_error,
    prepare_inputs,
    to_orcheo_error,
)
from orcheo_core.graph.builder import CompiledWorkflow, compile_workflow

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from langgraph.checkpoint.base import Checkpoint
    from langgraph.types import PregelExecutableTask

    from orcheo_core.nodes.registry import NodeRegistry

__all__ = [
    "PendingTask",
    "StepOutcome",
    "StepState",
    "apply_step",
    "next_tasks",
    "run_node",
    "run_stepwise",
    "start",
    "step",
]


@dataclass
class StepState:
    """The graph's channels between two steps (LangGraph checkpoint form) and the step count."""

    checkpoint: Checkpoint
    step: int = 0


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
    state = StepState(create_checkpoint(checkpoint, channels, -1), 0)
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
    await task.proc.ainvoke(task.input, task.config)
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
    return StepState(create_checkpoint(checkpoint, channels, state.step), state.step + 1)


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
        while pending := next_tasks(compiled, state):
            if state.step >= compiled.max_steps:
                raise max_steps_error(compiled)
            results = {t.id: await run_node(compiled, state, t, ctx) for t in pending}
            state = apply_step(compiled, state, results)
        return values(compiled, state)
    except Exception as exc:
        raise to_orcheo_error(exc, compiled) from exc
