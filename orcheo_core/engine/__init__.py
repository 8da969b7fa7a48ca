"""The local engine and the single-node step."""

from orcheo_core.engine.context import NodeRunContext, RunContext
from orcheo_core.engine.events import RunEvent
from orcheo_core.engine.local import LocalEngine, RunResult, RunStatus

__all__ = ["LocalEngine", "NodeRunContext", "RunContext", "RunEvent", "RunResult", "RunStatus"]
