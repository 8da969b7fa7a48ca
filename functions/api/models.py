"""Request and response bodies of the API (``<Thing>Create``/``Update``/``Out``)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from functions.api.json_depth import bounded
from functions.backends.ports import (
    EventRecord,
    RunRecord,
    RunStatus,
    Scope,
    TokenRecord,
    VersionKind,
    VersionRecord,
    WorkflowRecord,
)

T = TypeVar("T")

Name = Field(min_length=1, max_length=200)
JsonObject = dict[str, Any]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(BaseModel):
    """Every error the API returns: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# ---------------------------------------------------------------------------- workflows


class WorkflowCreate(_In):
    name: str = Name
    description: str = Field("", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    spec: JsonObject | None = Field(
        None, description="A WorkflowSpec; when given it becomes version 1 (current)."
    )


class WorkflowUpdate(_In):
    revision: int = Field(ge=1, description="The revision you loaded; a newer one is a 409.")
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    tags: list[str] | None = Field(None, max_length=50)
    archived: bool | None = None


class WorkflowOut(BaseModel):
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

    @classmethod
    def of(cls, record: WorkflowRecord) -> WorkflowOut:
        return cls.model_validate(record, from_attributes=True)


class VersionCreate(_In):
    spec: JsonObject = Field(description="The WorkflowSpec of the new version.")
    note: str = Field("", max_length=2000)
    base_version: int | None = Field(
        None,
        ge=0,
        description="The version you edited; if a newer one exists the save is a 409.",
    )


class ScriptVersionCreate(_In):
    source: str = Field(
        min_length=1,
        max_length=1_000_000,
        description="A LangGraph Python file, as run locally; its graph is a module-level "
        "StateGraph or compiled graph named `graph` (or the only one in the file).",
    )
    note: str = Field("", max_length=2000)
    base_version: int | None = Field(
        None,
        ge=0,
        description="The version you edited; if a newer one exists the save is a 409.",
    )


class ScriptWorkflowCreate(_In):
    name: str = Name
    description: str = Field("", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    source: str = Field(
        min_length=1,
        max_length=1_000_000,
        description="A LangGraph Python file; it becomes version 1 (current).",
    )


class VersionOut(BaseModel):
    workflow_id: str
    number: int
    kind: VersionKind
    spec: JsonObject = Field(
        description="The WorkflowSpec of a `spec` version; for a `script` version the graph "
        "extracted from the script, for drawing: `nodes`, `edges`, `routes` (conditional "
        "edges with their possible `targets`), `entry`, `finish` and `state` keys."
    )
    source: str | None = Field(None, description="The Python source of a `script` version.")
    note: str
    created_at: float

    @classmethod
    def of(cls, record: VersionRecord) -> VersionOut:
        return cls.model_validate(record, from_attributes=True)


class VersionPromote(_In):
    version: int = Field(
        ge=1, le=1_000_000, description="The version to make current (older = rollback)."
    )


class WorkflowImport(_In):
    document: JsonObject = Field(description="A file made by the export endpoint.")
    workflow_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$",
        description="Import under this id instead of the exported one.",
    )


# ---------------------------------------------------------------------------- runs


class RunCreate(_In):
    inputs: JsonObject = Field(default_factory=dict)
    version: int | None = Field(
        None, ge=1, le=1_000_000, description="Default: the current version."
    )
    debug: bool = Field(False, description="Record the full state before every step.")
    wait: bool = Field(False, description="Answer once the run has ended.")
    timeout: float | None = Field(
        None, gt=0, le=3600, description="With `wait`: answer after this many seconds at most."
    )


class RunBatchCreate(_In):
    batch: list[JsonObject] = Field(
        min_length=1, description="One inputs object per run; every run shares a batch id."
    )
    version: int | None = Field(
        None, ge=1, le=1_000_000, description="Default: the current version."
    )
    debug: bool = False


class RunReplay(_In):
    from_step: int | None = Field(
        None, ge=0, description="Resume from this recorded step (debug runs); default: start over."
    )
    debug: bool | None = None


class EventOut(BaseModel):
    run_id: str
    workflow_id: str
    seq: int
    type: str
    node: str | None
    attempt: int | None
    data: JsonObject
    ts: float

    @classmethod
    def of(cls, record: EventRecord) -> EventOut:
        out = cls.model_validate(record, from_attributes=True)
        out.data = bounded(out.data)
        return out


class RunOut(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: RunStatus
    inputs: JsonObject
    state: JsonObject | None
    error: JsonObject | None
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

    @classmethod
    def of(cls, record: RunRecord) -> RunOut:
        # Bounded: a record nested too deep (an old run, a node's output) must still list.
        out = cls.model_validate(record, from_attributes=True)
        out.inputs = bounded(out.inputs)
        out.state = bounded(out.state)
        out.error = bounded(out.error)
        return out


class RunDetailOut(RunOut):
    events: list[EventOut]


class BatchOut(BaseModel):
    batch_id: str
    runs: list[RunOut]


# ---------------------------------------------------------------------------- credentials

_SCOPE_PATTERN = r"^(global|workflow:[A-Za-z0-9][A-Za-z0-9_\-]{0,99})$"
_SCOPE_HELP = "'global' (any workflow may use it) or 'workflow:<id>' (only that workflow's runs)."


class CredentialCreate(_In):
    name: str = Name
    type: str = Field(min_length=1, max_length=50, description="See GET /api/credentials/types.")
    scope: str = Field("global", pattern=_SCOPE_PATTERN, description=_SCOPE_HELP)
    secret: dict[str, str] = Field(
        max_length=20,
        description="Secret field name -> value. Write-only: sealed by the vault, never returned.",
    )
    settings: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Fields that are not secret (username, header, test_url); returned as is.",
    )


class CredentialUpdate(_In):
    revision: int = Field(ge=1, description="The revision you loaded; a newer one is a 409.")
    name: str | None = Field(None, min_length=1, max_length=200)
    scope: str | None = Field(None, pattern=_SCOPE_PATTERN, description=_SCOPE_HELP)
    secret: dict[str, str] | None = Field(
        None, max_length=20, description="Replaces every secret field. Write-only."
    )
    settings: dict[str, str] | None = Field(None, max_length=20, description="Replaces them.")


class CredentialOut(BaseModel):
    id: str
    name: str
    type: str
    scope: str
    preview: str = Field(description="A masked preview of the main secret field: 'sk-…abcd'.")
    fields: list[str] = Field(description="The names of the secret fields (never their values).")
    settings: dict[str, str]
    revision: int
    created_at: float
    updated_at: float


class CredentialTest(_In):
    url: str | None = Field(
        None,
        min_length=8,
        max_length=2000,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://",
        description="Where to send the signed request; default: the credential's "
        "settings.test_url.",
    )
    method: Literal["GET", "HEAD", "POST"] = "GET"
    timeout: float = Field(10.0, gt=0, le=60)


class CredentialTestOut(BaseModel):
    ok: bool = Field(description="True when the server answered with a status under 400.")
    status: int | None = Field(description="The HTTP status; null when there was no answer.")
    message: str
    url: str
    duration: float


# ---------------------------------------------------------------------------- tokens


class TokenCreate(_In):
    name: str = Name
    scopes: list[Scope] = Field(min_length=1, description="read, run and/or admin.")
    expires_in: float | None = Field(None, gt=0, description="Seconds until it stops working.")


class TokenOut(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    prefix: str
    created_at: float
    last_used_at: float | None
    revoked_at: float | None
    expires_at: float | None

    @classmethod
    def of(cls, record: TokenRecord) -> TokenOut:
        return cls.model_validate(record, from_attributes=True)


class TokenCreated(TokenOut):
    token: str = Field(description="The secret. Shown only in this answer; store it now.")


# ---------------------------------------------------------------------------- misc


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    sandbox: Literal["namespaces", "process"] = Field(
        description="How user code is isolated: `namespaces` (bubblewrap, Linux namespaces "
        "per job) or `process` (weaker, chosen with ORCHEO_SANDBOX=process)"
    )


class VersionInfoOut(BaseModel):
    version: str
    python: str
    langgraph: str
    api: str
