"""What only the SQLite backend promises: one private WAL file, versioned migrations."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from functions.backends.local import (
    Database,
    SqliteRunStore,
    SqliteTriggerState,
    SqliteWorkflowStore,
)
from functions.backends.local.db import MIGRATIONS
from functions.backends.local.trigger_state import SWEEP_EVERY
from functions.backends.ports import EventRecord, RunRecord, VersionRecord, WorkflowRecord
from functions.errors import ConflictError
from orcheo_core.errors import ConfigError

from .conftest import Clock

LATEST = MIGRATIONS[-1][0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def applied(db: Database) -> list[tuple[int, str]]:
    with db.connection() as conn:
        rows = conn.execute("SELECT version, description FROM schema_migrations ORDER BY version")
        return [(int(v), str(d)) for v, d in rows]


def test_a_new_database_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "home" / "nested" / "orcheo.db"
    with Database(path) as db:
        with db.connection() as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        SqliteRunStore(db).create_run(RunRecord(id="r1", workflow_id="wf", version=1))
        assert mode(path) == 0o600
        # The write-ahead log holds the same data until a checkpoint: private too.
        assert mode(path.with_name("orcheo.db-wal")) == 0o600


def test_every_migration_is_applied_once_and_recorded(tmp_path: Path) -> None:
    with Database(tmp_path / "orcheo.db") as db:
        assert db.schema_version == LATEST
        assert applied(db) == [(v, d) for v, d, _ in MIGRATIONS]
    with Database(tmp_path / "orcheo.db") as db:
        assert db.schema_version == LATEST
        assert applied(db) == [(v, d) for v, d, _ in MIGRATIONS]


def test_the_schema_has_the_tables_the_stores_and_scheduler_use(tmp_path: Path) -> None:
    with Database(tmp_path / "orcheo.db") as db, db.connection() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"workflows", "versions", "runs", "run_events", "credentials", "tokens"} <= tables
        columns = [r[1:4] for r in conn.execute("PRAGMA table_info(schedules)")]
        assert columns == [
            ("id", "TEXT", 0),
            ("expression", "TEXT", 1),
            ("timezone", "TEXT", 1),
            ("target", "TEXT", 1),
            ("enabled", "INTEGER", 1),
            ("created_at", "REAL", 1),
        ]


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "orcheo.db"
    with Database(path) as db:
        store = SqliteWorkflowStore(db)
        store.create_workflow(WorkflowRecord(id="wf1", name="kept"))
        store.add_version(VersionRecord(workflow_id="wf1", number=1, spec={"a": 1}))
    with Database(path) as db:
        store = SqliteWorkflowStore(db)
        assert store.get_workflow("wf1").name == "kept"
        assert store.get_version("wf1", 1).spec == {"a": 1}


def test_opening_an_older_database_applies_only_the_missing_migrations(tmp_path: Path) -> None:
    path = tmp_path / "orcheo.db"
    with Database(path) as db:
        SqliteWorkflowStore(db).create_workflow(WorkflowRecord(id="wf1", name="old"))
    extra = (LATEST + 1, "add a notes table", "CREATE TABLE notes (id TEXT PRIMARY KEY);")
    with Database(path, migrations=(*MIGRATIONS, extra)) as db:
        assert db.schema_version == LATEST + 1
        assert applied(db)[-1] == (LATEST + 1, "add a notes table")
        # Had migration 1 run again, CREATE TABLE workflows would have failed.
        assert SqliteWorkflowStore(db).get_workflow("wf1").name == "old"
        with db.connection() as conn:
            conn.execute("INSERT INTO notes VALUES ('n1')")


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "orcheo.db"
    Database(path).close()
    broken = (LATEST + 1, "broken", "CREATE TABLE half (id TEXT); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        Database(path, migrations=(*MIGRATIONS, broken))
    with Database(path) as db, db.connection() as conn:
        assert db.schema_version == LATEST
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall() == []


def test_a_database_from_a_newer_orcheo_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orcheo.db"
    future = (LATEST + 1, "from the future", "CREATE TABLE future (id TEXT);")
    Database(path, migrations=(*MIGRATIONS, future)).close()
    with pytest.raises(ConfigError, match=rf"schema version {LATEST + 1}.*upgrade Orcheo"):
        Database(path)


def test_two_connections_to_one_file_race_safely(tmp_path: Path) -> None:
    # Two processes (say the server and the CLI) on the same file: one add wins.
    path = tmp_path / "orcheo.db"
    with Database(path) as first, Database(path) as second:
        SqliteWorkflowStore(first).create_workflow(WorkflowRecord(id="wf1", name="w"))
        stores = [SqliteWorkflowStore(first), SqliteWorkflowStore(second)]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def add(i: int) -> None:
            barrier.wait()
            try:
                stores[i].add_version(VersionRecord(workflow_id="wf1", number=1, note=str(i)))
                outcomes.append("won")
            except ConflictError:
                outcomes.append("lost")

        threads = [threading.Thread(target=add, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["lost", "won"]
        assert len(SqliteWorkflowStore(second).list_versions("wf1")) == 1


def test_a_failed_event_batch_rolls_back_inside_an_outer_transaction(tmp_path: Path) -> None:
    # Nested transactions are savepoints: the inner failure undoes only the inner part.
    with Database(tmp_path / "orcheo.db") as db:
        runs = SqliteRunStore(db)
        runs.create_run(RunRecord(id="r1", workflow_id="wf", version=1))
        with db.transaction():
            runs.append_events([EventRecord(run_id="r1", seq=1, type="a")])
            with pytest.raises(ConflictError):
                runs.append_events(
                    [EventRecord(run_id="r1", seq=2, type="b"), EventRecord("r1", 1, "c")]
                )
        assert [e.type for e in runs.list_events("r1")] == ["a"]
        assert runs.get_run("r1").last_seq == 1


def test_expired_trigger_state_is_swept_out_of_the_file(tmp_path: Path) -> None:
    clock = Clock()
    with Database(tmp_path / "orcheo.db") as db:
        state = SqliteTriggerState(db, clock=clock)
        for i in range(20):
            state.add_nonce(f"old-{i}", ttl=60)
        state.acquire_lock("old-lock", "a", ttl=60)
        state.increment("old-window", ttl=60)
        state.increment("forever")
        clock.advance(SWEEP_EVERY)
        assert state.add_nonce("new", ttl=60)
        with db.connection() as conn:
            left = {
                table: [r[0] for r in conn.execute(f"SELECT key FROM {table}")]
                for table in ("trigger_nonces", "trigger_locks", "trigger_counters")
            }
        assert left == {
            "trigger_nonces": ["new"],
            "trigger_locks": [],
            "trigger_counters": ["forever"],
        }
