"""What every backend's stores share, so local and AWS answer the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.errors import NotFoundError

if TYPE_CHECKING:
    from functions.backends.ports import WorkflowRecord

__all__ = ["not_found", "workflow_search_text"]


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
