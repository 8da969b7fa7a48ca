"""Workflows and versions: create, update, archive, version, diff, promote, export, import."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from functions.backends.ports import Page, VersionRecord, WorkflowRecord
from functions.errors import ConflictError, NotFoundError, UnprocessableError
from orcheo_core.sandbox.errors import SandboxError, ScriptError
from orcheo_core.spec import load_spec
from orcheo_core.spec.diff import diff_specs

if TYPE_CHECKING:
    from functions.service import Services
    from orcheo_core.sandbox import ScriptGraph

__all__ = [
    "EXPORT_FORMAT",
    "add_script_version",
    "add_version",
    "archive_workflow",
    "create_script_workflow",
    "create_workflow",
    "delete_workflow",
    "diff_versions",
    "export_workflow",
    "get_version",
    "get_workflow",
    "import_workflow",
    "list_versions",
    "list_workflows",
    "promote_version",
    "update_workflow",
]

EXPORT_FORMAT = "orcheo.workflow/v1"
_SLUG = re.compile(r"[^a-z0-9]+")


def _new_id(name: str) -> str:
    slug = _SLUG.sub("-", name.lower()).strip("-")[:40] or "workflow"
    return f"{slug}-{secrets.token_hex(3)}"


def get_workflow(svc: Services, workflow_id: str) -> WorkflowRecord:
    try:
        return svc.workflows.get_workflow(workflow_id)
    except NotFoundError:
        raise NotFoundError(f"no workflow {workflow_id!r}", workflow_id=workflow_id) from None


def list_workflows(
    svc: Services,
    *,
    query: str | None = None,
    include_archived: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[WorkflowRecord]:
    return svc.workflows.list_workflows(
        query=query, include_archived=include_archived, limit=limit, cursor=cursor
    )


def _sync_triggers(svc: Services, workflow_id: str) -> None:
    """Schedules and webhook secrets follow the version that runs (see service.triggers)."""
    from functions.service.triggers import sync_triggers

    sync_triggers(svc, workflow_id)


def _check_spec(svc: Services, spec: Any) -> dict[str, Any]:
    """Validate ``spec`` (SpecValidationError lists every problem); stored as the user wrote it."""
    load_spec(spec, svc.registry)
    return dict(spec)


def create_workflow(
    svc: Services,
    *,
    name: str,
    description: str = "",
    tags: list[str] | None = None,
    spec: dict[str, Any] | None = None,
    workflow_id: str | None = None,
) -> WorkflowRecord:
    """A new workflow; with ``spec`` its first version is created (and current) at once."""
    checked = _check_spec(svc, spec) if spec is not None else None
    now = svc.clock()
    record = WorkflowRecord(
        id=workflow_id or _new_id(name),
        name=name,
        description=description,
        tags=list(tags or []),
        created_at=now,
        updated_at=now,
    )
    try:
        record = svc.workflows.create_workflow(record)
    except ConflictError:
        raise ConflictError(
            f"a workflow with id {record.id!r} already exists; import it under another id",
            workflow_id=record.id,
        ) from None
    if checked is not None:
        record = _append(svc, record, checked, "created with the workflow")
        if checked.get("triggers"):
            _sync_triggers(svc, record.id)
    return record


def update_workflow(
    svc: Services, workflow_id: str, *, revision: int, **changes: Any
) -> WorkflowRecord:
    """Change name/description/tags/archived if ``revision`` is still the stored one."""
    current = get_workflow(svc, workflow_id)
    if current.revision != revision:
        raise ConflictError(
            f"workflow {workflow_id!r} changed since you loaded it (revision {revision}, "
            f"now {current.revision}); reload it and apply your change again",
            revision=current.revision,
        )
    for key, value in changes.items():
        if value is not None:
            setattr(current, key, value)
    current.updated_at = svc.clock()
    updated = svc.workflows.update_workflow(current)
    if changes.get("archived") is not None:
        _sync_triggers(svc, workflow_id)  # archived: unscheduled; unarchived: scheduled again
    return updated


def archive_workflow(svc: Services, workflow_id: str, archived: bool = True) -> WorkflowRecord:
    current = get_workflow(svc, workflow_id)
    return update_workflow(svc, workflow_id, revision=current.revision, archived=archived)


def delete_workflow(svc: Services, workflow_id: str) -> None:
    from functions.service.triggers import all_trigger_ids, forget_workflow

    get_workflow(svc, workflow_id)
    trigger_ids = all_trigger_ids(svc, workflow_id)
    svc.workflows.delete_workflow(workflow_id)
    forget_workflow(svc, workflow_id, trigger_ids)


def _append(
    svc: Services,
    workflow: WorkflowRecord,
    spec: dict[str, Any],
    note: str,
    *,
    source: str | None = None,
) -> WorkflowRecord:
    """Store the next version: a spec, or (with ``source``) a script and its extracted graph."""
    version = VersionRecord(
        workflow_id=workflow.id,
        number=workflow.latest_version + 1,
        kind="spec" if source is None else "script",
        spec=spec,
        source=source,
        note=note,
        created_at=svc.clock(),
    )
    try:
        return svc.workflows.add_version(version)
    except ConflictError:
        raise ConflictError(
            f"another version of workflow {workflow.id!r} was saved at the same time; "
            "reload it and save again",
            workflow_id=workflow.id,
        ) from None


def add_version(
    svc: Services,
    workflow_id: str,
    spec: dict[str, Any],
    *,
    note: str = "",
    base_version: int | None = None,
) -> VersionRecord:
    """Save ``spec`` as the next version.

    ``base_version`` is the version the editor started from: if someone saved a newer
    one meanwhile, the save is refused (409) instead of silently overwriting theirs.
    """
    workflow = get_workflow(svc, workflow_id)
    _check_base(workflow, base_version)
    checked = _check_spec(svc, spec)
    updated = _append(svc, workflow, checked, note)
    _sync_triggers(svc, workflow_id)
    return svc.workflows.get_version(workflow_id, updated.latest_version)


async def _extract(svc: Services, source: str) -> ScriptGraph:
    """The graph of ``source``, extracted in the sandbox; its errors name the field."""
    try:
        return await svc.scripts.extract(source)
    except (ScriptError, SandboxError) as exc:
        exc.details.setdefault("field", "body.source")
        raise


def _check_base(workflow: WorkflowRecord, base_version: int | None) -> None:
    if base_version is not None and base_version != workflow.latest_version:
        raise ConflictError(
            f"workflow {workflow.id!r} has version {workflow.latest_version} now, newer than "
            f"version {base_version} you edited; reload to see the changes, then save again",
            latest_version=workflow.latest_version,
            base_version=base_version,
        )


async def add_script_version(
    svc: Services,
    workflow_id: str,
    source: str,
    *,
    note: str = "",
    base_version: int | None = None,
) -> VersionRecord:
    """Save a LangGraph script as the next version.

    The script is checked statically, then loaded in a sandboxed worker process (the
    API's event loop only waits for it); its extracted graph is stored as the version's
    ``spec`` so the canvas can draw it. ScriptError (line, column, hint) or a
    SandboxError when it cannot become a workflow.
    """
    _check_base(get_workflow(svc, workflow_id), base_version)
    shape = await _extract(svc, source)
    workflow = get_workflow(svc, workflow_id)  # re-read: the extraction took a while
    _check_base(workflow, base_version)
    updated = _append(svc, workflow, shape.to_dict(), note, source=source)
    _sync_triggers(svc, workflow_id)
    return svc.workflows.get_version(workflow_id, updated.latest_version)


async def create_script_workflow(
    svc: Services,
    *,
    name: str,
    source: str,
    description: str = "",
    tags: list[str] | None = None,
) -> WorkflowRecord:
    """A new workflow whose first version is the script ``source`` (checked before anything
    is stored)."""
    shape = await _extract(svc, source)
    record = create_workflow(svc, name=name, description=description, tags=tags)
    return _append(svc, record, shape.to_dict(), "created with the workflow", source=source)


def get_version(svc: Services, workflow_id: str, number: int | None = None) -> VersionRecord:
    """Version ``number``, or the current one when ``number`` is None."""
    workflow = get_workflow(svc, workflow_id)
    if number is None:
        if workflow.current_version is None:
            raise UnprocessableError(
                f"workflow {workflow_id!r} has no version yet; save a spec first",
                field="version",
                workflow_id=workflow_id,
            )
        number = workflow.current_version
    try:
        return svc.workflows.get_version(workflow_id, number)
    except NotFoundError:
        raise NotFoundError(
            f"workflow {workflow_id!r} has no version {number} "
            f"(versions 1 to {workflow.latest_version})",
            workflow_id=workflow_id,
            version=number,
        ) from None


def list_versions(svc: Services, workflow_id: str) -> list[VersionRecord]:
    get_workflow(svc, workflow_id)
    return svc.workflows.list_versions(workflow_id)


def diff_versions(svc: Services, workflow_id: str, old: int, new: int) -> dict[str, Any]:
    """What changed from version ``old`` to version ``new``: nodes, edges, config, settings."""
    before = get_version(svc, workflow_id, old)
    after = get_version(svc, workflow_id, new)
    for version in (before, after):
        if version.kind != "spec":
            raise UnprocessableError(
                f"version {version.number} is a script; diff compares canvas versions "
                "(compare the scripts' sources instead)",
                field="from" if version is before else "to",
            )
    diff = diff_specs(before.spec, after.spec)
    return {"from_version": old, "to_version": new, "summary": diff.summary(), **diff.to_dict()}


def promote_version(svc: Services, workflow_id: str, number: int) -> WorkflowRecord:
    """Make version ``number`` the one that runs (a rollback is a promote of an older one)."""
    get_version(svc, workflow_id, number)
    workflow = get_workflow(svc, workflow_id)
    if workflow.current_version == number:
        return workflow
    workflow.current_version = number
    workflow.updated_at = svc.clock()
    promoted = svc.workflows.update_workflow(workflow)
    _sync_triggers(svc, workflow_id)
    return promoted


def export_workflow(svc: Services, workflow_id: str) -> dict[str, Any]:
    """The workflow and every version as one JSON document (``import_workflow`` reads it)."""
    workflow = get_workflow(svc, workflow_id)
    versions = svc.workflows.list_versions(workflow_id)
    return {
        "format": EXPORT_FORMAT,
        "workflow": {
            "id": workflow.id,
            "name": workflow.name,
            "description": workflow.description,
            "tags": workflow.tags,
            "current_version": workflow.current_version,
        },
        "versions": [
            {"number": v.number, "kind": v.kind, "spec": v.spec, "source": v.source, "note": v.note}
            for v in versions
        ],
    }


def import_workflow(
    svc: Services, document: dict[str, Any], *, workflow_id: str | None = None
) -> WorkflowRecord:
    """Recreate an exported workflow with all its versions, under ``workflow_id`` if given.

    Every version is validated before anything is stored, so a bad file changes nothing.
    """
    if document.get("format") != EXPORT_FORMAT:
        raise UnprocessableError(
            f"not an Orcheo workflow export: 'format' must be {EXPORT_FORMAT!r}",
            field="format",
        )
    meta = document.get("workflow")
    versions = document.get("versions")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise UnprocessableError("the export has no workflow name", field="workflow.name")
    if not isinstance(versions, list):
        raise UnprocessableError("the export has no version list", field="versions")
    specs: list[tuple[dict[str, Any], str]] = []
    for index, entry in enumerate(versions):
        if not isinstance(entry, dict) or entry.get("kind", "spec") != "spec":
            raise UnprocessableError(
                f"versions[{index}] is not a spec version this server can import",
                field=f"versions[{index}]",
            )
        specs.append((_check_spec(svc, entry.get("spec")), str(entry.get("note") or "")))
    record = create_workflow(
        svc,
        name=meta["name"],
        description=str(meta.get("description") or ""),
        tags=[str(t) for t in meta.get("tags") or []],
        workflow_id=workflow_id or meta.get("id") or None,
    )
    for spec, note in specs:
        record = _append(svc, record, spec, note or "imported")
    current = meta.get("current_version")
    if isinstance(current, int) and 1 <= current <= record.latest_version:
        record = promote_version(svc, record.id, current)
    _sync_triggers(svc, record.id)
    return record
