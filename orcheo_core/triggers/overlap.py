"""The overlap guard of cron triggers: whether a fire may start a run, in one place.

A cron trigger's ``overlap`` is ``"skip"`` (the default) or ``"allow"``. With
``"skip"``, a fire is skipped while the previous run this trigger started is still
going (queued or running, or in any state not known to be final); the next fire
tries again. With ``"allow"``, every fire starts a run.

Example::

    >>> should_fire("skip", "running")
    False
    >>> should_fire("skip", "failed"), should_fire("skip", None), should_fire("allow", "running")
    (True, True, True)
"""

from __future__ import annotations

from orcheo_core.errors import ConfigError

__all__ = ["FINISHED_RUN_STATUSES", "OVERLAP_POLICIES", "should_fire"]

OVERLAP_POLICIES = ("skip", "allow")

FINISHED_RUN_STATUSES = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
"""Run statuses after which a run never changes again."""


def should_fire(overlap: str, previous_status: str | None) -> bool:
    """Whether a cron fire starts a run, given the status of the trigger's previous run.

    ``previous_status`` is None when the trigger has not started a run yet (or that run
    is gone). A status that is not known to be final counts as still going: skipping
    one fire is cheaper than two runs racing when ``"skip"`` was asked for.
    """
    if overlap == "allow":
        return True
    if overlap != "skip":
        raise ConfigError(
            f"unknown overlap policy {overlap!r}; use one of {', '.join(OVERLAP_POLICIES)}",
            field="overlap",
            value=str(overlap),
        )
    return previous_status is None or previous_status in FINISHED_RUN_STATUSES
