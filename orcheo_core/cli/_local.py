"""``orcheo run FILE``: run a workflow file on this machine, as the server would.

A ``.json`` file is a WorkflowSpec and runs on the local engine (LangGraph, in this
process), exactly as the local server runs spec versions. A ``.py`` file is a LangGraph
script and runs in the same sandbox the server uses for script versions (a worker
process with the same import rules and limits), so a file that runs here runs the same
way after ``orcheo push`` — and one the server would refuse is refused here, with the
same line, column and hint.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from typing import TYPE_CHECKING, Any

from orcheo_core.errors import ConfigError, OrcheoError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from orcheo_core.engine.events import RunEvent

__all__ = ["load_nodes", "read_workflow", "run_file"]


def read_workflow(path: Path) -> tuple[str, Any]:
    """``("script", source)`` or ``("spec", dict)`` for a workflow file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from exc
    if path.suffix == ".py":
        return "script", text
    if path.suffix == ".json":
        try:
            return "spec", json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise ConfigError(
                f"{path}:{line}: not valid JSON: {exc}", path=str(path), line=line
            ) from exc
    raise ConfigError(
        f"{path}: a workflow file is a LangGraph script (.py) or a WorkflowSpec (.json)",
        path=str(path),
    )


def load_nodes(path: Path) -> None:
    """Import a Python file of custom nodes (``@register_node`` adds them to the registry)."""
    spec = importlib.util.spec_from_file_location(f"orcheo_user_nodes_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import custom nodes from {path}", path=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


async def _run(
    kind: str, workflow: Any, inputs: Mapping[str, Any], on_event: Callable[[RunEvent], None]
) -> dict[str, Any]:
    if kind == "script":
        from orcheo_core.sandbox import ScriptSandbox

        script = await ScriptSandbox().run(workflow, inputs, on_event=on_event)
        return {"status": script.status, "state": script.state, "error": script.error}
    from orcheo_core.engine import LocalEngine

    result = await LocalEngine().run(workflow, inputs, on_event=on_event)
    return {"status": result.status, "state": result.state, "error": result.error}


def run_file(
    path: Path, inputs: Mapping[str, Any], on_event: Callable[[RunEvent], None]
) -> dict[str, Any]:
    """Run the workflow in ``path``: ``{"status", "state", "error"}``."""
    kind, workflow = read_workflow(path)
    try:
        return asyncio.run(_run(kind, workflow, inputs, on_event))
    except OrcheoError as exc:  # refused before it started (e.g. the static script check)
        return {"status": "failed", "state": None, "error": exc.to_dict()}
