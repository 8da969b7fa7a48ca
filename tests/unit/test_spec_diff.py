"""diff_specs: what changed between two versions of a workflow."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from orcheo_core import SpecDiff, WorkflowSpec, diff_specs
from orcheo_core.spec.diff import FieldChange


def _spec() -> dict[str, Any]:
    return {
        "name": "orders",
        "entry": "start",
        "nodes": [
            {
                "id": "start",
                "type": "set_variable",
                "config": {"values": {"total": 120}},
                "ui": {"position": {"x": 0, "y": 0}, "label": "Start"},
            },
            {"id": "check", "type": "if_else", "config": {"expression": "{{ state.total > 100 }}"}},
            {
                "id": "notify",
                "type": "http_request",
                "config": {"url": "https://a.example", "method": "POST"},
                "credentials": {"api": "key-1"},
                "retry": {"max_attempts": 3},
            },
            {"id": "small", "type": "set_variable", "config": {"values": {"size": "small"}}},
            {"id": "b", "type": "set_variable", "config": {"values": {"log": "b"}}},
            {"id": "c", "type": "set_variable", "config": {"values": {"log": "c"}}},
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "routes": {"true": "notify", "false": "small"}},
            {"source": "small", "target": "b"},
            {"source": "small", "target": "c"},
            {"sources": ["b", "c"], "target": "notify"},
            {"source": "notify", "target": "END"},
        ],
        "state": {"log": {"reducer": "append", "default": []}},
        "triggers": [{"type": "cron", "id": "nightly", "expression": "0 2 * * *"}],
        "settings": {"max_steps": 50},
    }


def _changed(old: dict[str, Any], edit: Any) -> SpecDiff:
    new = copy.deepcopy(old)
    edit(new)
    return diff_specs(old, new)


def _paths(changes: tuple[FieldChange, ...]) -> dict[str, tuple[Any, Any]]:
    return {c.path: (c.old, c.new) for c in changes}


def test_identical_specs_have_an_empty_diff() -> None:
    diff = diff_specs(_spec(), _spec())
    assert diff.is_empty
    assert diff.summary() == "no changes"
    assert diff.to_dict() == {
        "nodes": {"added": [], "removed": [], "changed": [], "moved": []},
        "edges": {"added": [], "removed": [], "changed": []},
        "workflow": [],
    }


def test_spellings_the_engine_does_not_see_are_no_change() -> None:
    def respell(spec: dict[str, Any]) -> None:
        spec["edges"][-1]["target"] = "__end__"  # "END" is an alias
        spec["edges"][4]["sources"] = ["c", "b"]  # a join waits for all, in any order
        spec["edges"].reverse()
        spec["nodes"].reverse()
        spec["nodes"][0]["timeout"] = None  # the default, written out
        spec["edges"][0]["kind"] = "static"  # the kind, written out

    assert _changed(_spec(), respell).is_empty


def test_a_model_and_its_dict_compare_equal_in_any_mix() -> None:
    model = WorkflowSpec.model_validate(_spec())
    assert diff_specs(model, _spec()).is_empty
    assert diff_specs(_spec(), model).is_empty
    new = copy.deepcopy(_spec())
    new["settings"]["max_steps"] = 60
    assert diff_specs(model, WorkflowSpec.model_validate(new)) == diff_specs(_spec(), new)


def test_added_and_removed_nodes() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"] = [n for n in spec["nodes"] if n["id"] != "small"]
        spec["nodes"] += [{"id": "log", "type": "debug"}, {"id": "audit", "type": "debug"}]

    diff = _changed(_spec(), edit)
    assert diff.nodes.added == ("audit", "log")
    assert diff.nodes.removed == ("small",)
    assert diff.summary() == "2 nodes added, 1 removed"


def test_changed_node_fields_have_dotted_paths() -> None:
    def edit(spec: dict[str, Any]) -> None:
        notify = spec["nodes"][2]
        notify["config"]["url"] = "https://b.example"
        notify["config"]["headers"] = {"X-Trace": "1"}
        notify["credentials"]["api"] = "key-2"
        notify["retry"]["max_attempts"] = 5
        notify["timeout"] = 30
        spec["nodes"][3]["type"] = "debug"
        spec["nodes"][0]["ui"]["label"] = "Begin"  # a label is seen; only position is not

    diff = _changed(_spec(), edit)
    assert [n.id for n in diff.nodes.changed] == ["notify", "small", "start"]
    notify, small, start = diff.nodes.changed
    assert _paths(notify.changes) == {
        "config.url": ("https://a.example", "https://b.example"),
        "config.headers": (None, {"X-Trace": "1"}),
        "credentials.api": ("key-1", "key-2"),
        "retry.max_attempts": (3, 5),
        "timeout": (None, 30.0),
    }
    assert _paths(small.changes) == {"type": ("set_variable", "debug")}
    assert _paths(start.changes) == {"ui.label": ("Start", "Begin")}
    assert diff.nodes.moved == ()
    assert diff.summary() == "3 nodes changed"


def test_numbers_differ_from_their_float_and_bool_spellings() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"][0]["config"]["values"]["total"] = 120.0

    (start,) = _changed(_spec(), edit).nodes.changed
    assert _paths(start.changes) == {"config.values.total": (120, 120.0)}


def test_a_list_of_one_length_is_compared_item_by_item() -> None:
    conditions = [{"left": "{{ state.a }}", "operator": "lt", "right": 3}]

    def before(spec: dict[str, Any]) -> None:
        spec["nodes"][1]["config"] = {"conditions": conditions}

    def after(spec: dict[str, Any]) -> None:
        spec["nodes"][1]["config"]["conditions"][0]["right"] = 4

    old = copy.deepcopy(_spec())
    before(old)
    (check,) = _changed(old, after).nodes.changed
    assert _paths(check.changes) == {"config.conditions[0].right": (3, 4)}


def test_keys_that_are_not_names_are_quoted_in_paths() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"][0]["config"]["values"]["a.b c"] = 1

    (start,) = _changed(_spec(), edit).nodes.changed
    assert _paths(start.changes) == {'config.values["a.b c"]': (None, 1)}


def test_moving_a_node_on_the_canvas_is_reported_apart_from_changes() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"][0]["ui"]["position"] = {"x": 40, "y": 0}
        spec["nodes"][1]["ui"] = {"position": {"x": 1, "y": 2}}

    diff = _changed(_spec(), edit)
    assert diff.nodes.moved == ("check", "start")
    assert diff.nodes.changed == ()
    assert not diff.is_empty
    assert diff.summary() == "2 nodes moved"


def test_added_and_removed_edges_are_stable_dicts_of_every_kind() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["edges"].remove({"source": "small", "target": "c"})
        spec["edges"].remove({"sources": ["b", "c"], "target": "notify"})
        spec["edges"].append({"source": "b", "target": "notify"})
        spec["edges"].append({"source": "start", "routes": {"x": "b"}, "default": "END"})

    diff = _changed(_spec(), edit)
    assert list(diff.edges.added) == [
        {"kind": "conditional", "source": "start", "routes": {"x": "b"}, "default": "__end__"},
        {"kind": "static", "source": "b", "target": "notify"},
    ]
    assert list(diff.edges.removed) == [
        {"kind": "join", "sources": ["b", "c"], "target": "notify"},
        {"kind": "static", "source": "small", "target": "c"},
    ]
    assert diff.edges.changed == ()
    assert diff.summary() == "2 edges added, 2 removed"


def test_a_conditional_edge_with_new_routes_is_one_changed_edge() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["edges"][1]["routes"] = {"true": "notify", "false": "b", "maybe": "c"}
        spec["edges"][1]["default"] = "small"

    diff = _changed(_spec(), edit)
    (edge,) = diff.edges.changed
    assert (edge.kind, edge.source) == ("conditional", "check")
    assert _paths(edge.changes) == {
        "routes.false": ("small", "b"),
        "routes.maybe": (None, "c"),
        "default": (None, "small"),
    }
    assert diff.edges.added == diff.edges.removed == ()
    assert diff.summary() == "1 edge changed"


def test_workflow_fields_settings_state_triggers_entry_and_name() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["name"] = "orders v2"
        spec["entry"] = "check"
        spec["settings"] = {"max_steps": 60, "run_timeout": 10}
        spec["state"]["log"]["reducer"] = "add"
        spec["state"]["seen"] = {"default": 0}
        spec["triggers"][0]["expression"] = "0 3 * * *"
        spec["triggers"].append({"type": "webhook"})

    diff = _changed(_spec(), edit)
    assert _paths(diff.workflow) == {
        "name": ("orders", "orders v2"),
        "entry": ("start", "check"),
        "state.log.reducer": ("append", "add"),
        "state.seen": (None, {"reducer": "replace", "default": 0, "description": ""}),
        "triggers.nightly.expression": ("0 2 * * *", "0 3 * * *"),
        "triggers.webhook": (
            None,
            {"type": "webhook", "id": "webhook", "methods": ["POST"], "auth": "hmac"}
            | {"input_key": "webhook", "max_body_bytes": 1024 * 1024}
            | {
                "response": {"mode": "accepted", "status_code": None, "body": None}
                | {"content_type": None, "timeout": 25.0, "output_key": None}
            },
        ),
        "settings.max_steps": (50, 60),
        "settings.run_timeout": (3600.0, 10.0),
    }
    assert diff.summary() == "8 workflow fields changed"
    assert diff.nodes == type(diff.nodes)() and diff.edges == type(diff.edges)()


def test_summary_names_each_group_once() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"] += [{"id": "x", "type": "debug"}, {"id": "y", "type": "debug"}]
        spec["nodes"][2]["config"]["url"] = "https://c.example"
        spec["edges"].pop()

    assert _changed(_spec(), edit).summary() == "2 nodes added, 1 changed, 1 edge removed"


def test_plain_graph_dicts_and_drafts_that_do_not_validate_still_diff() -> None:
    # the shape of a graph extracted from a LangGraph script: no name, no node types
    old = {"nodes": [{"id": "a"}, {"id": "b"}], "edges": [{"source": "a", "target": "b"}]}
    new = {
        "nodes": [{"id": "a"}, {"id": "c", "retry": {"max_attempts": 0}}],
        "edges": [{"source": "a", "target": "c"}, {"source": "c", "target": "END"}],
    }
    diff = diff_specs(old, new)
    assert (diff.nodes.added, diff.nodes.removed) == (("c",), ("b",))
    assert list(diff.edges.removed) == [{"kind": "static", "source": "a", "target": "b"}]
    assert list(diff.edges.added) == [
        {"kind": "static", "source": "a", "target": "c"},
        {"kind": "static", "source": "c", "target": "__end__"},
    ]
    assert diff_specs(old, copy.deepcopy(old)).is_empty


def test_the_diff_is_json_data() -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["nodes"][2]["config"]["url"] = "https://b.example"
        spec["edges"][1]["routes"]["false"] = "b"

    data = _changed(_spec(), edit).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["nodes"]["changed"] == [
        {
            "id": "notify",
            "changes": [
                {"path": "config.url", "old": "https://a.example", "new": "https://b.example"}
            ],
        }
    ]
    assert data["edges"]["changed"][0]["changes"] == [
        {"path": "routes.false", "old": "small", "new": "b"}
    ]


def test_anything_but_a_spec_is_refused() -> None:
    with pytest.raises(TypeError, match="WorkflowSpec or a dict, not list"):
        diff_specs([], _spec())  # type: ignore[arg-type]
