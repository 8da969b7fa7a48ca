"""One server per ``ORCHEO_HOME``: an exclusive lock on ``$ORCHEO_HOME/orcheo.lock``.

At start a server recovers the runs a previous process left queued or running. A second
process on the same home used to "recover" the first one's *live* runs, which then
finished their work under the wrong status and ran twice when resumed. The owner lease
makes that impossible: the kernel holds it (``flock``) for as long as the process lives
and drops it the moment the process dies, even on ``kill -9``, so there is no expiry to
guess and a lease is never held by a dead process. The file records the holder's pid
for the message a second process prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import TYPE_CHECKING

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["HomeInUseError", "HomeLease"]


class HomeInUseError(ConfigError):
    """Another live Orcheo process owns this ``ORCHEO_HOME``."""

    code = "home_in_use"


class HomeLease:
    """The owner lease on one home; :meth:`acquire` it before touching its runs."""

    def __init__(self, home: Path) -> None:
        self.path = home / "orcheo.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lease, or raise HomeInUseError naming the process that holds it."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HomeInUseError(
                f"another Orcheo (pid {holder}) is using this home ({self.path.parent}); "
                "stop it first, or give this one its own --home / ORCHEO_HOME",
                pid=holder,
                home=str(self.path.parent),
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the lock
