"""What the API answers, as typed models (pydantic).

Each model mirrors one schema of the server's OpenAPI document (``SCHEMAS`` says which);
``tests/unit/sdk/test_openapi_drift.py`` fails when the two drift apart. Unknown fields
are kept (``extra="allow"``), so an older client still reads a newer server.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "SCHEMAS",
    "TERMINAL_STATUSES",
    "Batch",
    "Credential",
    "CredentialTestResult",
    "Event",
    "FireTime",
    "Health",
    "NextFires",
    "Page",
    "Run",
    "RunDetail",
    "RunStatus",
    "Token",
    "TokenCreated",
    "Trigger",
    "Version",
    "VersionInfo",
    "WebhookSecret",
    "WebhookSecretInfo",
    "Workflow",
]

T = TypeVar("T")
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "interrupted"})


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(_Out, Generic[T]):
    """One page of a listing; pass ``next_cursor`` back for the next (None: the last)."""

    items: list[T]
    next_cursor: str | None = None


class Workflow(_Out):
    id: str
    name: str
    description: str
    tags: list[str]
    current_version: int | None
    latest_version: int
    archived: bool
    revision: int
    created_at: float
    updated_at: float


class Version(_Out):
    workflow_id: str
    number: int
    kind: Literal["spec", "script"]
    spec: dict[str, Any]
    source: str | None = None
    note: str
    created_at: float


class Event(_Out):
    run_id: str
    workflow_id: str
    seq: int
    type: str
    node: str | None
    attempt: int | None
    data: dict[str, Any]
    ts: float


class Run(_Out):
    id: str
    workflow_id: str
    version: int
    status: RunStatus
    inputs: dict[str, Any]
    state: dict[str, Any] | None
    error: dict[str, Any] | None
    debug: bool
    trigger: str
    replay_of: str | None
    resumed_from_step: int | None
    batch_id: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    duration: float | None
    last_seq: int

    @property
    def done(self) -> bool:
        """True once the run has ended (whatever the outcome)."""
        return self.status in TERMINAL_STATUSES


class RunDetail(Run):
    events: list[Event]


class Batch(_Out):
    batch_id: str
    runs: list[Run]


class Credential(_Out):
    id: str
    name: str
    type: str
    scope: str
    preview: str
    fields: list[str]
    settings: dict[str, str]
    revision: int
    created_at: float
    updated_at: float


class CredentialTestResult(_Out):
    ok: bool
    status: int | None
    message: str
    url: str
    duration: float


class Token(_Out):
    id: str
    name: str
    scopes: list[Literal["read", "run", "admin"]]
    prefix: str
    created_at: float
    last_used_at: float | None
    revoked_at: float | None
    expires_at: float | None


class TokenCreated(Token):
    token: str


class FireTime(_Out):
    unix: float
    at: str


class WebhookSecretInfo(_Out):
    set: bool
    shown: bool
    previews: list[str]
    created_at: float | None


class Trigger(_Out):
    id: str
    type: str
    config: dict[str, Any]
    paused: bool | None = None
    schedule_id: str | None = None
    scheduled: bool = False
    description: str | None = None
    next_fire_times: list[FireTime] = []
    last_run_id: str | None = None
    skipped_fires: int = 0
    url_path: str | None = None
    secret: WebhookSecretInfo | None = None


class NextFires(_Out):
    trigger_id: str
    timezone: str
    description: str
    next_fire_times: list[FireTime]


class WebhookSecret(_Out):
    secret: str
    preview: str
    created_at: float
    previous_valid_until: float | None = None


class Health(_Out):
    status: str
    version: str
    sandbox: str = "namespaces"
    """How the server isolates user code: ``namespaces`` or ``process`` (weaker)."""


class VersionInfo(_Out):
    version: str
    python: str
    langgraph: str
    api: str


SCHEMAS: dict[type[BaseModel], str] = {
    Workflow: "WorkflowOut",
    Version: "VersionOut",
    Event: "EventOut",
    Run: "RunOut",
    RunDetail: "RunDetailOut",
    Batch: "BatchOut",
    Credential: "CredentialOut",
    CredentialTestResult: "CredentialTestOut",
    Token: "TokenOut",
    TokenCreated: "TokenCreated",
    FireTime: "FireTimeOut",
    WebhookSecretInfo: "WebhookSecretInfo",
    Trigger: "TriggerOut",
    NextFires: "NextFiresOut",
    WebhookSecret: "SecretOut",
    Health: "HealthOut",
    VersionInfo: "VersionInfoOut",
}
"""Each model and the OpenAPI component schema it mirrors."""
