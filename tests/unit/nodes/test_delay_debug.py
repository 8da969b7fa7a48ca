from __future__ import annotations

import asyncio
import json
import time

import pytest
from pydantic import ValidationError

from orcheo_core.errors import CancelledRunError
from orcheo_core.nodes.debug import DebugNode
from orcheo_core.nodes.delay import DelayNode


def delay(seconds: float) -> DelayNode:
    return DelayNode(DelayNode.config_model.model_validate({"seconds": seconds}))


async def test_delay_waits_the_configured_time(harness) -> None:
    start = time.monotonic()
    assert await delay(0.2).run({}, harness.ctx()) == {}
    assert 0.2 <= time.monotonic() - start < 0.6
    assert DelayNode.writes(DelayNode.config_model.model_validate({"seconds": 1})) == set()


async def test_delay_stops_soon_after_the_run_is_cancelled(harness) -> None:
    asyncio.get_running_loop().call_later(0.1, harness.run.cancel_event.set)
    start = time.monotonic()
    with pytest.raises(CancelledRunError, match="cancelled"):
        await delay(30).run({}, harness.ctx())
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("seconds", [-1, 86401])
def test_delay_rejects_out_of_range_seconds(seconds: float) -> None:
    with pytest.raises(ValidationError, match="seconds"):
        DelayNode.config_model.model_validate({"seconds": seconds})


async def test_debug_snapshot_of_whole_state_is_json_safe(harness) -> None:
    state = {"n": 1, "items": ("a", "b"), "obj": object(), "nan": float("nan"), 1: "x"}
    node = DebugNode(DebugNode.config_model.model_validate({"label": "after fetch"}))
    assert await node.run(state, harness.ctx()) == {}
    [snapshot] = harness.node_events("debug.snapshot")
    assert snapshot["label"] == "after fetch"
    assert snapshot["state"]["items"] == ["a", "b"]
    assert snapshot["state"]["obj"].startswith("<object object")
    assert snapshot["state"]["1"] == "x"
    json.dumps(snapshot)  # the event must be storable as JSON


async def test_debug_snapshot_of_chosen_keys_lists_missing_ones(harness) -> None:
    node = DebugNode(DebugNode.config_model.model_validate({"keys": ["a", "nope"]}))
    await node.run({"a": 1, "b": 2}, harness.ctx())
    [snapshot] = harness.node_events("debug.snapshot")
    assert snapshot == {
        "event": "debug.snapshot",
        "label": "debug",
        "state": {"a": 1},
        "missing": ["nope"],
    }
