"""``orcheo init``: a workflow project with a typed custom node and its tests."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["scaffold"]

_SCRIPT = '''\
"""{name}: a LangGraph script. Run it here, then push the same file to a server.

    orcheo run workflow.py -i name=Ada
    orcheo push workflow.py
"""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    name: str
    greeting: str
    log: Annotated[list[str], operator.add]


def greet(state: State) -> dict[str, object]:
    return {{"greeting": f"Hello, {{state.get('name', 'world')}}!", "log": ["greet"]}}


builder = StateGraph(State)
builder.add_node("greet", greet)
builder.add_edge(START, "greet")
builder.add_edge("greet", END)
graph = builder.compile()
'''

_NODES = '''\
"""Custom nodes for {name}: a typed config, palette metadata and one `async run`.

`orcheo run workflow.json` imports this file (it sits beside the spec), so the spec can
use the node's type like a built-in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from orcheo_core import Node, NodeConfig, NodeContext, register_node


class ShoutConfig(NodeConfig):
    source: str = Field(description="State channel holding the text.")
    output: str = Field("shout", description="State channel that receives the result.")
    marks: int = Field(1, ge=0, le=5, description="How many exclamation marks to add.")


@register_node
class ShoutNode(Node[ShoutConfig]):
    type = "shout"
    display_name = "Shout"
    category = "text"
    icon = "megaphone"
    description = "Upper-case a text and add exclamation marks."
    config_model = ShoutConfig

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> dict[str, Any]:
        text = str(state[self.config.source]).upper()
        return {{self.config.output: text + "!" * self.config.marks}}

    @classmethod
    def writes(cls, config: ShoutConfig) -> set[str]:
        return {{config.output}}
'''

_TEST = '''\
"""Tests for the custom node and the workflows: run with `python -m pytest tests`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from orcheo_core import LocalEngine

HERE = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{{name}}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


nodes = _load("nodes")


def test_the_spec_runs_with_the_custom_node() -> None:
    spec = json.loads((HERE / "workflow.json").read_text())
    result = LocalEngine().run_sync(spec, {{"name": "Ada"}})
    assert result.status == "succeeded", result.error
    assert result.state["shout"] == "HELLO ADA!!"


def test_the_config_is_typed() -> None:
    with pytest.raises(ValidationError):
        nodes.ShoutConfig(source="text", marks=9)


def test_the_script_runs() -> None:
    script = _load("workflow")
    assert script.graph.invoke({{"name": "Ada"}})["greeting"] == "Hello, Ada!"
'''

_README = """\
# {name}

An Orcheo workflow project.

- `workflow.py`: a LangGraph script. `orcheo run workflow.py -i name=Ada` runs it here (in
  the same sandbox the server uses); `orcheo push workflow.py` sends it to the server.
- `workflow.json`: a spec that uses the custom node of `nodes.py`;
  `orcheo run workflow.json -i name=Ada` runs it on the local engine.
- `tests/`: `{python} -m pytest tests` (the Python that has orcheo and pytest; a bare
  `python` may not have them).
"""


def scaffold(directory: Path, name: str) -> list[Path]:
    """Write the project's files into ``directory``; returns them."""
    spec = {
        "name": name,
        "state": {"name": {"default": "world"}},
        "nodes": [
            {
                "id": "greet",
                "type": "set_variable",
                "config": {"values": {"greeting": "Hello {{ state.name }}"}},
            },
            {"id": "shout", "type": "shout", "config": {"source": "greeting", "marks": 2}},
        ],
        "edges": [
            {"source": "greet", "target": "shout"},
            {"source": "shout", "target": "END"},
        ],
    }
    files = {
        "workflow.py": _SCRIPT.format(name=name),
        "workflow.json": json.dumps(spec, indent=2) + "\n",
        "nodes.py": _NODES.format(name=name),
        "tests/test_workflow.py": _TEST.format(name=name),
        "README.md": _README.format(name=name, python=sys.executable),
    }
    written = []
    for relative, content in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
