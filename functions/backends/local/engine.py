"""The local implementation of the Engine port: runs workflows on this process's event loop.

Every event the run emits is made compact (``compact_data``), stored in the run store
and only then published on the bus, so a subscriber that reads history over HTTP and
then follows the bus never sees a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from functions.backends.ports import (
    INTERRUPTED_ERROR,
    EventRecord,
    RunRecord,
    RunStatus,
    VersionRecord,
)
from functions.errors import ConflictError, NotFoundError
from orcheo_core.engine.local import LocalEngine
from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.backends.ports import EventBus, RunStore
    from orcheo_core.engine.context import CredentialResolver
    from orcheo_core.engine.events import RunEvent
    from orcheo_core.graph.builder import CompiledWorkflow
    from orcheo_core.nodes.registry import NodeRegistry
    from orcheo_core.sandbox import ScriptRun, ScriptSandbox
    from orcheo_core.vault import Redactor

__all__ = ["LocalRunEngine", "compact_data"]

_log = logging.getLogger("orcheo.engine")


def compact_data(data: dict[str, Any], limit: int) -> dict[str, Any]:
    """``data`` with every top-level value whose JSON is over ``limit`` bytes replaced.

    The replacement says what was left out and how big it was, so a huge state never
    rides inside every event. A recorded step's ``checkpoint`` is kept whole: resuming
    needs it.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "checkpoint" or isinstance(value, bool | int | float | None):
            out[key] = value
            continue
        size = len(json.dumps(value, separators=(",", ":"), default=str))
        if size <= limit:
            out[key] = value
        else:
            out[key] = {
                "truncated": True,
                "size": size,
                "preview": json.dumps(value, default=str)[:512],
            }
    return out


class LocalRunEngine:
    """Drives runs with ``orcheo_core``'s LocalEngine and records them in a RunStore.

    ``loader(workflow_id)`` returns the runnable form of a sub-workflow's current version.
    """

    def __init__(
        self,
        runs: RunStore,
        bus: EventBus,
        *,
        registry: NodeRegistry | None = None,
        credentials: CredentialResolver | None = None,
        loader: Callable[[str], Any] | None = None,
        clock: Callable[[], float] = time.time,
        event_data_limit: int = 256 * 1024,
        event_flush_after: float = 0.05,
        cache_size: int = 256,
        run_redactor: Callable[[RunRecord], Redactor] | None = None,
        scripts: ScriptSandbox | None = None,
    ) -> None:
        self._runs = runs
        self._bus = bus
        self._clock = clock
        self._limit = event_data_limit
        # A running run's events are stored (then published) in batches, at most this
        # many seconds after the first of a batch, and all of them when the run ends.
        self._flush_after = event_flush_after
        # Called inside each run's task; its Redactor learns every secret the run
        # resolves, and cleans events, state and error before they are stored.
        self._run_redactor = run_redactor
        self._engine = LocalEngine(registry, credentials=credentials)
        # LocalEngine looks sub-workflows up by id in this mapping; ours loads on demand.
        self._engine.workflows = _Loader(loader)
        self._compiled: OrderedDict[tuple[str, int], CompiledWorkflow] = OrderedDict()
        self._cache_size = cache_size
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._shutting_down = False
        # Script versions run out of this process, in the sandbox's worker processes.
        self._scripts = _ScriptRunner(scripts)

    def compile(self, version: VersionRecord) -> CompiledWorkflow:
        """The compiled graph of a version; versions never change, so it is cached."""
        key = (version.workflow_id, version.number)
        compiled = self._compiled.get(key)
        if compiled is None:
            if version.kind != "spec":
                raise ConfigError(
                    f"version {version.number} of workflow {version.workflow_id!r} is a "
                    f"{version.kind!r} version, which cannot be used as a sub-workflow yet"
                )
            compiled = self._engine.compile(version.spec)
            self._compiled[key] = compiled
            if len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(key)
        return compiled

    async def start(
        self,
        run: RunRecord,
        version: VersionRecord,
        *,
        resume: dict[str, Any] | None = None,
    ) -> None:
        if self._shutting_down:
            raise ConflictError("the server is shutting down; start the run again once it is up")
        task = asyncio.create_task(self._drive(run, version, resume), name=f"run-{run.id}")
        self._tasks[run.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run.id, None))

    async def cancel(self, run_id: str) -> bool:
        return (
            self._engine.cancel(run_id) or self._scripts.cancel(run_id) or self._cancel_task(run_id)
        )

    def _cancel_task(self, run_id: str) -> bool:
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def status(self, run_id: str) -> RunStatus | None:
        return "running" if run_id in self._tasks else None

    async def wait(self, run_id: str, timeout: float) -> bool:
        task = self._tasks.get(run_id)
        if task is None:
            return False
        done, _ = await asyncio.wait({task}, timeout=timeout)
        return bool(done)

    async def shutdown(self) -> None:
        """Cancel the runs in flight; each is recorded as interrupted, with its events."""
        self._shutting_down = True
        tasks = list(self._tasks.values())
        for run_id in list(self._tasks):
            self._engine.cancel(run_id) or self._scripts.cancel(run_id) or self._cancel_task(run_id)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._scripts.close()

    async def _drive(
        self, run: RunRecord, version: VersionRecord, resume: dict[str, Any] | None
    ) -> None:
        runs = self._runs
        try:
            runs.update_run(
                run.id, expected_status=["queued"], status="running", started_at=self._clock()
            )
        except (ConflictError, NotFoundError):
            return  # cancelled (or deleted) before it started: nothing to run
        redactor = self._run_redactor(run) if self._run_redactor is not None else None
        redact: Callable[[Any], Any] = redactor.redact if redactor is not None else _same
        batch = _EventBatch(runs, self._bus, self._flush_after)
        seq = 0

        def record(event: RunEvent) -> None:
            nonlocal seq
            seq = event.seq
            data = event.data
            if event.type == "run.cancelled" and self._shutting_down:
                # The server stopped it, not a user: the outcome event says what the run
                # record says (interrupted, and how to resume it).
                data = {**data, "error": INTERRUPTED_ERROR}
            batch.add(
                EventRecord(
                    run_id=run.id,
                    seq=event.seq,
                    type=event.type,
                    workflow_id=run.workflow_id,
                    node=event.node,
                    attempt=event.attempt,
                    data=compact_data(redact(data), self._limit),
                    ts=event.ts,
                )
            )

        try:
            workflow: Any = self.compile(version)
        except Exception:
            # Let the engine report the compile error as the run's failure, with events.
            workflow = version.spec
        runner: Any = self._engine
        if version.kind == "script":
            runner, workflow = self._scripts, version.source
        try:
            result = await runner.run(
                workflow,
                run.inputs,
                run_id=run.id,
                debug=run.debug,
                on_event=record,
                resume=resume,
            )
        finally:
            # Every event is stored before the run's outcome is, and before anyone
            # waiting on the run is answered: a run reported finished has its history
            # on disk. (Also when the task itself is cancelled.)
            batch.flush()
        status: RunStatus = result.status
        error = result.error
        if status == "cancelled" and self._shutting_down:
            status, error = "interrupted", INTERRUPTED_ERROR
        with contextlib.suppress(ConflictError):
            runs.update_run(
                run.id,
                expected_status=["running"],
                status=status,
                state=redact(result.state),
                error=redact(error),
                finished_at=self._clock(),
                duration=result.duration,
            )
        if seq and status == "interrupted":
            _log.info("run %s interrupted at event %d", run.id, seq)


