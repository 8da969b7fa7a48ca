"""The conformance corpus: every case on the local engine, driven step by step, and,
for scripts, on LangGraph itself.

Each case in ``cases/<name>/`` is a contract that every engine must meet exactly:
the same final state, the same node order per branch and the same error. The AWS
engine joins the parametrisation when it exists.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from orcheo_core.engine import LocalEngine, RunEvent, RunResult
from orcheo_core.engine.step import run_stepwise
from orcheo_core.errors import OrcheoError

from .corpus import Case, as_json, canonical_json, json_pointer, load_cases, state_sha256
from .nodes import registry
from .regen_expected import langgraph_result, regenerate

CASES = load_cases()
SCRIPT_CASES = [c for c in CASES if c.is_script]
README = Path(__file__).with_name("README.md")

REQUIRED_FEATURES = {
    "linear",
    "if_else_true",
    "if_else_false",
    "switch_default",
    "loop_exit",
    "loop_max_steps",
    "parallel_join",
    "reducer_replace",
    "reducer_append",
    "reducer_merge",
    "reducer_add",
    "reducer_append_concurrent",
    "retry",
    "retry_exhausted",
    "node_timeout",
    "sub_workflow_inline",
    "sub_workflow_by_id",
    "data_transform",
    "json_processing",
    "python_code",
    "python_code_error",
    "script_command_goto",
    "script_send_map_reduce",
    "script_subgraph",
    "superstep_twice",
    "script_orcheo_node",
    "script_path_map",
    "script_custom_reducer",
    "large_state",
}

CASE_KEYS = {
    "description",
    "features",
    "inputs",
    "expected_state",
    "expected_state_sha256",
    "expected_state_spot",
    "min_state_bytes",
    "expected_error",
    "expected_node_order",
    "expected_node_runs",
    "expected_attempts",
}


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def _engine(case: Case) -> LocalEngine:
    return LocalEngine(registry=registry(), workflows=case.workflows())


# ---------------------------------------------------------------- checks


def check_state(case: Case, state: Any) -> None:
    """``state`` is the case's expected final state, compared as canonical JSON."""
    state = as_json(state)
    meta = case.meta
    size = len(canonical_json(state).encode())
    assert size >= meta.get("min_state_bytes", 0), f"state is only {size} bytes"
    if "expected_state_sha256" in meta:
        for pointer, want in meta.get("expected_state_spot", {}).items():
            assert json_pointer(state, pointer) == want, pointer
        assert state_sha256(state) == meta["expected_state_sha256"]
        return
    assert state == meta["expected_state"]
    # Stricter than ==: 10 and 10.0 differ on the wire, and so must not differ here.
    assert canonical_json(state) == canonical_json(meta["expected_state"])


def check_error(case: Case, code: str, message: str, details: dict[str, Any]) -> None:
    want = case.meta["expected_error"]
    assert code == want["code"], message
    assert details.get("node") == want["node"], details
    assert want["message_contains"] in message


def _sequence_of(events: list[RunEvent], kind: str) -> list[str]:
    return [e.node for e in events if e.type == kind and e.node is not None]


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(any(node == s for s in remaining) for node in wanted)


def check_events(case: Case, events: list[RunEvent]) -> None:
    """The event stream is well formed and shows the case's node order, runs and attempts."""
    meta = case.meta
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].type == "run.started"
    outcome = "run.failed" if "expected_error" in meta else "run.succeeded"
    assert events[-1].type == outcome
    assert [e.type for e in events].count(outcome) == 1

    succeeded = _sequence_of(events, "node.succeeded")
    for branch, order in meta.get("expected_node_order", {}).items():
        assert _is_subsequence(order, succeeded), f"branch {branch}: {order} not in {succeeded}"

    first_attempts = Counter(e.node for e in events if e.type == "node.started" and e.attempt == 1)
    for node, runs in meta.get("expected_node_runs", {}).items():
        assert first_attempts[node] == runs, f"{node} ran {first_attempts[node]} times"

    for node, attempts in meta.get("expected_attempts", {}).items():
        mine = [e for e in events if e.node == node and e.type.startswith("node.")]
        started = [e.attempt for e in mine if e.type == "node.started"]
        retrying = [e.attempt for e in mine if e.type == "node.retrying"]
        assert started == list(range(1, attempts + 1))
        assert retrying == list(range(1, attempts))
        last = "node.failed" if "expected_error" in meta else "node.succeeded"
        assert (mine[-1].type, mine[-1].attempt) == (last, attempts)


