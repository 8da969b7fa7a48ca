"""Errors of the engine package (kept apart from ``orcheo_core.errors``: only the engine
and whoever stores its checkpoints meet them)."""

from __future__ import annotations

from orcheo_core.errors import OrcheoError

__all__ = ["CheckpointError"]


class CheckpointError(OrcheoError):
    """A recorded step cannot be encoded, decoded, or resumed on this workflow."""

    code = "invalid_checkpoint"
