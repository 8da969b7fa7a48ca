"""What changed between two versions of a workflow: nodes, edges and workflow fields.

Both sides are put in one normal form before they are compared, so a difference in
spelling that the engine does not see is no change: an omitted default, ``"END"`` for
``"__end__"``, the order of a join's sources or of the spec's lists. Each part of a spec
is read with its own model when it parses and kept as it is when it does not, so a
draft with an error, or a graph extracted from a LangGraph script (plain ``nodes`` and
``edges``), can still be compared.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from orcheo_core.spec.models import (
    END,
    ChannelSpec,
    EdgeSpec,
    NodeSpec,
    TriggerSpec,
    WorkflowSettings,
    WorkflowSpec,
)

__all__ = [
    "EdgeChange",
    "EdgeDiff",
    "FieldChange",
    "NodeChange",
    "NodeDiff",
    "SpecDiff",
    "diff_specs",
]

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_TOP_DEFAULTS: dict[str, Any] = {
    "schema_version": 1,
    "id": None,
    "description": "",
    "entry": None,
    "state": {},
    "triggers": [],
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldChange(_Frozen):
    """One value that differs; ``old`` or ``new`` is None where the field is absent."""

    path: str
    old: Any = None
    new: Any = None


class NodeChange(_Frozen):
    """A node present in both versions whose definition differs."""

    id: str
    changes: tuple[FieldChange, ...]


class EdgeChange(_Frozen):
    """A conditional edge from the same source whose routes (or default) differ."""

    kind: str
    source: str
    changes: tuple[FieldChange, ...]


class NodeDiff(_Frozen):
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[NodeChange, ...] = ()
    moved: tuple[str, ...] = ()
    """Nodes only dragged on the canvas (``ui.position``); the engine does not see this."""


class EdgeDiff(_Frozen):
    added: tuple[dict[str, Any], ...] = ()
    removed: tuple[dict[str, Any], ...] = ()
    changed: tuple[EdgeChange, ...] = ()


class SpecDiff(_Frozen):
    """The structural difference between two workflow specs; see :func:`diff_specs`.

    ``workflow`` lists the changes to the workflow's own fields (name, entry, settings,
    state channels, triggers...), with dotted paths such as ``settings.max_steps``.
    """

    nodes: NodeDiff = NodeDiff()
    edges: EdgeDiff = EdgeDiff()
    workflow: tuple[FieldChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two specs run identically and look the same on the canvas."""
        return self == SpecDiff()

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON data (what the API returns)."""
        return self.model_dump(mode="json")

    def summary(self) -> str:
        """One line such as ``"2 nodes added, 1 changed, 1 edge removed"``."""
        nodes, edges = self.nodes, self.edges
        groups: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
            "node": [
                ("added", nodes.added),
                ("removed", nodes.removed),
                ("changed", nodes.changed),
                ("moved", nodes.moved),
            ],
            "edge": [
                ("added", edges.added),
                ("removed", edges.removed),
                ("changed", edges.changed),
            ],
            "workflow field": [("changed", self.workflow)],
        }
        parts = []
        for noun, items in groups.items():
            present = [(verb, len(found)) for verb, found in items if found]
            for i, (verb, n) in enumerate(present):
                # the noun only on a group's first count: "2 nodes added, 1 changed"
                label = f" {noun}{'' if n == 1 else 's'}" if i == 0 else ""
                parts.append(f"{n}{label} {verb}")
        return ", ".join(parts) or "no changes"


def diff_specs(
    old: WorkflowSpec | Mapping[str, Any], new: WorkflowSpec | Mapping[str, Any]
) -> SpecDiff:
    """What changed from ``old`` to ``new`` (WorkflowSpecs or spec dicts, in any mix).

    Example::

        diff = diff_specs(v1, v2)
        print(diff.summary())            # "1 node added, 1 changed, 1 edge added"
        diff.nodes.changed[0].changes    # (FieldChange(path="config.url", old=..., new=...),)
    """
    before, after = _normalise(old), _normalise(new)
    return SpecDiff(
        nodes=_diff_nodes(before.pop("nodes"), after.pop("nodes")),
        edges=_diff_edges(before.pop("edges"), after.pop("edges")),
        workflow=tuple(_diff(before, after, "")),
    )


# ---------------------------------------------------------------- normal form


@functools.cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    # built on first use: a TypeAdapter costs import time that most callers never need
    return TypeAdapter(EdgeSpec if kind == "edge" else TriggerSpec)


def _parsed(value: Any, parse: Callable[[Any], BaseModel]) -> Any:
    """``value`` with its model's defaults filled in, or as it is if it does not parse."""
    try:
        return parse(value).model_dump(mode="json")
    except ValidationError:
        return value


