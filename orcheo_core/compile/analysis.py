"""What the compiler needs to know about a graph: its nodes, edges, and superstep plan.

LangGraph runs a graph in supersteps: every node due in a superstep sees the same state,
and their writes merge with the channels' reducers before the next superstep. A state
machine keeps that exactly when each of its states stands for one whole superstep: a
Task for a superstep of one node, a Parallel for a static fan-out, a Map for ``Send``.
:func:`plan` follows the graph from its entry superstep to superstep, as far as the
edges decide which nodes are due next; a graph where that breaks down (a join whose
sources finish in different supersteps, a routing node inside a fan-out) gets no plan
and runs in the generic superstep loop.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langgraph.graph import END, START
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

if TYPE_CHECKING:
    from orcheo_core.graph.builder import CompiledWorkflow
    from orcheo_core.spec.models import RetryPolicySpec

__all__ = [
    "Frontier",
    "GraphModel",
    "NodeInfo",
    "Plan",
    "external_nodes",
    "model_of",
    "plan",
    "route_of",
]

NodeKind = Literal["task", "delay", "sub_workflow", "subgraph"]


@dataclass(frozen=True)
class NodeInfo:
    """One graph node, as far as the compiler cares."""

    name: str
    kind: NodeKind = "task"
    retry: RetryPolicySpec | None = None
    timeout: float | None = None
    delay_seconds: float | None = None
    """Static seconds of a Delay node that becomes a Wait state (None: the Lambda runs it)."""
    subworkflow: str | None = None
    """Workflow id a sub_workflow node names (None for an inline definition)."""


@dataclass(frozen=True)
class Branch:
    """A run-time routing decision out of a node: a conditional edge or ``Command(goto)``."""

    ends: tuple[str, ...]
    send: bool = False
    """The path function may return ``Send``s (so a target may be due several times)."""
    known: bool = True
    """False when the ends are not declared: the path may name any node."""


@dataclass
class GraphModel:
    nodes: dict[str, NodeInfo]
    static: dict[str, set[str]] = field(default_factory=dict)
    branches: dict[str, list[Branch]] = field(default_factory=dict)
    joins: list[tuple[frozenset[str], str]] = field(default_factory=list)
    script: bool = False
    """A user's LangGraph script: its nodes may route at run time in ways no edge declares."""


@dataclass(frozen=True)
class Frontier:
    """The nodes due in one superstep.

    ``map`` marks a ``Send`` fan-out: one node due several times (a Map state).
    """

    nodes: tuple[str, ...]
    map: bool = False

    @property
    def route(self) -> str:
        """The ``route`` the node runner reports when exactly these nodes are due."""
        if not self.nodes:
            return END
        if self.map:
            return f"{self.nodes[0]}*"
        return ",".join(self.nodes)


END_FRONTIER = Frontier(())


@dataclass
class Plan:
    """Supersteps reachable from the entry, and how each leads to the next.

    ``after[f]`` is one frontier when the edges decide it, or the alternatives a Choice
    picks from (by the route the node runner reports).
    """

    entry: list[Frontier]
    after: dict[Frontier, list[Frontier]] = field(default_factory=dict)
    routed: set[Frontier] = field(default_factory=set)
    """Frontiers followed by a Choice (their successor is decided at run time)."""


def route_of(nodes: list[str]) -> str:
    """The canonical route for the node names of the tasks due (one entry per task).

    ``"__end__"`` when none is due, ``"a"`` for one node, ``"a,b"`` for a fan-out
    (sorted, each name once), ``"a*"`` when one node is due several times (``Send``).
    The node runner must report exactly this; the Choice states compare with it.
    """
    if not nodes:
        return END
    distinct = sorted(set(nodes))
    if len(distinct) == 1 and len(nodes) > 1:
        return f"{distinct[0]}*"
    return ",".join(distinct)


def _orcheo_call(runnable: Any) -> tuple[Any, Any] | None:
    func = getattr(runnable, "afunc", None) or getattr(runnable, "func", None)
    call = getattr(func, "__orcheo_call__", None)
    return call if isinstance(call, tuple) else None


def _node_info(name: str, runnable: Any) -> NodeInfo:
    found = _orcheo_call(runnable)
    if found is None:
        return NodeInfo(name)
    call, options = found
    spec = getattr(call, "spec", None)
    if spec is None:
        # a script's own function: a compiled subgraph is bound as the wrapper's default
        inner = (getattr(call, "__defaults__", None) or (None,))[-1]
        kind: NodeKind = "subgraph" if isinstance(inner, CompiledStateGraph) else "task"
        return NodeInfo(name, kind, timeout=options.timeout)
    retry, timeout = options.retry, options.timeout
    static = getattr(call, "static", None)
    config = getattr(static, "config", None)
    if spec.type == "delay" and config is not None:
        seconds = float(config.seconds)
        if timeout is None or timeout >= seconds:
            # A Wait state instead of a Lambda that sleeps. A timeout shorter than the
            # delay must fail the node: the Lambda runs it and reports node_timeout.
            return NodeInfo(name, "delay", retry, timeout, delay_seconds=seconds)
    if spec.type == "sub_workflow":
        ref = spec.config.get("workflow")
        return NodeInfo(
            name, "sub_workflow", retry, timeout, subworkflow=ref if isinstance(ref, str) else None
        )
    return NodeInfo(name, "task", retry, timeout)


