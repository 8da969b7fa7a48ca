"""The local vault key: 32 random bytes in a file only its owner can read.

The file is the root of every locally stored secret: lose it and no credential can be
decrypted again; leak it and every ciphertext in the store can be. So it is created
with mode 0600 whatever the umask, never overwritten, and refused when group or
others can reach it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from orcheo_core.vault.errors import VaultKeyError, VaultKeyPermissionError

__all__ = ["KEY_BYTES", "load_or_create_key"]

KEY_BYTES = 32
"""AES-256: the key file holds exactly this many raw bytes."""

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``, created on first use (32 random bytes, mode 0600).

    A missing file is created atomically: concurrent first starts agree on one key, and
    (where the file system has hard links) a crash never leaves a half-written file in
    place. A missing parent directory is
    created with mode 0700. An existing file must be a regular file of exactly 32 bytes
    that group and others cannot access (mode 0600 or 0400); anything else raises a
    :class:`~orcheo_core.vault.errors.VaultKeyError` saying how to fix it. The file is
    never rewritten: replacing the key makes every stored credential unreadable.

    Example::

        key = load_or_create_key(Path.home() / ".orcheo" / "vault.key")
    """
    path = Path(path)
    _ensure_parent(path.parent)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    if _publish(path, key):
        return key
    # Another process created the file between our read and our link: use its key.
    return _read_key(path)


def _ensure_parent(parent: Path) -> None:
    try:
        parent.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return
    # mkdir's mode passes through the umask; set it exactly.
    parent.chmod(0o700)


def _read_key(path: Path) -> bytes:
    """The key bytes; FileNotFoundError when there is no file yet."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise VaultKeyError(
            f"cannot read the vault key file {path}: {exc.strerror}; check that it belongs "
            "to the user running Orcheo",
            path=str(path),
        ) from None
    try:
        # fstat the open file, not the path: what we check is what we read.
        _check_mode(path, os.fstat(fd))
        data = b""
        while len(data) <= KEY_BYTES:
            chunk = os.read(fd, KEY_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise VaultKeyError(
            f"the vault key file {path} holds {len(data)}{'+' if len(data) > KEY_BYTES else ''} "
            f"bytes, not {KEY_BYTES}: it is not an Orcheo vault key or it was damaged; restore "
            "it from a backup (a new key cannot decrypt the credentials already stored)",
            path=str(path),
        )
    return data


def _check_mode(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise VaultKeyError(
            f"the vault key path {path} is not a regular file; point Orcheo at its key file",
            path=str(path),
        )
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if os.name == "posix" and loose:
        raise VaultKeyPermissionError(
            f"the vault key file {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); restrict it with `chmod 600 {path}` "
            "and consider the key exposed if others could read it",
            path=str(path),
            mode=f"{stat.S_IMODE(info.st_mode):04o}",
        )


def _publish(path: Path, key: bytes) -> bool:
    """Write ``key`` to ``path`` unless it exists; False when another writer won."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    _write_new(tmp, key)
    try:
        # link() never replaces an existing file, and the file it publishes is complete.
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:
        # A file system without hard links: create the final file directly, still O_EXCL.
        try:
            _write_new(path, key)
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable; best effort (not every platform allows it).
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | _O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_new(path: Path, key: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        # The umask may have stripped bits from 0600 (never added any); set it exactly.
        os.fchmod(fd, 0o600)
        view = memoryview(key)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    os.close(fd)
