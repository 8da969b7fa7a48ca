"""Debug mode records a resumable step before every superstep; runs resume from one."""

from __future__ import annotations

import asyncio
import json
import operator
from collections import Counter, defaultdict
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.channels.delta import DeltaChannel
from langgraph.graph import START, StateGraph
from langgraph.types import RetryPolicy, Send

from orcheo_core import LocalEngine, Node, NodeConfig, NodeRegistry
from orcheo_core.engine import RunEvent, RunResult
from orcheo_core.engine.step import CHECKPOINT_FORMAT, run_stepwise
from orcheo_core.nodes.base import NodeContext, State, Update


def _set(node_id: str, **values: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "set_variable", "config": {"values": values}}


def _linear(*nodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"name": "t", "entry": nodes[0]["id"], "nodes": list(nodes), "edges": edges, **extra}


# A loop (inc <-> check), a branch out of it, a fan-out to b and c, and a join.
LOOP_FANOUT = {
    "name": "loop, branch, fan-out",
    "entry": "inc",
    "state": {
        "n": {"default": 0},
        "log": {"reducer": "append", "default": []},
        "total": {"reducer": "add", "default": 0},
    },
    "nodes": [
        _set("inc", n="{{ state.n + 1 }}", log="inc{{ state.n + 1 }}"),
        {"id": "check", "type": "if_else", "config": {"expression": "{{ state.n < 3 }}"}},
        _set("fan", log="fan"),
        _set("b", log="b", total=10),
        _set("c", log="c", total=5),
        _set("done", log="done", total="{{ state.total }}"),
    ],
    "edges": [
        {"source": "inc", "target": "check"},
        {"source": "check", "routes": {"true": "inc", "false": "fan"}},
        {"source": "fan", "target": "b"},
        {"source": "fan", "target": "c"},
        {"sources": ["b", "c"], "target": "done"},
    ],
}
FINAL = {
    "n": 3,
    "log": ["inc1", "inc2", "inc3", "fan", "b", "c", "done"],
    "total": 30,
}


def _steps(result: RunResult) -> list[dict[str, Any]]:
    return [e.data for e in result.events if e.type == "run.step"]


def _node_events(events: list[RunEvent]) -> Counter[tuple[str, str | None, int | None]]:
    return Counter((e.type, e.node, e.attempt) for e in events if e.type.startswith("node."))


def _round_trip(data: Any) -> Any:
    return json.loads(json.dumps(data))


async def test_debug_run_records_the_state_and_due_nodes_before_every_superstep() -> None:
    result = await LocalEngine().run(LOOP_FANOUT, {}, debug=True)
    assert result.status == "succeeded", result.error
    assert result.state == FINAL
    steps = _steps(result)
    assert [(s["step"], s["next"]) for s in steps] == [
        (0, ["inc"]),
        (1, ["check"]),
        (2, ["inc"]),
        (3, ["check"]),
        (4, ["inc"]),
        (5, ["check"]),
        (6, ["fan"]),
        (7, ["b", "c"]),
        (8, ["done"]),
        (9, []),
    ]
    assert steps[0]["state"] == {"n": 0, "log": [], "total": 0}
    assert steps[7]["state"] == {"n": 3, "log": ["inc1", "inc2", "inc3", "fan"], "total": 0}
    assert steps[-1]["state"] == FINAL
    for data in steps:
        assert set(data) == {"step", "state", "next", "checkpoint"}
        assert data["checkpoint"]["format"] == CHECKPOINT_FORMAT
        assert _round_trip(data) == data, "a recorded step must be plain JSON"


async def test_each_superstep_runs_exactly_the_nodes_its_step_named() -> None:
    result = await LocalEngine().run(LOOP_FANOUT, {}, debug=True)
    started: list[list[str]] = []
    for event in result.events:
        if event.type == "run.step":
            started.append([])
        elif event.type == "node.started" and started:
            started[-1].append(event.node or "")
    assert [sorted(nodes) for nodes in started] == [s["next"] for s in _steps(result)]


