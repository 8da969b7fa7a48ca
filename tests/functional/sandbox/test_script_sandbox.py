"""Extracting and running well-behaved scripts in the sandbox, and the errors they get."""

from __future__ import annotations

import pytest

from orcheo_core import sandbox
from orcheo_core.sandbox import ScriptError, ScriptSandbox

SHAPES = """\
import operator
from typing import Annotated, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command


class State(TypedDict, total=False):
    n: int
    seen: Annotated[list[str], operator.add]


def first(state: State) -> dict:
    return {"seen": ["first"]}


def left(state: State) -> dict:
    return {"seen": ["left"]}


def right(state: State) -> dict:
    return {"seen": ["right"]}


def join(state: State) -> Command[Literal["last"]]:
    return Command(goto="last", update={"seen": ["join"]})


def last(state: State) -> dict:
    return {"seen": ["last"]}


def unlabelled(state: State):
    return "left"


builder = StateGraph(State)
for name, function in [("first", first), ("left", left), ("right", right), ("last", last)]:
    builder.add_node(name, function)
builder.add_node("join", join)
builder.add_edge(START, "first")
paths = {"a": "left", "b": "right"}
builder.add_conditional_edges("first", lambda s: "a" if s.get("n") else "b", paths)
builder.add_conditional_edges("right", unlabelled)
builder.add_edge(["left", "right"], "join")
builder.add_edge("last", END)
"""


async def test_extract_describes_routes_joins_and_commands() -> None:
    shape = await ScriptSandbox().extract(SHAPES)
    assert shape.graph == "builder" and not shape.compiled
    assert {n["id"]: n["ends"] for n in shape.nodes}["join"] == ["last"]
    routes = {r["source"]: r for r in shape.routes}
    assert routes["first"]["path_map"] == {"a": "left", "b": "right"}
    assert routes["first"]["targets"] == ["left", "right"]
    assert routes["right"]["name"] == "unlabelled" and routes["right"]["targets"] is None
    assert {"source": "left", "target": "join", "join": True} in shape.edges
    assert (shape.entry, shape.finish, shape.state) == (["first"], ["last"], ["n", "seen"])


async def test_run_streams_node_events_and_the_final_state() -> None:
    events = []
    run = await ScriptSandbox().run(SHAPES, {"n": 0}, run_id="r", on_event=events.append)
    assert run.status == "succeeded"
    assert run.state == {"n": 0, "seen": ["first", "right", "left", "join", "last"]}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    done = [e.node for e in events if e.type == "node.succeeded"]
    assert done == ["first", "right", "left", "join", "last"]
    assert all(e.data["duration"] >= 0 for e in events if e.type == "node.succeeded")
    assert events[-1].type == "run.succeeded" and events[-1].data["state"] == run.state


@pytest.mark.parametrize(
    ("source", "line", "reason", "words"),
    [
        ("import math\n\nvalue = math.sqrt(-1)\n", 3, "load", "ValueError"),
        ("x = 1\n", None, "no_graph", "no LangGraph graph"),
        (
            "from langgraph.graph import StateGraph\nfrom typing import TypedDict\n"
            "class S(TypedDict):\n    n: int\na = StateGraph(S)\nb = StateGraph(S)\n",
            None,
            "no_graph",
            "several graphs (a, b)",
        ),
    ],
)
async def test_scripts_that_cannot_become_a_workflow(
    source: str, line: int | None, reason: str, words: str
) -> None:
    with pytest.raises(ScriptError) as caught:
        await ScriptSandbox().extract(source)
    assert (caught.value.line, caught.value.reason) == (line, reason)
    assert words in caught.value.message and caught.value.hint


async def test_what_a_script_prints_is_kept_apart_and_capped() -> None:
    source = SHAPES.replace(
        'return {"seen": ["first"]}', 'print("x" * 100_000)\n    return {"seen": ["first"]}'
    )
    run = await ScriptSandbox().run(source, {"n": 1})
    assert run.status == "succeeded"
    assert run.stdout == "x" * 64 * 1024


def test_the_public_names_are_frozen() -> None:
    assert sorted(sandbox.__all__) == [
        "EXTRACT_LIMITS",
        "RUN_LIMITS",
        "SANDBOX_ENV",
        "SCRIPT_IMPORTS",
        "SandboxError",
        "SandboxLimits",
        "SandboxMode",
        "SandboxUnavailableError",
        "SandboxViolationError",
        "ScriptCrashedError",
        "ScriptError",
        "ScriptGraph",
        "ScriptMemoryError",
        "ScriptRun",
        "ScriptSandbox",
        "ScriptTask",
        "ScriptTimeoutError",
        "extract_script",
        "protect",
        "run_script",
        "sandbox_mode",
        "serve_job",
        "use_remote",
    ]
