"""Run users' LangGraph scripts out of the API process, with limits and refusals.

Layers, outermost first: a static check of the source (:func:`check_script`, with line,
column and hint); the OS boundary (``ORCHEO_SANDBOX``, :func:`sandbox_mode`): the fork
server runs in bubblewrap and each job in Linux namespaces of its own (user, PID,
network, IPC, mount: see ``_boundary``), or, only if the operator sets
``ORCHEO_SANDBOX=process``, none (:class:`SandboxUnavailableError` otherwise where
namespaces are missing); a fresh worker process per job, in a process group of its own,
with an empty environment and a private temporary directory, killed at its wall-clock limit;
resource limits (memory, processor time, file size, open files); an audit hook refusing
processes, sockets, ctypes, files outside Python's own libraries and frame
introspection; restricted builtins and module proxies for the script itself.
The static check lives in :mod:`orcheo_core.graph.script` (``check_script``).

Example::

    sandbox = ScriptSandbox()
    shape = await sandbox.extract(source)       # ScriptGraph: nodes, edges, routes
    run = await sandbox.run(source, {"n": 1})   # ScriptRun: status, state or error
"""

from orcheo_core.sandbox._boundary import SANDBOX_ENV, SandboxMode
from orcheo_core.sandbox._boundary import mode_from_env as sandbox_mode
from orcheo_core.sandbox._policy import SCRIPT_IMPORTS
from orcheo_core.sandbox.errors import (
    SandboxError,
    SandboxUnavailableError,
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
    protect,
    run_script,
    serve_job,
    use_remote,
)

__all__ = [
    "EXTRACT_LIMITS",
    "RUN_LIMITS",
    "SANDBOX_ENV",
    "SCRIPT_IMPORTS",
    "SandboxError",
    "SandboxMode",
    "SandboxUnavailableError",
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
    "protect",
    "run_script",
    "sandbox_mode",
    "serve_job",
    "use_remote",
]
