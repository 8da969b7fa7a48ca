"""How much a sandboxed job may use: memory, processor and wall time, files, output."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["EXTRACT_LIMITS", "RUN_LIMITS", "SandboxLimits"]


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed job. Every field has a default; override what you need::

    limits = SandboxLimits(memory_mb=512, cpu_seconds=5, wall_seconds=20)
    """

    memory_mb: int = 1024
    """Address space of the worker (RLIMIT_AS), including Python and LangGraph (~100 MB)."""
    cpu_seconds: int = 60
    """Processor time of the job (RLIMIT_CPU, counted from the job's start, not the
    worker's import of LangGraph); SIGXCPU stops the worker when it is used up."""
    wall_seconds: float = 300.0
    """Wall-clock time of the job; the parent kills the worker's process group after it."""
    file_size_mb: int = 16
    """Largest file the worker may write (RLIMIT_FSIZE); writes only reach its temp dir."""
    open_files: int = 64
    """File descriptors the worker may hold (RLIMIT_NOFILE)."""
    processes: int = 64
    """Processes and threads the job may have at once (RLIMIT_NPROC, counted in the
    job's own user namespace; the worker itself needs a few threads)."""
    temp_mb: int = 64
    """Size of the job's private /tmp (a tmpfs), its working directory."""
    temp_files: int = 1024
    """Files and directories the job may create in its /tmp."""
    output_bytes: int = 64 * 1024
    """stdout and stderr kept per stream; the rest is read and dropped."""
    message_bytes: int = 32 * 1024 * 1024
    """Largest single message (one event, the result) the worker may send."""
    source_bytes: int = 256_000
    """Largest script accepted."""
    startup_seconds: float = 60.0
    """How long a new worker may take to import what it needs and report ready."""
    cancel_grace_seconds: float = 2.0
    """After cancel(), how long the run gets to stop by itself before the worker is killed."""

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"SandboxLimits.{item.name} must be a number > 0, got {value!r}")

    def replace(self, **changes: Any) -> SandboxLimits:
        """A copy with some limits changed."""
        return dataclasses.replace(self, **changes)

    def job_fields(self) -> dict[str, Any]:
        """What the worker applies itself at the job's start (sent with the job)."""
        return {
            "memory_bytes": self.memory_mb * 1024 * 1024,
            "cpu_seconds": self.cpu_seconds,
            "file_bytes": self.file_size_mb * 1024 * 1024,
            "open_files": self.open_files,
            "processes": self.processes,
            "tmp_bytes": self.temp_mb * 1024 * 1024,
            "tmp_files": self.temp_files,
            "source_bytes": self.source_bytes,
        }


RUN_LIMITS = SandboxLimits()
"""Defaults for running a script."""

EXTRACT_LIMITS = SandboxLimits(cpu_seconds=10, wall_seconds=30.0)
"""Defaults for validating a script and extracting its graph (loading only, no run)."""
