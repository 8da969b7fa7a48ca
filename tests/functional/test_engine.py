"""The local engine end to end: events, retries, timeouts, cancellation, limits."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import START, StateGraph

from orcheo_core import LocalEngine, Node, NodeConfig, NodeRegistry, orcheo_node
from orcheo_core.engine.step import next_tasks, run_stepwise, start, step, values
from orcheo_core.graph import compile_workflow
from orcheo_core.nodes.base import NodeContext, State, Update


class FlakyConfig(NodeConfig):
    fail_times: int = 2
    error: str = "ConnectionError"


class FlakyNode(Node[FlakyConfig]):
    type = "flaky"
    display_name = "Flaky"
    config_model = FlakyConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        if ctx.attempt <= self.config.fail_times:
            raise {"ConnectionError": ConnectionError, "ValueError": ValueError}[self.config.error](
                f"attempt {ctx.attempt} failed"
            )
        return {"attempts": ctx.attempt}

    @classmethod
    def writes(cls, config: FlakyConfig) -> set[str]:
        return {"attempts"}


class SleepConfig(NodeConfig):
    seconds: float


class SleepNode(Node[SleepConfig]):
    type = "sleep"
    display_name = "Sleep"
    config_model = SleepConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        await asyncio.sleep(self.config.seconds)
        ctx.report_usage(prompt_tokens=3, completion_tokens=4)
        return {"slept": True}

    @classmethod
    def writes(cls, config: SleepConfig) -> set[str]:
        return {"slept"}


@pytest.fixture
def registry() -> NodeRegistry:
    reg = NodeRegistry()
    reg.register(FlakyNode)
    reg.register(SleepNode)
    return reg


def _set(node_id: str, **values: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "set_variable", "config": {"values": values}}


def _linear(*nodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"name": "t", "entry": nodes[0]["id"], "nodes": list(nodes), "edges": edges, **extra}


async def test_events_are_ordered_and_carry_input_output_duration() -> None:
    spec = _linear(_set("a", x=1), _set("b", y="{{ state.x + 1 }}"))
    result = await LocalEngine().run(spec, {})
    assert result.status == "succeeded"
    assert result.state == {"x": 1, "y": 2}
    kinds = [(e.type, e.node) for e in result.events]
    assert kinds == [
        ("run.started", None),
        ("node.started", "a"),
        ("node.succeeded", "a"),
        ("node.started", "b"),
        ("node.succeeded", "b"),
        ("run.succeeded", None),
    ]
    assert [e.seq for e in result.events] == list(range(1, 7))
    b_done = result.events[4]
    assert b_done.data["output"] == {"y": 2}
    assert b_done.data["duration"] >= 0
    assert result.events[3].data["input"] == {"x": 1}


async def test_retry_until_success_shows_every_attempt(registry: NodeRegistry) -> None:
    node = {
        "id": "f",
        "type": "flaky",
        "config": {"fail_times": 2},
        "retry": {"max_attempts": 3, "initial_interval": 0.001, "jitter": False},
    }
    result = await LocalEngine(registry).run(_linear(node), {})
    assert result.status == "succeeded"
    assert result.state == {"attempts": 3}
    retrying = [e for e in result.events if e.type == "node.retrying"]
    assert [e.attempt for e in retrying] == [1, 2]
    assert "attempt 1 failed" in retrying[0].data["error"]["message"]
    assert [e.attempt for e in result.events if e.type == "node.started"] == [1, 2, 3]


async def test_retry_exhausted_names_the_node_and_cause(registry: NodeRegistry) -> None:
    node = {
        "id": "f",
        "type": "flaky",
        "config": {"fail_times": 5},
        "retry": {"max_attempts": 2, "initial_interval": 0},
    }
    result = await LocalEngine(registry).run(_linear(node), {})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["code"] == "node_failed"
    assert result.error["message"] == "node 'f' failed: ConnectionError: attempt 2 failed"
    assert result.error["details"]["node"] == "f"


async def test_retry_on_filters_error_types(registry: NodeRegistry) -> None:
    node = {
        "id": "f",
        "type": "flaky",
        "config": {"fail_times": 1, "error": "ValueError"},
        "retry": {"max_attempts": 3, "initial_interval": 0, "retry_on": ["ConnectionError"]},
    }
    result = await LocalEngine(registry).run(_linear(node), {})
    assert result.status == "failed"
    assert [e.type for e in result.events].count("node.started") == 1


async def test_node_timeout(registry: NodeRegistry) -> None:
    node = {"id": "slow", "type": "sleep", "config": {"seconds": 5}, "timeout": 0.05}
    result = await LocalEngine(registry).run(_linear(node), {})
    assert result.error is not None
    assert result.error["code"] == "node_timeout"
    assert "node 'slow' failed: timed out after 0.05s" in result.error["message"]


async def test_run_timeout(registry: NodeRegistry) -> None:
    spec = _linear(
        {"id": "slow", "type": "sleep", "config": {"seconds": 5}}, settings={"run_timeout": 0.05}
    )
    result = await LocalEngine(registry).run(spec, {})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["code"] == "run_timeout"


async def test_cancel_a_running_run(registry: NodeRegistry) -> None:
    engine = LocalEngine(registry)
    spec = _linear({"id": "slow", "type": "sleep", "config": {"seconds": 30}})
    task = asyncio.create_task(engine.run(spec, {}, run_id="r1"))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if engine.cancel("r1"):
            break
    result = await asyncio.wait_for(task, 5)
    assert result.status == "cancelled"
    assert result.events[-1].type == "run.cancelled"
    assert engine.cancel("r1") is False


async def test_loop_without_exit_stops_at_max_steps() -> None:
    spec = _linear(
        _set("a", n="{{ (state.n | default(0)) + 1 }}"),
        _set("b", m=1),
        settings={"max_steps": 7},
    )
    spec["edges"].append({"source": "b", "target": "a"})
    result = await LocalEngine().run(spec, {})
    assert result.error is not None
    assert result.error["code"] == "max_steps_exceeded"
    assert "7 steps" in result.error["message"]


async def test_debug_mode_records_the_state_before_every_step_and_the_final_one() -> None:
    spec = _linear(_set("a", x=1), _set("b", x=2))
    result = await LocalEngine().run(spec, {}, debug=True)
    steps = [e.data for e in result.events if e.type == "run.step"]
    assert [(s["step"], s["state"], s["next"]) for s in steps] == [
        (0, {}, ["a"]),
        (1, {"x": 1}, ["b"]),
        (2, {"x": 2}, []),
    ]


class TallyConfig(NodeConfig):
    x: int


def _tally_registry(ran: list[str]) -> NodeRegistry:
    """A node type that notes every node that runs, whichever engine runs it."""

    class TallyNode(Node[TallyConfig]):
        type = "tally"
        display_name = "Tally"
        config_model = TallyConfig

        async def run(self, state: State, ctx: NodeContext) -> Update:
            ran.append(ctx.node_id)
            return {"x": self.config.x}

        @classmethod
        def writes(cls, config: TallyConfig) -> set[str]:
            return {"x"}

    reg = NodeRegistry()
    reg.register(TallyNode)
    return reg


@pytest.mark.parametrize("length", [6, 7, 8])
async def test_every_driver_stops_at_max_steps_where_langgraph_does(length: int) -> None:
    # LangGraph checks the limit before looking for due nodes: a 7-node chain with
    # max_steps 7 runs all 7 nodes and still fails. The step drivers must agree exactly.
    nodes = [{"id": f"n{i}", "type": "tally", "config": {"x": i}} for i in range(length)]
    spec = _linear(*nodes, settings={"max_steps": 7})
    outcomes = []
    for mode in ("normal", "debug", "stepwise"):
        ran: list[str] = []
        reg = _tally_registry(ran)
        if mode == "stepwise":
            try:
                await run_stepwise(spec, {}, registry=reg)
                code = None
            except Exception as exc:
                code = getattr(exc, "code", None)
        else:
            result = await LocalEngine(reg).run(spec, {}, debug=mode == "debug")
            code = result.error["code"] if result.error else None
        outcomes.append((mode, ran, code))
    want_ran = [f"n{i}" for i in range(min(length, 7))]
    want_code = None if length < 7 else "max_steps_exceeded"
    assert outcomes == [(mode, want_ran, want_code) for mode in ("normal", "debug", "stepwise")]


async def test_unknown_input_and_defaults() -> None:
    spec = _linear(_set("a", x="{{ state.base * 2 }}"), state={"base": {"default": 21}})
    ok = await LocalEngine().run(spec, {})
    assert ok.state == {"base": 21, "x": 42}
    bad = await LocalEngine().run(spec, {"bse": 1})
    assert bad.error is not None
    assert bad.error["code"] == "invalid_input"
    assert "'bse'" in bad.error["message"] and "base" in bad.error["message"]


async def test_invalid_spec_fails_with_every_problem() -> None:
    result = await LocalEngine().run({"name": "x", "nodes": [{"id": "a", "type": "nope"}]}, {})
    assert result.error is not None
    assert result.error["code"] == "invalid_spec"
    assert result.error["details"]["problems"][0]["loc"] == "nodes[a].type"


async def test_parallel_writes_to_a_replace_channel_explain_the_fix() -> None:
    spec = {
        "name": "race",
        "entry": "a",
        "nodes": [_set("a", go=1), _set("b", x=1), _set("c", x=2)],
        "edges": [{"source": "a", "target": "b"}, {"source": "a", "target": "c"}],
    }
    result = await LocalEngine().run(spec, {})
    assert result.error is not None
    assert "give the channel a reducer" in result.error["message"]


async def test_fan_out_and_join_with_append_reducer() -> None:
    spec = {
        "name": "fan",
        "entry": "a",
        "state": {"log": {"reducer": "append"}},
        "nodes": [_set("a", log="a"), _set("b", log="b"), _set("c", log="c"), _set("j", log="j")],
        "edges": [
            {"source": "a", "target": "b"},
            {"source": "a", "target": "c"},
            {"sources": ["b", "c"], "target": "j"},
        ],
    }
    result = await LocalEngine().run(spec, {})
    assert result.state == {"log": ["a", "b", "c", "j"]}


async def test_usage_is_reported_on_the_node_event(registry: NodeRegistry) -> None:
    result = await LocalEngine(registry).run(
        _linear({"id": "s", "type": "sleep", "config": {"seconds": 0}})
    )
    done = next(e for e in result.events if e.type == "node.succeeded")
    assert done.data["usage"] == {"prompt_tokens": 3, "completion_tokens": 4}


async def test_stream_yields_events_as_they_happen() -> None:
    spec = _linear(_set("a", x=1), _set("b", y=2))
    seen = [e.type async for e in LocalEngine().stream(spec, {})]
    assert seen[0] == "run.started" and seen[-1] == "run.succeeded"
    assert seen.count("node.succeeded") == 2


class _S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    greeting: str


async def test_plain_stategraph_with_an_orcheo_node_runs_with_events() -> None:
    graph = StateGraph(_S)
    graph.add_node("hello", lambda s: {"log": ["hello"]})
    graph.add_node(
        "greet", orcheo_node("set_variable", {"values": {"greeting": "hi {{ state.log[0] }}"}})
    )
    graph.add_edge(START, "hello")
    graph.add_edge("hello", "greet")
    result = await LocalEngine().run(graph, {"log": []})
    assert result.state == {"log": ["hello"], "greeting": "hi hello"}
    assert [e.node for e in result.events if e.type == "node.succeeded"] == ["hello", "greet"]
    assert await graph.compile().ainvoke({"log": []}) == result.state


async def test_runs_are_deterministic() -> None:
    spec = _linear(_set("a", x="{{ [3, 1, 2] | sort }}"), _set("b", y="{{ state.x | sum }}"))
    first = await LocalEngine().run(spec, {})
    second = await LocalEngine().run(spec, {})
    assert first.state == second.state == {"x": [1, 2, 3], "y": 6}


async def test_single_node_step_reports_state_and_next_nodes() -> None:
    spec = {
        "name": "branch",
        "entry": "start",
        "nodes": [
            _set("start", total=150),
            {"id": "check", "type": "if_else", "config": {"expression": "{{ state.total > 100 }}"}},
            _set("big", size="big"),
            _set("small", size="small"),
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "routes": {"true": "big", "false": "small"}},
        ],
    }
    wf = compile_workflow(spec)
    state = start(wf, {})
    assert [t.node for t in next_tasks(wf, state)] == ["start"]
    out = await step(wf, state, "start")
    assert out.values(wf) == {"total": 150}
    assert [t.node for t in out.next] == ["check"]
    out = await step(wf, out.state, "check")
    assert [t.node for t in out.next] == ["big"]
    out = await step(wf, out.state, "big")
    assert out.next == []
    assert values(wf, out.state) == {"total": 150, "size": "big"}
    assert values(wf, out.state) == (await LocalEngine().run(spec, {})).state
    with pytest.raises(KeyError, match="not due"):
        await step(wf, out.state, "small")


async def test_stepwise_driver_reports_the_same_errors(registry: NodeRegistry) -> None:
    node = {"id": "f", "type": "flaky", "config": {"fail_times": 9}}
    with pytest.raises(Exception, match="node 'f' failed: ConnectionError") as info:
        await run_stepwise(_linear(node), {}, registry=registry)
    assert getattr(info.value, "code", None) == "node_failed"


class LogConfig(NodeConfig):
    message: str


class LogNode(Node[LogConfig]):
    type = "log"
    display_name = "Log"
    config_model = LogConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        ctx.logger.warning(self.config.message)
        return {}


async def test_node_logger_tags_records_with_run_and_node(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reg = NodeRegistry()
    reg.register(LogNode)
    spec = _linear({"id": "say", "type": "log", "config": {"message": "hello {{ state.who }}"}})
    spec["state"] = {"who": {"default": "ops"}}
    with caplog.at_level("WARNING", logger="orcheo.run"):
        result = await LocalEngine(reg).run(spec, run_id="run-42")
    assert result.status == "succeeded"
    (record,) = [r for r in caplog.records if r.name == "orcheo.run"]
    assert record.getMessage() == "hello ops"
    assert (record.run_id, record.node_id, record.attempt) == ("run-42", "say", 1)  # type: ignore[attr-defined]


class CountConfig(NodeConfig):
    count: int
    output: str = "counted"
    extra: str | None = None


class CountNode(Node[CountConfig]):
    type = "count"
    display_name = "Count"
    config_model = CountConfig

    async def run(self, state: State, ctx: NodeContext) -> Update:
        update: Update = {self.config.output: self.config.count}
        if self.config.extra:
            update[self.config.extra] = True
        return update

    @classmethod
    def writes(cls, config: CountConfig) -> set[str]:
        return {config.output}


async def test_channels_are_declared_even_when_a_templated_field_is_not_valid_yet() -> None:
    reg = NodeRegistry()
    reg.register(CountNode)
    node = {"id": "c", "type": "count", "config": {"count": "{{ state.n * 2 }}", "output": "twice"}}
    spec = _linear(node, state={"n": {"default": 4}})
    result = await LocalEngine(reg).run(spec)
    assert result.state == {"n": 4, "twice": 8}


async def test_a_write_to_an_undeclared_channel_fails_instead_of_vanishing() -> None:
    reg = NodeRegistry()
    reg.register(CountNode)
    spec = _linear({"id": "c", "type": "count", "config": {"count": 1, "extra": "surprise"}})
    result = await LocalEngine(reg).run(spec)
    assert result.status == "failed"
    assert result.error is not None
    assert "node 'c' wrote 'surprise', which is not a state channel" in result.error["message"]


def test_trigger_input_keys_are_accepted_as_run_inputs() -> None:
    spec = {
        "name": "hooked",
        "nodes": [
            {
                "id": "echo",
                "type": "set_variable",
                "config": {"values": {"got": "{{ state.webhook.body.n }}"}},
            }
        ],
        "state": {"got": {}},
        "triggers": [{"type": "webhook", "id": "hook"}],
    }
    result = LocalEngine().run_sync(spec, {"webhook": {"body": {"n": 3}}})
    assert result.status == "succeeded", result.error
    assert result.state is not None and result.state["got"] == 3
