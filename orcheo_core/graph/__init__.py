"""Workflow -> LangGraph StateGraph."""

from orcheo_core.graph.builder import CompiledWorkflow, build_graph, compile_workflow, orcheo_node

__all__ = ["CompiledWorkflow", "build_graph", "compile_workflow", "orcheo_node"]
