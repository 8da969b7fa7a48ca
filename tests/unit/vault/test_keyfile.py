"""The local vault key file: created 0600 once, reused, refused when loose or damaged."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orcheo_core.vault import (
    KEY_BYTES,
    VaultError,
    VaultKeyError,
    VaultKeyPermissionError,
    load_or_create_key,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: whatever the file ends up with, the code set it explicitly."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_first_start_creates_32_random_bytes_readable_by_the_owner_only(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "vault.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert path.read_bytes() == key
    assert mode(path) == 0o600


def test_a_missing_parent_directory_is_created_0700(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "home" / "vault.key"
    load_or_create_key(path)
    assert mode(path.parent) == 0o700


def test_an_existing_parent_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    load_or_create_key(tmp_path / "vault.key")
    assert mode(tmp_path) == 0o755


def test_later_starts_reuse_the_key_and_never_rewrite_the_file(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    first = load_or_create_key(path)
    before = path.stat()
    assert load_or_create_key(path) == first
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_two_keys_are_different(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


def test_concurrent_first_starts_agree_on_one_key_and_leave_no_temp_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vault.key"
    barrier = threading.Barrier(8)

    def start() -> bytes:
        barrier.wait()
        return load_or_create_key(path)

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: start(), range(8)))
    assert len(set(keys)) == 1
    assert keys[0] == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.key"]


def test_a_read_only_key_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    key = load_or_create_key(path)
    path.chmod(0o400)
    assert load_or_create_key(path) == key


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660, 0o666, 0o610])
def test_a_key_file_others_can_reach_is_refused_with_the_fix(tmp_path: Path, loose: int) -> None:
    path = tmp_path / "vault.key"
    key = load_or_create_key(path)
    path.chmod(loose)
    with pytest.raises(VaultKeyPermissionError) as info:
        load_or_create_key(path)
    error = info.value
    assert isinstance(error, VaultError)
    assert error.code == "vault_key_insecure"
    assert f"chmod 600 {path}" in error.message
    assert f"{loose:04o}" in error.message
    assert key.hex() not in error.message
    # Refusing must not "fix" or replace the key behind the owner's back.
    assert path.read_bytes() == key
    assert mode(path) == loose


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_file_of_the_wrong_length_is_refused(tmp_path: Path, size: int) -> None:
    path = tmp_path / "vault.key"
    content = bytes(range(size))
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(VaultKeyError) as info:
        load_or_create_key(path)
    assert info.value.code == "vault_key_invalid"
    assert str(path) in info.value.message
    assert "restore it from a backup" in info.value.message
    assert path.read_bytes() == content


def test_a_directory_in_place_of_the_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    path.mkdir(mode=0o700)
    with pytest.raises(VaultKeyError, match="not a regular file"):
        load_or_create_key(path)