async def test_debug_mode_ends_like_a_normal_run_with_the_same_node_events() -> None:
    normal = await LocalEngine().run(LOOP_FANOUT, {})
    debug = await LocalEngine().run(LOOP_FANOUT, {}, debug=True)
    assert normal.state == debug.state == FINAL
    assert _node_events(debug.events) == _node_events(normal.events)
    assert [e.seq for e in debug.events] == list(range(1, len(debug.events) + 1))
    assert debug.events[-1].type == "run.succeeded"


async def test_resuming_from_any_recorded_step_reaches_the_same_end() -> None:
    engine = LocalEngine()
    first = await engine.run(LOOP_FANOUT, {}, debug=True)
    steps = _steps(first)
    for recorded in steps:
        resumed = await engine.run(LOOP_FANOUT, {}, debug=True, resume=_round_trip(recorded))
        k = recorded["step"]
        assert resumed.status == "succeeded", (k, resumed.error)
        assert resumed.state == FINAL, k
        assert resumed.events[0].data == {"inputs": {}, "resumed_from_step": k}
        # the resumed run records the same steps, numbered as in the original run
        again = [(s["step"], s["state"], s["next"]) for s in _steps(resumed)]
        assert again == [(s["step"], s["state"], s["next"]) for s in steps[k:]]
        # and runs only the nodes that had not run yet
        ran = sum(len(s["next"]) for s in steps[k:])
        assert sum(1 for e in resumed.events if e.type == "node.started") == ran


async def test_a_resumed_run_without_debug_records_no_steps() -> None:
    engine = LocalEngine()
    steps = _steps(await engine.run(LOOP_FANOUT, {}, debug=True))
    resumed = await engine.run(LOOP_FANOUT, resume=_round_trip(steps[4]))
    assert resumed.state == FINAL
    assert not _steps(resumed)
    assert [e.node for e in resumed.events if e.type == "node.succeeded"][:2] == ["inc", "check"]


async def _failed_resume(workflow: Any, resume: Any) -> dict[str, Any]:
    result = await LocalEngine().run(workflow, {}, resume=resume)
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["code"] == "invalid_checkpoint", result.error
    assert [e.type for e in result.events] == ["run.started", "run.failed"]
    return result.error


async def test_resuming_a_step_of_another_workflow_fails_cleanly() -> None:
    steps = _steps(await LocalEngine().run(LOOP_FANOUT, {}, debug=True))
    other = _linear(_set("inc", n=1), _set("x", n=2), state={"n": {"default": 0}})
    error = await _failed_resume(other, _round_trip(steps[7]))
    assert "another workflow version" in error["message"]
    assert "log" in error["message"]


async def test_resuming_a_step_whose_due_nodes_differ_fails_cleanly() -> None:
    steps = _steps(await LocalEngine().run(LOOP_FANOUT, {}, debug=True))
    tampered = _round_trip(steps[7]) | {"next": ["b", "ghost"]}
    error = await _failed_resume(LOOP_FANOUT, tampered)
    assert "next=['b', 'ghost']" in error["message"]
    assert "['b', 'c']" in error["message"]


@pytest.mark.parametrize(
    ("resume", "message"),
    [
        ({"step": 2}, "nothing to resume from"),
        (["not", "a", "record"], "nothing to resume from"),
        ({"checkpoint": {"format": "nope"}}, "not an Orcheo step checkpoint"),
        ({"checkpoint": {"format": CHECKPOINT_FORMAT, "step": -1}}, "whole number"),
        ({"checkpoint": {"format": CHECKPOINT_FORMAT, "step": 1, "checkpoint": []}}, "object"),
    ],
)
async def test_resuming_a_malformed_record_fails_cleanly(resume: Any, message: str) -> None:
    error = await _failed_resume(LOOP_FANOUT, resume)
    assert message in error["message"]


async def test_resuming_a_checkpoint_with_an_unknown_tag_or_field_fails_cleanly() -> None:
    steps = _steps(await LocalEngine().run(LOOP_FANOUT, {}, debug=True))
    broken = _round_trip(steps[2])
    broken["checkpoint"]["checkpoint"]["channel_values"]["n"] = {"$pickle": "gASV"}
    error = await _failed_resume(LOOP_FANOUT, broken)
    assert "unknown tag '$pickle'" in error["message"]
    broken["checkpoint"]["checkpoint"]["channel_values"]["n"] = 2
    broken["checkpoint"]["checkpoint"]["channel_versions"]["n"] = "3"
    error = await _failed_resume(LOOP_FANOUT, broken)
    assert "whole-number versions" in error["message"]
    broken["checkpoint"]["checkpoint"]["channel_versions"]["n"] = 3
    del broken["checkpoint"]["checkpoint"]["versions_seen"]
    error = await _failed_resume(LOOP_FANOUT, broken)
    assert "'versions_seen' is missing" in error["message"]


