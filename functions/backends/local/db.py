"""The local stack's one SQLite database: connection, pragmas, migrations, transactions.

One file (``Settings.db_path``) holds workflows, runs, events, credentials, tokens,
trigger state and schedules. One connection serves the whole process: it is opened
with ``check_same_thread=False`` because the asyncio loop thread and FastAPI's
threadpool both use it, and a re-entrant lock makes every use exclusive.

The schema evolves by numbered migrations (:data:`MIGRATIONS`), each applied once, in
one transaction, and recorded in ``schema_migrations``. Never edit a released
migration: append a new one.

Example::

    db = Database(settings.db_path)
    with db.transaction() as conn:
        conn.execute("UPDATE runs SET status = ? WHERE id = ?", ("failed", run_id))
    db.close()
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.errors import UnprocessableError
from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

__all__ = ["MIGRATIONS", "Database", "decode_cursor", "dumps", "encode_cursor"]

# How long a statement waits for another process's write lock before failing.
BUSY_TIMEOUT_MS = 5000


def dumps(value: Any) -> str:
    """Compact JSON for a stored column (no spaces: smaller rows, faster writes)."""
    return json.dumps(value, separators=(",", ":"))


def encode_cursor(created_at: float, key: str) -> str:
    """An opaque page cursor: the sort key of the last item returned."""
    raw = json.dumps([created_at, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The sort key in ``cursor``; UnprocessableError when it was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, key = json.loads(raw)
        if isinstance(created_at, int | float) and isinstance(key, str):
            return float(created_at), key
    except (ValueError, TypeError, OverflowError):  # OverflowError: float() of a huge int
        pass
    raise UnprocessableError(
        f"invalid page cursor {cursor[:40]!r}: pass back the next_cursor of the previous "
        "page unchanged, or leave it out to start from the first page",
        field="cursor",
    )


_SCHEMA_1 = """
CREATE TABLE workflows (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]' /* JSON list */,
    current_version INTEGER,
    latest_version INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    -- casefolded name, description and tags: what ``query`` searches
    search TEXT NOT NULL DEFAULT ''
);
CREATE INDEX workflows_by_created ON workflows (created_at, id);

CREATE TABLE versions (
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL /* JSON */,
    source TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    PRIMARY KEY (workflow_id, number)
);

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    inputs TEXT NOT NULL /* JSON */,
    state TEXT /* JSON */,
    error TEXT /* JSON */,
    debug INTEGER NOT NULL DEFAULT 0,
    trigger TEXT NOT NULL,
    replay_of TEXT,
    resumed_from_step INTEGER,
    batch_id TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    duration REAL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_created ON runs (created_at, id);
CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at, id);
CREATE INDEX runs_by_status ON runs (status, created_at, id);
CREATE INDEX runs_by_batch ON runs (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE run_events (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    workflow_id TEXT NOT NULL DEFAULT '',
    node TEXT,
    attempt INTEGER,
    data TEXT NOT NULL /* JSON */,
    ts REAL NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    preview TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT 'global',
    metadata TEXT NOT NULL DEFAULT '{}' /* JSON */,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL /* JSON list */,
    prefix TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    last_used_at REAL,
    revoked_at REAL,
    expires_at REAL
);

CREATE TABLE trigger_locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE trigger_cursors (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trigger_counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL);
CREATE TABLE trigger_nonces (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);

CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    expression TEXT NOT NULL,
    timezone TEXT NOT NULL,
    target TEXT NOT NULL /* JSON */,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL DEFAULT 0
);
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "workflows, versions, runs, events, credentials, tokens, trigger state, schedules",
        _SCHEMA_1,
    ),
)
"""``(version, description, sql)`` in order; append only, never edit a released one."""


def _statements(sql: str) -> list[str]:
    """Split a script into statements (``executescript`` would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for part in sql.split(";"):
        buffer += part + ";"
        # A ';' inside a string or comment leaves the statement incomplete: keep going.
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


def _create_private(path: Path) -> None:
    """Create ``path`` readable by its owner only (it holds token hashes and ciphertext).

    SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions.
    """
    if path.exists():
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    path.chmod(0o600)  # the umask may have narrowed the mode oddly; be exact


class Database:
    """One SQLite database file, migrated to the current schema on open.

    Thread-safe: every use goes through :meth:`transaction` (writes that must be
    atomic) or :meth:`connection` (a single statement, which SQLite makes atomic
    on its own). Raises :class:`~orcheo_core.errors.ConfigError` when the file was
    written by a newer Orcheo. ``migrations`` replaces :data:`MIGRATIONS`; tests use it
    to play an older or a newer release.
    """

    def __init__(
        self, path: str | Path, *, migrations: tuple[tuple[int, str, str], ...] | None = None
    ) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private(self.path)
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction(): inner levels are savepoints
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (the same on 3.11 and 3.12).
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            self._configure()
            self._version = self._migrate(MIGRATIONS if migrations is None else migrations)
        except BaseException:
            self._conn.close()
            raise

    # ------------------------------------------------------------------ opening

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ConfigError(
                f"could not switch the database at {self.path} to WAL mode (it is in "
                f"{mode!r} mode); put ORCHEO_HOME on a local disk, not a network share"
            )
        # In WAL mode NORMAL is durable across application crashes and skips an fsync
        # per commit; only a power loss can drop the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at REAL NOT NULL)"
        )

    def _stored_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def _migrate(self, migrations: tuple[tuple[int, str, str], ...]) -> int:
        known = migrations[-1][0] if migrations else 0
        current = self._stored_version()
        if current > known:
            raise ConfigError(
                f"the database at {self.path} has schema version {current}, but this Orcheo "
                f"only knows up to version {known}: upgrade Orcheo (pip install -U orcheo), "
                "or set ORCHEO_HOME to another directory to start with a fresh database"
            )
        for version, description, sql in migrations:
            if version <= current:
                continue
            with self.transaction() as conn:
                # Another process may have migrated while we waited for the write lock.
                if self._stored_version() >= version:
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    (version, description, time.time()),
                )
        return self._stored_version()

    # ------------------------------------------------------------------ use

    @property
    def schema_version(self) -> int:
        """The highest migration applied to this database."""
        return self._version

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection, held exclusively; each statement commits on its own."""
        with self._lock:
            yield self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one write transaction: committed on success, rolled back on error.

        The write lock is taken at the start (``BEGIN IMMEDIATE``) so a transaction never
        fails halfway through for want of it. Nested use becomes a savepoint: an error
        inside undoes only the inner block.
        """
        with self._lock:
            conn = self._conn
            depth = self._depth
            conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}")
            self._depth = depth + 1
            try:
                yield conn
                conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")
            except BaseException:
                # Some errors (a full disk, say) make SQLite roll back by itself.
                if conn.in_transaction:
                    if depth == 0:
                        conn.execute("ROLLBACK")
                    else:
                        conn.execute(f"ROLLBACK TO sp{depth}")
                        conn.execute(f"RELEASE sp{depth}")
                raise
            finally:
                self._depth = depth

    def close(self) -> None:
        """Close the connection (idempotent); the database file stays."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r}, schema_version={self._version})"
