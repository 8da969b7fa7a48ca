"""What the node-runner Lambda does for one Task of a run's state machine, on the ports.

:class:`TaskRunner` loads the run's workflow version (once per warm container: versions
never change), runs the Task through the one implementation of the Task contract
(:func:`orcheo_core.compile.runtime.handle_task`, docs/compiler.md) and records the
node events the Task emitted as the run's next events, so the run-events stream (and
the WebSocket push behind it) shows every node as the local engine does.

A script version's Task runs in the script sandbox (:meth:`ScriptSandbox.run_task
<orcheo_core.sandbox.ScriptSandbox.run_task>`): a worker process loads the script and
calls ``handle_task`` there, under the same limits and audit layers as a whole script
run on the local stack. The Lambda is already apart from the API, but not from the
run's credentials, the state bucket or the tables: user Python gets none of them.

Events get their ``seq`` when they are stored, after the run's last one: branches of a
Parallel run in separate Lambdas at once, and a transaction that finds its seq taken
is simply renumbered and tried again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from functions.backends.local.engine import compact_data
from functions.backends.ports import EventRecord
from functions.errors import ConflictError
from functions.service.run_secrets import begin_run, resolve_credential
from functions.service.workflows import get_version

if TYPE_CHECKING:
    from collections.abc import Mapping

    from functions.backends.ports import RunRecord, VersionRecord
    from functions.service import Services
    from orcheo_core.compile.runtime import StateStore
    from orcheo_core.engine.events import RunEvent
    from orcheo_core.engine.local import LocalEngine
    from orcheo_core.graph.builder import CompiledWorkflow
    from orcheo_core.vault import Redactor

__all__ = ["TaskRunner"]

_log = logging.getLogger("orcheo.node_runner")
# Attempts at finding a free seq when several Lambdas of one run store events at once.
_APPEND_ATTEMPTS = 20


class _Workflows(dict[str, Any]):
    """Sub-workflows by id for the in-Lambda engine: each id's current version, loaded on use."""

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__()
        self._runner = runner

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key] = self._runner.compiled(get_version(self._runner.services, key))
        except Exception:
            return False
        return True


class TaskRunner:
    """Runs Tasks of generated state machines against ``services`` (a node-runner container).

    ``state_store`` holds state passed by reference (S3 on AWS). ``cache_size`` bounds
    the compiled versions kept between invocations.
    """

    def __init__(self, services: Services, state_store: StateStore, *, cache_size: int = 64):
        self.services = services
        self.state_store = state_store
        self._cache: OrderedDict[tuple[str, int], CompiledWorkflow] = OrderedDict()
        self._cache_size = cache_size
        self._engine: LocalEngine | None = None

    # ------------------------------------------------------------------ loading

    def engine(self) -> LocalEngine:
        """The in-Lambda engine: compiles versions, runs inline and by-id sub-workflows."""
        if self._engine is None:
            from orcheo_core.engine.local import LocalEngine

            self._engine = LocalEngine(
                self.services.registry, credentials=self._resolve, workflows=None
            )
            self._engine.workflows = _Workflows(self)
        return self._engine

    def compiled(self, version: VersionRecord) -> CompiledWorkflow:
        """The compiled graph of a version, cached (versions never change)."""
        key = (version.workflow_id, version.number)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        if version.kind != "spec":
            from orcheo_core.errors import ConfigError

            raise ConfigError(
                f"version {version.number} of workflow {version.workflow_id!r} is a script: "
                "a script version cannot be used as a sub-workflow yet",
                workflow_id=version.workflow_id,
            )
        compiled = self.engine().compile(version.spec)
        self._cache[key] = compiled
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return compiled

    async def _resolve(self, ref: str) -> Mapping[str, str]:
        return await resolve_credential(self.services, ref)

    # ------------------------------------------------------------------ one Task

    async def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out one Task (``event`` = the Task's resolved Parameters); its output.

        Raises :class:`~orcheo_core.compile.runtime.TaskError` for Step Functions' Retry
        and Catch; the node events are stored either way.
        """
        from orcheo_core.compile.asl import RETRYABLE_ERROR
        from orcheo_core.compile.runtime import TaskError, handle_task
        from orcheo_core.engine.context import RunContext

        payload = event.get("payload") or {}
        ref = payload.get("run") or {}
        run = self.services.runs.get_run(str(ref["run_id"]))
        version = get_version(self.services, run.workflow_id, run.version)
        redactor = begin_run(run)
        if version.kind == "script":
            return await self._script_task(run, version, event, redactor)
        workflow = self.compiled(version)
        emitted: list[RunEvent] = []
        ctx = RunContext(
            run.id,
            sink=emitted.append,
            credentials=self._resolve,
            subworkflows=self.engine().run_subworkflow,
            workflow_id=run.workflow_id,
        )
        try:
            return await handle_task(workflow, event, store=self.state_store, ctx=ctx)
        except TaskError as exc:
            if exc.name == RETRYABLE_ERROR and emitted and emitted[-1].type == "node.failed":
                # Step Functions retries this attempt: the local engine's event says so.
                emitted[-1] = replace(emitted[-1], type="node.retrying")
            raise
        finally:
            if emitted:
                self.record(run, [(e, redactor.redact(e.data)) for e in emitted])

    async def _script_task(
        self, run: RunRecord, version: VersionRecord, event: Mapping[str, Any], redactor: Redactor
    ) -> dict[str, Any]:
        from orcheo_core.compile.asl import RETRYABLE_ERROR
        from orcheo_core.compile.runtime import TaskError

        outcome = await self.services.scripts.run_task(
            str(version.source), event, store=self.state_store, run_id=run.id
        )
        emitted = outcome.events
        if outcome.error is not None:
            name, cause = outcome.error
            if name == RETRYABLE_ERROR and emitted and emitted[-1].type == "node.failed":
                emitted[-1] = replace(emitted[-1], type="node.retrying")
        if emitted:
            self.record(run, [(e, redactor.redact(e.data)) for e in emitted])
        if outcome.error is not None:
            raise TaskError(name, cause)
        assert outcome.output is not None
        return outcome.output

    def record(self, run: RunRecord, events: list[tuple[RunEvent, Any]]) -> list[EventRecord]:
        """Store ``events`` after the run's last one (renumbered if another Lambda got there)."""
        limit = self.services.settings.event_data_limit
        runs = self.services.runs
        for _ in range(_APPEND_ATTEMPTS):
            last = runs.get_run(run.id).last_seq
            stored = [
                EventRecord(
                    run_id=run.id,
                    seq=last + index,
                    type=event.type,
                    workflow_id=run.workflow_id,
                    node=event.node,
                    attempt=event.attempt,
                    data=compact_data(data, limit),
                    ts=event.ts,
                )
                for index, (event, data) in enumerate(events, start=1)
            ]
            try:
                runs.append_events(stored)
            except ConflictError:
                continue  # a sibling branch stored its events first: take the next seqs
            return stored
        _log.error("run %s: %d node events could not be stored", run.id, len(events))
        return []
