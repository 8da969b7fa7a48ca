"""Orcheo core: the workflow spec, the node SDK and the LangGraph engine.

Importing it loads no web framework, AWS SDK or CDK (a test guards this).

Example::

    from orcheo_core import LocalEngine

    result = LocalEngine().run_sync(spec_dict, {"name": "Ada"})
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orcheo_core.engine import LocalEngine, RunContext, RunEvent, RunResult
    from orcheo_core.errors import OrcheoError, SpecValidationError
    from orcheo_core.graph import CompiledWorkflow, build_graph, compile_workflow, orcheo_node
    from orcheo_core.nodes import Node, NodeConfig, NodeContext, NodeRegistry, register_node
    from orcheo_core.spec import SpecDiff, WorkflowSpec, diff_specs, load_spec, validate_spec

# The public names load on first use (PEP 562): `import orcheo_core.cli` for
# `orcheo --help` must not pay for LangGraph and the engine (bench/cli.py measures it).
_HOME = {
    "LocalEngine": "orcheo_core.engine",
    "RunContext": "orcheo_core.engine",
    "RunEvent": "orcheo_core.engine",
    "RunResult": "orcheo_core.engine",
    "OrcheoError": "orcheo_core.errors",
    "SpecValidationError": "orcheo_core.errors",
    "CompiledWorkflow": "orcheo_core.graph",
    "build_graph": "orcheo_core.graph",
    "compile_workflow": "orcheo_core.graph",
    "orcheo_node": "orcheo_core.graph",
    "Node": "orcheo_core.nodes",
    "NodeConfig": "orcheo_core.nodes",
    "NodeContext": "orcheo_core.nodes",
    "NodeRegistry": "orcheo_core.nodes",
    "register_node": "orcheo_core.nodes",
    "SpecDiff": "orcheo_core.spec",
    "WorkflowSpec": "orcheo_core.spec",
    "diff_specs": "orcheo_core.spec",
    "load_spec": "orcheo_core.spec",
    "validate_spec": "orcheo_core.spec",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'orcheo_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "CompiledWorkflow",
    "LocalEngine",
    "Node",
    "NodeConfig",
    "NodeContext",
    "NodeRegistry",
    "OrcheoError",
    "RunContext",
    "RunEvent",
    "RunResult",
    "SpecDiff",
    "SpecValidationError",
    "WorkflowSpec",
    "__version__",
    "build_graph",
    "compile_workflow",
    "diff_specs",
    "load_spec",
    "orcheo_node",
    "register_node",
    "validate_spec",
]
