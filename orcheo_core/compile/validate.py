"""Checks on a state machine definition that Step Functions would refuse (or moto accept).

moto accepts invalid definitions, so every generated one is checked here: every
Next/Default/Catch target exists in its scope, every state is reachable from StartAt,
names are unique and at most 80 characters of the allowed characters, paths are
well-formed JSONPath, Choice states have a Default, and nothing uses JSONata.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orcheo_core.compile.errors import InvalidStateMachineError
from orcheo_core.errors import Problem

__all__ = ["FORBIDDEN_NAME_CHARS", "MAX_NAME", "find_problems", "validate_definition"]

MAX_NAME = 80
FORBIDDEN_NAME_CHARS = frozenset(' \t\n\r<>{}[]?*"#%\\^|~`$&,;:/')

_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
_TERMINAL = {"Succeed", "Fail"}
_SEGMENT = r"(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\['[^']*'\]|\[(?:\d+|\*)\])"
_PATH = re.compile(rf"^\$\$?{_SEGMENT}*$")
_REFERENCE = re.compile(r"^\$(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\['[^']*'\]|\[\d+\])*$")
_INTRINSIC = re.compile(r"^States\.[A-Za-z]+\(.*\)$", re.DOTALL)
_PATH_FIELDS = ("InputPath", "OutputPath", "ItemsPath", "SecondsPath", "TimestampPath")
_CHOICE_OPS = re.compile(
    r"^(?:String|Numeric|Boolean|Timestamp)(?:Equals|LessThan|GreaterThan|LessThanEquals|"
    r"GreaterThanEquals|Matches)(?:Path)?$|^Is(?:Null|Present|Numeric|String|Boolean|Timestamp)$"
)


def validate_definition(definition: Mapping[str, Any]) -> list[Problem]:
    """Raise InvalidStateMachineError listing every problem; return [] when there is none.

    Example::

        validate_definition({"StartAt": "a", "States": {"a": {"Type": "Succeed"}}})  # []
    """
    problems = find_problems(definition)
    if problems:
        raise InvalidStateMachineError(problems)
    return problems


def find_problems(definition: Mapping[str, Any]) -> list[Problem]:
    """Every problem in ``definition``, without raising."""
    problems: list[Problem] = []
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        problems.append(
            Problem("QueryLanguage", "only JSONPath is supported (moto runs no JSONata)")
        )
    _scope(definition, "", problems, set())
    return problems


def _scope(machine: Mapping[str, Any], loc: str, problems: list[Problem], seen: set[str]) -> None:
    states = machine.get("States")
    start = machine.get("StartAt")
    where = loc or "(top)"
    if not isinstance(states, Mapping) or not states:
        problems.append(Problem(f"{loc}States", "needs at least one state"))
        return
    if start not in states:
        problems.append(Problem(f"{loc}StartAt", f"{start!r} is not a state of {where}"))
    for name, state in states.items():
        sloc = f"{loc}States.{name}"
        if name in seen:
            problems.append(Problem(sloc, "state name used twice in the state machine"))
        seen.add(name)
        _name(name, sloc, problems)
        if not isinstance(state, Mapping):
            problems.append(Problem(sloc, "a state must be an object"))
            continue
        _state(name, state, sloc, states, problems, seen)
    reached = _reachable(start, states)
    for name in states:
        if name not in reached:
            problems.append(
                Problem(f"{loc}States.{name}", f"unreachable from StartAt {start!r}", "unreachable")
            )


def _name(name: Any, loc: str, problems: list[Problem]) -> None:
    if not isinstance(name, str) or not name:
        problems.append(Problem(loc, "state names must be non-empty strings"))
        return
    if len(name) > MAX_NAME:
        problems.append(Problem(loc, f"name is {len(name)} characters, at most {MAX_NAME}", "name"))
    bad = sorted({ch for ch in name if ch in FORBIDDEN_NAME_CHARS or not ch.isprintable()})
    if bad:
        problems.append(Problem(loc, f"name contains forbidden characters {bad!r}", "name"))


def _targets(state: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if "Next" in state:
        out.append(("Next", state["Next"]))
    if "Default" in state:
        out.append(("Default", state["Default"]))
    for i, rule in enumerate(state.get("Choices") or []):
        if isinstance(rule, Mapping):
            out.append((f"Choices[{i}].Next", rule.get("Next")))
    for i, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, Mapping):
            out.append((f"Catch[{i}].Next", catcher.get("Next")))
    return out


def _reachable(start: Any, states: Mapping[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        state = states[name]
        if isinstance(state, Mapping):
            todo.extend(t for _, t in _targets(state))
    return seen


def _state(
    name: str,
    state: Mapping[str, Any],
    loc: str,
    states: Mapping[str, Any],
    problems: list[Problem],
    seen: set[str],
) -> None:
    kind = state.get("Type")
    if kind not in _TYPES:
        problems.append(Problem(f"{loc}.Type", f"unknown state type {kind!r}"))
        return
    for field_name, target in _targets(state):
        if target not in states:
            problems.append(Problem(f"{loc}.{field_name}", f"target {target!r} does not exist"))
    _transition(kind, state, loc, problems)
    _paths(state, loc, problems)
    if kind == "Choice":
        _choice(state, loc, problems)
    if kind == "Task" and not isinstance(state.get("Resource"), str):
        problems.append(Problem(f"{loc}.Resource", "a Task needs a Resource"))
    if kind == "Wait" and not any(
        k in state for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
    ):
        problems.append(
            Problem(loc, "a Wait needs Seconds, SecondsPath, Timestamp or TimestampPath")
        )
    if kind in ("Task", "Parallel", "Map"):
        _errors(state, loc, problems)
    _nested(kind, state, loc, problems, seen)


def _nested(
    kind: str, state: Mapping[str, Any], loc: str, problems: list[Problem], seen: set[str]
) -> None:
    if kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            problems.append(Problem(f"{loc}.Branches", "a Parallel needs at least one branch"))
        else:
            for i, branch in enumerate(branches):
                _scope(branch, f"{loc}.Branches[{i}].", problems, seen)
    if kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if not isinstance(processor, Mapping):
            problems.append(Problem(f"{loc}.ItemProcessor", "a Map needs an ItemProcessor"))
        else:
            _scope(processor, f"{loc}.ItemProcessor.", problems, seen)


def _transition(kind: str, state: Mapping[str, Any], loc: str, problems: list[Problem]) -> None:
    if kind in _TERMINAL or kind == "Choice":
        if "Next" in state or "End" in state:
            problems.append(Problem(loc, f"a {kind} state takes neither Next nor End"))
        return
    has_next, has_end = "Next" in state, state.get("End") is True
    if has_next == has_end:
        problems.append(Problem(loc, "needs exactly one of Next or End: true"))


def _choice(state: Mapping[str, Any], loc: str, problems: list[Problem]) -> None:
    rules = state.get("Choices")
    if not isinstance(rules, list) or not rules:
        problems.append(Problem(f"{loc}.Choices", "a Choice needs at least one rule"))
        rules = []
    if "Default" not in state:
        problems.append(
            Problem(
                f"{loc}.Default",
                "a Choice needs a Default: without one an unmatched route fails the execution "
                "with States.NoChoiceMatched, past every Catch",
                "no_default",
            )
        )
    for i, rule in enumerate(rules):
        rloc = f"{loc}.Choices[{i}]"
        if not isinstance(rule, Mapping):
            problems.append(Problem(rloc, "a rule must be an object"))
            continue
        if "Variable" in rule:
            _path_value(rule["Variable"], f"{rloc}.Variable", problems, _PATH)
        ops = [k for k in rule if _CHOICE_OPS.match(k)]
        if not ops and not any(k in rule for k in ("And", "Or", "Not")):
            problems.append(Problem(rloc, "a rule needs a comparison (StringEquals, ...)"))
        for op in ops:
            if op.endswith("Path"):
                _path_value(rule[op], f"{rloc}.{op}", problems, _PATH)


def _errors(state: Mapping[str, Any], loc: str, problems: list[Problem]) -> None:
    for key in ("Retry", "Catch"):
        rules = state.get(key) or []
        for i, rule in enumerate(rules):
            names = rule.get("ErrorEquals") if isinstance(rule, Mapping) else None
            if not isinstance(names, list) or not names:
                problems.append(Problem(f"{loc}.{key}[{i}]", "needs a non-empty ErrorEquals"))
                continue
            if "States.ALL" in names and (len(names) > 1 or i != len(rules) - 1):
                problems.append(
                    Problem(f"{loc}.{key}[{i}]", "States.ALL must stand alone in the last rule")
                )
        for i, rule in enumerate(rules if key == "Catch" else []):
            if isinstance(rule, Mapping) and "ResultPath" in rule:
                _path_value(
                    rule["ResultPath"], f"{loc}.Catch[{i}].ResultPath", problems, _REFERENCE
                )


def _paths(state: Mapping[str, Any], loc: str, problems: list[Problem]) -> None:
    for key in _PATH_FIELDS:
        if key in state and state[key] is not None:
            _path_value(state[key], f"{loc}.{key}", problems, _PATH)
    if state.get("ResultPath") is not None:
        _path_value(state["ResultPath"], f"{loc}.ResultPath", problems, _REFERENCE)
    for key in ("Parameters", "ItemSelector", "ResultSelector", "Arguments"):
        if key == "Arguments":
            if key in state:
                problems.append(Problem(f"{loc}.{key}", "Arguments is JSONata; use Parameters"))
            continue
        if key in state:
            _template(state[key], f"{loc}.{key}", problems)
    if "CausePath" in state:
        _path_value(state["CausePath"], f"{loc}.CausePath", problems, _PATH)


def _template(value: Any, loc: str, problems: list[Problem]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(".$"):
                if not isinstance(item, str) or not (_PATH.match(item) or _INTRINSIC.match(item)):
                    problems.append(
                        Problem(f"{loc}.{key}", f"{item!r} is not a JSONPath or intrinsic", "path")
                    )
            else:
                _template(item, f"{loc}.{key}", problems)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _template(item, f"{loc}[{i}]", problems)


def _path_value(value: Any, loc: str, problems: list[Problem], pattern: re.Pattern[str]) -> None:
    if not isinstance(value, str) or not pattern.match(value):
        problems.append(Problem(loc, f"{value!r} is not a well-formed JSONPath", "path"))
