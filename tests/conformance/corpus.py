"""Loading conformance cases; shared by the test and by ``regen_expected``.

Stdlib and LangGraph only, so the generator runs without the engine.
"""

from __future__ import annotations

import hashlib
import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CASES_DIR",
    "Case",
    "canonical_json",
    "json_pointer",
    "load_cases",
    "state_sha256",
]

CASES_DIR = Path(__file__).parent / "cases"


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_sha256(state: Any) -> str:
    return hashlib.sha256(canonical_json(state).encode()).hexdigest()


def as_json(value: Any) -> Any:
    """``value`` as it would travel between engines (tuples become lists, and so on)."""
    return json.loads(canonical_json(value))


def json_pointer(document: Any, pointer: str) -> Any:
    """Resolve an RFC 6901 pointer such as ``/items/3/id``."""
    if pointer == "":
        return document
    node = document
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def is_script(self) -> bool:
        return (self.path / "workflow.py").exists()

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.meta.get("inputs", {}))

    @property
    def features(self) -> list[str]:
        return list(self.meta.get("features", []))

    def spec(self) -> dict[str, Any]:
        """The WorkflowSpec dict of a spec case."""
        return json.loads((self.path / "workflow.json").read_text())

    def workflows(self) -> dict[str, dict[str, Any]]:
        """Workflows referenced by id (``workflows/<id>.json`` next to the case)."""
        folder = self.path / "workflows"
        if not folder.is_dir():
            return {}
        return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}

    def load_graph(self) -> Any:
        """A fresh, uncompiled StateGraph from the case's ``workflow.py``.

        The module is (re)registered in ``sys.modules`` because LangGraph resolves
        the state schema's annotations through the defining module.
        """
        name = f"orcheo_conformance_case_{self.name}"
        path = self.path / "workflow.py"
        module = types.ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module
        # exec rather than an import: no __pycache__ inside the corpus, always a fresh graph.
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
        return module.graph

    def workflow(self) -> Any:
        """What the engine runs: the spec dict or the StateGraph."""
        return self.load_graph() if self.is_script else self.spec()


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        meta = json.loads((folder / "case.json").read_text())
        cases.append(Case(folder.name, folder, meta))
    return cases
