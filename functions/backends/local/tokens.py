"""The SQLite implementation of the TokenStore port (hashes only, never a secret)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from functions.backends.local.db import dumps
from functions.backends.ports import TokenRecord
from functions.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from functions.backends.local.db import Database

__all__ = ["SqliteTokenStore"]

_COLUMNS = "id, name, hash, scopes, prefix, created_at, last_used_at, revoked_at, expires_at"
# What update_token may change: the rest of a token is fixed when it is issued.
_CHANGEABLE = ("name", "last_used_at", "revoked_at", "expires_at")


def _token(row: tuple[Any, ...]) -> TokenRecord:
    return TokenRecord(
        id=row[0],
        name=row[1],
        hash=row[2],
        scopes=json.loads(row[3]),
        prefix=row[4],
        created_at=row[5],
        last_used_at=row[6],
        revoked_at=row[7],
        expires_at=row[8],
    )


class SqliteTokenStore:
    """Hashed API tokens in the local SQLite database; hashes are unique."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_token(self, token: TokenRecord) -> None:
        """Store a new token; ConflictError if its id or hash is already stored."""
        t = token
        try:
            with self._db.connection() as conn:
                conn.execute(
                    f"INSERT INTO tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        t.id,
                        t.name,
                        t.hash,
                        dumps(t.scopes),
                        t.prefix,
                        t.created_at,
                        t.last_used_at,
                        t.revoked_at,
                        t.expires_at,
                    ),
                )
        except sqlite3.IntegrityError:
            raise ConflictError(
                f"token {t.id!r} (or one with the same hash) already exists; issue a new one",
                token_id=t.id,
            ) from None

    def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not (the caller checks), or None."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE hash = ?", (token_hash,)
            ).fetchone()
        return None if row is None else _token(row)

    def get_token(self, token_id: str) -> TokenRecord:
        """The token; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM tokens WHERE id = ?", (token_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(
                f"token {token_id!r} not found; list tokens to see the ids that exist",
                token_id=token_id,
            )
        return _token(row)

    def list_tokens(self) -> list[TokenRecord]:
        """All tokens, oldest first, revoked ones included."""
        with self._db.connection() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM tokens ORDER BY created_at, id").fetchall()
        return [_token(row) for row in rows]

    def update_token(self, token_id: str, **changes: Any) -> TokenRecord:
        """Change ``last_used_at``, ``revoked_at``, ``name`` or ``expires_at``; ValueError else."""
        unknown = sorted(set(changes) - set(_CHANGEABLE))
        if unknown:
            raise ValueError(
                f"cannot change token field(s) {', '.join(unknown)}; "
                f"changeable fields are {', '.join(_CHANGEABLE)}"
            )
        if not changes:
            return self.get_token(token_id)
        sets = ", ".join(f"{name} = ?" for name in changes)
        with self._db.connection() as conn:
            try:
                rows = conn.execute(
                    f"UPDATE tokens SET {sets} WHERE id = ? RETURNING {_COLUMNS}",
                    (*changes.values(), token_id),
                ).fetchall()
            except sqlite3.IntegrityError as exc:  # e.g. a None name
                raise ValueError(f"invalid change to token {token_id!r}: {exc}") from None
        if not rows:
            return self.get_token(token_id)  # raises NotFoundError
        return _token(rows[0])
