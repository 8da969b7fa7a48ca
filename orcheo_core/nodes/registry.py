"""Node registry: built-in node modules are imported only when first used."""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any, cast

from orcheo_core.errors import UnknownNodeTypeError

if TYPE_CHECKING:
    from orcheo_core.nodes.base import Node

__all__ = ["BUILTIN_NODES", "NodeRegistry", "default_registry", "register_node"]

BUILTIN_NODES: dict[str, str] = {
    "manual_trigger": "orcheo_core.nodes.manual_trigger:ManualTriggerNode",
    "if_else": "orcheo_core.nodes.if_else:IfElseNode",
    "switch": "orcheo_core.nodes.switch:SwitchNode",
    "merge": "orcheo_core.nodes.merge:MergeNode",
    "set_variable": "orcheo_core.nodes.set_variable:SetVariableNode",
    "data_transform": "orcheo_core.nodes.data_transform:DataTransformNode",
    "json_processing": "orcheo_core.nodes.json_processing:JsonProcessingNode",
    "http_request": "orcheo_core.nodes.http_request:HttpRequestNode",
    "delay": "orcheo_core.nodes.delay:DelayNode",
    "debug": "orcheo_core.nodes.debug:DebugNode",
    "python_code": "orcheo_core.nodes.python_code:PythonCodeNode",
    "javascript_code": "orcheo_core.nodes.javascript_code:JavaScriptCodeNode",
    "sub_workflow": "orcheo_core.nodes.sub_workflow:SubWorkflowNode",
}
"""Node type slug -> ``module:Class``; the module is imported on first use."""


class NodeRegistry:
    """Maps node type slugs to node classes, importing built-in modules lazily."""

    def __init__(self, lazy: dict[str, str] | None = None) -> None:
        self._lazy = dict(BUILTIN_NODES if lazy is None else lazy)
        self._loaded: dict[str, type[Node[Any]]] = {}

    def register(self, cls: type[Node[Any]]) -> type[Node[Any]]:
        """Add a node class (usable as a decorator); a later class replaces an earlier one."""
        self._loaded[cls.type] = cls
        self._lazy.pop(cls.type, None)
        return cls

    def types(self) -> list[str]:
        """Every registered type slug, sorted."""
        return sorted({*self._lazy, *self._loaded})

    def __contains__(self, node_type: object) -> bool:
        return node_type in self._loaded or node_type in self._lazy

    def get(self, node_type: str) -> type[Node[Any]]:
        """The class for ``node_type``; UnknownNodeTypeError names the closest known types."""
        cls = self._loaded.get(node_type)
        if cls is not None:
            return cls
        target = self._lazy.get(node_type)
        if target is None:
            known = self.types()
            close = difflib.get_close_matches(node_type, known, n=3, cutoff=0.5)
            raise UnknownNodeTypeError(node_type, close, known)
        module_name, _, attr = target.partition(":")
        cls = cast("type[Node[Any]]", getattr(importlib.import_module(module_name), attr))
        self._loaded[node_type] = cls
        return cls

    def catalog(self) -> list[dict[str, Any]]:
        """Metadata and config JSON Schema of every node type, sorted by type."""
        entries = []
        for node_type in self.types():
            cls = self.get(node_type)
            entry = cls.metadata()
            entry["config_schema"] = cls.config_model.model_json_schema()
            entries.append(entry)
        return entries


default_registry = NodeRegistry()
"""The registry used when none is given: built-in nodes plus those from ``register_node``."""


def register_node(cls: type[Node[Any]]) -> type[Node[Any]]:
    """Class decorator that adds a custom node to the default registry."""
    return default_registry.register(cls)
