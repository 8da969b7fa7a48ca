"""infra imports nothing of ours: it names code by asset folder and handler string only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("functions", "orcheo_core", "tests")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_infra_and_the_cdk_app_import_no_service_code() -> None:
    files = [
        ROOT / "app.py",
        *(p for p in sorted((ROOT / "infra").rglob("*.py")) if "node_modules" not in p.parts),
    ]
    offending = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.split(".")[0] in OURS)
        for path in files
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_handler_strings_point_into_functions() -> None:
    from infra.names import FUNCTIONS

    for spec in FUNCTIONS.values():
        module = spec.handler.rpartition(".")[0]
        assert module == f"functions.{spec.key}.handler", spec
