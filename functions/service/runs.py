"""Runs: start (one or a batch), wait, cancel, replay, resume, list, delete."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from functions.backends.ports import (
    INTERRUPTED_ERROR,
    TERMINAL_STATUSES,
    EventRecord,
    RunRecord,
    VersionRecord,
)
from functions.errors import ConflictError, NotFoundError, UnprocessableError
from functions.service.workflows import get_version, get_workflow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Collection, Sequence

    from functions.backends.ports import Page, RunStatus
    from functions.service import Services

__all__ = [
    "IDEMPOTENCY_TTL",
    "cancel_run",
    "delete_run",
    "get_run",
    "list_events",
    "list_runs",
    "mark_interrupted",
    "once",
    "recorded_steps",
    "replay_run",
    "resume_run",
    "start_batch",
    "start_run",
    "wait_run",
]


IDEMPOTENCY_TTL = 24 * 3600.0
"""How long an ``Idempotency-Key`` is remembered (seconds)."""
# How long a request waits for another one holding the same key to finish starting its runs.
_IDEMPOTENCY_WAIT = 10.0


def get_run(svc: Services, run_id: str) -> RunRecord:
    try:
        return svc.runs.get_run(run_id)
    except NotFoundError:
        raise NotFoundError(f"no run {run_id!r}", run_id=run_id) from None


def list_runs(
    svc: Services,
    *,
    workflow_id: str | None = None,
    status: Collection[RunStatus] | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[RunRecord]:
    return svc.runs.list_runs(
        workflow_id=workflow_id,
        status=status,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )


def list_events(
    svc: Services, run_id: str, *, after_seq: int = 0, limit: int | None = None
) -> list[EventRecord]:
    get_run(svc, run_id)
    return svc.runs.list_events(run_id, after_seq=after_seq, limit=limit)


async def _launch(
    svc: Services,
    version: VersionRecord,
    inputs: dict[str, Any],
    *,
    debug: bool,
    trigger: str,
    batch_id: str | None = None,
    replay_of: str | None = None,
    resume: dict[str, Any] | None = None,
) -> RunRecord:
    run = RunRecord(
        id=secrets.token_hex(8),
        workflow_id=version.workflow_id,
        version=version.number,
        inputs=inputs,
        debug=debug,
        trigger=trigger,
        batch_id=batch_id,
        replay_of=replay_of,
        resumed_from_step=resume.get("step") if resume else None,
        created_at=svc.clock(),
    )
    svc.runs.create_run(run)
    await svc.engine.start(run, version, resume=resume)
    return run


def _runnable_version(svc: Services, workflow_id: str, version: int | None) -> VersionRecord:
    workflow = get_workflow(svc, workflow_id)
    if workflow.archived:
        raise ConflictError(
            f"workflow {workflow_id!r} is archived; unarchive it to run it",
            workflow_id=workflow_id,
        )
    return get_version(svc, workflow_id, version)


async def start_run(
    svc: Services,
    workflow_id: str,
    inputs: dict[str, Any] | None = None,
    *,
    version: int | None = None,
    debug: bool = False,
    trigger: str = "manual",
) -> RunRecord:
    """Start one run of the current (or the given) version; returns once it is under way."""
    record = _runnable_version(svc, workflow_id, version)
    return await _launch(svc, record, dict(inputs or {}), debug=debug, trigger=trigger)


async def start_batch(
    svc: Services,
    workflow_id: str,
    batch: Sequence[dict[str, Any]],
    *,
    version: int | None = None,
    debug: bool = False,
) -> list[RunRecord]:
    """One run per inputs object, all sharing a ``batch_id``."""
    if not batch:
        raise UnprocessableError("the batch is empty: give at least one inputs object")
    if len(batch) > svc.settings.max_batch:
        raise UnprocessableError(
            f"the batch has {len(batch)} items; at most {svc.settings.max_batch} per request",
            field="batch",
        )
    record = _runnable_version(svc, workflow_id, version)
    batch_id = secrets.token_hex(6)
    return [
        await _launch(svc, record, dict(item), debug=debug, trigger="batch", batch_id=batch_id)
        for item in batch
    ]


async def once(
    svc: Services,
    scope: str,
    key: str | None,
    request: dict[str, Any],
    start: Callable[[], Awaitable[list[RunRecord]]],
) -> tuple[list[RunRecord], bool]:
    """Start runs at most once per idempotency ``key``: ``(runs, replayed)``.

    The first request with a key claims it in the trigger state (a lock lasting
    :data:`IDEMPOTENCY_TTL`) and records the runs it started; the same key with the same
    ``request`` later answers those runs (``replayed`` True) instead of starting new ones,
    and with a different ``request`` is a 422. A request that failed before starting
    anything releases its claim, so retrying it can succeed. ``scope`` keeps keys of
    different workflows and endpoints apart. Without a key, ``start`` simply runs.
    """
    if key is None:
        return await start(), False
    slot = "idempotency:" + hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
    digest = hashlib.sha256(
        json.dumps(request, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    owner = f"{digest}:{secrets.token_hex(8)}"
    deadline = time.monotonic() + _IDEMPOTENCY_WAIT
    while True:
        if svc.trigger_state.acquire_lock(slot, owner, IDEMPOTENCY_TTL):
            try:
                runs = await start()
            except BaseException:
                svc.trigger_state.release_lock(slot, owner)
                raise
            record = {"digest": digest, "runs": [r.id for r in runs], "at": svc.clock()}
            svc.trigger_state.set_cursor(slot, json.dumps(record))
            return runs, False
        stored = _remembered(svc, slot)
        if stored is not None:
            if stored["digest"] != digest:
                raise UnprocessableError(
                    "this Idempotency-Key was already used with a different request; "
                    "send a new key for a new request",
                    field="Idempotency-Key",
                )
            return [get_run(svc, run_id) for run_id in stored["runs"]], True
        if time.monotonic() > deadline:
            raise ConflictError(
                "another request with this Idempotency-Key is still starting its run; "
                "retry in a moment",
                field="Idempotency-Key",
            )
        await asyncio.sleep(0.05)


def _remembered(svc: Services, slot: str) -> dict[str, Any] | None:
    """What the request that claimed ``slot`` recorded, unless it is older than the TTL."""
    raw = svc.trigger_state.get_cursor(slot)
    if not raw:
        return None
    stored: dict[str, Any] = json.loads(raw)
    return stored if svc.clock() - float(stored["at"]) < IDEMPOTENCY_TTL else None


async def wait_run(svc: Services, run: RunRecord, timeout: float | None = None) -> RunRecord:
    """The run once it has ended, or as it is when ``timeout`` runs out."""
    await svc.engine.wait(run.id, svc.settings.run_wait_timeout if timeout is None else timeout)
    return get_run(svc, run.id)


async def cancel_run(svc: Services, run_id: str) -> RunRecord:
    """Stop a queued or running run; a run that already ended is a 409."""
    run = get_run(svc, run_id)
    if run.status in TERMINAL_STATUSES:
        raise ConflictError(
            f"run {run_id!r} already ended ({run.status}); nothing to cancel", status=run.status
        )
    if not await svc.engine.cancel(run_id):
        # Not running here (still queued, or its process is gone): record the outcome.
        with contextlib.suppress(ConflictError):  # it ended meanwhile: keep that outcome
            svc.runs.update_run(
                run_id,
                expected_status=("queued", "running"),
                status="cancelled",
                error={"code": "cancelled", "message": "run was cancelled", "details": {}},
                finished_at=svc.clock(),
            )
        return get_run(svc, run_id)
    await svc.engine.wait(run_id, 10.0)
    return get_run(svc, run_id)


def recorded_steps(svc: Services, run_id: str) -> dict[int, dict[str, Any]]:
    """The run's recorded steps (debug mode), by step number: state, next nodes, checkpoint."""
    return {
        int(event.data["step"]): event.data
        for event in svc.runs.list_events(run_id)
        if event.type == "run.step" and "checkpoint" in event.data
    }


