"""The SQLite implementation of the RunStore port.

This is the hot path of the local stack (a run is one insert, a few updates and an
event append per step), so every call is one short statement or one short
transaction on the shared connection, with SQL strings built once.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, Any

from functions.backends.common import (
    RUN_CHANGEABLE,
    RUN_FIELDS,
    check_run_changes,
    check_run_status,
    not_found,
    run_status_conflict,
)
from functions.backends.local.db import decode_cursor, dumps, encode_cursor
from functions.backends.ports import EventRecord, Page, RunRecord
from functions.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

    from functions.backends.local.db import Database
    from functions.backends.ports import RunStatus

__all__ = ["SqliteRunStore"]

_FIELDS = RUN_FIELDS
_COLUMNS = ", ".join(_FIELDS)
_INSERT = f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})"
_EVENT_COLUMNS = "run_id, seq, type, workflow_id, node, attempt, data, ts"
_INSERT_EVENT = f"INSERT INTO run_events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT_EVENTS = (
    f"SELECT {_EVENT_COLUMNS} FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else dumps(value)


def _same(value: Any) -> Any:
    return value


# How update_run stores each field it may change; id and last_seq are not changeable.
_ENCODERS: dict[str, Callable[[Any], Any]] = dict.fromkeys(RUN_CHANGEABLE, _same)
_ENCODERS.update(inputs=dumps, state=_json_or_none, error=_json_or_none, debug=int)


def _run(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        id=row[0],
        workflow_id=row[1],
        version=row[2],
        status=row[3],
        inputs=json.loads(row[4]),
        state=None if row[5] is None else json.loads(row[5]),
        error=None if row[6] is None else json.loads(row[6]),
        debug=bool(row[7]),
        trigger=row[8],
        replay_of=row[9],
        resumed_from_step=row[10],
        batch_id=row[11],
        created_at=row[12],
        started_at=row[13],
        finished_at=row[14],
        duration=row[15],
        last_seq=row[16],
    )


def _event(row: tuple[Any, ...]) -> EventRecord:
    return EventRecord(
        run_id=row[0],
        seq=row[1],
        type=row[2],
        workflow_id=row[3],
        node=row[4],
        attempt=row[5],
        data=json.loads(row[6]),
        ts=row[7],
    )


@functools.lru_cache(maxsize=256)
def _update_sql(names: tuple[str, ...], expected: int) -> str:
    """``UPDATE runs`` for these fields; ``expected`` statuses guard it (-1: no guard)."""
    check_run_changes(names)
    sets = ", ".join(f"{name} = ?" for name in names)
    guard = f" AND status IN ({', '.join('?' * expected)})" if expected >= 0 else ""
    return f"UPDATE runs SET {sets} WHERE id = ?{guard} RETURNING {_COLUMNS}"


class SqliteRunStore:
    """Runs and their ordered events in the local SQLite database.

    Events are deleted with their run (a foreign key cascade). ``list_runs`` bounds
    ``created_at`` by ``since <= created_at < until``.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_run(self, run: RunRecord) -> None:
        """Store a new run; ConflictError if the id is taken."""
        check_run_status(run.status)
        r = run
        params = (
            r.id,
            r.workflow_id,
            r.version,
            r.status,
            dumps(r.inputs),
            _json_or_none(r.state),
            _json_or_none(r.error),
            int(r.debug),
            r.trigger,
            r.replay_of,
            r.resumed_from_step,
            r.batch_id,
            r.created_at,
            r.started_at,
            r.finished_at,
            r.duration,
            r.last_seq,
        )
        try:
            with self._db.connection() as conn:
                conn.execute(_INSERT, params)
        except sqlite3.IntegrityError:
            raise ConflictError(
                f"a run with id {run.id!r} already exists; choose another id", run_id=run.id
            ) from None

    def get_run(self, run_id: str) -> RunRecord:
        """The run; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise not_found("run", run_id)
        return _run(row)

    def update_run(
        self,
        run_id: str,
        *,
        expected_status: Collection[RunStatus] | None = None,
        **changes: Any,
    ) -> RunRecord:
        """Change fields of a run and return it; ConflictError if its status is not expected.

        The status check and the change are one statement, so two callers racing to
        move a run out of the same status cannot both win. ValueError for a field
        that does not exist (or is ``id``/``last_seq``) or an unknown status.
        """
        if "status" in changes:
            check_run_status(changes["status"])
        expected = None if expected_status is None else tuple(expected_status)
        if not changes:
            run = self.get_run(run_id)
            if expected is not None and run.status not in expected:
                raise run_status_conflict(run_id, run.status, expected)
            return run
        sql = _update_sql(tuple(changes), -1 if expected is None else len(expected))
        params = [_ENCODERS[name](value) for name, value in changes.items()]
        params.append(run_id)
        if expected is not None:
            params.extend(expected)
        with self._db.connection() as conn:
            try:
                rows = conn.execute(sql, params).fetchall()
            except sqlite3.IntegrityError as exc:  # e.g. None for a NOT NULL field
                raise ValueError(f"invalid change to run {run_id!r}: {exc}") from None
            if rows:
                return _run(rows[0])
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise not_found("run", run_id)
        raise run_status_conflict(run_id, row[0], expected or ())

    def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: Collection[RunStatus] | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[RunRecord]:
        """Newest first (by ``created_at``, then id), filtered; ``since <= created_at < until``."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        clauses: list[str] = []
        params: list[Any] = []
        if workflow_id is not None:
            clauses.append("workflow_id = ?")
            params.append(workflow_id)
        if status is not None:
            statuses = tuple(status)
            clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("created_at < ?")
            params.append(until)
        if cursor is not None:
            clauses.append("(created_at, id) < (?, ?)")
            params.extend(decode_cursor(cursor))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._db.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM runs {where} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, limit + 1),
            ).fetchall()
        items = [_run(row) for row in rows[:limit]]
        more = len(rows) > limit
        last = items[-1] if items else None
        return Page(items, encode_cursor(last.created_at, last.id) if more and last else None)

    def delete_run(self, run_id: str) -> None:
        """Remove the run and its events."""
        with self._db.connection() as conn:
            deleted = conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount
        if not deleted:
            raise not_found("run", run_id)

    def append_events(self, events: Sequence[EventRecord]) -> None:
        """Store events of one run and raise its ``last_seq``, all or nothing.

        ConflictError if a sequence number is already stored (nothing of the batch is
        kept); NotFoundError if the run does not exist; ValueError for a batch that
        mixes runs.
        """
        if not events:
            return
        run_id = events[0].run_id
        if any(event.run_id != run_id for event in events):
            raise ValueError("append_events takes the events of one run per call")
        rows = [
            (e.run_id, e.seq, e.type, e.workflow_id, e.node, e.attempt, dumps(e.data), e.ts)
            for e in events
        ]
        top = max(e.seq for e in events)
        try:
            with self._db.transaction() as conn:
                updated = conn.execute(
                    "UPDATE runs SET last_seq = MAX(last_seq, ?) WHERE id = ?", (top, run_id)
                ).rowcount
                if not updated:
                    raise not_found("run", run_id)
                if len(rows) == 1:
                    conn.execute(_INSERT_EVENT, rows[0])
                else:
                    conn.executemany(_INSERT_EVENT, rows)
        except sqlite3.IntegrityError:
            raise self._seq_conflict(run_id, [e.seq for e in events]) from None

    def _seq_conflict(self, run_id: str, seqs: list[int]) -> ConflictError:
        """Name the sequence numbers that clashed (after the batch was rolled back)."""
        with self._db.connection() as conn:
            stored = {
                row[0]
                for row in conn.execute(
                    f"SELECT seq FROM run_events WHERE run_id = ? "
                    f"AND seq IN ({', '.join('?' * len(seqs))})",
                    (run_id, *seqs),
                )
            }
        clashes = sorted(stored | {seq for seq, n in Counter(seqs).items() if n > 1})
        return ConflictError(
            f"run {run_id!r} already has event(s) with seq {', '.join(map(str, clashes))}; "
            "events are never overwritten, so none of this batch was stored",
            run_id=run_id,
            seqs=clashes,
        )

    def list_events(
        self, run_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        """The run's events with ``seq > after_seq``, in order (empty for an unknown run)."""
        with self._db.connection() as conn:
            rows = conn.execute(
                _SELECT_EVENTS, (run_id, after_seq, -1 if limit is None else limit)
            ).fetchall()
        return [_event(row) for row in rows]
