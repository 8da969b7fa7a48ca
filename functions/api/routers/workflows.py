"""/api/workflows: workflows, their versions, diff, promote/rollback, export/import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from functions.api.deps import AdminToken, ReadToken, ServicesDep
from functions.api.models import (
    ErrorOut,
    PageOut,
    ScriptVersionCreate,
    ScriptWorkflowCreate,
    VersionCreate,
    VersionOut,
    VersionPromote,
    WorkflowCreate,
    WorkflowImport,
    WorkflowOut,
    WorkflowUpdate,
)
from functions.service import workflows as logic

router = APIRouter(prefix="/api/workflows", tags=["workflows"])

WorkflowId = Annotated[str, Path(min_length=1, max_length=100, description="The workflow's id.")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="A version number.")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


@router.post("", status_code=201, responses=_ERRORS)
async def create_workflow(body: WorkflowCreate, svc: ServicesDep, _: AdminToken) -> WorkflowOut:
    """Create a workflow; with `spec`, its first version too."""
    record = logic.create_workflow(
        svc, name=body.name, description=body.description, tags=body.tags, spec=body.spec
    )
    return WorkflowOut.of(record)


@router.post("/script", status_code=201, responses=_ERRORS)
async def create_script_workflow(
    body: ScriptWorkflowCreate, svc: ServicesDep, _: AdminToken
) -> WorkflowOut:
    """Create a workflow whose first version is a LangGraph script (checked in a sandbox;
    a bad script is a 422 with its line, column and hint)."""
    record = await logic.create_script_workflow(
        svc, name=body.name, description=body.description, tags=body.tags, source=body.source
    )
    return WorkflowOut.of(record)


@router.get("", responses=_ERRORS)
async def list_workflows(
    svc: ServicesDep,
    _: ReadToken,
    q: Annotated[str | None, Query(max_length=200, description="Search text.")] = None,
    include_archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> PageOut[WorkflowOut]:
    """Newest first; `q` searches name, description and tags."""
    page = logic.list_workflows(
        svc, query=q, include_archived=include_archived, limit=limit, cursor=cursor
    )
    return PageOut[WorkflowOut](
        items=[WorkflowOut.of(w) for w in page.items], next_cursor=page.next_cursor
    )


@router.post("/import", status_code=201, responses=_ERRORS)
async def import_workflow(body: WorkflowImport, svc: ServicesDep, _: AdminToken) -> WorkflowOut:
    """Recreate a workflow, with all its versions, from an export file."""
    return WorkflowOut.of(logic.import_workflow(svc, body.document, workflow_id=body.workflow_id))


@router.get("/{workflow_id}", responses=_ERRORS)
async def get_workflow(workflow_id: WorkflowId, svc: ServicesDep, _: ReadToken) -> WorkflowOut:
    return WorkflowOut.of(logic.get_workflow(svc, workflow_id))


@router.patch("/{workflow_id}", responses=_ERRORS)
async def update_workflow(
    workflow_id: WorkflowId, body: WorkflowUpdate, svc: ServicesDep, _: AdminToken
) -> WorkflowOut:
    """Rename, describe, tag, archive or unarchive; `revision` guards against lost updates."""
    changes = body.model_dump(exclude={"revision"}, exclude_none=True)
    return WorkflowOut.of(
        logic.update_workflow(svc, workflow_id, revision=body.revision, **changes)
    )


@router.post("/{workflow_id}/archive", responses=_ERRORS)
async def archive_workflow(workflow_id: WorkflowId, svc: ServicesDep, _: AdminToken) -> WorkflowOut:
    """Hide the workflow from lists and stop it from running; its history stays."""
    return WorkflowOut.of(logic.archive_workflow(svc, workflow_id))


@router.delete("/{workflow_id}", status_code=204, responses=_ERRORS)
async def delete_workflow(workflow_id: WorkflowId, svc: ServicesDep, _: AdminToken) -> Response:
    """Delete the workflow and all its versions (its runs stay until deleted)."""
    logic.delete_workflow(svc, workflow_id)
    return Response(status_code=204)


@router.get("/{workflow_id}/export", responses=_ERRORS)
async def export_workflow(
    workflow_id: WorkflowId, svc: ServicesDep, _: ReadToken
) -> dict[str, Any]:
    """The workflow and all its versions as one JSON document, for the import endpoint."""
    return logic.export_workflow(svc, workflow_id)


@router.post("/{workflow_id}/versions", status_code=201, responses=_ERRORS)
async def create_version(
    workflow_id: WorkflowId, body: VersionCreate, svc: ServicesDep, _: AdminToken
) -> VersionOut:
    """Save a spec as the next version (validated; every problem is listed on a 422)."""
    version = logic.add_version(
        svc, workflow_id, body.spec, note=body.note, base_version=body.base_version
    )
    return VersionOut.of(version)


@router.post("/{workflow_id}/versions/script", status_code=201, responses=_ERRORS)
async def create_script_version(
    workflow_id: WorkflowId, body: ScriptVersionCreate, svc: ServicesDep, _: AdminToken
) -> VersionOut:
    """Save a LangGraph script as the next version.

    The script is checked, then loaded in a sandboxed process; the answer carries the
    graph extracted from it (`spec`). A script that cannot become a workflow is a 422
    whose `details` give the `line`, `column` and a `hint`.
    """
    version = await logic.add_script_version(
        svc, workflow_id, body.source, note=body.note, base_version=body.base_version
    )
    return VersionOut.of(version)


@router.get("/{workflow_id}/versions", responses=_ERRORS)
async def list_versions(
    workflow_id: WorkflowId, svc: ServicesDep, _: ReadToken
) -> list[VersionOut]:
    """Oldest first."""
    return [VersionOut.of(v) for v in logic.list_versions(svc, workflow_id)]


@router.get("/{workflow_id}/versions/{number}", responses=_ERRORS)
async def get_version(
    workflow_id: WorkflowId, number: VersionNumber, svc: ServicesDep, _: ReadToken
) -> VersionOut:
    return VersionOut.of(logic.get_version(svc, workflow_id, number))


@router.get("/{workflow_id}/diff", responses=_ERRORS)
async def diff_versions(
    workflow_id: WorkflowId,
    svc: ServicesDep,
    _: ReadToken,
    from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)],
) -> dict[str, Any]:
    """Nodes, edges and settings added, removed or changed between two versions."""
    return logic.diff_versions(svc, workflow_id, from_version, to_version)


@router.post("/{workflow_id}/promote", responses=_ERRORS)
async def promote_version(
    workflow_id: WorkflowId, body: VersionPromote, svc: ServicesDep, _: AdminToken
) -> WorkflowOut:
    """Make a version the one that runs; promoting an older version is a rollback."""
    return WorkflowOut.of(logic.promote_version(svc, workflow_id, body.version))
