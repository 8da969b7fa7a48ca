"""The DynamoDB implementation of the CredentialStore port (ciphertext only: the vault decrypts)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError, TransactWriteError

from functions.backends.aws._codec import dumps
from functions.backends.aws._dynamo import condition_failed, transaction
from functions.backends.aws.models import CredentialItem, CredentialNameItem, CredentialTableItem
from functions.backends.common import not_found
from functions.backends.ports import CredentialRecord
from functions.errors import ConflictError

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

__all__ = ["DynamoCredentialStore"]


def _key(credential_id: str) -> str:
    return f"cred#{credential_id}"


def _name_key(name: str) -> str:
    return f"name#{name}"


def _item(c: CredentialRecord) -> CredentialItem:
    return CredentialItem(
        pk=_key(c.id),
        id=c.id,
        name=c.name,
        type=c.type,
        ciphertext=bytes(c.ciphertext),
        preview=c.preview,
        scope=c.scope,
        metadata=dumps(c.metadata),
        revision=c.revision,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _credential(item: CredentialItem) -> CredentialRecord:
    return CredentialRecord(
        id=item.id,
        name=item.name,
        type=item.type,
        ciphertext=bytes(item.ciphertext),
        preview=item.preview,
        scope=item.scope,
        metadata=json.loads(item.metadata),
        revision=int(item.revision),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"a credential named {name!r} already exists; choose another name", name=name
    )


class DynamoCredentialStore:
    """Encrypted credentials in DynamoDB; names are unique.

    A credential is the item ``cred#<id>``; its name is claimed by a second item,
    ``name#<name>``, written in the same transaction (DynamoDB enforces uniqueness of
    keys only). A rename moves the claim in the update's transaction. The table is
    also encrypted at rest with the stack's KMS key; the ciphertext here is the vault's
    envelope encryption on top of that.
    """

    def create_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """Store a new credential; ConflictError if the id or the name is taken."""
        c = credential
        try:
            with transaction(CredentialTableItem) as tx:
                tx.save(_item(c), condition=CredentialTableItem.pk.does_not_exist())
                tx.save(
                    CredentialNameItem(pk=_name_key(c.name), credential_id=c.id),
                    condition=CredentialTableItem.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            if self._find(c.id) is not None:
                raise ConflictError(
                    f"a credential with id {c.id!r} already exists; choose another id",
                    credential_id=c.id,
                ) from None
            raise _name_taken(c.name) from None
        return c

    @staticmethod
    def _find(credential_id: str) -> CredentialItem | None:
        try:
            return CredentialItem.get(_key(credential_id), consistent_read=True)
        except CredentialItem.DoesNotExist:
            return None

    def get_credential(self, credential_id: str) -> CredentialRecord:
        """The credential; NotFoundError when there is none with this id."""
        item = self._find(credential_id)
        if item is None:
            raise not_found("credential", credential_id)
        return _credential(item)

    def find_credential(self, name: str) -> CredentialRecord | None:
        """The credential with this exact name, or None."""
        try:
            claim = CredentialNameItem.get(_name_key(name), consistent_read=True)
        except CredentialNameItem.DoesNotExist:
            return None
        item = self._find(claim.credential_id)
        return None if item is None or item.name != name else _credential(item)

    def list_credentials(self) -> list[CredentialRecord]:
        """All credentials, by name (a scan: a deployment holds tens of them, not millions)."""
        items = CredentialItem.scan(consistent_read=True)
        return sorted((_credential(item) for item in items), key=lambda c: (c.name, c.id))

    def update_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """Save every field but ``id`` and ``created_at`` if the stored revision matches.

        Returns the record with ``revision + 1``; ConflictError when someone else saved
        first or the new name is taken.
        """
        c = credential
        stored = self._find(c.id)
        if stored is None:
            raise not_found("credential", c.id)
        actions: list[Action] = [
            CredentialItem.name.set(c.name),
            CredentialItem.type.set(c.type),
            CredentialItem.ciphertext.set(bytes(c.ciphertext)),
            CredentialItem.preview.set(c.preview),
            CredentialItem.scope.set(c.scope),
            CredentialItem.metadata.set(dumps(c.metadata)),
            CredentialItem.updated_at.set(c.updated_at),
            CredentialItem.revision.add(1),
        ]
        # The claim moves with the name; the revision condition also pins the old name.
        guard = CredentialTableItem.pk.exists() & (CredentialItem.revision == c.revision)
        try:
            with transaction(CredentialTableItem) as tx:
                tx.update(CredentialItem(pk=_key(c.id)), actions=actions, condition=guard)
                if c.name != stored.name:
                    tx.delete(
                        CredentialNameItem(pk=_name_key(stored.name)),
                        condition=CredentialNameItem.credential_id == c.id,
                    )
                    tx.save(
                        CredentialNameItem(pk=_name_key(c.name), credential_id=c.id),
                        condition=CredentialTableItem.pk.does_not_exist(),
                    )
        except TransactWriteError as exc:
            if not condition_failed(exc):
                raise
            raise self._update_conflict(c) from None
        return self._saved(c)

    def _saved(self, c: CredentialRecord) -> CredentialRecord:
        return CredentialRecord(**{**vars(c), "revision": c.revision + 1})

    def _update_conflict(self, c: CredentialRecord) -> Exception:
        now = self._find(c.id)
        if now is None:
            return not_found("credential", c.id)
        if int(now.revision) != c.revision:
            return ConflictError(
                f"credential {c.id!r} was changed by someone else (it is at revision "
                f"{int(now.revision)}, you saved revision {c.revision}); reload it and retry",
                credential_id=c.id,
                revision=int(now.revision),
            )
        return _name_taken(c.name)

    def delete_credential(self, credential_id: str) -> None:
        """Remove the credential and its name claim; NotFoundError when there is none."""
        stored = self._find(credential_id)
        if stored is None:
            raise not_found("credential", credential_id)
        try:
            with transaction(CredentialTableItem) as tx:
                tx.delete(stored, condition=CredentialTableItem.pk.exists())
                tx.delete(
                    CredentialNameItem(pk=_name_key(stored.name)),
                    condition=CredentialNameItem.credential_id == credential_id,
                )
        except (TransactWriteError, DeleteError) as exc:
            if condition_failed(exc):
                raise not_found("credential", credential_id) from None
            raise
