"""The Engine port on Step Functions: one state machine per workflow version, one execution per run.

``start`` compiles the version (``orcheo_core.compile``) into a state machine the first
time it runs (versions never change, so neither does their machine), then starts an
execution named after the run. A script version is compiled in the script sandbox (its
source is user Python, which never runs in this process): a worker loads it and answers
with the definition, which is kept per version; once the machine exists in Step
Functions, no process compiles that version again. The node-runner Lambda does the work,
Task by Task (docs/compiler.md). The run record follows the execution: :meth:`reconcile`
reads ``DescribeExecution`` and records the outcome, mapping each execution status:

===============  =========================================================================
execution        run
===============  =========================================================================
``RUNNING``      ``running`` (unchanged)
``SUCCEEDED``    ``succeeded``; ``state`` is the output's ``result`` (fetched when by
                 reference), redacted like the run's events
``FAILED``       ``failed``; the Orcheo error from the ``Orcheo.RunFailed`` cause, else an
                 ``execution_failed`` error naming Step Functions' error and cause
``TIMED_OUT``    ``failed`` with a ``timeout`` error (the workflow's ``run_timeout``)
``ABORTED``      ``cancelled``, with the stop's reason as the error
===============  =========================================================================

Nothing runs in this process, so ``shutdown`` interrupts nothing: executions go on.
Whoever watches, each Standard execution's end is recorded: EventBridge sends its
status-change event to the reconciler Lambda (``functions/reconciler``), whose
:meth:`finalise` and the waited path's :meth:`reconcile` share one mapping (``_settle``);
the first to record the outcome wins (a conditional update), the other changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.backends.ports import EventRecord, RunRecord, RunStatus, VersionRecord
from functions.errors import ConflictError, NotFoundError
from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from functions.backends.ports import EventBus, RunStore
    from functions.settings import AwsSettings
    from orcheo_core.compile.runtime import StateStore
    from orcheo_core.nodes.registry import NodeRegistry
    from orcheo_core.sandbox import ScriptSandbox
    from orcheo_core.vault import Redactor

__all__ = ["Outcome", "StepFunctionsEngine", "outcome_of"]

_log = logging.getLogger("orcheo.engine")
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")
_MAX_NAME = 80
_RUN_FAILED = "Orcheo.RunFailed"
_CANCELLED = "Orcheo.Cancelled"
_BY_USER = "cancelled by a user"
_STATUSES: dict[str, RunStatus] = {
    "RUNNING": "running",
    "PENDING_REDRIVE": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "cancelled",
}


def _name(*parts: str) -> str:
    """A Step Functions name (``[0-9A-Za-z_-]``, at most 80): readable, with a hash if changed."""
    raw = "-".join(parts)
    safe = _UNSAFE.sub("_", raw)
    if safe == raw and len(safe) <= _MAX_NAME:
        return safe
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return f"{safe[: _MAX_NAME - 13]}-{digest}"


@dataclass(frozen=True)
class Outcome:
    """What an execution's description means for its run."""

    status: RunStatus
    error: dict[str, Any] | None = None
    result: Any = None
    started_at: float | None = None
    finished_at: float | None = None


def _date(millis: Any) -> datetime | None:
    """An EventBridge detail's epoch milliseconds as DescribeExecution's datetime."""
    if millis is None:
        return None
    return datetime.fromtimestamp(float(millis) / 1000, tz=UTC)


def _run_id(detail: Mapping[str, Any]) -> str | None:
    """The run an execution runs: its input's ``run.run_id`` (as :meth:`start` wrote it)."""
    try:
        payload = json.loads(detail.get("input") or "")
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("run"), dict):
        run_id = payload["run"].get("run_id")
        if isinstance(run_id, str):
            return run_id
    # Input left out of the event (too big): the execution is named after the run.
    name = detail.get("name")
    return name if isinstance(name, str) and name and _name(name) == name else None


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value.timestamp())


