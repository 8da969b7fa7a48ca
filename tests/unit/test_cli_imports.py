"""`orcheo --help` and simple commands load neither the engine nor LangGraph.

They used to import them eagerly (through ``orcheo_core/__init__``), which cost every
command ~0.8 CPU-s; bench/cli.py measures the CPU time, this guards the cause.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("langgraph", "langchain_core", "orcheo_core.engine", "orcheo_core.graph", "fastapi")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "args",
    [["--help"], ["runs", "--help"], ["workflows", "list", "--help"], ["triggers", "--help"]],
    ids=" ".join,
)
def test_help_loads_no_engine(args: list[str]) -> None:
    loaded = _loaded_after(
        "import contextlib, io\n"
        "from orcheo_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({args!r}) == 0\n"
    )
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}


def test_the_public_names_still_load_on_first_use() -> None:
    loaded = _loaded_after("import orcheo_core\nassert orcheo_core.LocalEngine.__name__")
    assert "orcheo_core.engine" in loaded
    assert "orcheo_core.engine" not in _loaded_after("import orcheo_core")


def test_an_unknown_name_is_an_attribute_error() -> None:
    import orcheo_core

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = orcheo_core.nope  # type: ignore[attr-defined]


PACKAGES = sorted(
    f"orcheo_core.{p.parent.name}"
    for p in (REPO / "orcheo_core").glob("*/__init__.py")
    if p.parent.name != "__pycache__"
) + ["orcheo_core.graph.builder", "orcheo_core.engine.local", "orcheo_core.engine.step"]


@pytest.mark.parametrize("module", PACKAGES)
def test_each_package_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """No import cycle bites whichever module a program imports first (engine <-> graph
    once did, as soon as nothing imported the engine before the graph)."""
    assert module in _loaded_after(f"import {module}")