# ---------------------------------------------------------------- the corpus, three ways


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
async def test_local_engine(case: Case) -> None:
    result = await _engine(case).run(case.workflow(), case.inputs)
    if "expected_error" in case.meta:
        assert result.status == "failed", result.state
        assert result.error is not None
        check_error(case, result.error["code"], result.error["message"], result.error["details"])
    else:
        assert result.status == "succeeded", result.error
        check_state(case, result.state)
    check_events(case, result.events)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
async def test_stepwise_reproduces_engine(case: Case) -> None:
    """Driving the graph one node at a time (what Step Functions does) ends the same way."""
    run = run_stepwise(
        case.workflow(), case.inputs, registry=registry(), workflows=case.workflows()
    )
    if "expected_error" in case.meta:
        with pytest.raises(OrcheoError) as info:
            await run
        check_error(case, info.value.code, info.value.message, info.value.details)
    else:
        check_state(case, await run)


def _outcome(result: RunResult) -> tuple[str, Any, str | None]:
    return result.status, as_json(result.state), (result.error or {}).get("code")


# Every case takes part, flaky ones included: the flaky node decides from ctx.attempt,
# so a resumed step fails and recovers exactly as the original run did.
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
async def test_debug_mode_and_resume_end_like_the_engine(case: Case) -> None:
    """Debug mode (superstep by superstep) ends as a normal run; resuming mid-run does too."""
    normal = await _engine(case).run(case.workflow(), case.inputs)
    debug = await _engine(case).run(case.workflow(), case.inputs, debug=True)
    assert _outcome(debug) == _outcome(normal)
    check_events(case, debug.events)
    if debug.error is not None:
        check_error(case, debug.error["code"], debug.error["message"], debug.error["details"])
    steps = [e.data for e in debug.events if e.type == "run.step"]
    assert [s["step"] for s in steps] == list(range(len(steps)))
    if not steps:  # failed before its first step (a spec that does not compile)
        assert normal.status == "failed"
        return
    middle = json.loads(json.dumps(steps[len(steps) // 2]))
    resumed = await _engine(case).run(case.workflow(), case.inputs, resume=middle)
    assert _outcome(resumed) == _outcome(normal)


@pytest.mark.parametrize("case", SCRIPT_CASES, ids=_ids(SCRIPT_CASES))
async def test_langgraph_agrees_with_script_case(case: Case) -> None:
    """For scripts the contract is LangGraph's own result, kept current by regen_expected."""
    if "expected_error" in case.meta:
        # LangGraph itself fails the same way: the node's own exception, as our message says.
        with pytest.raises(Exception) as info:
            await langgraph_result(case)
        raised = f"{type(info.value).__name__}: {info.value}"
        assert case.meta["expected_error"]["message_contains"] in raised, raised
        return
    check_state(case, await langgraph_result(case))
    assert await regenerate(case) == case.meta, (
        "stale expected values: run `.venv/bin/python -m tests.conformance.regen_expected`"
    )


# ---------------------------------------------------------------- the corpus itself


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_case_is_well_formed(case: Case) -> None:
    meta = case.meta
    assert set(meta) <= CASE_KEYS, set(meta) - CASE_KEYS
    assert meta.get("description"), "say what the case proves"
    assert meta.get("features"), "tag the features the case covers"
    outcomes = [
        k for k in ("expected_state", "expected_state_sha256", "expected_error") if k in meta
    ]
    assert len(outcomes) == 1, outcomes
    if "expected_state_sha256" in meta:
        assert re.fullmatch(r"[0-9a-f]{64}", meta["expected_state_sha256"])
        assert meta.get("expected_state_spot"), "spot-check a few values of a large state"
    if "expected_error" in meta:
        assert set(meta["expected_error"]) == {"code", "node", "message_contains"}
    has_json = (case.path / "workflow.json").exists()
    assert has_json != case.is_script, "exactly one of workflow.json and workflow.py"


def test_corpus_size_and_coverage() -> None:
    assert len(CASES) >= 24
    covered = {feature for case in CASES for feature in case.features}
    assert not REQUIRED_FEATURES - covered, f"no case covers {REQUIRED_FEATURES - covered}"


def test_readme_table_matches_cases() -> None:
    rows = {}
    table = README.read_text().split("\n## Cases\n", 1)[1]
    for line in table.splitlines():
        match = re.fullmatch(r"\|\s*`([a-z0-9_]+)`\s*\|([^|]*)\|.*", line.strip())
        if match:
            rows[match.group(1)] = sorted(f.strip(" `") for f in match.group(2).split(","))
    assert rows == {c.name: sorted(c.features) for c in CASES}, "update README.md's table"
