from __future__ import annotations

import pytest
from pydantic import ValidationError

from orcheo_core.errors import DataError
from orcheo_core.nodes.registry import default_registry
from orcheo_core.nodes.switch import SwitchNode


def node(cfg: dict) -> SwitchNode:
    return SwitchNode(SwitchNode.config_model.model_validate(cfg))


CASES = [
    {"label": "paid", "equals": "paid"},
    {"label": "big", "conditions": [{"left": 500, "operator": "gt", "right": 100}]},
    {"label": "refunded", "equals": "refunded"},
]


async def test_first_matching_case_wins(harness) -> None:
    n = node({"value": "refunded", "cases": CASES})
    assert await n.run({}, harness.ctx()) == {}
    # "big" matches by its conditions before "refunded" is checked
    assert n.route({}) == "big"
    assert node({"value": "paid", "cases": CASES}).route({}) == "paid"


def test_no_match_takes_the_default_route() -> None:
    cases = [{"label": "a", "equals": 1}, {"label": "b", "equals": 2}]
    assert node({"value": 3, "cases": cases}).route({}) == "default"
    assert node({"value": 3, "cases": cases, "default_label": "other"}).route({}) == "other"


def test_yes_no_value_does_not_match_a_number() -> None:
    cases = [{"label": "one", "equals": 1}]
    assert node({"value": True, "cases": cases}).route({}) == "default"


def test_any_combine_matches_when_one_condition_holds() -> None:
    conditions = [
        {"left": "x", "operator": "eq", "right": "y"},
        {"left": "abc", "operator": "starts_with", "right": "a"},
    ]
    cases = [{"label": "hit", "conditions": conditions, "combine": "any"}]
    assert node({"cases": cases}).route({}) == "hit"
    cases[0]["combine"] = "all"
    assert node({"cases": cases}).route({}) == "default"


def test_route_labels_list_every_case_then_the_default() -> None:
    cfg = SwitchNode.config_model.model_validate({"value": 1, "cases": CASES})
    assert SwitchNode.route_labels(cfg) == ["paid", "big", "refunded", "default"]
    assert SwitchNode.is_router
    assert default_registry.get("switch") is SwitchNode


@pytest.mark.parametrize(
    ("cases", "default", "message"),
    [
        ([{"label": "a"}, {"label": "a"}], "default", "two cases are labelled 'a'"),
        ([{"label": "  "}], "default", "case 1 has an empty label"),
        ([{"label": "default"}], "default", "also a case label"),
        ([{"label": "a"}], "", "default_label is empty"),
    ],
)
def test_bad_labels_are_rejected_with_a_clear_message(cases, default, message) -> None:
    with pytest.raises(ValidationError, match=message):
        SwitchNode.config_model.model_validate({"cases": cases, "default_label": default})


def test_incomparable_values_fail_naming_the_case() -> None:
    cases = [{"label": "big", "conditions": [{"left": "ten", "operator": "gt", "right": 5}]}]
    with pytest.raises(DataError, match="case 'big': cannot apply 'gt' to 'ten' and 5"):
        node({"cases": cases}).route({})