def _failure(description: Mapping[str, Any]) -> dict[str, Any]:
    error, cause = description.get("error") or "", description.get("cause") or ""
    if error == _RUN_FAILED:
        try:
            recorded = json.loads(cause)
        except ValueError:
            recorded = None
        if isinstance(recorded, dict) and "code" in recorded:
            return recorded
    return {
        "code": "execution_failed",
        "message": f"the Step Functions execution failed ({error or 'no error name'}): "
        f"{cause or 'no cause given'}; its history in the Step Functions console says more",
        "details": {"error": error, "cause": cause},
    }


def outcome_of(description: Mapping[str, Any]) -> Outcome:
    """The run outcome of a ``DescribeExecution`` answer (a pure mapping; see the table above)."""
    status = _STATUSES.get(str(description.get("status")), "failed")
    started, stopped = _seconds(description.get("startDate")), _seconds(description.get("stopDate"))
    if status == "running":
        return Outcome("running", started_at=started)
    if status == "succeeded":
        # A run succeeds only with the engine's final state: an execution that ended
        # without one (a state machine that stopped early, a truncated or garbled
        # output) is a failed run with a stable code, never a success with {}.
        try:
            output = json.loads(description.get("output") or "null")
        except ValueError:
            output = None
            problem = "its output is not JSON (truncated or garbled)"
        else:
            problem = "its output carries no final state (`result`)"
        if isinstance(output, dict) and "result" in output:
            return Outcome(
                "succeeded", result=output["result"], started_at=started, finished_at=stopped
            )
        return Outcome(
            "failed",
            error={
                "code": "no_final_state",
                "message": f"the Step Functions execution succeeded but {problem}, so the "
                "run's outcome is unknown; its history in the Step Functions console shows "
                "where it ended. Please report it: the compiled state machine lost the result",
                "details": {"execution_status": "SUCCEEDED"},
            },
            started_at=started,
            finished_at=stopped,
        )
    raw = str(description.get("status"))
    if raw == "TIMED_OUT":
        error = {
            "code": "timeout",
            "message": "the run took longer than its workflow's run_timeout and Step Functions "
            "stopped it; raise settings.run_timeout or make the workflow faster",
            "details": {"execution_status": raw},
        }
    elif raw == "ABORTED":
        reason = description.get("cause") or "the execution was stopped"
        error = {
            "code": "cancelled",
            "message": f"the run was stopped: {reason}",
            "details": {"execution_status": raw, "error": description.get("error") or ""},
        }
    else:
        error = _failure(description)
    return Outcome(status, error=error, started_at=started, finished_at=stopped)


