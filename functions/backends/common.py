"""What every backend's stores share, so local and AWS answer the same way."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from functions.backends.ports import RUN_STATUSES, RunRecord
from functions.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from functions.backends.ports import WorkflowRecord

__all__ = [
    "RUN_CHANGEABLE",
    "RUN_FIELDS",
    "check_run_changes",
    "check_run_status",
    "not_found",
    "run_status_conflict",
    "workflow_search_text",
]

RUN_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunRecord))
"""Every field of a run, in RunRecord's order."""
RUN_CHANGEABLE: frozenset[str] = frozenset(RUN_FIELDS) - {"id", "last_seq"}
"""What ``RunStore.update_run`` may change: the id never, ``last_seq`` only by appending."""


def not_found(kind: str, key: str) -> NotFoundError:
    """The error a store raises for a missing item: ``not_found("run", run_id)``.

    The message names the item and how to find the ones that exist; ``details`` carry
    ``<kind>_id``.
    """
    return NotFoundError(
        f"{kind} {key!r} not found; list {kind}s to see the ids that exist",
        **{f"{kind}_id": key},
    )


def workflow_search_text(workflow: WorkflowRecord) -> str:
    """The text a workflow search matches: name, description and tags, casefolded.

    Casefolded in Python (SQL ``lower()`` folds ASCII only; "STRASSE" finds "Straße"),
    one field per line so a query cannot match across the end of one field and the
    start of the next.
    """
    return "\n".join([workflow.name, workflow.description, *workflow.tags]).casefold()


def check_run_status(status: object) -> None:
    """ValueError unless ``status`` is a run status."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}")


def check_run_changes(names: Iterable[str]) -> None:
    """ValueError naming the fields ``update_run`` may not change, if any are given."""
    unknown = sorted(set(names) - RUN_CHANGEABLE)
    if unknown:
        raise ValueError(
            f"cannot change run field(s) {', '.join(unknown)}; "
            f"changeable fields are {', '.join(sorted(RUN_CHANGEABLE))}"
        )


def run_status_conflict(run_id: str, actual: str, expected: Collection[str]) -> ConflictError:
    """The error of an ``update_run`` whose ``expected_status`` did not hold."""
    wanted = " or ".join(repr(s) for s in expected) or "(no status)"
    return ConflictError(
        f"run {run_id!r} is {actual!r}, not {wanted}; reload it to see its current state",
        run_id=run_id,
        status=actual,
    )
