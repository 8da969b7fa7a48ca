"""Encodings shared by the DynamoDB stores: sortable keys, page cursors, JSON text."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from functions.errors import UnprocessableError

__all__ = ["decode_cursor", "dumps", "encode_cursor", "loads_or_none", "sort_key", "time_key"]

_SIGN = 1 << 63
_ALL = (1 << 64) - 1


def dumps(value: Any) -> str:
    """Compact JSON text for a stored attribute (exact floats, any nesting)."""
    return json.dumps(value, separators=(",", ":"))


def loads_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def time_key(seconds: float) -> str:
    """16 hex digits that sort (as strings, byte-wise) exactly as the floats do.

    The IEEE 754 bits with the sign flipped (all bits for negatives): the usual
    order-preserving map, exact for every float, so no precision is lost in a key.
    """
    bits: int = struct.unpack(">Q", struct.pack(">d", float(seconds)))[0]
    bits = (~bits & _ALL) if bits & _SIGN else bits | _SIGN
    return f"{bits:016x}"


def sort_key(created_at: float, item_id: str) -> str:
    """A list index's range key: newest-first order by ``created_at``, ties broken by id.

    DynamoDB compares strings by their UTF-8 bytes, as SQLite compares TEXT, so both
    backends order ties the same way.
    """
    return f"{time_key(created_at)}#{item_id}"


def encode_cursor(created_at: float, item_id: str) -> str:
    """An opaque page cursor: the sort key of the last item returned."""
    raw = json.dumps([created_at, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The range key a cursor stands for; UnprocessableError when it was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, item_id = json.loads(raw)
        if isinstance(created_at, int | float) and isinstance(item_id, str):
            return sort_key(float(created_at), item_id)
    except (ValueError, TypeError, OverflowError, struct.error):
        pass
    raise UnprocessableError(
        f"invalid page cursor {cursor[:40]!r}: pass back the next_cursor of the previous "
        "page unchanged, or leave it out to start from the first page",
        field="cursor",
    )