def _same(value: Any) -> Any:
    return value


class _EventBatch:
    """One run's events on their way to the store: one transaction per batch, not per event.

    A batch is stored when ``flush_after`` seconds have passed since its first event, or
    when the run ends (``flush``); each event is published on the bus only once it is
    stored, so a subscriber that reads the history and then follows the bus sees no gap.
    A four-node run thus costs one event transaction instead of eight (bench/README.md,
    "peers"); a kill -9 can lose at most the last ``flush_after`` seconds of a running
    run's events, and that run is recovered as interrupted after its last stored event.
    """

    def __init__(self, runs: RunStore, bus: EventBus, flush_after: float) -> None:
        self._runs = runs
        self._bus = bus
        self._flush_after = flush_after
        self._pending: list[EventRecord] = []
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def add(self, event: EventRecord) -> None:
        if self._flush_after <= 0:
            self._store([event])
            return
        self._pending.append(event)
        if self._timer is None:
            self._timer = self._loop.call_later(self._flush_after, self._on_timer)

    def flush(self) -> None:
        """Store and publish what is pending; errors of the store propagate."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        if pending:
            self._store(pending)

    def _on_timer(self) -> None:
        self._timer = None
        pending, self._pending = self._pending, []
        try:
            self._store(pending)
        except Exception:
            # Keep them for the next batch (the run's final flush raises if it persists).
            _log.exception("storing %d events failed; retrying with the next batch", len(pending))
            self._pending = pending + self._pending

    def _store(self, events: list[EventRecord]) -> None:
        self._runs.append_events(events)
        publish = self._bus.publish
        for event in events:
            publish(event)


class _ScriptRunner:
    """Runs script versions in a ScriptSandbox, called the way LocalEngine.run is."""

    def __init__(self, sandbox: ScriptSandbox | None) -> None:
        self._sandbox = sandbox

    @property
    def sandbox(self) -> ScriptSandbox:
        if self._sandbox is None:
            from orcheo_core.sandbox import ScriptSandbox

            self._sandbox = ScriptSandbox()
        return self._sandbox

    async def run(
        self,
        source: str,
        inputs: dict[str, Any],
        *,
        run_id: str,
        debug: bool,
        on_event: Callable[[RunEvent], None],
        resume: dict[str, Any] | None,
    ) -> ScriptRun:
        # ``debug`` has no effect: a script runs whole, without recorded steps.
        if resume is None:
            return await self.sandbox.run(source, inputs, run_id=run_id, on_event=on_event)
        from orcheo_core.engine.events import RunEvent
        from orcheo_core.sandbox import ScriptRun

        error = ConfigError(
            "a script version cannot be resumed from a recorded step; replay the run instead"
        ).to_dict()
        on_event(RunEvent(1, run_id, "run.started", data={"inputs": inputs}))
        on_event(RunEvent(2, run_id, "run.failed", data={"error": error, "duration": 0.0}))
        return ScriptRun(run_id, "failed", None, error)

    def cancel(self, run_id: str) -> bool:
        return self._sandbox is not None and self._sandbox.cancel(run_id)

    async def close(self) -> None:
        if self._sandbox is not None:
            await self._sandbox.close()


class _Loader(dict[str, Any]):
    """A mapping view of sub-workflows that loads a workflow's current version on demand."""

    def __init__(self, loader: Callable[[str], Any] | None) -> None:
        super().__init__()
        self._loader = loader

    def __contains__(self, key: object) -> bool:
        if self._loader is None or not isinstance(key, str):
            return False
        try:
            self[key] = self._loader(key)
        except Exception:
            return False
        return True
