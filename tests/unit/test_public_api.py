"""The public surface of orcheo_core is frozen: a change here is a reviewed decision."""

from __future__ import annotations

import json
from pathlib import Path

import orcheo_core
from orcheo_core.nodes import default_registry
from tests.snapshot_check import check_snapshot

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"

PUBLIC = {
    "orcheo_core": [
        "CompiledWorkflow",
        "LocalEngine",
        "Node",
        "NodeConfig",
        "NodeContext",
        "NodeRegistry",
        "OrcheoError",
        "RunContext",
        "RunEvent",
        "RunResult",
        "SpecDiff",
        "SpecValidationError",
        "WorkflowSpec",
        "__version__",
        "build_graph",
        "compile_workflow",
        "diff_specs",
        "load_spec",
        "orcheo_node",
        "register_node",
        "validate_spec",
    ],
}


def test_public_names_are_frozen() -> None:
    assert sorted(orcheo_core.__all__) == PUBLIC["orcheo_core"]
    for name in orcheo_core.__all__:
        assert hasattr(orcheo_core, name), name


def _check_snapshot(name: str, data: object) -> None:
    path = SNAPSHOTS / name
    current = json.dumps(data, indent=2, sort_keys=True) + "\n"
    check_snapshot(path, current, "tests/unit/test_public_api.py")


def test_node_catalog_snapshot() -> None:
    catalog = default_registry.catalog()
    assert {entry["type"] for entry in catalog} == set(default_registry.types())
    for entry in catalog:
        assert entry["display_name"] and entry["description"] and entry["category"]
        assert entry["config_schema"]["type"] == "object"
    _check_snapshot("node_catalog.json", catalog)