def _returns_send(path: Any) -> bool:
    func = getattr(path, "func", None) or getattr(path, "afunc", None) or path
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        return False
    ret = hints.get("return")
    return ret is Send or (ret is not None and "Send" in repr(ret))


def model_of(workflow: CompiledWorkflow) -> GraphModel:
    """The nodes and edges of ``workflow``'s StateGraph."""
    builder = workflow.graph.builder
    nodes = {name: _node_info(name, spec.runnable) for name, spec in builder.nodes.items()}
    model = GraphModel(nodes, script=workflow.spec is None)
    for source, target in builder.edges:
        model.static.setdefault(source, set()).add(target)
    for sources, target in builder.waiting_edges:
        model.joins.append((frozenset(sources), target))
    model.joins.sort(key=lambda j: (sorted(j[0]), j[1]))
    for source, specs in builder.branches.items():
        for branch in specs.values():
            # A plain router function (no path map, no Literal annotation) may name any
            # node: no ends known, so the superstep loop follows it (_successors).
            ends = tuple(sorted(set((branch.ends or {}).values())))
            model.branches.setdefault(source, []).append(
                Branch(ends, _returns_send(branch.path), known=branch.ends is not None)
            )
    for name, spec in builder.nodes.items():
        if spec.ends:
            model.branches.setdefault(name, []).append(Branch(tuple(sorted(set(spec.ends)))))
        elif model.script and name not in model.branches and _may_return_command(spec.runnable):
            # Command(goto=...) with no annotation: the destinations are decided at run
            # time, so the loop follows this node (a Choice on what is due next).
            model.branches.setdefault(name, []).append(Branch((), known=False))
    return model


def _may_return_command(runnable: Any) -> bool:
    """Whether a script node's function mentions ``Command`` anywhere in its code.

    A function returning ``Command(goto=...)`` must name it; helpers it calls are not
    followed (the runner's end-of-run check catches those, see asl.py).
    """
    found = _orcheo_call(runnable)
    call = found[0] if found else runnable
    inner = (getattr(call, "__defaults__", None) or (None,))[-1]  # the script's runnable
    func = getattr(inner, "func", None) or getattr(inner, "afunc", None) or inner
    code = getattr(func, "__code__", None)
    stack = [code] if code is not None else []
    while stack:
        current = stack.pop()
        if "Command" in current.co_names:
            return True
        stack.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    return False


def external_nodes(model: GraphModel, subworkflow_arns: dict[str, str]) -> dict[str, NodeInfo]:
    """Nodes that run outside the node-runner Lambda when due alone in a superstep.

    Delay nodes become Wait states; sub_workflow nodes naming a workflow with a known
    state machine ARN become nested executions. The node runner completes such a node
    (with no writes, or with the sub-workflow's outputs) before the next node runs.
    """
    out = {}
    for name, info in model.nodes.items():
        if name in model.branches:
            continue
        if info.kind == "delay" or (
            info.kind == "sub_workflow" and info.subworkflow in subworkflow_arns
        ):
            out[name] = info
    return out


def _successors(model: GraphModel, frontier: Frontier) -> list[Frontier] | None:
    """The frontiers that may follow ``frontier``; None when the edges cannot tell."""
    members = set(frontier.nodes)
    routing = [n for n in frontier.nodes if n in model.branches]
    if routing:
        node = routing[0]
        branches = model.branches[node]
        if len(frontier.nodes) > 1 or len(branches) > 1 or model.static.get(node):
            return None
        if any(node in sources for sources, _ in model.joins):
            return None
        if not branches[0].known:
            return []  # decided at run time: the state machine's superstep loop follows it
        out: list[Frontier] = []
        for end in branches[0].ends:
            out.append(END_FRONTIER if end == END else Frontier((end,)))
            if branches[0].send and end != END:
                out.append(Frontier((end,), map=True))
        return out
    due: set[str] = set()
    for node in frontier.nodes:
        due.update(t for t in model.static.get(node, ()) if t != END)
    for sources, target in model.joins:
        if sources & members:
            if not sources <= members:
                return None  # the join waits for a node of a later superstep
            if target != END:  # a waiting edge into END ends these branches
                due.add(target)
    return [Frontier(tuple(sorted(due)))] if due else [END_FRONTIER]


def _entry(model: GraphModel) -> list[Frontier] | None:
    start = Frontier((START,))
    return _successors(model, start)


def plan(model: GraphModel) -> Plan | None:
    """Every superstep the edges lead to, or None when the graph needs the superstep loop."""
    entry = _entry(model)
    if entry is None:
        return None
    result = Plan(entry)
    if START in model.branches:
        result.routed.add(Frontier((START,)))
    todo = [f for f in entry if f.nodes]
    while todo:
        frontier = todo.pop()
        if frontier in result.after:
            continue
        nexts = _successors(model, frontier)
        if nexts is None:
            return None
        result.after[frontier] = nexts
        if any(n in model.branches for n in frontier.nodes):
            result.routed.add(frontier)
        todo.extend(f for f in nexts if f.nodes and f not in result.after)
    return result


def retry_interval(seconds: float) -> int:
    """Step Functions retries after whole seconds, at least one."""
    return max(1, math.ceil(seconds))
