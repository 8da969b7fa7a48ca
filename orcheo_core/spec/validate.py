"""Validate a workflow spec and report every problem at its exact location."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from orcheo_core.errors import OrcheoError, Problem, SpecValidationError
from orcheo_core.nodes.template import has_template
from orcheo_core.spec.models import (
    END,
    ConditionalEdge,
    JoinEdge,
    StaticEdge,
    WebhookTrigger,
    WorkflowSpec,
)

if TYPE_CHECKING:
    from orcheo_core.nodes.registry import NodeRegistry

__all__ = ["ValidationReport", "load_spec", "validate_spec"]

_END_ALIASES = {END, "END"}
_TRIGGER_TYPES = {"manual", "webhook", "cron"}
_UNION_TAGS = {"static", "conditional", "join", *_TRIGGER_TYPES}
# WebhookResponse fields and the modes that use them
_RESPONSE_FIELD_MODES = {
    "body": ("static",),
    "content_type": ("static", "wait"),
    "timeout": ("wait",),
    "output_key": ("wait",),
}


@dataclass
class ValidationReport:
    """The outcome of validating a spec: ``spec`` is set only when there are no errors."""

    spec: WorkflowSpec | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _registry(registry: NodeRegistry | None) -> NodeRegistry:
    if registry is not None:
        return registry
    from orcheo_core.nodes.registry import default_registry

    return default_registry


def _label(section: str, item: Any, index: int) -> str:
    """A list item's name in a location: a node's or trigger's id, else its index."""
    if not isinstance(item, dict) or section not in ("nodes", "triggers"):
        return str(index)
    if isinstance(item.get("id"), str):
        return str(item["id"])
    if section == "triggers" and "id" not in item and item.get("type") in _TRIGGER_TYPES:
        return str(item["type"])  # a trigger's id defaults to its type
    return str(index)


def _loc(raw: Any, parts: tuple[int | str, ...]) -> str:
    """('nodes', 2, 'config', 'url') -> 'nodes[http1].config.url' using the raw ids.

    Nodes and triggers are named by id (a trigger without one by its type, its default
    id); other list items by index.
    """
    out = ""
    cursor = raw
    for part in parts:
        tag = isinstance(part, str) and part in _UNION_TAGS
        if tag and isinstance(cursor, dict) and part not in cursor:
            continue
        if isinstance(part, int):
            label: str = str(part)
            if isinstance(cursor, list) and 0 <= part < len(cursor):
                item = cursor[part]
                label = _label(out, item, part)
                cursor = item
            else:
                cursor = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            cursor = cursor.get(part) if isinstance(cursor, dict) else None
    return out


def _pydantic_problems(exc: ValidationError, raw: Any, prefix: str = "") -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = _loc(raw, tuple(err["loc"]))
        full = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        problems.append(Problem(full, err["msg"], code=str(err["type"])))
    return problems


def validate_spec(data: Any, registry: NodeRegistry | None = None) -> ValidationReport:
    """Check ``data`` (a dict or a WorkflowSpec) and collect every error and warning."""
    reg = _registry(registry)
    raw = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    if not isinstance(raw, Mapping):
        return ValidationReport(
            None, [Problem("", f"a workflow spec is a JSON object, not {type(raw).__name__}")]
        )
    try:
        spec = WorkflowSpec.model_validate(raw)
    except ValidationError as exc:
        report = ValidationReport(None, _pydantic_problems(exc, raw))
        _check_raw_nodes(raw, reg, report)
        return report
    report = ValidationReport(None)
    _Checker(spec, reg, report).run()
    if report.ok:
        report.spec = spec
    return report


def load_spec(data: Any, registry: NodeRegistry | None = None) -> WorkflowSpec:
    """Validate and return the spec, or raise SpecValidationError listing every problem."""
    report = validate_spec(data, registry)
    if report.spec is None:
        raise SpecValidationError(report.errors)
    return report.spec


def _check_raw_nodes(raw: Mapping[str, Any], reg: NodeRegistry, report: ValidationReport) -> None:
    """When the spec as a whole does not parse, still check the nodes that do."""
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return
    checker = _Checker(WorkflowSpec(name="partial"), reg, report)
    for item in nodes:
        if not isinstance(item, dict):
            continue
        node_id, node_type, config = item.get("id"), item.get("type"), item.get("config", {})
        if not (isinstance(node_id, str) and isinstance(node_type, str)):
            continue
        if not isinstance(config, dict):
            continue
        try:
            cls = reg.get(node_type)
        except OrcheoError as exc:
            checker.error(f"nodes[{node_id}].type", exc.message, "unknown_node_type")
            continue
        checker.check_config(f"nodes[{node_id}]", config, cls.config_model, cls.raw_fields, node_id)


