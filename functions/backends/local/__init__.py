"""The local (embedded) backends: one SQLite database, in-process scheduler, bus and engine."""

from functions.backends.local.bus import InProcessEventBus
from functions.backends.local.credentials import SqliteCredentialStore
from functions.backends.local.db import Database
from functions.backends.local.engine import LocalRunEngine
from functions.backends.local.runs import SqliteRunStore
from functions.backends.local.scheduler import InProcessScheduler
from functions.backends.local.tokens import SqliteTokenStore
from functions.backends.local.trigger_state import SqliteTriggerState
from functions.backends.local.workflows import SqliteWorkflowStore

__all__ = [
    "Database",
    "InProcessEventBus",
    "InProcessScheduler",
    "LocalRunEngine",
    "SqliteCredentialStore",
    "SqliteRunStore",
    "SqliteTokenStore",
    "SqliteTriggerState",
    "SqliteWorkflowStore",
]
