"""The stack's settings, read from ``cdk.json`` context (``-c key=value`` overrides).

Every key is documented in docs/deploy.md ("Configuration").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CONTEXT_KEY", "DEFAULT_MEMORY", "ConfigError", "StackConfig"]

CONTEXT_KEY = "orcheo"
"""Every setting is the context key ``orcheo:<field>``, e.g. ``orcheo:stage``."""

DEFAULT_MEMORY: dict[str, int] = {
    "api": 1024,
    "node_runner": 1024,
    "scheduler": 512,
    "reconciler": 512,
    "websocket": 256,
    "telemetry": 256,
}

_LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
)


class ConfigError(ValueError):
    """A context value the stack cannot use; the message names the key and the fix."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass(frozen=True)
class StackConfig:
    """What one deployment looks like (one stage per stack)."""

    stage: str = "prod"
    removal_policy: str = "retain"
    """``retain`` (tables, key and buckets survive ``cdk destroy``) or ``destroy``."""
    log_retention_days: int = 30
    alarm_email: str | None = None
    domain_name: str | None = None
    """The canvas at a custom domain (with ``certificate_arn``, an ACM certificate in us-east-1)."""
    certificate_arn: str | None = None
    memory: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MEMORY))
    run_retention_days: int | None = 90
    throttle_rate: int = 50
    """Steady requests per second the HTTP and WebSocket stages accept (``throttle_burst`` peak)."""
    throttle_burst: int = 100

    def __post_init__(self) -> None:
        _require(
            self.stage.isascii() and self.stage.isalnum() and self.stage.islower(),
            f"orcheo:stage must be lower-case letters and digits, not {self.stage!r}",
        )
        _require(
            self.removal_policy in ("retain", "destroy"),
            f"orcheo:removal_policy must be 'retain' or 'destroy', not {self.removal_policy!r}",
        )
        _require(
            self.log_retention_days in _LOG_RETENTION_DAYS,
            f"orcheo:log_retention_days must be one of {sorted(_LOG_RETENTION_DAYS)}",
        )
        _require(
            (self.domain_name is None) == (self.certificate_arn is None),
            "orcheo:domain_name and orcheo:certificate_arn go together: set both or neither",
        )
        unknown = set(self.memory) - set(DEFAULT_MEMORY)
        _require(not unknown, f"orcheo:memory names unknown functions {sorted(unknown)}")
        for name, mb in self.memory.items():
            _require(128 <= mb <= 10240, f"orcheo:memory.{name} must be 128..10240 MB, not {mb}")

    @property
    def prefix(self) -> str:
        """What every named resource starts with: ``orcheo-<stage>-``."""
        return f"orcheo-{self.stage}-"

    @property
    def destroy(self) -> bool:
        return self.removal_policy == "destroy"

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> StackConfig:
        """Settings from the ``orcheo:<field>`` context keys (``cdk.json`` or ``-c``).

        A value given with ``-c`` arrives as text: numbers are parsed, ``memory`` is
        JSON (``-c 'orcheo:memory={"api": 2048}'``) and merged over the defaults.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = get(f"{CONTEXT_KEY}:{f.name}")
            if raw is None or raw == "":
                continue
            if f.name == "memory":
                memory = json.loads(raw) if isinstance(raw, str) else raw
                _require(isinstance(memory, dict), "orcheo:memory must be an object")
                values["memory"] = {**DEFAULT_MEMORY, **{k: int(v) for k, v in memory.items()}}
            elif f.name in _INTS:
                try:
                    values[f.name] = int(raw)
                except (TypeError, ValueError):
                    raise ConfigError(
                        f"orcheo:{f.name} must be a whole number, not {raw!r}"
                    ) from None
            else:
                values[f.name] = str(raw)
        return cls(**values)


_INTS = frozenset({"log_retention_days", "run_retention_days", "throttle_rate", "throttle_burst"})
