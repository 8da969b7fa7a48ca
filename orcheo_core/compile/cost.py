"""The state transitions an execution of a generated definition takes: its cost figure.

Step Functions bills Standard workflows per state transition (every state entered,
retries included). Given a definition and the supersteps a run took (the nodes due in
each, as a local run or :func:`orcheo_core.engine.step.run_stepwise` shows them), this
walks the definition the way the execution would and counts the states it enters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orcheo_core.compile.analysis import route_of
from orcheo_core.compile.asl import DIVERGED_ERROR, SFN_SYNC
from orcheo_core.compile.errors import CompileError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["TransitionCount", "count_transitions"]

_MAX_WALK = 100_000


@dataclass
class TransitionCount:
    """What an execution costs: transitions in all, and per node task run."""

    transitions: int
    node_runs: int
    path: list[str] = field(default_factory=list)
    """Top-level states entered, in order (states inside Parallel/Map are counted, not listed)."""

    @property
    def per_node(self) -> float:
        return self.transitions / self.node_runs if self.node_runs else float(self.transitions)


class _Walk:
    def __init__(self, steps: Sequence[Sequence[str]], attempts: Mapping[str, int]) -> None:
        self.steps = [list(s) for s in steps]
        self.attempts = attempts
        self.idx = 0
        self.count = 0
        self.path: list[str] = []

    def due(self) -> list[str]:
        return self.steps[self.idx] if self.idx < len(self.steps) else []

    def retries(self, node: Any) -> int:
        return max(0, self.attempts.get(node, 1) - 1) if isinstance(node, str) else 0

    def consume(self, name: str, node: Any = None) -> None:
        if self.idx >= len(self.steps):
            raise CompileError(f"state {name!r} runs a superstep, but the run had no more")
        if node is not None and route_of(self.due()) != node:
            raise CompileError(f"state {name!r} runs {node!r}, but {self.due()} was due")
        self.idx += 1

    def branch_cost(self, scope: Mapping[str, Any], node: Any) -> int:
        # every branch / item runs one Task (plus its retries)
        return len(scope["States"]) + self.retries(node)

    def run(self, states: Mapping[str, Any], start: str) -> None:
        name: str | None = start
        while name is not None:
            if len(self.path) > _MAX_WALK:
                raise CompileError("the walk does not end: the definition loops forever")
            state = states[name]
            self.path.append(name)
            self.count += 1
            name = self.enter(name, state)

    def enter(self, name: str, state: Mapping[str, Any]) -> str | None:
        kind = state["Type"]
        if kind in ("Succeed", "Fail"):
            return None
        if kind == "Choice":
            route = route_of(self.due())
            for rule in state["Choices"]:
                if rule.get("StringEquals") == route:
                    return str(rule["Next"])
            return str(state["Default"])
        if kind in ("Wait", "Parallel", "Map"):
            self.superstep(name, state)
        elif kind == "Task" and state.get("Resource") != SFN_SYNC:
            params = state.get("Parameters", {})
            node, action = params.get("node"), params.get("action")
            if action in ("step", "subworkflow_input") and node is not None:
                if route_of(self.due()) != node:
                    return self.diverge(name, state)
                self.consume(name, node)
                self.count += self.retries(node)
        return None if state.get("End") else str(state["Next"])

    def superstep(self, name: str, state: Mapping[str, Any]) -> None:
        """A state that runs one whole superstep: a Wait, a Parallel or a Map."""
        nodes = self.due()
        self.consume(name)
        if state["Type"] == "Parallel":
            for branch in state["Branches"]:
                task = next(iter(branch["States"].values()))
                self.count += self.branch_cost(branch, task["Parameters"].get("node"))
        elif state["Type"] == "Map":
            for node in nodes:
                self.count += self.branch_cost(state["ItemProcessor"], node)

    def diverge(self, name: str, state: Mapping[str, Any]) -> str:
        for catcher in state.get("Catch", []):
            if DIVERGED_ERROR in catcher["ErrorEquals"]:
                return str(catcher["Next"])
        raise CompileError(f"state {name!r} expects other nodes than {self.due()} and has no loop")


def count_transitions(
    definition: Mapping[str, Any],
    supersteps: Sequence[Sequence[str]],
    *,
    attempts: Mapping[str, int] | None = None,
) -> TransitionCount:
    """State transitions of an execution whose supersteps ran ``supersteps``.

    ``supersteps`` lists the nodes due in each superstep (one entry per task, so a
    ``Send`` fan-out of three lists its node three times); ``attempts`` gives node ->
    attempts where Step Functions retried a node. Nested executions are not included.

    Example::

        count_transitions(machine.definition, [["start"], ["greet"], ["shout"]]).per_node
    """
    walk = _Walk(supersteps, attempts or {})
    walk.run(definition["States"], str(definition["StartAt"]))
    if walk.idx != len(walk.steps):
        raise CompileError(
            f"the execution ended after {walk.idx} of {len(walk.steps)} supersteps: the "
            "definition does not follow this run"
        )
    runs = sum(len(s) for s in supersteps)
    return TransitionCount(walk.count, runs, walk.path)