def _normalise(spec: WorkflowSpec | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(spec, WorkflowSpec):
        raw: dict[str, Any] = spec.model_dump(mode="json")
    elif isinstance(spec, Mapping):
        raw = dict(spec)
    else:
        raise TypeError(f"a workflow spec is a WorkflowSpec or a dict, not {type(spec).__name__}")
    out = {**_TOP_DEFAULTS, **raw}
    out["nodes"] = _nodes(raw.get("nodes") or [])
    out["edges"] = [_edge(edge) for edge in raw.get("edges") or []]
    out["settings"] = _parsed(raw.get("settings") or {}, WorkflowSettings.model_validate)
    state = raw.get("state") or {}
    if isinstance(state, Mapping):
        out["state"] = {k: _parsed(v, ChannelSpec.model_validate) for k, v in state.items()}
    out["triggers"] = _triggers(raw.get("triggers") or [])
    return out


def _nodes(nodes: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(nodes):
        parsed = _parsed(node, NodeSpec.model_validate)
        if not isinstance(parsed, Mapping):
            parsed = {"value": parsed}
        node_id = parsed.get("id")
        out[node_id if isinstance(node_id, str) else f"#{index}"] = dict(parsed)
    return out


def _triggers(triggers: Any) -> dict[str, Any]:
    # keyed by id, so a path reads "triggers.nightly.expression" and order is no change
    out: dict[str, Any] = {}
    for index, trigger in enumerate(triggers):
        parsed = _parsed(trigger, _adapter("trigger").validate_python)
        key = parsed.get("id") if isinstance(parsed, Mapping) else None
        out[key if isinstance(key, str) else f"#{index}"] = parsed
    return out


def _end(target: Any) -> Any:
    return END if target == "END" else target


def _edge(edge: Any) -> dict[str, Any]:
    """The edge as a stable dict: its kind, source(s) and target or routes."""
    parsed = _parsed(edge, _adapter("edge").validate_python)
    if not isinstance(parsed, Mapping):
        return {"kind": "unknown", "value": parsed}
    out = dict(parsed)
    if "target" in out:
        out["target"] = _end(out["target"])
    if isinstance(out.get("routes"), Mapping):
        out["routes"] = {label: _end(t) for label, t in sorted(out["routes"].items())}
    if out.get("default") is not None:
        out["default"] = _end(out["default"])
    if isinstance(out.get("sources"), list):
        # a join waits for all of its sources: their order means nothing
        out["sources"] = sorted(out["sources"], key=str)
    return out


def _identity(edge: Mapping[str, Any]) -> str:
    """What makes two edges "the same edge": a conditional edge is its source's routing."""
    if edge.get("kind") == "conditional" and isinstance(edge.get("source"), str):
        return json.dumps(["conditional", edge["source"]])
    return _canonical(edge)


# ---------------------------------------------------------------- comparing


def _canonical(value: Any) -> str:
    # JSON text tells 1 from 1.0 and True, as the wire and the engine's state do
    return json.dumps(value, sort_keys=True, default=repr)


def _join(path: str, key: Any) -> str:
    if isinstance(key, str) and _KEY.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, default=str)}]"


def _diff(old: Any, new: Any, path: str) -> list[FieldChange]:
    """Every leaf that differs, a missing key being None; lists of one length by index."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = [*old, *(k for k in new if k not in old)]
        return [c for key in keys for c in _diff(old.get(key), new.get(key), _join(path, key))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = zip(old, new, strict=True)
        return [c for i, (a, b) in enumerate(pairs) for c in _diff(a, b, f"{path}[{i}]")]
    if _canonical(old) == _canonical(new):
        return []
    return [FieldChange(path=path, old=old, new=new)]


def _without_position(node: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    body = dict(node)
    ui = body.get("ui")
    if not isinstance(ui, Mapping):
        return body, None
    rest = {k: v for k, v in ui.items() if k != "position"}
    body["ui"] = rest
    return body, ui.get("position")


def _diff_nodes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> NodeDiff:
    changed, moved = [], []
    for node_id in sorted(old.keys() & new.keys()):
        before, was_at = _without_position(old[node_id])
        after, now_at = _without_position(new[node_id])
        changes = _diff(before, after, "")
        if changes:
            changed.append(NodeChange(id=node_id, changes=tuple(changes)))
        if _canonical(was_at) != _canonical(now_at):
            moved.append(node_id)
    return NodeDiff(
        added=tuple(sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        changed=tuple(changed),
        moved=tuple(moved),
    )


def _keyed(edges: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    # the n-th copy of a duplicated edge is its own edge: adding a copy is a change
    seen: Counter[str] = Counter()
    out = {}
    for edge in sorted(edges, key=_canonical):
        identity = _identity(edge)
        out[identity, seen[identity]] = edge
        seen[identity] += 1
    return out


def _diff_edges(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> EdgeDiff:
    before, after = _keyed(old), _keyed(new)
    changed = []
    for key in sorted(before.keys() & after.keys()):
        changes = _diff(before[key], after[key], "")
        if changes:
            source = str(after[key].get("source"))
            changed.append(EdgeChange(kind="conditional", source=source, changes=tuple(changes)))
    return EdgeDiff(
        added=tuple(after[k] for k in sorted(after.keys() - before.keys())),
        removed=tuple(before[k] for k in sorted(before.keys() - after.keys())),
        changed=tuple(changed),
    )
