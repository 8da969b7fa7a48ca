"""The CredentialStore port: ciphertext and metadata by id and by unique name."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.backends.ports import CredentialRecord, CredentialStore
from functions.errors import ConflictError, NotFoundError


def credential(id: str = "c1", **fields: Any) -> CredentialRecord:
    base = CredentialRecord(
        id=id,
        name=f"cred-{id}",
        type="api_key",
        ciphertext=b"\x00\x01sealed\xff",
        created_at=100.0,
        updated_at=100.0,
    )
    return replace(base, **fields)


def test_a_credential_round_trips_every_field(credential_store: CredentialStore) -> None:
    record = CredentialRecord(
        id="c-all",
        name="Slack bot",
        type="oauth2",
        ciphertext=bytes(range(256)) * 4,
        preview="xoxb-…1234",
        scope="workflow:wf1",
        metadata={"rotate_at": 1_800_000_000.5, "owner": None, "tags": ["x"], "ok": True},
        revision=3,
        created_at=1_700_000_000.25,
        updated_at=1_700_000_100.75,
    )
    assert credential_store.create_credential(record) == record
    stored = credential_store.get_credential("c-all")
    assert stored == record
    assert type(stored.ciphertext) is bytes


def test_a_taken_id_conflicts(credential_store: CredentialStore) -> None:
    credential_store.create_credential(credential("c1", name="one"))
    with pytest.raises(ConflictError, match="c1"):
        credential_store.create_credential(credential("c1", name="two"))
    assert credential_store.find_credential("two") is None


def test_a_taken_name_conflicts(credential_store: CredentialStore) -> None:
    credential_store.create_credential(credential("c1", name="github"))
    with pytest.raises(ConflictError, match="github"):
        credential_store.create_credential(credential("c2", name="github"))
    with pytest.raises(NotFoundError):
        credential_store.get_credential("c2")


def test_a_missing_credential_is_not_found(credential_store: CredentialStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        credential_store.get_credential("ghost")


def test_find_by_exact_name(credential_store: CredentialStore) -> None:
    credential_store.create_credential(credential("c1", name="GitHub"))
    found = credential_store.find_credential("GitHub")
    assert found is not None and found.id == "c1"
    assert credential_store.find_credential("nope") is None


def test_list_is_sorted_by_name(credential_store: CredentialStore) -> None:
    for id, name in [("c1", "slack"), ("c2", "aws"), ("c3", "github")]:
        credential_store.create_credential(credential(id, name=name))
    assert [c.name for c in credential_store.list_credentials()] == ["aws", "github", "slack"]


def test_an_empty_store_lists_nothing(credential_store: CredentialStore) -> None:
    assert credential_store.list_credentials() == []


def test_update_saves_and_bumps_the_revision(credential_store: CredentialStore) -> None:
    created = credential_store.create_credential(credential("c1"))
    changed = replace(
        created,
        name="renamed",
        ciphertext=b"rotated",
        preview="…9",
        metadata={"rotated": True},
        updated_at=200.0,
    )
    saved = credential_store.update_credential(changed)
    assert saved == replace(changed, revision=2)
    assert credential_store.get_credential("c1") == saved
    assert credential_store.find_credential("renamed") == saved
    assert credential_store.find_credential(created.name) is None


def test_update_with_a_stale_revision_conflicts(credential_store: CredentialStore) -> None:
    created = credential_store.create_credential(credential("c1"))
    credential_store.update_credential(replace(created, ciphertext=b"first"))
    with pytest.raises(ConflictError, match="reload"):
        credential_store.update_credential(replace(created, ciphertext=b"second"))
    assert credential_store.get_credential("c1").ciphertext == b"first"


def test_update_to_a_taken_name_conflicts(credential_store: CredentialStore) -> None:
    credential_store.create_credential(credential("c1", name="one"))
    second = credential_store.create_credential(credential("c2", name="two"))
    with pytest.raises(ConflictError, match="one"):
        credential_store.update_credential(replace(second, name="one"))
    assert credential_store.get_credential("c2").name == "two"


def test_a_rename_frees_the_old_name(credential_store: CredentialStore) -> None:
    # Stores that keep names unique with a separate claim (DynamoDB) must move it.
    created = credential_store.create_credential(credential("c1", name="old"))
    credential_store.update_credential(replace(created, name="new"))
    credential_store.create_credential(credential("c2", name="old"))
    found_old, found_new = (credential_store.find_credential(n) for n in ("old", "new"))
    assert found_old is not None and found_old.id == "c2"
    assert found_new is not None and found_new.id == "c1"


def test_update_of_a_missing_credential_is_not_found(credential_store: CredentialStore) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        credential_store.update_credential(credential("ghost"))


def test_delete_removes_and_frees_the_name(credential_store: CredentialStore) -> None:
    credential_store.create_credential(credential("c1", name="github"))
    credential_store.delete_credential("c1")
    with pytest.raises(NotFoundError):
        credential_store.get_credential("c1")
    assert credential_store.find_credential("github") is None
    credential_store.create_credential(credential("c2", name="github"))
    with pytest.raises(NotFoundError, match="c1"):
        credential_store.delete_credential("c1")
