"""WorkflowSpec validation: every problem, each at its exact location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orcheo_core.errors import SpecValidationError
from orcheo_core.spec import json_schema, load_spec, validate_spec
from tests.snapshot_check import check_snapshot

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "workflow_spec.schema.json"


def _spec(**overrides: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "name": "orders",
        "entry": "start",
        "nodes": [
            {"id": "start", "type": "set_variable", "config": {"values": {"total": 120}}},
            {"id": "check", "type": "if_else", "config": {"expression": "{{ state.total > 100 }}"}},
            {"id": "big", "type": "set_variable", "config": {"values": {"size": "big"}}},
            {"id": "small", "type": "set_variable", "config": {"values": {"size": "small"}}},
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "routes": {"true": "big", "false": "small"}},
        ],
    }
    spec.update(overrides)
    return spec


def _messages(data: object) -> list[str]:
    return [str(p) for p in validate_spec(data).errors]


def test_valid_spec_loads_with_edge_kinds_inferred() -> None:
    spec = load_spec(_spec())
    assert [e.kind for e in spec.edges] == ["static", "conditional"]
    assert validate_spec(_spec()).warnings == []


def test_every_problem_is_reported_with_its_location() -> None:
    data = _spec(
        nodes=[
            {"id": "start", "type": "set_variable", "config": {"values": {"total": 1}}},
            {"id": "check", "type": "if_else", "config": {}},
            {"id": "check2", "type": "if_else", "config": {"combine": "most"}},
            {"id": "http1", "type": "http_requets", "config": {}},
            {"id": "start", "type": "set_variable", "config": {"values": {}}},
        ],
        edges=[
            {"source": "start", "target": "chek"},
            {"source": "check", "routes": {"true": "start"}},
        ],
    )
    errors = _messages(data)
    assert "nodes[check2].config.combine: Input should be 'all' or 'any'" in errors
    assert any(e.startswith("nodes[http1].type: unknown node type 'http_requets'") for e in errors)
    assert any("did you mean 'http_request'" in e for e in errors)
    assert any(e.startswith("nodes[start].id: duplicate node id") for e in errors)
    assert any(e.startswith("edges[0].target: no node 'chek'") and "'check'" in e for e in errors)
    assert any(
        e.startswith("edges[1].routes: route 'false' of node 'check' has no target") for e in errors
    )
    assert len(errors) >= 5


def test_invalid_config_value_names_the_field_path() -> None:
    data = _spec()
    data["nodes"].append(  # type: ignore[attr-defined]
        {"id": "http1", "type": "set_variable", "config": {"values": "not a dict"}}
    )
    errors = _messages(data)
    assert "nodes[http1].config.values: Input should be a valid dictionary" in errors


def test_structural_errors_do_not_hide_node_config_errors() -> None:
    data = {"name": "x", "nodes": [{"id": 5}, {"id": "a", "type": "set_variable", "config": {}}]}
    errors = _messages(data)
    assert "nodes[0].id: Input should be a valid string" in errors
    assert "nodes[a].config.values: Field required" in errors


def test_trigger_problems_are_located_by_trigger_id_next_to_node_problems() -> None:
    data = _spec(
        triggers=[
            {"type": "cron", "id": "nightly", "expression": "0 25 * * *"},
            {"type": "webhook", "methods": ["FETCH"]},
        ]
    )
    data["nodes"].append({"id": "bad", "type": "set_variable", "config": {}})  # type: ignore[attr-defined]
    errors = _messages(data)
    assert "triggers[nightly].expression: cron field 'hour': 25 is out of range 0-23" in errors
    assert any(e.startswith("triggers[webhook].methods[0]: Input should be 'GET'") for e in errors)
    assert "nodes[bad].config.values: Field required" in errors


def test_duplicate_trigger_ids_are_errors() -> None:
    data = _spec(triggers=[{"type": "manual", "id": "go"}, {"type": "manual", "id": "go"}])
    assert _messages(data) == ["triggers[go].id: duplicate trigger id 'go'"]


def test_templates_are_not_type_checked_until_run_time() -> None:
    data = _spec()
    data["nodes"][1]["config"] = {"conditions": "{{ state.rules }}"}  # type: ignore[index]
    assert _messages(data) == []


def test_missing_entry_lists_the_candidates() -> None:
    data = _spec(
        entry=None, edges=[{"source": "check", "routes": {"true": "big", "false": "small"}}]
    )
    errors = _messages(data)
    assert errors == ["entry: missing entry; set `entry` to one of: start, check"]


def test_entry_is_inferred_from_the_only_root() -> None:
    spec = load_spec(_spec(entry=None))
    assert spec.entry is None
    assert validate_spec(_spec(entry=None)).ok


def test_unreachable_node_and_unknown_route_label() -> None:
    data = _spec(
        edges=[
            {"source": "start", "target": "check"},
            {"source": "check", "routes": {"true": "big", "false": "big", "maybe": "big"}},
        ]
    )
    errors = _messages(data)
    assert any(e.startswith("nodes[small]: node 'small' is unreachable") for e in errors)
    assert any(
        e.startswith("edges[1].routes.maybe: node 'check' never routes to 'maybe'") for e in errors
    )


def test_conditional_edge_needs_a_routing_node() -> None:
    data = _spec()
    data["edges"].append({"source": "big", "routes": {"x": "small"}})  # type: ignore[attr-defined]
    errors = _messages(data)
    assert any(
        e.startswith("edges[2].source: node 'big' (set_variable) does not route") for e in errors
    )


def test_router_without_edges_is_an_error() -> None:
    data = _spec(edges=[{"source": "start", "target": "check"}])
    errors = _messages(data)
    assert any(
        e.startswith("nodes[check]: routing node 'check' has no conditional edge") for e in errors
    )


def test_cycle_without_exit_is_a_warning_not_an_error() -> None:
    data = _spec(
        nodes=[
            {"id": "a", "type": "set_variable", "config": {"values": {"x": 1}}},
            {"id": "b", "type": "set_variable", "config": {"values": {"x": 2}}},
        ],
        entry="a",
        edges=[{"source": "a", "target": "b"}, {"source": "b", "target": "a"}],
    )
    report = validate_spec(data)
    assert report.ok
    assert [w.code for w in report.warnings] == ["cycle_without_exit"]
    assert "a, b form a loop with no exit" in report.warnings[0].message


def test_loop_with_an_exit_is_not_warned() -> None:
    data = _spec(
        edges=[
            {"source": "start", "target": "check"},
            {"source": "check", "routes": {"true": "big", "false": "start"}},
            {"source": "big", "target": "__end__"},
        ],
        nodes=_spec()["nodes"][:3],  # type: ignore[index]
    )
    report = validate_spec(data)
    assert report.ok, report.errors
    assert report.warnings == []


def test_load_spec_raises_with_all_problems() -> None:
    with pytest.raises(SpecValidationError) as info:
        load_spec(_spec(nodes=[], edges=[{"source": "a", "target": "b"}]))
    assert len(info.value.problems) == 3
    assert "workflow spec has 3 problems" in str(info.value)


def test_not_an_object() -> None:
    assert _messages([1, 2]) == ["a workflow spec is a JSON object, not list"]


def test_json_schema_snapshot() -> None:
    current = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    check_snapshot(SNAPSHOT, current, "tests/unit/test_spec.py")
