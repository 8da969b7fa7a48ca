"""The definition checker catches what Step Functions would refuse and moto would accept."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orcheo_core.compile import (
    CompileError,
    CompileOptions,
    InvalidStateMachineError,
    compile_state_machine,
    find_problems,
    validate_definition,
)

GOOD: dict[str, Any] = {
    "QueryLanguage": "JSONPath",
    "StartAt": "check",
    "States": {
        "check": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:runner",
            "Parameters": {"node": "check", "payload.$": "$"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "fail"}],
            "Next": "route",
        },
        "route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.route", "StringEquals": "yes", "Next": "done"}],
            "Default": "fail",
        },
        "done": {"Type": "Succeed"},
        "fail": {"Type": "Fail", "Error": "Orcheo.RunFailed"},
    },
}


def _broken(change: Any) -> list[str]:
    definition = copy.deepcopy(GOOD)
    change(definition["States"])
    return [f"{p.loc}: {p.message}" for p in find_problems(definition)]


def test_a_sound_definition_has_no_problem() -> None:
    assert validate_definition(GOOD) == []


def test_a_missing_next_target_is_reported() -> None:
    problems = _broken(lambda s: s["check"].update(Next="nowhere"))
    assert any("States.check.Next" in p and "'nowhere' does not exist" in p for p in problems)


def test_an_unreachable_state_is_reported() -> None:
    problems = _broken(lambda s: s.update(orphan={"Type": "Pass", "End": True}))
    assert problems == ["States.orphan: unreachable from StartAt 'check'"]


def test_a_name_over_80_characters_or_with_forbidden_characters_is_reported() -> None:
    long = "n" * 81

    def rename(states: dict[str, Any]) -> None:
        states[long] = states.pop("done")
        states["route"]["Choices"][0]["Next"] = long
        states["we ird"] = {"Type": "Pass", "End": True}
        states["route"]["Default"] = "we ird"

    problems = _broken(rename)
    assert any("81 characters, at most 80" in p for p in problems)
    assert any("forbidden characters [' ']" in p for p in problems)


@pytest.mark.parametrize("bad", ["route", "$.", "$..route", "$.a b", "$[x]"])
def test_a_malformed_jsonpath_is_reported(bad: str) -> None:
    problems = _broken(lambda s: s["route"]["Choices"][0].update(Variable=bad))
    assert any("Choices[0].Variable" in p and "not a well-formed JSONPath" in p for p in problems)


def test_a_parameter_path_must_be_jsonpath_and_result_path_a_reference_path() -> None:
    def break_paths(states: dict[str, Any]) -> None:
        states["check"]["Parameters"]["payload.$"] = "payload"
        states["check"]["ResultPath"] = "$.results[*]"

    problems = _broken(break_paths)
    assert any("Parameters.payload.$" in p for p in problems)
    assert any("ResultPath" in p for p in problems)


def test_a_choice_without_default_is_reported() -> None:
    problems = _broken(lambda s: s["route"].pop("Default"))
    assert any("route.Default: a Choice needs a Default" in p for p in problems)


def test_errors_are_raised_together_with_every_problem() -> None:
    definition = copy.deepcopy(GOOD)
    definition["States"]["check"]["Next"] = "nowhere"
    definition["QueryLanguage"] = "JSONata"
    with pytest.raises(InvalidStateMachineError) as err:
        validate_definition(definition)
    assert err.value.code == "invalid_state_machine"
    assert len(err.value.problems) == 4  # JSONata, bad target, route and done unreachable


def test_states_inside_parallel_and_map_are_checked_in_their_own_scope() -> None:
    def nest(states: dict[str, Any]) -> None:
        states["check"]["Type"] = "Parallel"
        del states["check"]["Resource"], states["check"]["Parameters"]
        states["check"]["Branches"] = [
            {"StartAt": "inner", "States": {"inner": {"Type": "Pass", "Next": "route"}}}
        ]

    problems = _broken(nest)
    # a branch cannot jump to a state outside it
    assert any("Branches[0].States.inner.Next" in p for p in problems)


def test_states_all_must_be_the_last_catcher() -> None:
    def reorder(states: dict[str, Any]) -> None:
        states["check"]["Catch"].append(
            {"ErrorEquals": ["Orcheo.Diverged"], "Next": "fail", "ResultPath": "$.d"}
        )

    assert any("States.ALL must stand alone" in p for p in _broken(reorder))


SPEC = {
    "name": "hook",
    "nodes": [
        {"id": "answer", "type": "set_variable", "config": {"values": {"ok": True}}},
    ],
    "edges": [],
    "triggers": [{"type": "webhook", "response": "wait"}],
}


def test_a_webhook_waiting_for_the_result_gets_an_express_machine() -> None:
    assert compile_state_machine(SPEC).type == "EXPRESS"
    plain = {**SPEC, "triggers": [{"type": "manual"}]}
    assert compile_state_machine(plain).type == "STANDARD"
    forced = compile_state_machine(SPEC, CompileOptions(workflow_type="STANDARD"))
    assert forced.type == "STANDARD"


def test_express_is_refused_for_a_nested_execution() -> None:
    spec = {
        "name": "parent",
        "nodes": [
            {
                "id": "child",
                "type": "sub_workflow",
                "config": {"workflow": "child", "outputs": {"x": "x"}},
            }
        ],
        "edges": [],
        "triggers": [{"type": "webhook", "response": "wait"}],
    }
    arns = {"child": "arn:aws:states:us-east-1:123456789012:stateMachine:child"}
    assert compile_state_machine(spec, CompileOptions(subworkflow_arns=arns)).type == "STANDARD"
    with pytest.raises(CompileError, match="EXPRESS state machine cannot wait"):
        compile_state_machine(spec, CompileOptions(subworkflow_arns=arns, workflow_type="EXPRESS"))
    # without an ARN the sub-workflow runs inside its node's Lambda: Express is fine
    assert compile_state_machine(spec).type == "EXPRESS"


def test_a_delay_becomes_a_wait_state_and_retry_policies_become_retry() -> None:
    spec = {
        "name": "waits",
        "entry": "pause",
        "nodes": [
            {"id": "pause", "type": "delay", "config": {"seconds": 90}},
            {
                "id": "call",
                "type": "set_variable",
                "config": {"values": {"x": 1}},
                "retry": {"max_attempts": 4, "initial_interval": 2, "jitter": False},
            },
        ],
        "edges": [{"source": "pause", "target": "call"}],
    }
    states = compile_state_machine(spec).definition["States"]
    assert states["pause"] == {"Type": "Wait", "Seconds": 90, "Next": "call"}
    rule = states["call"]["Retry"][-1]
    assert rule["ErrorEquals"] == ["Orcheo.Retryable"]
    assert (rule["MaxAttempts"], rule["IntervalSeconds"], rule["JitterStrategy"]) == (3, 2, "NONE")
    assert states["call"]["Parameters"]["retry_count.$"] == "$$.State.RetryCount"


def test_long_script_node_names_get_short_unique_state_names() -> None:
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        x: int

    first, second = "a very long node name " * 5, "weird/name with [brackets]"
    graph = StateGraph(State)
    graph.add_node(first, lambda s: {"x": 1})
    graph.add_node(second, lambda s: {"x": 2})
    graph.add_edge(START, first)
    graph.add_edge(first, second)
    graph.add_edge(second, END)
    machine = compile_state_machine(graph)
    names = machine.state_names
    assert len(names[first]) <= 80 and names[first] in machine.definition["States"]
    assert names[second] == "weird_name_with__brackets_"
