"""Service settings, read from the environment (``ORCHEO_*``) with sensible defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Settings"]


def _float_or_none(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (Unix seconds), not {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Where data lives and how the service listens.

    ``home`` (``ORCHEO_HOME``, default ``~/.orcheo``) holds the SQLite database and,
    on first start, the admin token file.
    """

    home: Path = field(default_factory=lambda: Path("~/.orcheo").expanduser())
    host: str = "127.0.0.1"
    port: int = 8000
    static_dir: Path | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    event_data_limit: int = 256 * 1024
    max_batch: int = 1000
    run_wait_timeout: float = 300.0
    test_clock: float | None = None
    """Test only (``ORCHEO_TEST_CLOCK``): a settable clock starting here (``/api/system/clock``)."""

    @property
    def db_path(self) -> Path:
        return self.home / "orcheo.db"

    @property
    def admin_token_path(self) -> Path:
        return self.home / "admin-token"

    @property
    def vault_key_path(self) -> Path:
        """The local vault's AES-256 key (created with mode 0600 on first start)."""
        return self.home / "vault.key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``ORCHEO_HOME``, ``ORCHEO_HOST``, ``ORCHEO_PORT``, ``ORCHEO_STATIC_DIR``,
        ``ORCHEO_MAX_BODY_BYTES``, ``ORCHEO_EVENT_DATA_LIMIT`` and (tests only)
        ``ORCHEO_TEST_CLOCK``."""
        env = os.environ if env is None else env
        home = env.get("ORCHEO_HOME") or "~/.orcheo"
        static = env.get("ORCHEO_STATIC_DIR")
        return cls(
            home=Path(home).expanduser(),
            host=env.get("ORCHEO_HOST") or "127.0.0.1",
            port=_int(env, "ORCHEO_PORT", 8000),
            static_dir=Path(static).expanduser() if static else None,
            max_body_bytes=_int(env, "ORCHEO_MAX_BODY_BYTES", 5 * 1024 * 1024),
            event_data_limit=_int(env, "ORCHEO_EVENT_DATA_LIMIT", 256 * 1024),
            test_clock=_float_or_none(env, "ORCHEO_TEST_CLOCK"),
        )
