"""Where the server is and which token to send: flags, then environment, then a config file.

1. Explicit values (the CLI's ``--url`` / ``--token``).
2. ``ORCHEO_URL`` and ``ORCHEO_TOKEN``.
3. The config file: ``$ORCHEO_CONFIG``, else ``$XDG_CONFIG_HOME/orcheo/config.toml``
   (``~/.config/orcheo/config.toml``), with top-level ``url`` and ``token`` keys.
4. Defaults: ``http://127.0.0.1:8000`` and, for the token, the admin token that
   ``orcheo dev --aws`` saved for that URL in ``$ORCHEO_HOME/emulation.json`` while it
   runs, else the one the local stack saved in ``$ORCHEO_HOME/admin-token``
   (``~/.orcheo/admin-token``), if readable.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_URL", "ClientConfig", "config_path", "resolve_config"]

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ClientConfig:
    """The resolved server URL and token, and where each came from (for error messages)."""

    url: str
    token: str | None
    url_from: str
    token_from: str


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("ORCHEO_CONFIG"):
        return Path(env["ORCHEO_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config").expanduser()
    return base / "orcheo" / "config.toml"


def _read_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}", path=str(path)) from exc
    return {k: str(v) for k, v in data.items() if k in ("url", "token") and v}


def _admin_token(env: Mapping[str, str], url: str) -> tuple[str | None, str]:
    home = Path(env.get("ORCHEO_HOME") or Path.home() / ".orcheo").expanduser()
    # `orcheo dev --aws` keeps its token here while it runs, for its own URL only.
    emulation = home / "emulation.json"
    try:
        saved = json.loads(emulation.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = None
    if (
        isinstance(saved, dict)
        and str(saved.get("url", "")).rstrip("/") == url.rstrip("/")
        and isinstance(saved.get("token"), str)
        and saved["token"]
    ):
        return saved["token"], str(emulation)
    path = home / "admin-token"
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None, "none"
    return (token or None), str(path)


def resolve_config(
    url: str | None = None,
    token: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ClientConfig:
    """The URL and token to use (see the module docstring for the order)."""
    env = os.environ if env is None else env
    path = config_path(env)
    stored = _read_file(path)
    url_from = token_from = "flag"
    if not url:
        url, url_from = env.get("ORCHEO_URL"), "ORCHEO_URL"
    if not url:
        url, url_from = stored.get("url"), str(path)
    if not url:
        url, url_from = DEFAULT_URL, "default"
    if not token:
        token, token_from = env.get("ORCHEO_TOKEN"), "ORCHEO_TOKEN"
    if not token:
        token, token_from = stored.get("token"), str(path)
    if not token:
        token, token_from = _admin_token(env, url)
    return ClientConfig(url.rstrip("/"), token, url_from, token_from)
