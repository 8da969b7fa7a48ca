"""The static check of LangGraph scripts: each refused construct is reported where it is."""

from __future__ import annotations

import pytest

from orcheo_core.graph.script import check_script, find_problems
from orcheo_core.sandbox import ScriptError

GOOD = """\
from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict):
    n: int
    log: Annotated[list[str], operator.add]


class Counter:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, state: State) -> dict:
        self.seen += 1
        return {"n": state["n"] + 1, "log": [type(self).__name__]}


def route(state: State) -> Literal["step", "__end__"]:
    input = state["n"]  # a name of the script's own, not the builtin
    return "step" if input < 3 else END


builder = StateGraph(State)
builder.add_node("step", Counter())
builder.add_edge(START, "step")
builder.add_conditional_edges("step", route)
graph = builder.compile()

if __name__ == "__main__":
    print(graph.invoke({"n": 0}))
"""


def test_an_ordinary_langgraph_script_passes() -> None:
    check_script(GOOD)
    assert find_problems(GOOD) == []


@pytest.mark.parametrize(
    ("source", "line", "column", "reason", "words"),
    [
        ("import os\n", 1, 1, "import", "'os'"),
        ("x = 1\nfrom subprocess import run\n", 2, 1, "import", "'subprocess'"),
        ("import socket as s\n", 1, 1, "import", "'socket'"),
        ("from . import sibling\n", 1, 1, "import", "relative"),
        ("from typing import _GenericAlias\n", 1, 1, "import", "private"),
        ("import langgraph._internal\n", 1, 1, "import", "langgraph._internal"),
        ("x = ().__class__\n", 1, 8, "attribute", ".__class__"),
        ("y = 1\nz = object.__subclasses__()\n", 2, 12, "attribute", ".__subclasses__"),
        ("def f():\n    return f.__globals__\n", 2, 14, "attribute", ".__globals__"),
        ("g = (i for i in [])\nf = g.gi_frame\n", 2, 7, "attribute", ".gi_frame"),
        ("def f(e):\n    return e.tb_frame.f_back\n", 2, 14, "attribute", ".tb_frame"),
        ("import typing\nm = typing.sys\n", 2, 12, "attribute", ".sys"),
        ("eval('1')\n", 1, 1, "call", "eval()"),
        ("x = 2\nexec('x = 1')\n", 2, 1, "call", "exec()"),
        ("data = open('/etc/passwd').read()\n", 1, 8, "call", "open()"),
        ("m = __import__('os')\n", 1, 5, "call", "__import__()"),
        ("b = __builtins__\n", 1, 5, "name", "__builtins__"),
        ("v = getattr(1, '__class__')\n", 1, 5, "attribute", "'__class__'"),
        ("import operator\nf = operator.attrgetter('__dict__')\n", 2, 5, "attribute", "__dict__"),
        ("s = '{0.__class__}'.format(1)\n", 1, 5, "attribute", "format string"),
        ("def f(x: 'os.__dict__') -> None: ...\n", 1, 10, "attribute", "string annotation"),
        ("def f(:\n", 1, 7, "syntax", "syntax error"),
    ],
)
def test_refused_constructs_are_placed(
    source: str, line: int, column: int, reason: str, words: str
) -> None:
    with pytest.raises(ScriptError) as caught:
        check_script(source)
    error = caught.value
    assert (error.line, error.column, error.reason) == (line, column, reason), error.message
    assert words in error.message
    assert error.hint
    assert error.message.startswith(f"line {line}, column {column}: ")
    assert error.to_dict()["details"]["line"] == line


def test_every_problem_is_listed_in_source_order() -> None:
    source = "import os\nx = ().__class__\neval('1')\n"
    with pytest.raises(ScriptError) as caught:
        check_script(source)
    problems = caught.value.details["problems"]
    assert [(p["line"], p["reason"]) for p in problems] == [
        (1, "import"),
        (2, "attribute"),
        (3, "call"),
    ]


def test_a_script_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ScriptError) as caught:
        check_script("x = 1\n" * 100, max_bytes=100)
    assert caught.value.reason == "size"
    assert "600 bytes" in caught.value.message
    assert caught.value.line is None