class StepFunctionsEngine:
    """Runs workflow versions on Step Functions and keeps their runs in step with executions.

    ``settings`` gives the node-runner Lambda (``node_runner_arn``, whose ARN also names
    the account and partition), the executions' role and the state machine name
    prefix. ``state_store`` resolves a final state passed by reference (S3 on AWS).
    ``scripts`` compiles script versions out of this process (a ScriptSandbox of its
    own by default). ``run_redactor(run)`` gives the Redactor that cleans a run's final
    state and error before they are recorded (the secrets it may have resolved).
    """

    def __init__(
        self,
        runs: RunStore,
        bus: EventBus,
        settings: AwsSettings,
        *,
        client: Any = None,
        registry: NodeRegistry | None = None,
        state_store: StateStore | None = None,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 1.0,
        scripts: ScriptSandbox | None = None,
        run_redactor: Callable[[RunRecord], Redactor] | None = None,
        cache_size: int = 64,
    ) -> None:
        if not settings.node_runner_arn.startswith("arn:"):
            raise ConfigError(
                "the Step Functions engine needs the node-runner Lambda's ARN: set "
                "ORCHEO_NODE_RUNNER_ARN",
                field="node_runner_arn",
            )
        if client is None:
            import boto3

            client = boto3.client("stepfunctions", region_name=settings.region)
        self._client = client
        self._runs = runs
        self._bus = bus
        self._settings = settings
        self._registry = registry
        self._state_store = state_store
        self._clock = clock
        self._poll = poll_interval
        arn = settings.node_runner_arn.split(":")
        self._arn_base = f"arn:{arn[1]}:states:{arn[3]}:{arn[4]}"
        self._machines: set[str] = set()
        self._scripts = scripts
        self._run_redactor = run_redactor
        self._definitions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    # ------------------------------------------------------------------ names

    def state_machine_arn(self, workflow_id: str, version: int) -> str:
        """The ARN of a version's state machine (it may not exist yet)."""
        name = _name(f"{self._settings.state_machine_prefix}{workflow_id}", f"v{version}")
        return f"{self._arn_base}:stateMachine:{name}"

    def execution_arn(self, run: RunRecord) -> str:
        """The ARN of a run's execution: its version's machine, named after the run."""
        machine = self.state_machine_arn(run.workflow_id, run.version).rsplit(":", 1)[1]
        return f"{self._arn_base}:execution:{machine}:{_name(run.id)}"

    # ------------------------------------------------------------------ the port

    async def ensure_state_machine(self, version: VersionRecord) -> str:
        """Create the version's state machine unless it exists; its ARN."""
        arn = self.state_machine_arn(version.workflow_id, version.number)
        if arn in self._machines:
            return arn
        if version.kind == "script":
            machine = await self._script_machine(version, arn)
        else:
            from orcheo_core.compile import CompileOptions, compile_state_machine

            compiled = compile_state_machine(
                version.spec,
                CompileOptions(node_runner_arn=self._settings.node_runner_arn),
                registry=self._registry,
            )
            machine = {"definition": compiled.definition, "type": compiled.type}
        if machine is not None:
            await asyncio.to_thread(self._create, arn, machine)
        self._machines.add(arn)
        return arn

    def _create(self, arn: str, machine: Mapping[str, Any]) -> None:
        # Another process may have created it first: versions never change, neither does it.
        with contextlib.suppress(self._client.exceptions.StateMachineAlreadyExists):
            self._client.create_state_machine(
                name=arn.rsplit(":", 1)[1],
                definition=json.dumps(machine["definition"]),
                roleArn=self._settings.state_machine_role_arn,
                type=machine["type"],
            )

    async def _script_machine(self, version: VersionRecord, arn: str) -> dict[str, Any] | None:
        """A script version's definition, compiled in the sandbox; None if its machine exists.

        Loading a script costs a sandbox job, so an existing machine (created by another
        process: versions never change) is looked up first, and definitions are kept.
        """
        hit = self._definitions.get(arn)
        if hit is not None:
            self._definitions.move_to_end(arn)
            return hit
        try:
            await asyncio.to_thread(self._client.describe_state_machine, stateMachineArn=arn)
        except self._client.exceptions.StateMachineDoesNotExist:
            pass
        else:
            return None
        if self._scripts is None:
            from orcheo_core.sandbox import ScriptSandbox

            self._scripts = ScriptSandbox()
        machine = await self._scripts.compile_machine(
            str(version.source), {"node_runner_arn": self._settings.node_runner_arn}
        )
        self._definitions[arn] = machine
        if len(self._definitions) > self._cache_size:
            self._definitions.popitem(last=False)
        return machine

    async def start(
        self,
        run: RunRecord,
        version: VersionRecord,
        *,
        resume: dict[str, Any] | None = None,
    ) -> None:
        """Start the run's execution; the run becomes ``running`` (or ``failed`` if it cannot)."""
        if resume is not None:
            raise ConfigError(
                "resuming from a recorded step is not supported on Step Functions yet; "
                "replay the run instead",
                run_id=run.id,
            )
        try:
            started = self._runs.update_run(
                run.id, expected_status=["queued"], status="running", started_at=self._clock()
            )
        except (ConflictError, NotFoundError):
            return  # cancelled (or deleted) before it started
        self._record(started, "run.started", {"inputs": run.inputs})
        try:
            machine = await self.ensure_state_machine(version)
            payload = {
                "run": {"run_id": run.id, "workflow_id": run.workflow_id, "version": run.version},
                "inputs": run.inputs,
            }
            await asyncio.to_thread(
                self._client.start_execution,
                stateMachineArn=machine,
                name=self.execution_arn(run).rsplit(":", 1)[1],
                input=json.dumps(payload),
            )
        except Exception as exc:  # a compile error, a refused definition, throttling
            error = getattr(exc, "to_dict", None)
            detail = (
                error()
                if callable(error)
                else {"code": "start_failed", "message": f"could not start the execution: {exc}"}
            )
            self._finish(run.id, Outcome("failed", error=detail, finished_at=self._clock()))

    async def cancel(self, run_id: str) -> bool:
        """Stop the run's execution; True if it was running (it is then ``cancelled``)."""
        run = self._runs.get_run(run_id)
        if run.status not in ("queued", "running"):
            return False
        arn = self.execution_arn(run)
        try:
            await asyncio.to_thread(
                self._client.stop_execution, executionArn=arn, error=_CANCELLED, cause=_BY_USER
            )
            description = await asyncio.to_thread(self._client.describe_execution, executionArn=arn)
        except self._client.exceptions.ExecutionDoesNotExist:
            return False
        # Stopped by us, so cancelled by us, even while the stop is still settling (the
        # execution may read RUNNING for a moment) or the description leaves the cause out.
        if description.get("status") in ("RUNNING", "PENDING_REDRIVE"):
            description = {**description, "status": "ABORTED", "stopDate": None}
        outcome = outcome_of({**description, "cause": description.get("cause") or _BY_USER})
        self._finish(run_id, outcome)
        return True

    def status(self, run_id: str) -> RunStatus | None:
        """The execution's status as a run status (recorded on the run when it ended)."""
        try:
            return self.reconcile(run_id).status
        except NotFoundError:
            return None

    async def wait(self, run_id: str, timeout: float) -> bool:
        """Poll the execution until it ends (then record it); False on timeout."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        while True:
            try:
                run = await asyncio.to_thread(self.reconcile, run_id)
            except NotFoundError:
                return False
            if run.status not in ("queued", "running"):
                return True
            if loop.time() >= give_up:
                return False
            await asyncio.sleep(min(self._poll, max(0.0, give_up - loop.time())))

    async def shutdown(self) -> None:
        """Nothing to interrupt: executions run on Step Functions, not in this process."""

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, run_id: str) -> RunRecord:
        """Bring the run record in line with its execution; the run as recorded.

        NotFoundError when the run does not exist, or it has no execution and is not
        merely queued.
        """
        run = self._runs.get_run(run_id)
        if run.status not in ("queued", "running"):
            return run
        try:
            description = self._client.describe_execution(executionArn=self.execution_arn(run))
        except self._client.exceptions.ExecutionDoesNotExist:
            if run.status == "queued":
                return run
            raise NotFoundError(
                f"run {run_id!r} has no Step Functions execution", run_id=run_id
            ) from None
        return self._settle(run, description)

    def finalise(self, detail: Mapping[str, Any]) -> RunRecord | None:
        """Record how an execution ended, from its EventBridge status-change ``detail``.

        The reconciler Lambda's core: every Standard execution's end reaches it, whoever
        waits, so cron fires, batches and webhooks that answer at once are finalised
        like waited runs. ``detail`` is the "Step Functions Execution Status Change"
        event's (dates in epoch milliseconds). An output left out of the event (over
        its 256 KiB) is read with ``DescribeExecution``. None when the execution is not
        an Orcheo run's (another state machine, or its run was deleted).
        """
        run_id = _run_id(detail)
        if run_id is None:
            return None
        try:
            run = self._runs.get_run(run_id)
        except NotFoundError:
            return None
        if run.status not in ("queued", "running"):
            return run
        if detail.get("status") == "SUCCEEDED" and not (detail.get("outputDetails") or {}).get(
            "included", True
        ):
            return self.reconcile(run_id)
        description = {
            **detail,
            "startDate": _date(detail.get("startDate")),
            "stopDate": _date(detail.get("stopDate")),
        }
        return self._settle(run, description)

    def _settle(self, run: RunRecord, description: Mapping[str, Any]) -> RunRecord:
        """The one place an execution's description becomes its run's outcome."""
        outcome = outcome_of(description)
        if outcome.status == "running":
            return run
        return self._finish(run.id, outcome)

    def _finish(self, run_id: str, outcome: Outcome) -> RunRecord:
        run = self._runs.get_run(run_id)
        finished = outcome.finished_at or self._clock()
        started = run.started_at or outcome.started_at or finished
        state, error = None, outcome.error
        status = outcome.status
        if status == "succeeded":
            try:
                state = self._state(outcome.result)
            except Exception as exc:  # a missing state reference, an undecodable result
                _log.exception("run %s: its final state cannot be read", run_id)
                status, error = (
                    "failed",
                    {
                        "code": "final_state_unreadable",
                        "message": f"the run ended but its final state cannot be read ({exc}); "
                        "it was passed by reference and the reference is gone or damaged",
                        "details": {"error_type": type(exc).__name__},
                    },
                )
        state, error = self._redacted(run, state, error)
        try:
            ended = self._runs.update_run(
                run_id,
                expected_status=["queued", "running"],
                status=status,
                state=state,
                error=error,
                finished_at=finished,
                duration=max(0.0, finished - started),
            )
        except ConflictError:
            return self._runs.get_run(run_id)  # another reconcile recorded it first
        data: dict[str, Any] = {"duration": ended.duration}
        if status == "succeeded":
            data["state"] = state
        else:
            data["error"] = error
        self._record(ended, f"run.{status}", data)
        return self._runs.get_run(run_id)

    def _redacted(self, run: RunRecord, state: Any, error: Any) -> tuple[Any, Any]:
        """``state`` and ``error`` cleaned of the run's secrets, as the local engine stores them.

        The secrets were resolved in the node-runner Lambdas, not here: ``run_redactor``
        knows every one the run may have used. If it cannot be built, the state is
        withheld rather than stored with secrets in it.
        """
        if self._run_redactor is None or (state is None and error is None):
            return state, error
        try:
            redactor = self._run_redactor(run)
        except Exception:
            _log.exception("run %s: no redactor for its final state; state withheld", run.id)
            return None, {
                "code": "redaction_failed",
                "message": "the run's outcome could not "
                "be cleaned of its secrets, so it was not stored; see the logs",
            }
        return redactor.redact(state), redactor.redact(error)

    def _state(self, result: Any) -> Any:
        from orcheo_core.engine._json_codec import decode_value

        if isinstance(result, dict) and set(result) == {"$ref"}:
            if self._state_store is None:
                raise ConfigError(
                    "the run's final state is stored by reference, but this engine has no "
                    "state store to read it from"
                )
            result = json.loads(self._state_store.get(result["$ref"]))
        return decode_value(result or {}, "result")

    def _record(self, run: RunRecord, type: str, data: dict[str, Any]) -> None:
        """Store and publish one run-level event after the run's last one."""
        event = EventRecord(
            run_id=run.id,
            seq=run.last_seq + 1,
            type=type,
            workflow_id=run.workflow_id,
            data=data,
            ts=self._clock(),
        )
        try:
            self._runs.append_events([event])
        except ConflictError:
            return  # a node runner wrote that seq meanwhile; its events tell the story
        self._bus.publish(event)
