"""The local engine: runs a workflow in-process with an ordered event stream."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langgraph.errors import GraphRecursionError, InvalidUpdateError

from orcheo_core.engine.context import CredentialResolver, RunContext
from orcheo_core.engine.instrument import RUN_KEY
from orcheo_core.errors import (
    CancelledRunError,
    ConfigError,
    InputError,
    MaxStepsExceededError,
    OrcheoError,
    RunTimeoutError,
)
from orcheo_core.graph.builder import CompiledWorkflow, compile_workflow

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from orcheo_core.engine.events import RunEvent
    from orcheo_core.engine.step import StepState
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = [
    "LocalEngine",
    "RunResult",
    "RunStatus",
    "max_steps_error",
    "prepare_inputs",
    "to_orcheo_error",
]

RunStatus = Literal["succeeded", "failed", "cancelled"]
MAX_SUBWORKFLOW_DEPTH = 10


@dataclass
class RunResult:
    """How a run ended: its final state, or the error that stopped it, and every event."""

    run_id: str
    status: RunStatus
    state: dict[str, Any] | None
    error: dict[str, Any] | None = None
    events: list[RunEvent] = field(default_factory=list)
    duration: float = 0.0

    def raise_for_status(self) -> dict[str, Any]:
        """The final state; raises an OrcheoError if the run did not succeed."""
        if self.status != "succeeded" or self.state is None:
            error = self.error or {}
            exc = OrcheoError(
                error.get("message", f"run {self.status}"), **error.get("details", {})
            )
            exc.code = error.get("code", self.status)
            raise exc
        return self.state


def prepare_inputs(workflow: CompiledWorkflow, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check the inputs against the declared channels and fill in channel defaults."""
    values = dict(inputs or {})
    if workflow.channels is not None:
        unknown = sorted(set(values) - workflow.channels)
        if unknown:
            raise InputError(
                f"unknown input {', '.join(map(repr, unknown))}; the workflow's state "
                f"channels are: {', '.join(sorted(workflow.channels)) or 'none'} "
                "(declare new ones under `state`)",
                unknown=unknown,
            )
    for key, value in workflow.defaults.items():
        values.setdefault(key, value)
    return values


def max_steps_error(workflow: CompiledWorkflow) -> MaxStepsExceededError:
    """The error for a run that used up ``settings.max_steps``."""
    return MaxStepsExceededError(
        f"run stopped after {workflow.max_steps} steps (settings.max_steps): a loop "
        "probably never reaches its exit; check the loop's condition or raise max_steps",
        max_steps=workflow.max_steps,
    )


def to_orcheo_error(exc: BaseException, workflow: CompiledWorkflow) -> OrcheoError:
    """Map anything a run can raise to an OrcheoError a user can act on."""
    if isinstance(exc, OrcheoError):
        return exc
    if isinstance(exc, GraphRecursionError):
        return max_steps_error(workflow)
    if isinstance(exc, InvalidUpdateError):
        reason = str(exc).splitlines()[0].split(" For troubleshooting")[0]
        return ConfigError(
            f"conflicting state update: {reason} Two nodes wrote the same channel in one "
            "step; give the channel a reducer (append, merge, add) under `state`",
        )
    if isinstance(exc, TimeoutError):
        return RunTimeoutError(
            f"run exceeded its time limit of {workflow.run_timeout:g}s (settings.run_timeout)"
        )
    return OrcheoError(f"run failed: {type(exc).__name__}: {exc}")


def _resume_state(compiled: CompiledWorkflow, resume: Mapping[str, Any]) -> StepState:
    from orcheo_core.engine.step import load_checkpoint  # step.py imports this module

    return load_checkpoint(compiled, resume)


