"""The DynamoDB implementation of the WorkflowStore port."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from functions.backends.aws._codec import decode_cursor, dumps, encode_cursor, sort_key
from functions.backends.aws._dynamo import condition_failed, transaction
from functions.backends.aws.models import VersionItem, WorkflowItem, WorkflowTableItem
from functions.backends.common import not_found, workflow_search_text
from functions.backends.ports import Page, VersionRecord, WorkflowRecord
from functions.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

__all__ = ["DynamoWorkflowStore"]

_WORKFLOW_SK = "workflow"
# A concurrent metadata update can make add_version's transaction fail without any
# conflict on the version number; it is retried this many times from a fresh read.
_RETRIES = 8


def _strings(values: list[str]) -> Any:
    """A list of strings as pynamodb's ListAttribute takes it (typed as attributes)."""
    return list(values)


def _version_sk(number: int) -> str:
    return f"v#{number:010d}"


def _item(w: WorkflowRecord) -> WorkflowItem:
    return WorkflowItem(
        pk=w.id,
        sk=_WORKFLOW_SK,
        name=w.name,
        description=w.description,
        tags=_strings(w.tags),
        current_version=w.current_version,
        latest_version=w.latest_version,
        archived=w.archived,
        revision=w.revision,
        created_at=w.created_at,
        updated_at=w.updated_at,
        search=workflow_search_text(w),
        list_sk=sort_key(w.created_at, w.id),
    )


