"""The ordered event stream of a run."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["EventType", "RunEvent"]

EventType = Literal[
    "run.started",
    "run.succeeded",
    "run.failed",
    "run.cancelled",
    "node.started",
    "node.succeeded",
    "node.failed",
    "node.retrying",
    "node.event",
]


@dataclass(frozen=True)
class RunEvent:
    """One event; ``seq`` is gap-free and strictly increasing within a run."""

    seq: int
    run_id: str
    type: str
    node: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
