"""The node SDK and the built-in nodes (imported lazily through the registry)."""

from orcheo_core.nodes.base import Node, NodeConfig, NodeContext, State, Update
from orcheo_core.nodes.registry import NodeRegistry, default_registry, register_node

__all__ = [
    "Node",
    "NodeConfig",
    "NodeContext",
    "NodeRegistry",
    "State",
    "Update",
    "default_registry",
    "register_node",
]