def _workflow(item: WorkflowItem) -> WorkflowRecord:
    return WorkflowRecord(
        id=item.pk,
        name=item.name,
        description=item.description,
        tags=[str(tag) for tag in item.tags or []],
        current_version=None if item.current_version is None else int(item.current_version),
        latest_version=int(item.latest_version),
        archived=bool(item.archived),
        revision=int(item.revision),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _version(item: VersionItem) -> VersionRecord:
    return VersionRecord(
        workflow_id=item.pk,
        number=int(item.number),
        kind=item.version_kind,  # type: ignore[arg-type]
        spec=json.loads(item.spec),
        source=item.source,
        note=item.note,
        created_at=item.created_at,
    )


class DynamoWorkflowStore:
    """Workflows and their versions in one DynamoDB table (one partition per workflow).

    ``revision`` is the optimistic-concurrency version attribute: every write is
    conditional on it. Adding a version is one transaction (the version item put only
    if absent, the workflow updated only if ``latest_version`` is the one before), so
    of two adds of the same number exactly one wins. Listing reads the ``by_created``
    index newest first; ``query`` and ``archived`` are filters on it.
    """

    def create_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Store a new workflow; ConflictError if the id is taken."""
        try:
            _item(workflow).save(condition=WorkflowTableItem.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise ConflictError(
                    f"a workflow with id {workflow.id!r} already exists; choose another id",
                    workflow_id=workflow.id,
                ) from None
            raise
        return _workflow(_item(workflow))

    def get_workflow(self, workflow_id: str) -> WorkflowRecord:
        """The workflow; NotFoundError when there is none with this id."""
        return _workflow(self._get(workflow_id))

    @staticmethod
    def _get(workflow_id: str) -> WorkflowItem:
        try:
            return WorkflowItem.get(workflow_id, _WORKFLOW_SK, consistent_read=True)
        except WorkflowItem.DoesNotExist:
            raise not_found("workflow", workflow_id) from None

    def list_workflows(
        self,
        *,
        query: str | None = None,
        include_archived: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[WorkflowRecord]:
        """Newest first; ``query`` matches name, description or tags, case-insensitively."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        key_condition = None if cursor is None else WorkflowItem.list_sk < decode_cursor(cursor)
        filters: Condition | None = None
        if not include_archived:
            filters = WorkflowItem.archived == False  # noqa: E712 (a pynamodb condition)
        if query:
            found = WorkflowItem.search.contains(query.casefold())
            filters = found if filters is None else filters & found
        items = list(
            WorkflowItem.by_created.query(
                "workflow",
                range_key_condition=key_condition,
                filter_condition=filters,
                scan_index_forward=False,
                limit=limit + 1,
            )
        )
        page = [_workflow(item) for item in items[:limit]]
        more = len(items) > limit
        last = page[-1] if page else None
        return Page(page, encode_cursor(last.created_at, last.id) if more and last else None)

    def update_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Save name, description, tags, current version, archived flag and ``updated_at``.

        Only if the stored revision equals ``workflow.revision``; returns the record with
        ``revision + 1``. ``id``, ``created_at`` and ``latest_version`` are never changed.
        """
        w = workflow
        item = WorkflowItem(pk=w.id, sk=_WORKFLOW_SK)
        actions: list[Action] = [
            WorkflowItem.name.set(w.name),
            WorkflowItem.description.set(w.description),
            WorkflowItem.tags.set(_strings(w.tags)),
            WorkflowItem.archived.set(w.archived),
            WorkflowItem.updated_at.set(w.updated_at),
            WorkflowItem.search.set(workflow_search_text(w)),
            WorkflowItem.revision.add(1),
            WorkflowItem.current_version.remove()
            if w.current_version is None
            else WorkflowItem.current_version.set(w.current_version),
        ]
        try:
            item.update(
                actions=actions,
                condition=WorkflowTableItem.pk.exists() & (WorkflowItem.revision == w.revision),
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise
            stored = self._get(w.id)  # NotFoundError when it is gone
            raise ConflictError(
                f"workflow {w.id!r} was changed by someone else (it is at revision "
                f"{int(stored.revision)}, you saved revision {w.revision}); reload it and retry",
                workflow_id=w.id,
                revision=int(stored.revision),
            ) from None
        return _workflow(item)

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove the workflow and all its versions.

        The workflow item goes first (conditionally: NotFoundError when missing), then
        its versions in batches. A crash in between leaves versions no workflow points
        at; a workflow created again with that id never sees them: reads go no further
        than its ``latest_version``, and :meth:`add_version` overwrites a leftover at
        the number it adds.
        """
        try:
            WorkflowItem(pk=workflow_id, sk=_WORKFLOW_SK).delete(
                condition=WorkflowTableItem.pk.exists()
            )
        except DeleteError as exc:
            if condition_failed(exc):
                raise not_found("workflow", workflow_id) from None
            raise
        self._delete_versions(workflow_id)

    @staticmethod
    def _delete_versions(workflow_id: str) -> None:
        versions = VersionItem.query(
            workflow_id, VersionItem.sk.startswith("v#"), consistent_read=True
        )
        with VersionItem.batch_write() as batch:
            for version in versions:
                batch.delete(version)

    def add_version(self, version: VersionRecord) -> WorkflowRecord:
        """Append ``version``; its number must be ``latest_version + 1``, else ConflictError.

        One transaction: the version is put only if absent, and the workflow updated
        only if its revision is still the one just read: ``latest_version`` and
        ``revision`` move up, ``current_version`` is set when it was None and
        ``updated_at`` moves up to the version's ``created_at``.
        """
        v = version
        for _ in range(_RETRIES):
            stored = self._get(v.workflow_id)
            latest = int(stored.latest_version)
            if v.number != latest + 1:
                raise self._version_conflict(v, latest)
            if self._try_add(v, stored):
                stored.latest_version = v.number
                if stored.current_version is None:
                    stored.current_version = v.number
                stored.revision = int(stored.revision) + 1
                stored.updated_at = max(stored.updated_at, v.created_at)
                return _workflow(stored)
        raise ConflictError(
            f"workflow {v.workflow_id!r} kept changing while version {v.number} was added; "
            "reload it and retry",
            workflow_id=v.workflow_id,
        )

    @staticmethod
    def _try_add(v: VersionRecord, stored: WorkflowItem) -> bool:
        """One attempt; False when the workflow changed since it was read."""
        actions: list[Action] = [
            WorkflowItem.latest_version.set(v.number),
            WorkflowItem.revision.add(1),
            WorkflowItem.updated_at.set(max(stored.updated_at, v.created_at)),
        ]
        if stored.current_version is None:
            actions.append(WorkflowItem.current_version.set(v.number))
        item = VersionItem(
            pk=v.workflow_id,
            sk=_version_sk(v.number),
            number=v.number,
            version_kind=v.kind,
            spec=dumps(v.spec),
            source=v.source,
            note=v.note,
            created_at=v.created_at,
        )
        try:
            with transaction(WorkflowTableItem) as tx:
                tx.update(
                    WorkflowItem(pk=v.workflow_id, sk=_WORKFLOW_SK),
                    actions=actions,
                    condition=(WorkflowItem.revision == int(stored.revision))
                    & (WorkflowItem.latest_version == v.number - 1),
                )
                # Unconditional: the workflow's condition already proves no live version
                # has this number; a leftover of a crashed delete may, and is replaced.
                tx.save(item)
        except TransactWriteError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    @staticmethod
    def _version_conflict(version: VersionRecord, latest: int) -> ConflictError:
        return ConflictError(
            f"cannot add version {version.number} to workflow {version.workflow_id!r}: its "
            f"latest version is {latest}, so the next one is {latest + 1}; reload it and retry",
            workflow_id=version.workflow_id,
            latest_version=latest,
        )

    def get_version(self, workflow_id: str, number: int) -> VersionRecord:
        """One version; NotFoundError when the workflow or the version does not exist."""
        latest = int(self._get(workflow_id).latest_version)  # NotFoundError if missing
        if 1 <= number <= latest:
            try:
                return _version(
                    VersionItem.get(workflow_id, _version_sk(number), consistent_read=True)
                )
            except VersionItem.DoesNotExist:
                pass
        known = f"its versions are 1 to {latest}" if latest else "it has no versions yet"
        raise NotFoundError(
            f"workflow {workflow_id!r} has no version {number} ({known})",
            workflow_id=workflow_id,
            version=number,
        )

    def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        """Oldest first; NotFoundError when the workflow does not exist."""
        latest = int(self._get(workflow_id).latest_version)
        if latest == 0:
            return []
        items = VersionItem.query(
            workflow_id,
            VersionItem.sk.between(_version_sk(1), _version_sk(latest)),
            consistent_read=True,
        )
        return [_version(item) for item in items]
