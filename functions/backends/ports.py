"""The ports: what the service needs from storage, scheduling, telemetry and execution.

Each port is a small ``Protocol`` implemented twice: ``local/`` (SQLite, in-process)
and, later, ``aws/`` (DynamoDB, EventBridge Scheduler, Step Functions). One
conformance suite per port (``tests/functional/ports/``) runs against every
implementation, so both behave the same.

Records are plain dataclasses holding JSON-compatible values; timestamps are Unix
seconds (float). Store methods are synchronous: SQLite and pynamodb both are, and a
store call is short. Not-found raises :class:`~functions.errors.NotFoundError`; a
lost optimistic-concurrency race or a duplicate key raises
:class:`~functions.errors.ConflictError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Collection, Sequence

__all__ = [
    "INTERRUPTED_ERROR",
    "RUN_STATUSES",
    "TERMINAL_STATUSES",
    "CredentialRecord",
    "CredentialStore",
    "Engine",
    "EventBus",
    "EventRecord",
    "Page",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "ScheduleRecord",
    "Scheduler",
    "Scope",
    "Subscription",
    "TokenRecord",
    "TokenStore",
    "TriggerState",
    "VersionKind",
    "VersionRecord",
    "WorkflowRecord",
    "WorkflowStore",
]

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
RUN_STATUSES: tuple[RunStatus, ...] = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
    "interrupted",
)
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
INTERRUPTED_ERROR: dict[str, Any] = {
    "code": "interrupted",
    "message": "the server stopped while this run was in flight; "
    "resume it (POST /api/runs/{id}/resume) or replay it (POST /api/runs/{id}/replay)",
    "details": {},
}
"""The error recorded on a run that its engine's process stopped in the middle of."""
Scope = Literal["read", "run", "admin"]
VersionKind = Literal["spec", "script"]


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next one (None: no more)."""

    items: list[T]
    next_cursor: str | None = None


# ---------------------------------------------------------------------------- records


@dataclass
class WorkflowRecord:
    """A workflow: its name and which of its versions runs.

    ``revision`` guards metadata updates (optimistic concurrency); ``latest_version``
    is the highest version number (0 before the first version) and
    ``current_version`` the one that runs (None before the first version).
    """

    id: str
    name: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    current_version: int | None = None
    latest_version: int = 0
    archived: bool = False
    revision: int = 1
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class VersionRecord:
    """One immutable version of a workflow.

    ``spec`` is the WorkflowSpec JSON for a canvas version; for a script version it is
    the graph extracted from the script (for drawing), and ``source`` holds the code.
    """

    workflow_id: str
    number: int
    kind: VersionKind = "spec"
    spec: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    note: str = ""
    created_at: float = 0.0


@dataclass
class RunRecord:
    """One execution of one workflow version.

    ``last_seq`` is the sequence number of the run's last stored event. A replay points
    at the run it repeats through ``replay_of`` (and ``resumed_from_step`` when it
    resumed from a recorded step rather than starting over).
    """

    id: str
    workflow_id: str
    version: int
    status: RunStatus = "queued"
    inputs: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    debug: bool = False
    trigger: str = "manual"
    replay_of: str | None = None
    resumed_from_step: int | None = None
    batch_id: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    duration: float | None = None
    last_seq: int = 0


@dataclass
class EventRecord:
    """One run event as stored and pushed: gap-free ``seq`` per run, starting at 1."""

    run_id: str
    seq: int
    type: str
    workflow_id: str = ""
    node: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "workflow_id": self.workflow_id,
            "seq": self.seq,
            "type": self.type,
            "node": self.node,
            "attempt": self.attempt,
            "data": self.data,
            "ts": self.ts,
        }


@dataclass
class TokenRecord:
    """An API token. Only ``hash`` (SHA-256 of the secret) is stored, never the secret."""

    id: str
    name: str
    hash: str
    scopes: list[Scope]
    prefix: str = ""
    created_at: float = 0.0
    last_used_at: float | None = None
    revoked_at: float | None = None
    expires_at: float | None = None


@dataclass
class CredentialRecord:
    """A stored credential: ciphertext and metadata only; the vault decrypts."""

    id: str
    name: str
    type: str
    ciphertext: bytes
    preview: str = ""
    scope: str = "global"
    metadata: dict[str, Any] = field(default_factory=dict)
    revision: int = 1
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass
class ScheduleRecord:
    """A recurring schedule: fire ``target`` on a cron ``expression`` in ``timezone``."""

    id: str
    expression: str
    timezone: str = "UTC"
    target: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


# ---------------------------------------------------------------------------- stores


class WorkflowStore(Protocol):
    """Workflows and their versions."""

    def create_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Store a new workflow; ConflictError if the id is taken."""
        ...

    def get_workflow(self, workflow_id: str) -> WorkflowRecord: ...

    def list_workflows(
        self,
        *,
        query: str | None = None,
        include_archived: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[WorkflowRecord]:
        """Newest first; ``query`` matches name, description or tags, case-insensitively."""
        ...

    def update_workflow(self, workflow: WorkflowRecord) -> WorkflowRecord:
        """Save ``workflow`` if the stored revision equals ``workflow.revision``.

        Returns the record with ``revision + 1``; ConflictError when someone else
        saved first. ``latest_version`` is not changed here (see ``add_version``).
        """
        ...

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove the workflow and all its versions."""
        ...

    def add_version(self, version: VersionRecord) -> WorkflowRecord:
        """Append ``version``; its number must be ``latest_version + 1``, else ConflictError.

        Atomically bumps the workflow's ``latest_version`` (and ``current_version`` when
        it had none) and its ``revision``, and returns the updated workflow.
        """
        ...

    def get_version(self, workflow_id: str, number: int) -> VersionRecord: ...

    def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        """Oldest first."""
        ...


class RunStore(Protocol):
    """Runs and their ordered events."""

    def create_run(self, run: RunRecord) -> None:
        """ConflictError if the id is taken."""
        ...

    def get_run(self, run_id: str) -> RunRecord: ...

    def update_run(
        self,
        run_id: str,
        *,
        expected_status: Collection[RunStatus] | None = None,
        **changes: Any,
    ) -> RunRecord:
        """Change fields of a run; ConflictError if its status is not in ``expected_status``."""
        ...

    def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: Collection[RunStatus] | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[RunRecord]:
        """Newest first (by ``created_at``), filtered; ``since``/``until`` bound ``created_at``."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Remove the run and its events."""
        ...

    def append_events(self, events: Sequence[EventRecord]) -> None:
        """Store events (of one run, in order) and raise the run's ``last_seq``.

        ConflictError if a sequence number is already stored: events are never
        overwritten.
        """
        ...

    def list_events(
        self, run_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        """The run's events with ``seq > after_seq``, in order."""
        ...


class CredentialStore(Protocol):
    """Encrypted credentials (the vault encrypts and decrypts; the store only keeps bytes)."""

    def create_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """ConflictError if the id or the name is taken."""
        ...

    def get_credential(self, credential_id: str) -> CredentialRecord: ...

    def find_credential(self, name: str) -> CredentialRecord | None: ...

    def list_credentials(self) -> list[CredentialRecord]:
        """By name."""
        ...

    def update_credential(self, credential: CredentialRecord) -> CredentialRecord:
        """Optimistic like ``update_workflow``: returns the record with ``revision + 1``."""
        ...

    def delete_credential(self, credential_id: str) -> None: ...


class TokenStore(Protocol):
    """Hashed API tokens."""

    def create_token(self, token: TokenRecord) -> None: ...

    def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, revoked or not (the caller checks)."""
        ...

    def get_token(self, token_id: str) -> TokenRecord: ...

    def list_tokens(self) -> list[TokenRecord]:
        """Oldest first, revoked ones included."""
        ...

    def update_token(self, token_id: str, **changes: Any) -> TokenRecord:
        """Change ``last_used_at``, ``revoked_at``, ``name`` or ``expires_at``."""
        ...


class TriggerState(Protocol):
    """Small shared state for triggers, safe across processes: locks, cursors, counters, nonces.

    Every expiring item is gone once ``now`` passes its expiry (checked on read).
    """

    def acquire_lock(self, key: str, owner: str, ttl: float) -> bool:
        """Take the lock for ``ttl`` seconds; False while another owner holds it.

        The same owner may re-acquire (extends the lease); an expired lock is free.
        """
        ...

    def release_lock(self, key: str, owner: str) -> bool:
        """Release if held by ``owner``; False otherwise."""
        ...

    def get_cursor(self, key: str) -> str | None: ...

    def set_cursor(self, key: str, value: str) -> None: ...

    def increment(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to a counter and return the new value; ``ttl`` starts a window on creation.

        When the window has expired the counter starts again from zero.
        """
        ...

    def add_nonce(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; False if it was already remembered (replay)."""
        ...


# ---------------------------------------------------------------------------- runtime


class Scheduler(Protocol):
    """Recurring schedules that fire a target (locally a callback; on AWS a Lambda)."""

    def put_schedule(self, schedule: ScheduleRecord) -> None:
        """Create or replace; ConfigError for a bad expression or an unknown timezone."""
        ...

    def get_schedule(self, schedule_id: str) -> ScheduleRecord:
        """NotFoundError if there is no such schedule (also for the methods below)."""
        ...

    def list_schedules(self) -> list[ScheduleRecord]: ...

    def delete_schedule(self, schedule_id: str) -> None: ...

    def set_enabled(self, schedule_id: str, enabled: bool) -> ScheduleRecord:
        """Pause (False) or resume (True)."""
        ...

    def next_fire_times(self, schedule_id: str, count: int = 5) -> list[float]:
        """The next ``count`` fire times (Unix seconds) after now; empty while paused."""
        ...


class Subscription(Protocol):
    """Events delivered to one subscriber, in publication order.

    ``overflowed`` becomes True when the subscriber fell so far behind that the bus
    closed it; the subscriber should then re-read the history and subscribe again.
    """

    overflowed: bool

    def __aiter__(self) -> AsyncIterator[EventRecord]: ...

    async def get(self, timeout: float | None = None) -> EventRecord | None:
        """The next event, or None on timeout or once closed."""
        ...

    def close(self) -> None: ...


class EventBus(Protocol):
    """Publish run events; subscribe by run (``run:<id>``) or workflow (``workflow:<id>``)."""

    def publish(self, event: EventRecord) -> None:
        """Deliver to subscribers of ``run:<event.run_id>`` and ``workflow:<event.workflow_id>``."""
        ...

    def subscribe(self, topics: Collection[str]) -> Subscription:
        """Start receiving; locally this must be called inside the running event loop."""
        ...


class Engine(Protocol):
    """Executes runs: the run store holds the record, the engine drives it to an end.

    ``start`` returns as soon as the run is under way; the engine stores every event,
    publishes it on the bus and records the outcome on the run.
    """

    async def start(
        self,
        run: RunRecord,
        version: VersionRecord,
        *,
        resume: dict[str, Any] | None = None,
    ) -> None:
        """Begin ``run`` (already stored as queued); ``resume`` is a recorded step checkpoint."""
        ...

    async def cancel(self, run_id: str) -> bool:
        """Ask the run to stop; True if it was running here."""
        ...

    def status(self, run_id: str) -> RunStatus | None:
        """The live status, or None if this engine is not running it."""
        ...

    async def wait(self, run_id: str, timeout: float) -> bool:
        """Wait until the run ends here; False on timeout or when it is not running here."""
        ...

    async def shutdown(self) -> None:
        """Stop accepting runs and record the ones in flight as interrupted."""
        ...
