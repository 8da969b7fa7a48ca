"""Run users' LangGraph scripts out of the API process, with limits and refusals.

Layers, outermost first: a static check of the source (:func:`check_script`, with line,
column and hint); a fresh worker process per job, in a process group of its own, with an
empty environment and a private temporary directory, killed at its wall-clock limit;
resource limits (memory, processor time, file size, open files); an audit hook refusing
processes, sockets, ctypes, files outside Python's own libraries and frame
introspection; restricted builtins and module proxies for the script itself.
The static check lives in :mod:`orcheo_core.graph.script` (``check_script``).

Example::

    sandbox = ScriptSandbox()
    shape = await sandbox.extract(source)       # ScriptGraph: nodes, edges, routes
    run = await sandbox.run(source, {"n": 1})   # ScriptRun: status, state or error
"""

from orcheo_core.sandbox._policy import SCRIPT_IMPORTS
from orcheo_core.sandbox.errors import (
    SandboxError,
    SandboxViolationError,
    ScriptCrashedError,
    ScriptError,
    ScriptMemoryError,
    ScriptTimeoutError,
)
from orcheo_core.sandbox.limits import EXTRACT_LIMITS, RUN_LIMITS, SandboxLimits
from orcheo_core.sandbox.sandbox import (
    ScriptGraph,
    ScriptRun,
    ScriptSandbox,
    ScriptTask,
    extract_script,
    run_script,
)

__all__ = [
    "EXTRACT_LIMITS",
    "RUN_LIMITS",
    "SCRIPT_IMPORTS",
    "SandboxError",
    "SandboxLimits",
    "SandboxViolationError",
    "ScriptCrashedError",
    "ScriptError",
    "ScriptGraph",
    "ScriptMemoryError",
    "ScriptRun",
    "ScriptSandbox",
    "ScriptTask",
    "ScriptTimeoutError",
    "extract_script",
    "run_script",
]
