"""Handler of the code-runner Lambda: one sandbox job per invocation.

The event is a job as :func:`orcheo_core.sandbox.use_remote` sends it (mode, source or
code, inputs, limits); the answer is the job's last message (see
:func:`orcheo_core.sandbox.serve_job`). Imports only the sandbox: no store, no vault,
no AWS client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from orcheo_core.sandbox import serve_job

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return asyncio.run(serve_job(dict(event)))