async def replay_run(
    svc: Services, run_id: str, *, from_step: int | None = None, debug: bool | None = None
) -> RunRecord:
    """Run the same version again: with the recorded inputs, or from recorded step ``from_step``.

    Resuming from a step needs a run made in debug mode, which records the state before
    every step.
    """
    original = get_run(svc, run_id)
    version = get_version(svc, original.workflow_id, original.version)
    resume = None
    if from_step is not None:
        steps = recorded_steps(svc, run_id)
        if from_step not in steps:
            have = ", ".join(map(str, sorted(steps))) or "none"
            hint = (
                "steps are recorded only for runs started with debug=true"
                if not steps
                else "pick one of the recorded steps"
            )
            raise UnprocessableError(
                f"run {run_id!r} has no recorded step {from_step} (recorded: {have}); {hint}",
                field="from_step",
                recorded_steps=sorted(steps),
            )
        resume = steps[from_step]
    return await _launch(
        svc,
        version,
        dict(original.inputs),
        debug=original.debug if debug is None else debug,
        trigger="replay",
        replay_of=original.id,
        resume=resume,
    )


async def resume_run(svc: Services, run_id: str) -> RunRecord:
    """Continue an interrupted (or failed) run from its last recorded step.

    Without recorded steps (not a debug run) it starts over with the recorded inputs.
    """
    original = get_run(svc, run_id)
    if original.status not in ("interrupted", "failed", "cancelled"):
        raise ConflictError(
            f"run {run_id!r} is {original.status}; only an interrupted, failed or cancelled "
            "run can be resumed",
            status=original.status,
        )
    steps = recorded_steps(svc, run_id)
    last = max(steps) if steps else None
    return await replay_run(svc, run_id, from_step=last)


async def delete_run(svc: Services, run_id: str) -> None:
    """Delete a run and its events; a run still going is cancelled first."""
    run = get_run(svc, run_id)
    if run.status not in TERMINAL_STATUSES:
        await svc.engine.cancel(run_id)
        await svc.engine.wait(run_id, 10.0)
    svc.runs.delete_run(run_id)


def mark_interrupted(svc: Services) -> int:
    """At start-up: runs left queued or running by a previous process become interrupted.

    Only call it holding the home's owner lease (functions/backends/local/lease.py): the
    runs of a live process are not "left" by anyone.
    """
    count = 0
    cursor: str | None = None
    while True:
        page = svc.runs.list_runs(status=("queued", "running"), limit=100, cursor=cursor)
        for run in page.items:
            if svc.engine.status(run.id) is not None:
                continue
            now = svc.clock()
            try:
                ended = svc.runs.update_run(
                    run.id,
                    expected_status=("queued", "running"),
                    status="interrupted",
                    error=INTERRUPTED_ERROR,
                    finished_at=now,
                )
            except ConflictError:
                continue
            count += 1
            # The outcome event a graceful stop writes too (docs/api.md): a process that
            # died (kill -9, a crash) never wrote it, so its recovery does.
            outcome = EventRecord(
                run_id=run.id,
                seq=ended.last_seq + 1,
                type="run.cancelled",
                workflow_id=run.workflow_id,
                data={"error": INTERRUPTED_ERROR},
                ts=now,
            )
            with contextlib.suppress(ConflictError, NotFoundError):
                svc.runs.append_events([outcome])
        cursor = page.next_cursor
        if cursor is None:
            return count
