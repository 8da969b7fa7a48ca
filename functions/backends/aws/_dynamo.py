"""Small helpers around pynamodb's errors and TTL values."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

__all__ = ["condition_failed", "from_ttl", "to_ttl", "transaction"]

_CONNECTIONS: dict[tuple[str, str | None], Connection] = {}

# Cancellation reasons that mean "the items were not as expected" (retry from a fresh
# read or report a conflict), not a fault: a failed condition, or another transaction
# touching the same item at the same moment.
_LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def condition_failed(exc: PynamoDBException) -> bool:
    """Whether a write failed on its condition (or, for a transaction, lost a race)."""
    if isinstance(exc, TransactWriteError):
        if exc.cause_response_code != "TransactionCanceledException":
            return False
        return any(r is not None and r.code in _LOST_RACE for r in exc.cancellation_reasons)
    return exc.cause_response_code == "ConditionalCheckFailedException"


def to_ttl(seconds: float) -> datetime:
    """A TTL attribute value: whole seconds, rounded up so an item never expires early."""
    return datetime.fromtimestamp(math.ceil(seconds), UTC)


def from_ttl(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def transaction(model: Any) -> TransactWrite:
    """A write transaction on the region and endpoint ``model`` is bound to.

    Its connection is kept per region and endpoint: making one opens a botocore client.
    """
    key = (model.Meta.region, model.Meta.host)
    connection = _CONNECTIONS.get(key)
    if connection is None:
        connection = _CONNECTIONS.setdefault(key, Connection(region=key[0], host=key[1]))
    return TransactWrite(connection=connection)
