"""The local engine and the single-node step.

The names load on first use (PEP 562), so ``orcheo_core.graph`` can import
``orcheo_core.engine.instrument`` without pulling in ``engine.local``, which imports
the graph builder back.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orcheo_core.engine.context import NodeRunContext, RunContext
    from orcheo_core.engine.events import RunEvent
    from orcheo_core.engine.local import LocalEngine, RunResult, RunStatus

_HOME = {
    "NodeRunContext": "orcheo_core.engine.context",
    "RunContext": "orcheo_core.engine.context",
    "RunEvent": "orcheo_core.engine.events",
    "LocalEngine": "orcheo_core.engine.local",
    "RunResult": "orcheo_core.engine.local",
    "RunStatus": "orcheo_core.engine.local",
}

__all__ = ["LocalEngine", "NodeRunContext", "RunContext", "RunEvent", "RunResult", "RunStatus"]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'orcheo_core.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
