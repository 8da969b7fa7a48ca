"""/api/runs (and starting runs under /api/workflows/{id}/runs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from functions.api.deps import ReadToken, RunToken, ServicesDep
from functions.api.models import (
    BatchOut,
    EventOut,
    PageOut,
    RunBatchCreate,
    RunCreate,
    RunDetailOut,
    RunOut,
    RunReplay,
)
from functions.api.routers.workflows import _ERRORS, WorkflowId
from functions.backends.ports import RunRecord, RunStatus
from functions.service import runs as logic

router = APIRouter(tags=["runs"])

RunId = Annotated[str, Path(min_length=1, max_length=100, description="The run's id.")]
# Sequence numbers are 64-bit integers in the stores; a larger one cannot even be compared.
MAX_SEQ = 2**63 - 1


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same key when retrying: for 24 h the same key with the same "
        "body answers the run(s) it started (header `Idempotent-Replayed: true`) instead of "
        "starting more; with a different body it is a 422.",
    ),
]


def _started(response: Response, run: RunOut) -> RunOut:
    # 202 while the run goes on; 200 when the answer carries the finished run.
    response.status_code = 202 if run.finished_at is None else 200
    return run


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.post(
    "/api/workflows/{workflow_id}/runs",
    status_code=202,
    responses={200: {"model": RunOut, "description": "With `wait`: the run has ended."}, **_ERRORS},
)
async def start_run(
    workflow_id: WorkflowId,
    body: RunCreate,
    svc: ServicesDep,
    _: RunToken,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RunOut:
    """Start a run of the current (or given) version; with `wait`, answer once it ends."""

    async def start() -> list[RunRecord]:
        return [
            await logic.start_run(
                svc, workflow_id, body.inputs, version=body.version, debug=body.debug
            )
        ]

    request = body.model_dump(include={"inputs", "version", "debug"})
    runs, replayed = await logic.once(svc, f"{workflow_id}:run", idempotency_key, request, start)
    _replayed(response, replayed)
    run = runs[0]
    if body.wait:
        run = await logic.wait_run(svc, run, body.timeout)
    return _started(response, RunOut.of(run))


@router.post("/api/workflows/{workflow_id}/runs/batch", status_code=202, responses=_ERRORS)
async def start_batch(
    workflow_id: WorkflowId,
    body: RunBatchCreate,
    svc: ServicesDep,
    _: RunToken,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> BatchOut:
    """Start one run per inputs object."""

    async def start() -> list[RunRecord]:
        return await logic.start_batch(
            svc, workflow_id, body.batch, version=body.version, debug=body.debug
        )

    runs, replayed = await logic.once(
        svc, f"{workflow_id}:batch", idempotency_key, body.model_dump(), start
    )
    _replayed(response, replayed)
    return BatchOut(batch_id=runs[0].batch_id or "", runs=[RunOut.of(r) for r in runs])


@router.get("/api/runs", responses=_ERRORS)
async def list_runs(
    svc: ServicesDep,
    _: ReadToken,
    workflow_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[list[RunStatus] | None, Query(description="Repeat to allow several.")] = None,
    since: Annotated[float | None, Query(ge=0, description="Created at or after (Unix s).")] = None,
    until: Annotated[float | None, Query(ge=0, description="Created before (Unix s).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> PageOut[RunOut]:
    """Newest first, filtered by workflow, status and creation time."""
    page = logic.list_runs(
        svc,
        workflow_id=workflow_id,
        status=status,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return PageOut[RunOut](items=[RunOut.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/api/runs/{run_id}", responses=_ERRORS)
async def get_run(run_id: RunId, svc: ServicesDep, _: ReadToken) -> RunDetailOut:
    """The run with all its events so far."""
    run = logic.get_run(svc, run_id)
    events = logic.list_events(svc, run_id)
    return RunDetailOut(**RunOut.of(run).model_dump(), events=[EventOut.of(e) for e in events])


@router.get("/api/runs/{run_id}/events", responses=_ERRORS)
async def list_events(
    run_id: RunId,
    svc: ServicesDep,
    _: ReadToken,
    after_seq: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="Only events after this seq.")
    ] = 0,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> list[EventOut]:
    """The run's events in order; pass the last `seq` you saw to get only newer ones."""
    return [
        EventOut.of(e) for e in logic.list_events(svc, run_id, after_seq=after_seq, limit=limit)
    ]


@router.post("/api/runs/{run_id}/cancel", responses=_ERRORS)
async def cancel_run(run_id: RunId, svc: ServicesDep, _: RunToken) -> RunOut:
    """Stop a run that is still going."""
    return RunOut.of(await logic.cancel_run(svc, run_id))


@router.post("/api/runs/{run_id}/replay", status_code=202, responses=_ERRORS)
async def replay_run(run_id: RunId, body: RunReplay, svc: ServicesDep, _: RunToken) -> RunOut:
    """Run the same version again with the recorded inputs, or from a recorded step."""
    run = await logic.replay_run(svc, run_id, from_step=body.from_step, debug=body.debug)
    return RunOut.of(run)


@router.post("/api/runs/{run_id}/resume", status_code=202, responses=_ERRORS)
async def resume_run(run_id: RunId, svc: ServicesDep, _: RunToken) -> RunOut:
    """Continue an interrupted, failed or cancelled run from its last recorded step."""
    return RunOut.of(await logic.resume_run(svc, run_id))


@router.delete("/api/runs/{run_id}", status_code=204, responses=_ERRORS)
async def delete_run(run_id: RunId, svc: ServicesDep, _: RunToken) -> Response:
    """Delete the run and its events (a run still going is cancelled first)."""
    await logic.delete_run(svc, run_id)
    return Response(status_code=204)