class _Fan(TypedDict, total=False):
    words: list[str]
    lengths: Annotated[list[int], operator.add]


def _send_graph(target: str = "measure") -> StateGraph[_Fan]:
    graph = StateGraph(_Fan)
    graph.add_node("split", lambda s: {})
    graph.add_node(target, lambda s: {"lengths": [len(s["word"])]})  # type: ignore[typeddict-item]
    graph.add_edge(START, "split")
    graph.add_conditional_edges(
        "split", lambda s: [Send(target, {"word": w}) for w in s["words"]], [target]
    )
    return graph


async def test_pending_sends_survive_a_json_round_trip_and_resume() -> None:
    inputs = {"words": ["a", "bb", "ccc"], "lengths": []}
    first = await LocalEngine().run(_send_graph(), inputs, debug=True)
    assert first.state == {"words": ["a", "bb", "ccc"], "lengths": [1, 2, 3]}
    fan = _steps(first)[1]
    assert fan["next"] == ["measure", "measure", "measure"]
    resumed = await LocalEngine().run(_send_graph(), inputs, resume=_round_trip(fan))
    assert resumed.state == first.state
    # a Send to a node the workflow no longer has would be dropped by LangGraph: refuse it
    error = await _failed_resume(_send_graph("size"), _round_trip(fan) | {"next": ["size"] * 3})
    assert "nodes this workflow lacks: measure" in error["message"]


def _concat(current: list[str] | None, writes: Any) -> list[str]:
    return [*(current or []), *(item for write in writes for item in write)]


class _Delta(TypedDict, total=False):
    log: Annotated[list[str], DeltaChannel(_concat)]


def _delta_graph() -> StateGraph[_Delta]:
    graph = StateGraph(_Delta)
    graph.add_node("a", lambda s: {"log": ["a"]})
    graph.add_node("b", lambda s: {"log": ["b"]})
    graph.add_edge(START, "a")
    graph.add_edge("a", "b")
    return graph


async def test_a_delta_channel_keeps_its_value_between_steps() -> None:
    # LangGraph leaves a DeltaChannel's value out of checkpoints for a checkpointer to
    # rebuild; the step API has none, so it must carry the value itself.
    normal = await LocalEngine().run(_delta_graph(), {"log": ["x"]})
    debug = await LocalEngine().run(_delta_graph(), {"log": ["x"]}, debug=True)
    assert normal.state == debug.state == {"log": ["x", "a", "b"]}
    middle = _round_trip(_steps(debug)[1])
    assert middle["state"] == {"log": ["x", "a"]}
    resumed = await LocalEngine().run(_delta_graph(), resume=middle)
    assert resumed.state == normal.state
    assert await run_stepwise(_delta_graph(), {"log": ["x"]}) == normal.state


class _Out(TypedDict, total=False):
    out: str


def _retrying_graph() -> StateGraph[_Out]:
    """A script node with LangGraph's own RetryPolicy that succeeds on its third attempt."""
    calls: list[int] = []

    def flaky(state: _Out) -> _Out:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError(f"reset on call {len(calls)}")
        return {"out": f"ok after {len(calls)} calls"}

    graph = StateGraph(_Out)
    policy = RetryPolicy(max_attempts=5, initial_interval=0, jitter=False)
    graph.add_node("flaky", flaky, retry_policy=policy)
    graph.add_edge(START, "flaky")
    return graph


async def test_a_script_nodes_langgraph_retry_policy_applies_in_debug_mode() -> None:
    normal = await LocalEngine().run(_retrying_graph(), {})
    debug = await LocalEngine().run(_retrying_graph(), {}, debug=True)
    assert normal.state == debug.state == {"out": "ok after 3 calls"}
    assert _node_events(debug.events) == _node_events(normal.events)
    assert await run_stepwise(_retrying_graph(), {}) == normal.state


class _Point:
    def __init__(self, x: int) -> None:
        self.x = x


