"""The JSON form of step checkpoints: what LangGraph keeps in one survives a JSON trip."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from langgraph.types import Send

from orcheo_core.engine.errors import CheckpointError
from orcheo_core.engine.step import (
    CHECKPOINT_FORMAT,
    StepState,
    decode_checkpoint,
    encode_checkpoint,
    next_tasks,
    run_superstep,
    start,
    values,
)
from orcheo_core.graph import compile_workflow


def _trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _state(channel_values: dict[str, Any]) -> StepState:
    checkpoint: Any = {
        "v": 4,
        "id": "1",
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": channel_values,
        "channel_versions": {"x": 1},
        "versions_seen": {"a": {"x": 1}},
        "updated_channels": None,
    }
    return StepState(checkpoint, 3)


TRICKY = {
    "join:b+c:d": {"b", "c"},  # a join's barrier: a set of the branches that arrived
    "after_finish": ({"b"}, False),  # a deferred join: a tuple (seen, finished)
    "frozen": frozenset({1, 2}),
    "__pregel_tasks": [Send("measure", {"word": "a"}), Send("measure", ("b",), timeout=2)],
    "int_keys": {1: "one", (2, 3): "pair"},
    "looks_tagged": {"$set": [1, 2]},
    "dollar_among_others": {"$set": 1, "other": 2},
    "when": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    "day": dt.date(2024, 5, 1),
    "time": dt.time(12, 30),
    "plain": {"list": [1, 2.5, "x", None, True], "nested": {"a": [{"b": []}]}},
}


def test_what_json_cannot_carry_comes_back_unchanged() -> None:
    state = _state(dict(TRICKY))
    decoded = decode_checkpoint(_trip(encode_checkpoint(state)))
    assert decoded.step == 3
    assert decoded.checkpoint["channel_values"] == TRICKY
    for name, value in TRICKY.items():
        assert type(decoded.checkpoint["channel_values"][name]) is type(value), name
    sends = decoded.checkpoint["channel_values"]["__pregel_tasks"]
    assert sends[1].timeout is not None and sends[1].timeout.run_timeout == 2.0
    assert decoded.checkpoint["versions_seen"] == {"a": {"x": 1}}


def test_equal_states_encode_to_equal_json_whatever_the_set_order() -> None:
    one = encode_checkpoint(_state({"s": {"c", "a", "b"}}))
    other = encode_checkpoint(_state({"s": {"b", "c", "a"}}))
    assert json.dumps(one) == json.dumps(other)
    assert one["checkpoint"]["channel_values"]["s"] == {"$set": ["a", "b", "c"]}


def test_a_value_json_cannot_carry_is_named_with_its_place() -> None:
    with pytest.raises(CheckpointError, match=r"cannot record a object value at .*\.x\[1\]"):
        encode_checkpoint(_state({"x": [1, object()]}))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"$nope": 1}, "unknown tag '\\$nope'"),
        ({"$set": [[1]]}, "malformed \\$set"),
        ({"$dict": [[1, 2, 3]]}, "malformed \\$dict"),
        ({"$send": {"arg": 1}}, "malformed \\$send"),
        ({"$datetime": "yesterday"}, "malformed \\$datetime"),
    ],
)
def test_a_malformed_encoding_is_a_checkpoint_error(value: Any, message: str) -> None:
    data = _trip(encode_checkpoint(_state({})))
    data["checkpoint"]["channel_values"]["x"] = value
    with pytest.raises(CheckpointError, match=message) as info:
        decode_checkpoint(data)
    assert info.value.code == "invalid_checkpoint"


async def test_a_real_join_checkpoint_resumes_after_a_json_trip() -> None:
    spec = {
        "name": "join",
        "entry": "a",
        "state": {"log": {"reducer": "append", "default": []}},
        "nodes": [
            {"id": n, "type": "set_variable", "config": {"values": {"log": n}}}
            for n in ("a", "b", "c", "d")
        ],
        "edges": [
            {"source": "a", "target": "b"},
            {"source": "a", "target": "c"},
            {"sources": ["b", "c"], "target": "d"},
        ],
    }
    wf = compile_workflow(spec)
    state = await run_superstep(wf, await run_superstep(wf, start(wf, {})))
    encoded = encode_checkpoint(state)
    assert encoded["format"] == CHECKPOINT_FORMAT
    assert encoded["checkpoint"]["channel_values"]["join:b+c:d"] == {"$set": ["b", "c"]}
    decoded = decode_checkpoint(_trip(encoded))
    assert values(wf, decoded) == values(wf, state) == {"log": ["a", "b", "c"]}
    assert [t.node for t in next_tasks(wf, decoded)] == ["d"]
    assert values(wf, await run_superstep(wf, decoded)) == {"log": ["a", "b", "c", "d"]}
