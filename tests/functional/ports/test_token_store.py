"""The TokenStore port: hashed API tokens, found by hash on every request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.backends.ports import TokenRecord, TokenStore
from functions.errors import ConflictError, NotFoundError


def token(id: str = "t1", **fields: Any) -> TokenRecord:
    base = TokenRecord(id=id, name=f"token {id}", hash=f"sha-{id}", scopes=["read"])
    return replace(base, **fields)


def test_a_token_round_trips_every_field(token_store: TokenStore) -> None:
    record = TokenRecord(
        id="t-all",
        name="CI deploys",
        hash="a" * 64,
        scopes=["read", "run", "admin"],
        prefix="orch_t-all",
        created_at=1_700_000_000.5,
        last_used_at=1_700_000_100.25,
        revoked_at=1_700_000_200.0,
        expires_at=1_800_000_000.0,
    )
    token_store.create_token(record)
    assert token_store.get_token("t-all") == record
    assert token_store.find_token("a" * 64) == record


def test_unset_times_stay_none(token_store: TokenStore) -> None:
    token_store.create_token(token("t1", scopes=[]))
    stored = token_store.get_token("t1")
    assert stored == token("t1", scopes=[])
    assert (stored.last_used_at, stored.revoked_at, stored.expires_at) == (None, None, None)


def test_find_by_an_unknown_hash_is_none(token_store: TokenStore) -> None:
    token_store.create_token(token("t1"))
    assert token_store.find_token("sha-other") is None


def test_a_missing_token_is_not_found(token_store: TokenStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        token_store.get_token("ghost")
    with pytest.raises(NotFoundError, match="ghost"):
        token_store.update_token("ghost", name="x")


def test_a_taken_id_or_hash_conflicts(token_store: TokenStore) -> None:
    token_store.create_token(token("t1", hash="h1"))
    with pytest.raises(ConflictError):
        token_store.create_token(token("t1", hash="h2"))
    with pytest.raises(ConflictError):
        token_store.create_token(token("t2", hash="h1"))
    assert token_store.find_token("h2") is None
    assert [t.id for t in token_store.list_tokens()] == ["t1"]


def test_list_is_oldest_first_and_keeps_revoked(token_store: TokenStore) -> None:
    token_store.create_token(token("b", created_at=20.0))
    token_store.create_token(token("a", created_at=30.0, revoked_at=31.0))
    token_store.create_token(token("c", created_at=10.0))
    assert [t.id for t in token_store.list_tokens()] == ["c", "b", "a"]


def test_an_empty_store_lists_nothing(token_store: TokenStore) -> None:
    assert token_store.list_tokens() == []


def test_update_changes_the_given_fields(token_store: TokenStore) -> None:
    token_store.create_token(token("t1", expires_at=500.0))
    used = token_store.update_token("t1", last_used_at=123.5)
    assert used == token("t1", expires_at=500.0, last_used_at=123.5)
    revoked = token_store.update_token("t1", revoked_at=130.0, name="old CI", expires_at=None)
    assert revoked == token(
        "t1", last_used_at=123.5, revoked_at=130.0, name="old CI", expires_at=None
    )
    assert token_store.get_token("t1") == revoked
    assert token_store.find_token("sha-t1") == revoked


def test_update_cannot_change_what_a_token_grants(token_store: TokenStore) -> None:
    token_store.create_token(token("t1"))
    with pytest.raises((ValueError, TypeError)):
        token_store.update_token("t1", scopes=["admin"])
    with pytest.raises((ValueError, TypeError)):
        token_store.update_token("t1", hash="sha-other")
    assert token_store.get_token("t1") == token("t1")
