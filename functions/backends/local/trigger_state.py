"""The SQLite implementation of the TriggerState port: locks, cursors, counters, nonces.

Each operation is one atomic upsert, so it is safe across threads and across
processes sharing the database file. An item whose ``expires_at`` is not after
``clock()`` counts as absent; expired rows are swept out now and then rather than on
every read.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from functions.backends.local.db import Database

__all__ = ["SqliteTriggerState"]

# Expired locks, counters and nonces are deleted at most this often (clock seconds).
SWEEP_EVERY = 600.0

_ACQUIRE = (
    "INSERT INTO trigger_locks (key, owner, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
    "WHERE trigger_locks.owner = excluded.owner OR trigger_locks.expires_at <= ?"
)
# Both SET expressions see the row as it was, so the CASEs agree on "expired".
_INCREMENT = (
    "INSERT INTO trigger_counters (key, value, expires_at) VALUES (:key, :amount, :expires) "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = CASE WHEN expires_at <= :now THEN excluded.value ELSE value + excluded.value END, "
    "expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END "
    "RETURNING value"
)
_ADD_NONCE = (
    "INSERT INTO trigger_nonces (key, expires_at) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE trigger_nonces.expires_at <= ?"
)


def _check_ttl(ttl: float) -> None:
    if not ttl > 0:
        raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")


class SqliteTriggerState:
    """Trigger state in the local SQLite database; ``clock`` says what time it is."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._swept_at = clock()

    def acquire_lock(self, key: str, owner: str, ttl: float) -> bool:
        """Take the lock for ``ttl`` seconds; False while another owner holds it.

        The same owner may re-acquire (the lease then runs ``ttl`` from now); an
        expired lock is free.
        """
        _check_ttl(ttl)
        now = self._now()
        with self._db.connection() as conn:
            changed = conn.execute(_ACQUIRE, (key, owner, now + ttl, now)).rowcount
        return changed > 0

    def release_lock(self, key: str, owner: str) -> bool:
        """Release if held (not expired) by ``owner``; False otherwise."""
        now = self._now()
        with self._db.connection() as conn:
            rows = conn.execute(
                "DELETE FROM trigger_locks WHERE key = ? AND owner = ? RETURNING expires_at",
                (key, owner),
            ).fetchall()
        return bool(rows) and rows[0][0] > now

    def get_cursor(self, key: str) -> str | None:
        """The cursor stored under ``key``, or None. Cursors never expire."""
        with self._db.connection() as conn:
            row = conn.execute("SELECT value FROM trigger_cursors WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, key: str, value: str) -> None:
        """Store (or overwrite) the cursor under ``key``."""
        with self._db.connection() as conn:
            conn.execute(
                "INSERT INTO trigger_cursors (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def increment(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to a counter and return the new value; ``ttl`` starts a window on creation.

        When the window has expired the counter starts again from zero (with a new
        window of ``ttl``). Without ``ttl`` the counter lasts forever.
        """
        if ttl is not None:
            _check_ttl(ttl)
        now = self._now()
        with self._db.connection() as conn:
            rows = conn.execute(
                _INCREMENT,
                {
                    "key": key,
                    "amount": amount,
                    "now": now,
                    "expires": None if ttl is None else now + ttl,
                },
            ).fetchall()
        return int(rows[0][0])

    def add_nonce(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; False if it was already remembered (replay)."""
        _check_ttl(ttl)
        now = self._now()
        with self._db.connection() as conn:
            changed = conn.execute(_ADD_NONCE, (key, now + ttl, now)).rowcount
        return changed > 0

    def _now(self) -> float:
        """The time, sweeping expired rows first when the last sweep is old enough."""
        now = self._clock()
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            with self._db.transaction() as conn:
                conn.execute("DELETE FROM trigger_locks WHERE expires_at <= ?", (now,))
                conn.execute("DELETE FROM trigger_counters WHERE expires_at <= ?", (now,))
                conn.execute("DELETE FROM trigger_nonces WHERE expires_at <= ?", (now,))
        return now
