"""Turn a workflow (a WorkflowSpec or a user's LangGraph StateGraph) into a runnable graph."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig  # noqa: TC002 - LangGraph reads it at run time
from langgraph.graph import END as LG_END
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, ValidationError

from orcheo_core.engine.instrument import NodeOptions, instrument
from orcheo_core.errors import ConfigError, NodeExecutionError, OrcheoError
from orcheo_core.nodes.template import has_template, render_value
from orcheo_core.spec.models import END, ConditionalEdge, JoinEdge, NodeSpec, WorkflowSpec
from orcheo_core.spec.validate import load_spec

if TYPE_CHECKING:
    from orcheo_core.engine.context import NodeRunContext
    from orcheo_core.nodes.base import Node
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = ["CompiledWorkflow", "build_graph", "compile_workflow", "orcheo_node"]


def _append(current: list[Any] | None, new: Any) -> list[Any]:
    items = new if isinstance(new, list) else [new]
    return [*(current or []), *items]


def _merge(current: dict[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    return {**(current or {}), **new}


_REDUCERS: dict[str, Any] = {
    "replace": Any,
    "append": Annotated[list, _append],
    "merge": Annotated[dict, _merge],
    "add": Annotated[Any, operator.add],
}


@dataclass
class CompiledWorkflow:
    """A graph ready to run, with the run settings the engine needs."""

    graph: CompiledStateGraph[Any, Any, Any, Any]
    spec: WorkflowSpec | None = None
    max_steps: int = 100
    run_timeout: float | None = 3600.0
    defaults: dict[str, Any] = field(default_factory=dict)
    channels: frozenset[str] | None = None
    """Declared input channels (None for user graphs: LangGraph's own input rules apply)."""

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.graph.get_name()


def _resolve_target(target: str) -> str:
    return LG_END if target in (END, "END") else target


class _SpecNode:
    """Calls one spec node: render templates, validate config, run."""

    def __init__(self, spec: NodeSpec, cls: type[Node[Any]]) -> None:
        self.spec = spec
        self.cls = cls
        self.templated = {
            k: v for k, v in spec.config.items() if k not in cls.raw_fields and has_template(v)
        }
        self.static: Node[Any] | None = None
        if not self.templated:
            self.static = cls(self._validate(spec.config))
        # set by build_graph once all are known; None inside a user's StateGraph, whose
        # own schema applies
        self.channels: frozenset[str] | None = None

    def declared_writes(self) -> set[str]:
        """The channels this node writes, read from its config before any rendering."""
        if self.static is not None:
            return self.cls.writes(self.static.config)
        try:
            config = self.cls.config_model.model_validate(self.spec.config)
        except ValidationError:
            # templated fields do not validate yet; the fields naming channels are plain
            config = self.cls.config_model.model_construct(**self.spec.config)
        try:
            return self.cls.writes(config)
        except Exception:
            return set()

    def _validate(self, config: Mapping[str, Any]) -> BaseModel:
        try:
            return self.cls.config_model.model_validate(config)
        except ValidationError as exc:
            problems = [
                f"nodes[{self.spec.id}].config."
                + ".".join(str(p) for p in err["loc"])
                + f": {err['msg']} (got {err.get('input')!r})"
                for err in exc.errors(include_url=False)
            ]
            raise ConfigError("; ".join(problems), node=self.spec.id) from None

    def instance(self, state: Mapping[str, Any]) -> Node[Any]:
        if self.static is not None:
            return self.static
        rendered = dict(self.spec.config)
        for key, value in self.templated.items():
            rendered[key] = render_value(value, state, f"nodes[{self.spec.id}].config.{key}")
        return self.cls(self._validate(rendered))

    async def __call__(self, state: Any, ctx: NodeRunContext, config: Any) -> Any:
        update = await self.instance(state).run(state, ctx)
        undeclared = sorted(set(update or ()) - self.channels) if self.channels is not None else []
        if undeclared:
            # LangGraph would drop these writes silently; losing data quietly is worse
            raise ConfigError(
                f"node {self.spec.id!r} wrote {', '.join(map(repr, undeclared))}, which "
                "is not a state channel; declare it under `state` in the workflow",
                node=self.spec.id,
                channels=undeclared,
            )
        return update

    def router(self, routes: Mapping[str, str], default: str | None) -> Any:
        """The conditional edge's path: a runnable with a sync and an async form.

        Given a plain function, LangGraph runs it in a thread pool on every async run
        (a thread hop per route decision, ~5% of a small webhook run: bench/README.md,
        "peers"). Choosing a route only renders templates, so it runs on the loop.
        """
        node_id = self.spec.id

        def route(state: Any) -> str:
            try:
                label = self.instance(state).route(state)
            except OrcheoError:
                raise
            except Exception as exc:
                raise NodeExecutionError(
                    node_id, f"choosing a route failed: {exc}", error_type=type(exc).__name__
                ) from exc
            if label in routes:
                return label
            if default is not None:
                return "__default__"
            raise NodeExecutionError(
                node_id,
                f"route {label!r} has no target (routes: {', '.join(routes)}); "
                "add it to the edge's routes or set a default",
                error_type="RouteError",
            )

        async def aroute(state: Any) -> str:
            return route(state)

        from langgraph._internal._runnable import RunnableCallable

        return RunnableCallable(route, aroute, name=f"route_{node_id}", trace=False)


def _registry(registry: NodeRegistry | None) -> NodeRegistry:
    if registry is not None:
        return registry
    from orcheo_core.nodes.registry import default_registry

    return default_registry


def build_graph(
    spec: WorkflowSpec | Mapping[str, Any], registry: NodeRegistry | None = None
) -> StateGraph[Any, Any, Any, Any]:
    """WorkflowSpec -> LangGraph StateGraph (raises SpecValidationError listing every problem)."""
    reg = _registry(registry)
    spec = load_spec(spec, reg)
    runners = {n.id: _SpecNode(n, reg.get(n.type)) for n in spec.nodes}
    channels: dict[str, Any] = {k: _REDUCERS[c.reducer] for k, c in spec.state.items()}
    for runner in runners.values():
        for key in runner.declared_writes():
            channels.setdefault(key, Any)
    # What a webhook or cron trigger hands the run arrives as inputs under these keys.
    for key in spec.trigger_channels():
        channels.setdefault(key, Any)
    for runner in runners.values():
        runner.channels = frozenset(channels)
    state_type = TypedDict(f"{_ident(spec.name)}State", channels, total=False)  # type: ignore[misc]
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(state_type)
    for node_id, runner in runners.items():
        options = NodeOptions(runner.spec.retry, runner.spec.timeout, runner.spec.credentials)
        graph.add_node(node_id, instrument(node_id, runner, options))
    graph.add_edge(START, _entry(spec))
    for edge in spec.edges:
        if isinstance(edge, ConditionalEdge):
            path_map = {label: _resolve_target(t) for label, t in edge.routes.items()}
            if edge.default is not None:
                path_map["__default__"] = _resolve_target(edge.default)
            router = runners[edge.source].router(edge.routes, edge.default)
            graph.add_conditional_edges(edge.source, router, path_map)  # type: ignore[arg-type]
        elif isinstance(edge, JoinEdge):
            graph.add_edge(list(edge.sources), _resolve_target(edge.target))
        else:
            graph.add_edge(edge.source, _resolve_target(edge.target))
    return graph


def _ident(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")
    return cleaned[:1].upper() + cleaned[1:] if cleaned else "Workflow"


def _entry(spec: WorkflowSpec) -> str:
    if spec.entry is not None:
        return spec.entry
    targets: set[str] = set()
    for edge in spec.edges:
        if isinstance(edge, ConditionalEdge):
            targets.update(edge.routes.values())
        else:
            targets.add(edge.target)
    return next(n.id for n in spec.nodes if n.id not in targets)


def _wrap_user_graph(graph: StateGraph[Any, Any, Any, Any]) -> StateGraph[Any, Any, Any, Any]:
    """A copy of a user's StateGraph whose nodes report Orcheo events."""
    wrapped = copy.copy(graph)
    wrapped.nodes = {}
    for name, node_spec in graph.nodes.items():
        runnable = node_spec.runnable
        func = getattr(runnable, "afunc", None) or getattr(runnable, "func", None)
        orcheo = getattr(func, "__orcheo_call__", None)
        if orcheo is not None:  # an orcheo_node(...): keep its options, use the graph's name
            fn = instrument(name, *orcheo)
        else:

            async def call(state: Any, ctx: NodeRunContext, config: Any, _r: Any = runnable) -> Any:
                return await _r.ainvoke(state, config)

            fn = instrument(name, call, NodeOptions())
        wrapped.nodes[name] = dataclasses.replace(node_spec, runnable=_as_runnable(fn))
    return wrapped


def _as_runnable(fn: Any) -> Any:
    from langgraph._internal._runnable import coerce_to_runnable

    return coerce_to_runnable(fn, name=fn.__name__, trace=False)


def compile_workflow(workflow: Any, registry: NodeRegistry | None = None) -> CompiledWorkflow:
    """Accept a WorkflowSpec, a spec dict, a StateGraph or a compiled graph; return it runnable."""
    if isinstance(workflow, CompiledWorkflow):
        return workflow
    if isinstance(workflow, CompiledStateGraph):
        workflow = workflow.builder
    if isinstance(workflow, StateGraph):
        return CompiledWorkflow(_wrap_user_graph(workflow).compile())
    if isinstance(workflow, WorkflowSpec | Mapping):
        reg = _registry(registry)
        spec = load_spec(workflow, reg)
        graph = build_graph(spec, reg).compile(name=spec.name)
        defaults = {k: c.default for k, c in spec.state.items() if c.default is not None}
        return CompiledWorkflow(
            graph,
            spec,
            max_steps=spec.settings.max_steps,
            run_timeout=spec.settings.run_timeout,
            defaults=defaults,
            channels=frozenset(graph.builder.channels) - {"__start__"},
        )
    raise ConfigError(
        f"cannot run a {type(workflow).__name__}: give a WorkflowSpec, a spec dict, "
        "or a LangGraph StateGraph"
    )


def orcheo_node(
    node_type: str | type[Node[Any]],
    config: Mapping[str, Any] | None = None,
    *,
    node_id: str | None = None,
    registry: NodeRegistry | None = None,
    retry: Any = None,
    timeout: float | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """Use an Orcheo node inside a plain LangGraph StateGraph::

    graph.add_node("fetch", orcheo_node("http_request", {"url": "{{ state.url }}"}))
    """
    cls = _registry(registry).get(node_type) if isinstance(node_type, str) else node_type
    name = node_id or cls.type
    spec = NodeSpec(id=name, type=cls.type, config=dict(config or {}))
    options = NodeOptions(retry, timeout, dict(credentials or {}))
    afunc = instrument(name, _SpecNode(spec, cls), options)

    async def run_node(state: Any, config: RunnableConfig) -> Any:
        return await afunc(state, config)

    def func(state: Any, config: RunnableConfig) -> Any:
        # for graph.invoke(): nodes are async, so run this one in its own event loop
        return asyncio.run(run_node(state, config))

    from langgraph._internal._runnable import RunnableCallable

    return RunnableCallable(func, afunc, name=name, trace=False)
