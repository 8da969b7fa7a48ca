"""A JSON form for the values a LangGraph checkpoint holds.

``json.dumps`` rejects sets and ``Send`` and, worse, silently turns tuples into lists
and integer dict keys into strings, so a checkpoint that merely survived a JSON round
trip would resume differently. Values JSON cannot carry as they are become one-key
objects tagged with ``$``: ``{"$set": [...]}``, ``{"$tuple": [...]}``,
``{"$send": {...}}``, ``{"$dict": [[key, value], ...]}`` and the like. A user dict
that could be mistaken for a tag (one key starting with ``$``) is itself written as
``$dict``, so decoding is never ambiguous.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from langgraph.types import Send, TimeoutPolicy

from orcheo_core.engine.errors import CheckpointError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["decode_value", "encode_value"]

_SCALARS = (str, int, float, bool, type(None))


def encode_value(value: Any, path: str = "") -> Any:
    """``value`` as plain JSON data; CheckpointError names the first value it cannot carry."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        return [encode_value(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return _encode_dict(value, path)
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(item, f"{path}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, set | frozenset):
        tag = "$frozenset" if isinstance(value, frozenset) else "$set"
        items = [encode_value(item, f"{path}{{}}") for item in value]
        # sets have no order; sorting makes equal checkpoints encode to equal JSON
        return {tag: sorted(items, key=lambda item: json.dumps(item, sort_keys=True))}
    if isinstance(value, Send):
        return {"$send": _encode_send(value, path)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    raise CheckpointError(
        f"cannot record a {type(value).__name__} value at {path or 'the top level'}: "
        "checkpoints hold JSON data, sets, tuples, dates and LangGraph Sends; keep other "
        "objects out of the workflow state to make its steps resumable",
        path=path,
        type=type(value).__name__,
    )


def _encode_dict(value: dict[Any, Any], path: str) -> Any:
    plain = all(isinstance(key, str) for key in value) and not (
        len(value) == 1 and next(iter(value)).startswith("$")
    )
    if plain:
        return {key: encode_value(item, f"{path}.{key}") for key, item in value.items()}
    return {
        "$dict": [
            [encode_value(key, f"{path}<key>"), encode_value(item, f"{path}[{key!r}]")]
            for key, item in value.items()
        ]
    }


def _encode_send(send: Send, path: str) -> dict[str, Any]:
    timeout = send.timeout
    return {
        "node": send.node,
        "arg": encode_value(send.arg, f"{path}.arg"),
        "timeout": None
        if timeout is None
        else {
            "run_timeout": _seconds(timeout.run_timeout),
            "idle_timeout": _seconds(timeout.idle_timeout),
            "refresh_on": timeout.refresh_on,
        },
    }


def _seconds(value: float | dt.timedelta | None) -> float | None:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def decode_value(value: Any, path: str = "") -> Any:
    """The value ``encode_value`` encoded; CheckpointError if ``value`` is not such an encoding."""
    if isinstance(value, list):
        return [decode_value(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, body),) = value.items()
            if isinstance(key, str) and key.startswith("$"):
                return _decode_tagged(key, body, path)
        return {key: decode_value(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, _SCALARS):
        return value
    raise CheckpointError(
        f"{type(value).__name__} at {path or 'the top level'} is not JSON data",
        path=path,
    )


def _decode_tagged(tag: str, body: Any, path: str) -> Any:
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise CheckpointError(f"unknown tag {tag!r} at {path or 'the top level'}", path=path)
    try:
        return decoder(body, path)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"malformed {tag} value at {path or 'the top level'}: {exc}", path=path
        ) from None


def _items(body: Any, path: str) -> list[Any]:
    if not isinstance(body, list):
        raise TypeError(f"expected a list, got {type(body).__name__}")
    return [decode_value(item, f"{path}[{i}]") for i, item in enumerate(body)]


def _decode_dict(body: Any, path: str) -> dict[Any, Any]:
    pairs = _items(body, path)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise TypeError("expected [key, value] pairs")
    return {key: item for key, item in pairs}


def _decode_send(body: Any, path: str) -> Send:
    if not isinstance(body, dict) or not isinstance(body.get("node"), str):
        raise TypeError("expected {node, arg, timeout}")
    timeout = body.get("timeout")
    policy = None if timeout is None else TimeoutPolicy(**timeout)
    return Send(body["node"], decode_value(body.get("arg"), f"{path}.arg"), timeout=policy)


def _iso(parse: Callable[[str], Any]) -> Callable[[Any, str], Any]:
    return lambda body, _path: parse(body)


_DECODERS: dict[str, Callable[[Any, str], Any]] = {
    "$tuple": lambda body, path: tuple(_items(body, path)),
    "$set": lambda body, path: set(_items(body, path)),
    "$frozenset": lambda body, path: frozenset(_items(body, path)),
    "$dict": _decode_dict,
    "$send": _decode_send,
    "$datetime": _iso(dt.datetime.fromisoformat),
    "$date": _iso(dt.date.fromisoformat),
    "$time": _iso(dt.time.fromisoformat),
}