class _Odd(TypedDict, total=False):
    point: Any
    x: int


async def test_a_state_json_cannot_carry_is_shown_but_not_resumable() -> None:
    graph = StateGraph(_Odd)
    graph.add_node("read", lambda s: {"x": s["point"].x})
    graph.add_edge(START, "read")
    result = await LocalEngine().run(graph, {"point": _Point(7)}, debug=True)
    assert result.status == "succeeded", result.error
    assert result.state is not None and result.state["x"] == 7
    first = _steps(result)[0]
    assert "checkpoint" not in first
    assert (
        "cannot record a _Point value at checkpoint.channel_values.point"
        in (first["checkpoint_error"])
    )


class SleepConfig(NodeConfig):
    seconds: float


class SleepNode(Node[SleepConfig]):
    type = "sleep"
    display_name = "Sleep"
    config_model = SleepConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        await asyncio.sleep(self.config.seconds)
        return {}


class MeetConfig(NodeConfig):
    me: str
    other: str


def _meeting_registry() -> NodeRegistry:
    """A node that arrives, then waits for ``other``: it can only finish if both run at once."""
    arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    class MeetNode(Node[MeetConfig]):
        type = "meet"
        display_name = "Meet"
        config_model = MeetConfig

        async def run(self, state: State, ctx: NodeContext) -> Update:
            arrived[self.config.me].set()
            await arrived[self.config.other].wait()
            return {"met": [self.config.me]}

        @classmethod
        def writes(cls, config: MeetConfig) -> set[str]:
            return {"met"}

    reg = NodeRegistry()
    reg.register(MeetNode)
    reg.register(SleepNode)
    return reg


async def test_nodes_of_one_superstep_run_concurrently() -> None:
    def meet(me: str, other: str) -> dict[str, Any]:
        # the timeout only turns a sequential (wrong) engine into a failure instead of a hang
        return {"id": me, "type": "meet", "config": {"me": me, "other": other}, "timeout": 10}

    spec = {
        "name": "rendezvous",
        "entry": "go",
        "state": {"met": {"reducer": "append", "default": []}},
        "nodes": [_set("go", met="go"), meet("left", "right"), meet("right", "left")],
        "edges": [{"source": "go", "target": "left"}, {"source": "go", "target": "right"}],
    }
    result = await LocalEngine(_meeting_registry()).run(spec, {}, debug=True)
    assert result.status == "succeeded", result.error
    assert result.state == {"met": ["go", "left", "right"]}


async def test_cancel_a_debug_run() -> None:
    engine = LocalEngine(_meeting_registry())
    spec = _linear(_set("a", x=1), {"id": "slow", "type": "sleep", "config": {"seconds": 30}})
    seen: list[RunEvent] = []
    task = asyncio.create_task(engine.run(spec, {}, run_id="dbg", debug=True, on_event=seen.append))
    for _ in range(500):  # cancel while "slow" is running, not before the run starts
        await asyncio.sleep(0.01)
        if any(e.type == "node.started" and e.node == "slow" for e in seen):
            break
    assert engine.cancel("dbg")
    result = await asyncio.wait_for(task, 5)
    assert result.status == "cancelled"
    assert result.error is not None and result.error["code"] == "cancelled"
    assert result.events[-1].type == "run.cancelled"
    assert [s["next"] for s in _steps(result)] == [["a"], ["slow"]]


async def test_debug_run_timeout_and_max_steps_fail_as_in_a_normal_run() -> None:
    engine = LocalEngine(_meeting_registry())
    slow = _linear({"id": "slow", "type": "sleep", "config": {"seconds": 5}})
    slow["settings"] = {"run_timeout": 0.05}
    loop = _linear(_set("a", n="{{ (state.n | default(0)) + 1 }}"), _set("b", m=1))
    loop["edges"].append({"source": "b", "target": "a"})
    loop["settings"] = {"max_steps": 7}
    for spec in (slow, loop):
        normal = await engine.run(spec, {})
        debug = await engine.run(spec, {}, debug=True)
        assert debug.status == normal.status == "failed"
        assert debug.error == normal.error
        assert (
            _node_events(debug.events)["node.started", "a", 1]
            == (_node_events(normal.events)["node.started", "a", 1])
        )
