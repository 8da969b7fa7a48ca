"""The DynamoDB implementation of the TokenStore port (hashes only, never a secret)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from functions.backends.aws._dynamo import condition_failed, transaction
from functions.backends.aws.models import TokenHashItem, TokenItem, TokenTableItem
from functions.backends.common import not_found
from functions.backends.ports import TokenRecord
from functions.errors import ConflictError

__all__ = ["DynamoTokenStore"]

# What update_token may change: the rest of a token is fixed when it is issued.
_CHANGEABLE = ("name", "last_used_at", "revoked_at", "expires_at")


def _key(token_id: str) -> str:
    return f"token#{token_id}"


def _hash_key(token_hash: str) -> str:
    return f"hash#{token_hash}"


def _token(item: TokenItem) -> TokenRecord:
    return TokenRecord(
        id=item.id,
        name=item.name,
        hash=item.hash,
        scopes=list(item.scopes or []),  # type: ignore[arg-type]
        prefix=item.prefix,
        created_at=item.created_at,
        last_used_at=item.last_used_at,
        revoked_at=item.revoked_at,
        expires_at=item.expires_at,
    )


class DynamoTokenStore:
    """Hashed API tokens in DynamoDB; hashes are unique.

    A token is the item ``token#<id>``; ``hash#<sha256>`` claims its hash in the same
    transaction, so :meth:`find_token` (every authenticated request) is two consistent
    key reads, with no index lagging behind a token just issued.
    """

    def create_token(self, token: TokenRecord) -> None:
        """Store a new token; ConflictError if its id or hash is already stored."""
        t = token
        item = TokenItem(
            pk=_key(t.id),
            id=t.id,
            name=t.name,
            hash=t.hash,
            scopes=list(t.scopes),
            prefix=t.prefix,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
            expires_at=t.expires_at,
        )
        try:
            with transaction(TokenTableItem) as tx:
                tx.save(item, condition=TokenTableItem.pk.does_not_exist())
                tx.save(
                    TokenHashItem(pk=_hash_key(t.hash), token_id=t.id),
                    condition=TokenTableItem.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if condition_failed(exc):
                raise ConflictError(
                    f"token {t.id!r} (or one with the same hash) already exists; issue a new one",
                    token_id=t.id,
                ) from None
            raise

    def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not (the caller checks), or None."""
        try:
            claim = TokenHashItem.get(_hash_key(token_hash), consistent_read=True)
        except TokenHashItem.DoesNotExist:
            return None
        try:
            return _token(TokenItem.get(_key(claim.token_id), consistent_read=True))
        except TokenItem.DoesNotExist:
            return None

    def get_token(self, token_id: str) -> TokenRecord:
        """The token; NotFoundError when there is none with this id."""
        try:
            return _token(TokenItem.get(_key(token_id), consistent_read=True))
        except TokenItem.DoesNotExist:
            raise not_found("token", token_id) from None

    def list_tokens(self) -> list[TokenRecord]:
        """All tokens, oldest first, revoked ones included (a scan: there are few)."""
        tokens = (_token(item) for item in TokenItem.scan(consistent_read=True))
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

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
        if "name" in changes and changes["name"] is None:
            raise ValueError(f"invalid change to token {token_id!r}: name cannot be None")
        attributes: dict[str, Any] = TokenItem.get_attributes()
        actions = [
            attributes[name].remove() if value is None else attributes[name].set(value)
            for name, value in changes.items()
        ]
        item = TokenItem(pk=_key(token_id))
        try:
            item.update(actions=actions, condition=TokenTableItem.pk.exists())
        except UpdateError as exc:
            if condition_failed(exc):
                raise not_found("token", token_id) from None
            raise
        return _token(item)
