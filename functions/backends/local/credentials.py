"""The SQLite implementation of the CredentialStore port (ciphertext only: the vault decrypts)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from functions.backends.common import not_found
from functions.backends.local.db import dumps
from functions.backends.ports import CredentialRecord
from functions.errors import ConflictError

if TYPE_CHECKING:
    from functions.backends.local.db import Database

__all__ = ["SqliteCredentialStore"]

_COLUMNS = "id, name, type, ciphertext, preview, scope, metadata, revision, created_at, updated_at"


def _credential(row: tuple[Any, ...]) -> CredentialRecord:
    return CredentialRecord(
        id=row[0],
        name=row[1],
        type=row[2],
        ciphertext=bytes(row[3]),
        preview=row[4],
        scope=row[5],
        metadata=json.loads(row[6]),
        revision=row[7],
        created_at=row[8],
        updated_at=row[9],
    )


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"a credential named {name!r} already exists; choose another name", name=name
    )


class SqliteCredentialStore:
    """Encrypted credentials in the local SQLite database; names are unique."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """Store a new credential; ConflictError if the id or the name is taken."""
        c = credential
        with self._db.connection() as conn:
            try:
                rows = conn.execute(
                    f"INSERT INTO credentials ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    f"RETURNING {_COLUMNS}",
                    (
                        c.id,
                        c.name,
                        c.type,
                        c.ciphertext,
                        c.preview,
                        c.scope,
                        dumps(c.metadata),
                        c.revision,
                        c.created_at,
                        c.updated_at,
                    ),
                ).fetchall()
            except sqlite3.IntegrityError:
                taken = conn.execute("SELECT 1 FROM credentials WHERE id = ?", (c.id,)).fetchone()
                if taken is None:
                    raise _name_taken(c.name) from None
                raise ConflictError(
                    f"a credential with id {c.id!r} already exists; choose another id",
                    credential_id=c.id,
                ) from None
        return _credential(rows[0])

    def get_credential(self, credential_id: str) -> CredentialRecord:
        """The credential; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM credentials WHERE id = ?", (credential_id,)
            ).fetchone()
        if row is None:
            raise not_found("credential", credential_id)
        return _credential(row)

    def find_credential(self, name: str) -> CredentialRecord | None:
        """The credential with this exact name, or None."""
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM credentials WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else _credential(row)

    def list_credentials(self) -> list[CredentialRecord]:
        """All credentials, by name."""
        with self._db.connection() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM credentials ORDER BY name, id").fetchall()
        return [_credential(row) for row in rows]

    def update_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """Save every field but ``id`` and ``created_at`` if the stored revision matches.

        Returns the record with ``revision + 1``; ConflictError when someone else saved
        first or the new name is taken.
        """
        c = credential
        with self._db.connection() as conn:
            try:
                rows = conn.execute(
                    "UPDATE credentials SET name = ?, type = ?, ciphertext = ?, preview = ?, "
                    "scope = ?, metadata = ?, updated_at = ?, revision = revision + 1 "
                    f"WHERE id = ? AND revision = ? RETURNING {_COLUMNS}",
                    (
                        c.name,
                        c.type,
                        c.ciphertext,
                        c.preview,
                        c.scope,
                        dumps(c.metadata),
                        c.updated_at,
                        c.id,
                        c.revision,
                    ),
                ).fetchall()
            except sqlite3.IntegrityError:
                raise _name_taken(c.name) from None
            if rows:
                return _credential(rows[0])
            stored = conn.execute(
                "SELECT revision FROM credentials WHERE id = ?", (c.id,)
            ).fetchone()
        if stored is None:
            raise not_found("credential", c.id)
        raise ConflictError(
            f"credential {c.id!r} was changed by someone else (it is at revision {stored[0]}, "
            f"you saved revision {c.revision}); reload it and retry",
            credential_id=c.id,
            revision=stored[0],
        )

    def delete_credential(self, credential_id: str) -> None:
        """Remove the credential; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            deleted = conn.execute(
                "DELETE FROM credentials WHERE id = ?", (credential_id,)
            ).rowcount
        if not deleted:
            raise not_found("credential", credential_id)