class _Checker:
    def __init__(self, spec: WorkflowSpec, registry: NodeRegistry, report: ValidationReport):
        self.spec = spec
        self.registry = registry
        self.report = report
        self.ids = {n.id for n in spec.nodes}
        self.configs: dict[str, BaseModel] = {}

    def error(self, loc: str, message: str, code: str = "invalid", hint: str | None = None) -> None:
        self.report.errors.append(Problem(loc, message, code, "error", hint))

    def warn(self, loc: str, message: str, code: str) -> None:
        self.report.warnings.append(Problem(loc, message, code, "warning"))

    def run(self) -> None:
        self.check_nodes()
        self.check_edges()
        self.check_triggers()
        entry = self.check_entry()
        if entry is not None:
            self.check_reachability(entry)
            self.check_cycles()

    def check_nodes(self) -> None:
        seen: set[str] = set()
        for node in self.spec.nodes:
            loc = f"nodes[{node.id}]"
            if node.id in seen:
                self.error(f"{loc}.id", f"duplicate node id {node.id!r}", "duplicate_id")
                continue
            seen.add(node.id)
            if node.id in _END_ALIASES or node.id == "__start__":
                self.error(f"{loc}.id", f"{node.id!r} is reserved", "reserved_id")
            try:
                cls = self.registry.get(node.type)
            except OrcheoError as exc:
                self.error(f"{loc}.type", exc.message, "unknown_node_type")
                continue
            self.check_config(loc, node.config, cls.config_model, cls.raw_fields, node.id)

    def check_config(
        self,
        loc: str,
        config: dict[str, Any],
        model: type[BaseModel],
        raw_fields: frozenset[str],
        node_id: str,
    ) -> None:
        try:
            self.configs[node_id] = model.model_validate(config)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                path = tuple(err["loc"])
                top = path[0] if path else None
                if top not in raw_fields and has_template(err.get("input")):
                    continue  # rendered at run time; checked then
                where = _loc(config, path)
                self.error(f"{loc}.config.{where}" if where else f"{loc}.config", err["msg"])

    def check_triggers(self) -> None:
        """Trigger ids are unique; one webhook per workflow; warn about public hooks."""
        seen: set[str] = set()
        webhooks: list[str] = []
        for trigger in self.spec.triggers:
            loc = f"triggers[{trigger.id}]"
            if trigger.id in seen:
                hint = None
                if trigger.id == trigger.type:
                    hint = (
                        "a trigger without an `id` takes its type as id; give each one its own "
                        "id, such as 'nightly' and 'hourly'"
                    )
                self.error(
                    f"{loc}.id", f"duplicate trigger id {trigger.id!r}", "duplicate_id", hint
                )
            seen.add(trigger.id)
            if isinstance(trigger, WebhookTrigger):
                webhooks.append(trigger.id)
                self.check_webhook(loc, trigger)
        for extra in webhooks[1:]:
            self.error(
                f"triggers[{extra}]",
                f"more than one webhook trigger ({', '.join(map(repr, webhooks))}); a workflow "
                "has one webhook URL, /hooks/{workflow_id}",
                "duplicate_webhook",
                "keep one webhook trigger and list every HTTP verb it accepts in `methods`",
            )

    def check_webhook(self, loc: str, trigger: WebhookTrigger) -> None:
        if trigger.auth == "none":
            self.warn(
                f"{loc}.auth",
                "public webhook: anyone who knows its URL can start runs (use auth 'hmac' "
                "unless the sender cannot sign requests)",
                "public_webhook",
            )
        response = trigger.response
        for name in sorted(response.model_fields_set & set(_RESPONSE_FIELD_MODES)):
            modes = _RESPONSE_FIELD_MODES[name]
            if response.mode not in modes and getattr(response, name) is not None:
                self.warn(
                    f"{loc}.response.{name}",
                    f"{name} is ignored in mode {response.mode!r}; it is used in mode "
                    + " and ".join(map(repr, modes)),
                    "unused_field",
                )

    def node_ref(self, loc: str, target: str, *, allow_end: bool) -> None:
        if target in self.ids or (allow_end and target in _END_ALIASES):
            return
        close = difflib.get_close_matches(target, sorted(self.ids), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else None
        self.error(loc, f"no node {target!r}", "dangling_edge", hint)

    def check_edges(self) -> None:
        routed: set[str] = set()
        for i, edge in enumerate(self.spec.edges):
            loc = f"edges[{i}]"
            if isinstance(edge, StaticEdge):
                self.node_ref(f"{loc}.source", edge.source, allow_end=False)
                self.node_ref(f"{loc}.target", edge.target, allow_end=True)
            elif isinstance(edge, JoinEdge):
                for j, src in enumerate(edge.sources):
                    self.node_ref(f"{loc}.sources[{j}]", src, allow_end=False)
                self.node_ref(f"{loc}.target", edge.target, allow_end=True)
            else:
                routed.add(edge.source)
                self.check_conditional(loc, edge)
        for node_id in sorted(self.ids - routed):
            cls = self.node_class(node_id)
            if cls is not None and cls.is_router:
                self.error(
                    f"nodes[{node_id}]",
                    f"routing node {node_id!r} has no conditional edge",
                    "routes_without_targets",
                    "add an edge with `routes` mapping each route label to a node",
                )

    def node_class(self, node_id: str) -> Any:
        try:
            return self.registry.get(self.spec.node(node_id).type)
        except (KeyError, OrcheoError):
            return None

    def check_conditional(self, loc: str, edge: ConditionalEdge) -> None:
        self.node_ref(f"{loc}.source", edge.source, allow_end=False)
        for label, target in edge.routes.items():
            self.node_ref(f"{loc}.routes.{label}", target, allow_end=True)
        if edge.default is not None:
            self.node_ref(f"{loc}.default", edge.default, allow_end=True)
        if not edge.routes and edge.default is None:
            self.error(f"{loc}.routes", "no routes", "routes_without_targets")
        cls = self.node_class(edge.source)
        if cls is None:
            return
        if not cls.is_router:
            self.error(
                f"{loc}.source",
                f"node {edge.source!r} ({cls.type}) does not route",
                "not_a_router",
                "use a static edge, or route with an if_else or switch node",
            )
            return
        config = self.configs.get(edge.source)
        labels = cls.route_labels(config) if config is not None else None
        if labels is None:
            return
        for label in edge.routes:
            if label not in labels:
                self.error(
                    f"{loc}.routes.{label}",
                    f"node {edge.source!r} never routes to {label!r}; its routes: "
                    + ", ".join(labels),
                    "unknown_route",
                )
        if edge.default is None:
            for label in labels:
                if label not in edge.routes:
                    self.error(
                        f"{loc}.routes",
                        f"route {label!r} of node {edge.source!r} has no target",
                        "routes_without_targets",
                        f"add `{label}` to routes, or set `default`",
                    )

    def check_entry(self) -> str | None:
        if self.spec.entry is not None:
            if self.spec.entry not in self.ids:
                self.node_ref("entry", self.spec.entry, allow_end=False)
                return None
            return self.spec.entry
        if not self.spec.nodes:
            self.error("nodes", "a workflow needs at least one node", "empty")
            return None
        targets = set()
        for _, dst in self.edge_pairs():
            targets.add(dst)
        roots = [n.id for n in self.spec.nodes if n.id not in targets]
        if len(roots) == 1:
            return roots[0]
        choices = ", ".join(roots or [n.id for n in self.spec.nodes])
        self.error("entry", f"missing entry; set `entry` to one of: {choices}", "missing_entry")
        return None

    def edge_pairs(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for edge in self.spec.edges:
            if isinstance(edge, StaticEdge):
                pairs.append((edge.source, edge.target))
            elif isinstance(edge, JoinEdge):
                pairs.extend((s, edge.target) for s in edge.sources)
            else:
                targets = [*edge.routes.values(), *([edge.default] if edge.default else [])]
                pairs.extend((edge.source, t) for t in targets)
        return pairs

    def check_reachability(self, entry: str) -> None:
        succ: dict[str, set[str]] = {}
        for src, dst in self.edge_pairs():
            succ.setdefault(src, set()).add(dst)
        seen = {entry}
        stack = [entry]
        while stack:
            for nxt in succ.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        for node in self.spec.nodes:
            if node.id not in seen:
                self.error(
                    f"nodes[{node.id}]",
                    f"node {node.id!r} is unreachable from the entry {entry!r}",
                    "unreachable",
                    "connect it, or delete it",
                )

    def check_cycles(self) -> None:
        """Warn about nodes from which no path ends: they can only loop until max_steps."""
        succ: dict[str, set[str]] = {n.id: set() for n in self.spec.nodes}
        pred: dict[str, set[str]] = {n.id: set() for n in self.spec.nodes}
        for src, dst in self.edge_pairs():
            if src in succ and dst in succ:
                succ[src].add(dst)
                pred[dst].add(src)
        # Only known nodes: an edge from an unknown one is reported by check_edges.
        ends = {src for src, dst in self.edge_pairs() if dst in _END_ALIASES and src in succ}
        ends |= {n for n, targets in succ.items() if not targets}
        can_end = set(ends)
        stack = list(ends)
        while stack:
            for prev in pred[stack.pop()]:
                if prev not in can_end:
                    can_end.add(prev)
                    stack.append(prev)
        trapped = sorted(set(succ) - can_end)
        if trapped:
            self.warn(
                f"nodes[{trapped[0]}]",
                f"nodes {', '.join(trapped)} form a loop with no exit; the run will stop at "
                f"settings.max_steps ({self.spec.settings.max_steps})",
                "cycle_without_exit",
            )
