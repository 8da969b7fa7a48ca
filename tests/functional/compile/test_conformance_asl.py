"""Every conformance workflow compiles to a valid state machine, frozen as a snapshot.

A change to a generated definition is a reviewed diff: regenerate the snapshots with
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/functional/compile``.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from orcheo_core.compile import (
    CompileOptions,
    compile_state_machine,
    count_transitions,
    find_problems,
)
from orcheo_core.engine.step import apply_step, next_tasks, run_node, start
from orcheo_core.graph.builder import compile_workflow
from tests.conformance.corpus import Case, load_cases
from tests.conformance.nodes import registry

SNAPSHOTS = Path(__file__).parents[2] / "snapshots" / "asl"
CASES = load_cases()
ARN = "arn:aws:lambda:us-east-1:123456789012:function:orcheo-node-runner"
OPTIONS = CompileOptions(
    node_runner_arn=ARN,
    subworkflow_arns={"discount": "arn:aws:states:us-east-1:123456789012:stateMachine:discount"},
)


def _compile(case: Case) -> Any:
    return compile_state_machine(case.workflow(), OPTIONS, registry=registry())


def _render(case: Case) -> str:
    machine = _compile(case)
    doc = {"type": machine.type, "definition": machine.definition}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_generated_definition_is_valid_and_matches_its_snapshot(case: Case) -> None:
    current = _render(case)
    assert find_problems(json.loads(current)["definition"]) == []
    path = SNAPSHOTS / f"{case.name}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(current, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot at {path}; create it with UPDATE_SNAPSHOTS=1 and review it")
    stored = path.read_text(encoding="utf-8")
    if stored != current:
        diff = difflib.unified_diff(
            stored.splitlines(), current.splitlines(), "snapshot", "current", lineterm=""
        )
        pytest.fail(
            f"the state machine of {case.name} changed. If intended, review and accept it with "
            "`UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/functional/compile`:\n"
            + "\n".join(list(diff)[:80])
        )


def test_every_snapshot_belongs_to_a_case() -> None:
    stale = {p.stem for p in SNAPSHOTS.glob("*.json")} - {c.name for c in CASES}
    assert not stale, f"snapshots without a conformance case: {sorted(stale)}; delete them"


async def _supersteps(case: Case) -> list[list[str]]:
    """The nodes due in each superstep of a run (the single-node step, as Step Functions)."""
    workflow = compile_workflow(case.workflow(), registry())
    state = start(workflow, case.inputs)
    steps = []
    while pending := next_tasks(workflow, state):
        steps.append([t.node for t in pending])
        writes = {t.id: await run_node(workflow, state, t) for t in pending}
        state = apply_step(workflow, state, writes)
    return steps


LINEAR_NAMES = {
    "data_transform_json_pipeline",
    "large_state_spec",
    "linear_pipeline",
    "python_code_node",
    "reducer_add",
    "reducer_append",
    "reducer_merge",
    "reducer_replace",
    "script_large_state",
    "script_orcheo_node",
    "script_subgraph_node",
}
LINEAR = [c for c in CASES if c.name in LINEAR_NAMES]


@pytest.mark.parametrize("case", LINEAR, ids=[c.name for c in LINEAR])
async def test_linear_workflows_take_at_most_1_3_transitions_per_node(case: Case) -> None:
    steps = await _supersteps(case)
    assert all(len(s) == 1 for s in steps), "not a linear run"
    cost = count_transitions(_compile(case).definition, steps)
    assert cost.per_node <= 1.3, cost
    assert cost.node_runs == len(steps)


@pytest.mark.parametrize(
    ("name", "path_start"),
    [
        ("parallel_fanout_join", ["split", "fetch_a+fetch_b+fetch_c", "combine", "report"]),
        ("script_superstep_twice", ["a", "b+c", "b+c.join", "d+e", "e.2"]),
        ("script_send_map_reduce", ["orcheo.start", "orcheo.start.route", "measure.each"]),
        ("loop_counter_exit", ["inc", "check", "check.route", "inc"]),
        ("script_command_goto", ["triage", "triage.route", "review", "review.route"]),
    ],
)
async def test_an_execution_follows_the_supersteps_of_a_local_run(
    name: str, path_start: list[str]
) -> None:
    case = next(c for c in CASES if c.name == name)
    steps = await _supersteps(case)
    cost = count_transitions(_compile(case).definition, steps)
    assert cost.path[: len(path_start)] == path_start
    assert "orcheo.superstep" not in cost.path, "the run fell back to the generic loop"
