"""Orcheo core: the workflow spec, the node SDK and the LangGraph engine.

Importing it loads no web framework, AWS SDK or CDK (a test guards this).

Example::

    from orcheo_core import LocalEngine

    result = LocalEngine().run_sync(spec_dict, {"name": "Ada"})
"""

from orcheo_core.engine import LocalEngine, RunContext, RunEvent, RunResult
from orcheo_core.errors import OrcheoError, SpecValidationError
from orcheo_core.graph import CompiledWorkflow, build_graph, compile_workflow, orcheo_node
from orcheo_core.nodes import Node, NodeConfig, NodeContext, NodeRegistry, register_node
from orcheo_core.spec import SpecDiff, WorkflowSpec, diff_specs, load_spec, validate_spec

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
