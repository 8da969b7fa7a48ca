"""Comparisons shared by the routing nodes (If/Else, Switch)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Condition", "Operator", "compare", "evaluate_all"]

Operator = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains",
    "starts_with", "ends_with", "matches", "in", "not_in",
    "is_empty", "is_not_empty", "is_true", "is_false",
]  # fmt: skip


class Condition(BaseModel):
    """``left <operator> right``; ``right`` is unused by the unary operators."""

    model_config = ConfigDict(extra="forbid")
    left: Any = None
    operator: Operator = "eq"
    right: Any = None


def _empty(value: Any) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "ne": lambda a, b: bool(a != b),
    "gt": lambda a, b: bool(a > b),
    "gte": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "lte": lambda a, b: bool(a <= b),
    "contains": lambda a, b: b in a,
    "not_contains": lambda a, b: b not in a,
    "starts_with": lambda a, b: str(a).startswith(str(b)),
    "ends_with": lambda a, b: str(a).endswith(str(b)),
    "matches": lambda a, b: re.search(str(b), str(a)) is not None,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "is_empty": lambda a, _b: _empty(a),
    "is_not_empty": lambda a, _b: not _empty(a),
    "is_true": lambda a, _b: a is True,
    "is_false": lambda a, _b: a is False,
}


def compare(condition: Condition) -> bool:
    """Evaluate one condition; comparing incompatible types raises a clear TypeError."""
    try:
        return _OPS[condition.operator](condition.left, condition.right)
    except TypeError as exc:
        raise TypeError(
            f"cannot apply {condition.operator!r} to {condition.left!r} and "
            f"{condition.right!r}: {exc}"
        ) from None


def evaluate_all(conditions: Sequence[Condition], combine: Literal["all", "any"]) -> bool:
    """All (or any) of ``conditions`` hold; no conditions means true."""
    results = (compare(c) for c in conditions)
    return all(results) if combine == "all" else any(results)