class LocalEngine:
    """Runs workflows in this process.

    Example::

        engine = LocalEngine()
        result = engine.run_sync(spec_dict, {"name": "Ada"})
        print(result.state)
    """

    def __init__(
        self,
        registry: NodeRegistry | None = None,
        *,
        credentials: CredentialResolver | None = None,
        workflows: Mapping[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.credentials = credentials
        self.workflows: dict[str, Any] = dict(workflows or {})
        self._running: dict[str, tuple[asyncio.Task[Any], RunContext]] = {}

    def compile(self, workflow: Any) -> CompiledWorkflow:
        """The runnable form of ``workflow`` (a CompiledWorkflow is returned as is)."""
        return compile_workflow(workflow, self.registry)

    async def run(
        self,
        workflow: Any,
        inputs: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        debug: bool = False,
        on_event: Callable[[RunEvent], None] | None = None,
        resume: Mapping[str, Any] | None = None,
        _depth: int = 0,
    ) -> RunResult:
        """Run ``workflow`` to its end. Never raises for a failing workflow: see ``status``.

        ``debug=True`` drives the run one superstep at a time and, before each, emits a
        ``run.step`` event: ``{"step": k, "state": ..., "next": [due nodes], "checkpoint":
        ...}`` (k = 0 for the first nodes), then one more with the final state and
        ``"next": []``. Passing such an event's ``data`` as ``resume`` continues a run
        from that step (the recorded state replaces ``inputs``, which are only reported);
        it keeps counting supersteps from there, so ``settings.max_steps`` bounds the
        original and the resumed run together.

        Example::

            first = await engine.run(spec, {"n": 1}, debug=True)
            steps = [e.data for e in first.events if e.type == "run.step"]
            again = await engine.run(spec, {"n": 1}, resume=steps[2])
            assert again.state == first.state
        """
        run_id = run_id or uuid.uuid4().hex
        events: list[RunEvent] = []

        def sink(event: RunEvent) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        ctx = RunContext(
            run_id,
            sink=sink,
            credentials=self.credentials,
            subworkflows=self.run_subworkflow,
            depth=_depth,
        )
        started = time.perf_counter()
        started_data: dict[str, Any] = {"inputs": dict(inputs or {})}
        if resume is not None:
            # load_checkpoint reports a malformed record; the event must not trip on it first
            step = resume.get("step") if isinstance(resume, Mapping) else None
            started_data["resumed_from_step"] = step
        ctx.emit("run.started", data=started_data)
        status: RunStatus = "succeeded"
        state: dict[str, Any] | None = None
        error: OrcheoError | None = None
        compiled: CompiledWorkflow | None = None
        try:
            compiled = self.compile(workflow)
            if resume is None:
                values: dict[str, Any] | StepState = prepare_inputs(compiled, inputs)
            else:
                values = _resume_state(compiled, resume)
            task = asyncio.ensure_future(self._invoke(compiled, values, ctx, debug))
            self._running[run_id] = (task, ctx)
            state = await asyncio.wait_for(task, compiled.run_timeout)
        except asyncio.CancelledError:
            if not ctx.cancel_event.is_set():
                raise
            status, error = "cancelled", CancelledRunError("run was cancelled")
        except Exception as exc:
            status = "failed"
            error = (
                to_orcheo_error(exc, compiled)
                if compiled
                else (exc if isinstance(exc, OrcheoError) else OrcheoError(str(exc)))
            )
        finally:
            self._running.pop(run_id, None)
        duration = time.perf_counter() - started
        if status == "succeeded":
            ctx.emit("run.succeeded", data={"state": state, "duration": duration})
            return RunResult(run_id, status, state, None, events, duration)
        assert error is not None
        ctx.emit(f"run.{status}", data={"error": error.to_dict(), "duration": duration})
        return RunResult(run_id, status, state, error.to_dict(), events, duration)

    def run_sync(self, workflow: Any, inputs: Mapping[str, Any] | None = None) -> RunResult:
        """``run`` for scripts that are not async."""
        return asyncio.run(self.run(workflow, inputs))

    async def stream(
        self, workflow: Any, inputs: Mapping[str, Any] | None = None, *, run_id: str | None = None
    ) -> AsyncIterator[RunEvent]:
        """Yield the run's events as they happen, ending with its run.* outcome event."""
        queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
        run = asyncio.ensure_future(
            self.run(workflow, inputs, run_id=run_id, on_event=queue.put_nowait)
        )
        run.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            if not run.done():
                run.cancel()
            else:
                run.result()

    def cancel(self, run_id: str) -> bool:
        """Ask a running run to stop; True if it was running."""
        entry = self._running.get(run_id)
        if entry is None:
            return False
        task, ctx = entry
        ctx.cancel_event.set()
        task.cancel()
        return True

    async def _invoke(
        self,
        compiled: CompiledWorkflow,
        values: dict[str, Any] | StepState,
        ctx: RunContext,
        debug: bool,
    ) -> dict[str, Any]:
        """Run from ``values``: the prepared inputs, or a StepState to resume from."""
        # step.py imports this module, so it is imported here, once a run needs it
        from orcheo_core.engine import step as steps

        if isinstance(values, steps.StepState):
            state = values
        elif debug:
            state = steps.start(compiled, values)
        else:
            config: Any = {"configurable": {RUN_KEY: ctx}, "recursion_limit": compiled.max_steps}
            return dict(await compiled.graph.ainvoke(values, config))
        # Debug runs and resumed runs go one superstep at a time through the step API,
        # whose state (unlike LangGraph's stream) can be recorded and resumed from.
        while True:
            pending = steps.next_tasks(compiled, state)
            if debug:
                ctx.emit("run.step", data=steps.record_step(compiled, state, pending))
            steps.check_step_limit(compiled, state)
            if not pending:
                return steps.values(compiled, state)
            state = await steps.run_superstep(compiled, state, ctx)

    async def run_subworkflow(
        self, ref: Any, inputs: Mapping[str, Any], parent: RunContext
    ) -> dict[str, Any]:
        """Run workflow ``ref`` (an id from ``workflows`` or an inline spec) for a parent run."""
        if parent.depth >= MAX_SUBWORKFLOW_DEPTH:
            raise ConfigError(
                f"sub-workflows nest deeper than {MAX_SUBWORKFLOW_DEPTH} levels; "
                "a workflow probably calls itself"
            )
        if isinstance(ref, str):
            if ref not in self.workflows:
                known = ", ".join(sorted(self.workflows)) or "none"
                raise ConfigError(f"no workflow {ref!r} to run as a sub-workflow (known: {known})")
            target = self.workflows[ref]
        else:
            target = ref
        result = await self.run(
            target,
            inputs,
            run_id=f"{parent.run_id}/sub-{uuid.uuid4().hex[:8]}",
            _depth=parent.depth + 1,
        )
        if result.status != "succeeded" or result.state is None:
            error = result.error or {}
            failure = OrcheoError(
                f"sub-workflow failed: {error.get('message', result.status)}",
                sub_run=result.run_id,
                sub_error=error,
            )
            failure.code = error.get("code", failure.code)
            raise failure
        return result.state
