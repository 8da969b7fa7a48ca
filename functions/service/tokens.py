"""API tokens: issue (the secret is shown once), authenticate, revoke.

A token is ``orch_<id>_<secret>``; only the SHA-256 of the whole string is stored.
Tokens are long random strings, so a fast hash is safe (no password stretching
needed) and lets every request be checked cheaply.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import TYPE_CHECKING

from functions.backends.ports import Scope, TokenRecord
from functions.errors import ForbiddenError, NotFoundError, UnauthorizedError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from functions.service import Services

__all__ = [
    "SCOPES",
    "TokenCache",
    "authenticate",
    "ensure_admin_token",
    "grants",
    "hash_token",
    "issue_token",
    "revoke_token",
]

SCOPES: tuple[Scope, ...] = ("read", "run", "admin")
_RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}
# How long a verified token is trusted without asking the store again. Revocation in
# this process clears the cache at once; other processes (Lambdas) see it within this.
CACHE_SECONDS = 30.0
# Writing last_used_at on every request would put a store write on the hot path.
TOUCH_EVERY = 60.0


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def grants(scopes: Iterable[str], needed: Scope) -> bool:
    """Scopes nest: admin includes run, run includes read."""
    return any(_RANK.get(s, -1) >= _RANK[needed] for s in scopes)


class TokenCache:
    """Verified tokens by hash, for ``CACHE_SECONDS``; thread-safe."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[TokenRecord, float]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str, now: float) -> TokenRecord | None:
        with self._lock:
            item = self._items.get(token_hash)
        if item is None or now - item[1] > CACHE_SECONDS:
            return None
        return item[0]

    def put(self, token: TokenRecord, now: float) -> None:
        with self._lock:
            self._items[token.hash] = (token, now)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def issue_token(
    svc: Services, name: str, scopes: Iterable[Scope], *, expires_in: float | None = None
) -> tuple[TokenRecord, str]:
    """Create a token; returns the record and the secret, which is never shown again."""
    token_id = secrets.token_hex(6)
    secret = f"orch_{token_id}_{secrets.token_urlsafe(32)}"
    now = svc.clock()
    record = TokenRecord(
        id=token_id,
        name=name,
        hash=hash_token(secret),
        scopes=sorted(set(scopes), key=_RANK.__getitem__),
        prefix=secret[:13],
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    svc.tokens.create_token(record)
    return record, secret


def authenticate(svc: Services, secret: str | None, needed: Scope) -> TokenRecord:
    """The token for ``secret`` if it grants ``needed``; UnauthorizedError / ForbiddenError."""
    if not secret:
        raise UnauthorizedError(
            "no API token: send `Authorization: Bearer <token>` "
            "(the first start of `make dev` printed an admin token)"
        )
    now = svc.clock()
    token_hash = hash_token(secret)
    token = svc.token_cache.get(token_hash, now)
    if token is None:
        token = svc.tokens.find_token(token_hash)
        if token is None:
            raise UnauthorizedError("unknown API token; check it, or create one with admin scope")
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            token = svc.tokens.update_token(token.id, last_used_at=now)
        svc.token_cache.put(token, now)
    if token.revoked_at is not None:
        raise UnauthorizedError(f"API token {token.name!r} was revoked; use another token")
    if token.expires_at is not None and token.expires_at <= now:
        raise UnauthorizedError(f"API token {token.name!r} expired; create a new one")
    if not grants(token.scopes, needed):
        raise ForbiddenError(
            f"this action needs the {needed!r} scope; token {token.name!r} has "
            f"{', '.join(token.scopes) or 'no scopes'}",
            needed=needed,
            scopes=list(token.scopes),
        )
    return token


def revoke_token(svc: Services, token_id: str) -> TokenRecord:
    token = svc.tokens.get_token(token_id)
    if token.revoked_at is not None:
        return token
    token = svc.tokens.update_token(token_id, revoked_at=svc.clock())
    svc.token_cache.clear()
    return token


def ensure_admin_token(svc: Services) -> str | None:
    """On first start (no tokens at all), create an admin token and return its secret."""
    if svc.tokens.list_tokens():
        return None
    _, secret = issue_token(svc, "admin (first start)", ["admin"])
    return secret


def get_token(svc: Services, token_id: str) -> TokenRecord:
    try:
        return svc.tokens.get_token(token_id)
    except NotFoundError:
        raise NotFoundError(f"no API token {token_id!r}", token_id=token_id) from None
