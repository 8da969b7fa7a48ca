"""The SQLite implementation of the WorkflowStore port."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from functions.backends.common import not_found, workflow_search_text
from functions.backends.local.db import decode_cursor, dumps, encode_cursor
from functions.backends.ports import Page, VersionRecord, WorkflowRecord
from functions.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from functions.backends.local.db import Database

__all__ = ["SqliteWorkflowStore"]

_COLUMNS = (
    "id, name, description, tags, current_version, latest_version, archived, revision, "
    "created_at, updated_at"
)
_VERSION_COLUMNS = "workflow_id, number, kind, spec, source, note, created_at"


def _workflow(row: tuple[Any, ...]) -> WorkflowRecord:
    return WorkflowRecord(
        id=row[0],
        name=row[1],
        description=row[2],
        tags=json.loads(row[3]),
        current_version=row[4],
        latest_version=row[5],
        archived=bool(row[6]),
        revision=row[7],
        created_at=row[8],
        updated_at=row[9],
    )


def _version(row: tuple[Any, ...]) -> VersionRecord:
    return VersionRecord(
        workflow_id=row[0],
        number=row[1],
        kind=row[2],
        spec=json.loads(row[3]),
        source=row[4],
        note=row[5],
        created_at=row[6],
    )


class SqliteWorkflowStore:
    """Workflows and their versions in the local SQLite database.

    Versions are deleted with their workflow (a foreign key cascade). Adding a version
    changes the workflow record (``latest_version``, maybe ``current_version``), so it
    also bumps ``revision``: a client holding the older record must reload before it
    saves, and cannot silently undo the new ``current_version``.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Store a new workflow; ConflictError if the id is taken."""
        w = workflow
        try:
            with self._db.connection() as conn:
                rows = conn.execute(
                    f"INSERT INTO workflows ({_COLUMNS}, search) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
                    (
                        w.id,
                        w.name,
                        w.description,
                        dumps(w.tags),
                        w.current_version,
                        w.latest_version,
                        int(w.archived),
                        w.revision,
                        w.created_at,
                        w.updated_at,
                        workflow_search_text(w),
                    ),
                ).fetchall()
        except sqlite3.IntegrityError:
            raise ConflictError(
                f"a workflow with id {w.id!r} already exists; choose another id",
                workflow_id=w.id,
            ) from None
        return _workflow(rows[0])

    def get_workflow(self, workflow_id: str) -> WorkflowRecord:
        """The workflow; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM workflows WHERE id = ?", (workflow_id,)
            ).fetchone()
        if row is None:
            raise not_found("workflow", workflow_id)
        return _workflow(row)

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
        clauses: list[str] = []
        params: list[Any] = []
        if not include_archived:
            clauses.append("archived = 0")
        if query:
            clauses.append("instr(search, ?) > 0")
            params.append(query.casefold())
        if cursor is not None:
            clauses.append("(created_at, id) < (?, ?)")
            params.extend(decode_cursor(cursor))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._db.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM workflows {where} "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, limit + 1),
            ).fetchall()
        items = [_workflow(row) for row in rows[:limit]]
        more = len(rows) > limit
        last = items[-1] if items else None
        return Page(items, encode_cursor(last.created_at, last.id) if more and last else None)

    def update_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Save name, description, tags, current version, archived flag and ``updated_at``.

        Only if the stored revision equals ``workflow.revision``; returns the record with
        ``revision + 1``. ``id``, ``created_at`` and ``latest_version`` are never changed.
        """
        w = workflow
        with self._db.connection() as conn:
            rows = conn.execute(
                "UPDATE workflows SET name = ?, description = ?, tags = ?, current_version = ?, "
                "archived = ?, updated_at = ?, search = ?, revision = revision + 1 "
                f"WHERE id = ? AND revision = ? RETURNING {_COLUMNS}",
                (
                    w.name,
                    w.description,
                    dumps(w.tags),
                    w.current_version,
                    int(w.archived),
                    w.updated_at,
                    workflow_search_text(w),
                    w.id,
                    w.revision,
                ),
            ).fetchall()
            if rows:
                return _workflow(rows[0])
            stored = conn.execute("SELECT revision FROM workflows WHERE id = ?", (w.id,)).fetchone()
        if stored is None:
            raise not_found("workflow", w.id)
        raise ConflictError(
            f"workflow {w.id!r} was changed by someone else (it is at revision {stored[0]}, "
            f"you saved revision {w.revision}); reload it and retry",
            workflow_id=w.id,
            revision=stored[0],
        )

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove the workflow and all its versions."""
        with self._db.connection() as conn:
            deleted = conn.execute("DELETE FROM workflows WHERE id = ?", (workflow_id,)).rowcount
        if not deleted:
            raise not_found("workflow", workflow_id)

    def add_version(self, version: VersionRecord) -> WorkflowRecord:
        """Append ``version``; its number must be ``latest_version + 1``, else ConflictError.

        In one transaction: bumps ``latest_version`` (and ``revision``), sets
        ``current_version`` when it was None, moves ``updated_at`` up to the version's
        ``created_at``, and stores the version. Returns the updated workflow.
        """
        v = version
        with self._db.transaction() as conn:
            # The WHERE on latest_version is the race guard: of two adds of the same
            # number, the second finds latest_version already moved and updates nothing.
            rows = conn.execute(
                "UPDATE workflows SET latest_version = ?, "
                "current_version = COALESCE(current_version, ?), revision = revision + 1, "
                "updated_at = MAX(updated_at, ?) "
                f"WHERE id = ? AND latest_version = ? RETURNING {_COLUMNS}",
                (v.number, v.number, v.created_at, v.workflow_id, v.number - 1),
            ).fetchall()
            if not rows:
                self._version_conflict(conn, v)
            conn.execute(
                f"INSERT INTO versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (v.workflow_id, v.number, v.kind, dumps(v.spec), v.source, v.note, v.created_at),
            )
        return _workflow(rows[0])

    @staticmethod
    def _version_conflict(conn: sqlite3.Connection, version: VersionRecord) -> None:
        row = conn.execute(
            "SELECT latest_version FROM workflows WHERE id = ?", (version.workflow_id,)
        ).fetchone()
        if row is None:
            raise not_found("workflow", version.workflow_id)
        latest = row[0]
        raise ConflictError(
            f"cannot add version {version.number} to workflow {version.workflow_id!r}: its "
            f"latest version is {latest}, so the next one is {latest + 1}; reload it and retry",
            workflow_id=version.workflow_id,
            latest_version=latest,
        )

    def get_version(self, workflow_id: str, number: int) -> VersionRecord:
        """One version; NotFoundError when the workflow or the version does not exist."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE workflow_id = ? AND number = ?",
                (workflow_id, number),
            ).fetchone()
        if row is not None:
            return _version(row)
        latest = self.get_workflow(workflow_id).latest_version  # NotFoundError if missing
        known = f"its versions are 1 to {latest}" if latest else "it has no versions yet"
        raise NotFoundError(
            f"workflow {workflow_id!r} has no version {number} ({known})",
            workflow_id=workflow_id,
            version=number,
        )

    def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        """Oldest first; NotFoundError when the workflow does not exist."""
        with self._db.connection() as conn:
            rows = conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM versions WHERE workflow_id = ? ORDER BY number",
                (workflow_id,),
            ).fetchall()
        if not rows:
            self.get_workflow(workflow_id)  # NotFoundError, or a workflow with no versions
        return [_version(row) for row in rows]
