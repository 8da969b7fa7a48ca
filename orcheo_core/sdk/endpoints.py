"""Every API operation the client calls: method, path, query names, body fields, answer type.

This table is what ``tests/unit/sdk/test_openapi_drift.py`` holds against the server's
OpenAPI document: an operation, parameter, body field or answer schema on one side and
not the other fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import TypeAdapter

from orcheo_core.sdk._transport import Request
from orcheo_core.sdk.models import (
    Batch,
    Credential,
    CredentialTestResult,
    Event,
    Health,
    NextFires,
    Page,
    Run,
    RunDetail,
    Token,
    TokenCreated,
    Trigger,
    Version,
    VersionInfo,
    WebhookSecret,
    Workflow,
)

__all__ = ["ENDPOINTS", "Call", "Endpoint", "NOT_CALLED"]

T = TypeVar("T")
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request ready to send and how to read its answer."""

    request: Request
    into: Any

    def parse(self, data: Any) -> T:
        if self.into is None:
            return None  # type: ignore[return-value]
        result: T = _adapter(self.into).validate_python(data)
        return result


@cache
def _adapter(into: Any) -> TypeAdapter[Any]:
    return TypeAdapter(into)


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API."""

    method: str
    path: str
    into: Any = None
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # Python name -> query name

    def call(
        self,
        *path_args: str | int,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Call[Any]:
        names = [part[1:-1] for part in self.path.split("/") if part.startswith("{")]
        if len(names) != len(path_args):
            raise TypeError(f"{self.path} needs {names}, got {path_args!r}")
        path = self.path
        for name, value in zip(names, path_args, strict=True):
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        params = {self.aliases.get(k, k): v for k, v in (query or {}).items() if v is not None}
        unknown = set(params) - set(self.query)
        if unknown:
            raise TypeError(f"{self.method} {self.path} takes no query {sorted(unknown)}")
        json_body = None
        if body is not None or self.body:
            json_body = {k: v for k, v in (body or {}).items() if v is not None}
            extra = set(json_body) - set(self.body)
            if extra:
                raise TypeError(f"{self.method} {self.path} takes no body field {sorted(extra)}")
        request = Request(
            self.method, path, params or None, json_body, dict(headers or {}), timeout
        )
        return Call(request, self.into)


def _ep(method: str, path: str, into: Any = None, **kwargs: Any) -> Endpoint:
    return Endpoint(method, path, into, **kwargs)


_W = "/api/workflows/{workflow_id}"
_T = _W + "/triggers/{trigger_id}"
_C = "/api/credentials/{credential_id}"

ENDPOINTS: dict[str, Endpoint] = {
    # workflows
    "create_workflow": _ep(
        "POST", "/api/workflows", Workflow, body=("name", "description", "tags", "spec")
    ),
    "create_script_workflow": _ep(
        "POST", "/api/workflows/script", Workflow, body=("name", "description", "tags", "source")
    ),
    "list_workflows": _ep(
        "GET",
        "/api/workflows",
        Page[Workflow],
        query=("q", "include_archived", "limit", "cursor"),
    ),
    "get_workflow": _ep("GET", _W, Workflow),
    "update_workflow": _ep(
        "PATCH", _W, Workflow, body=("revision", "name", "description", "tags", "archived")
    ),
    "archive_workflow": _ep("POST", _W + "/archive", Workflow),
    "delete_workflow": _ep("DELETE", _W),
    "export_workflow": _ep("GET", _W + "/export", JsonObject),
    "import_workflow": _ep(
        "POST", "/api/workflows/import", Workflow, body=("document", "workflow_id")
    ),
    # versions
    "create_version": _ep("POST", _W + "/versions", Version, body=("spec", "note", "base_version")),
    "create_script_version": _ep(
        "POST", _W + "/versions/script", Version, body=("source", "note", "base_version")
    ),
    "list_versions": _ep("GET", _W + "/versions", list[Version]),
    "get_version": _ep("GET", _W + "/versions/{number}", Version),
    "diff_versions": _ep(
        "GET",
        _W + "/diff",
        JsonObject,
        query=("from", "to"),
        aliases={"from_version": "from", "to_version": "to"},
    ),
    "promote_version": _ep("POST", _W + "/promote", Workflow, body=("version",)),
    # runs
    "start_run": _ep(
        "POST", _W + "/runs", Run, body=("inputs", "version", "debug", "wait", "timeout")
    ),
    "start_batch": _ep("POST", _W + "/runs/batch", Batch, body=("batch", "version", "debug")),
    "list_runs": _ep(
        "GET",
        "/api/runs",
        Page[Run],
        query=("workflow_id", "status", "since", "until", "limit", "cursor"),
    ),
    "get_run": _ep("GET", "/api/runs/{run_id}", RunDetail),
    "list_events": _ep(
        "GET", "/api/runs/{run_id}/events", list[Event], query=("after_seq", "limit")
    ),
    "cancel_run": _ep("POST", "/api/runs/{run_id}/cancel", Run),
    "replay_run": _ep("POST", "/api/runs/{run_id}/replay", Run, body=("from_step", "debug")),
    "resume_run": _ep("POST", "/api/runs/{run_id}/resume", Run),
    "delete_run": _ep("DELETE", "/api/runs/{run_id}"),
    # credentials
    "create_credential": _ep(
        "POST",
        "/api/credentials",
        Credential,
        body=("name", "type", "scope", "secret", "settings"),
    ),
    "list_credentials": _ep("GET", "/api/credentials", list[Credential]),
    "list_credential_types": _ep("GET", "/api/credentials/types", list[JsonObject]),
    "get_credential": _ep("GET", _C, Credential),
    "update_credential": _ep(
        "PATCH", _C, Credential, body=("revision", "name", "scope", "secret", "settings")
    ),
    "delete_credential": _ep("DELETE", _C),
    "test_credential": _ep(
        "POST", _C + "/test", CredentialTestResult, body=("url", "method", "timeout")
    ),
    # tokens
    "create_token": _ep("POST", "/api/tokens", TokenCreated, body=("name", "scopes", "expires_in")),
    "list_tokens": _ep("GET", "/api/tokens", list[Token]),
    "revoke_token": _ep("DELETE", "/api/tokens/{token_id}", Token),
    # triggers
    "list_triggers": _ep("GET", _W + "/triggers", list[Trigger]),
    "next_fire_times": _ep("GET", _T + "/next", NextFires, query=("count",)),
    "pause_trigger": _ep("POST", _T + "/pause", Trigger),
    "resume_trigger": _ep("POST", _T + "/resume", Trigger),
    "reveal_webhook_secret": _ep("GET", _T + "/secret", WebhookSecret),
    "rotate_webhook_secret": _ep("POST", _T + "/secret", WebhookSecret, body=("grace_seconds",)),
    # system
    "health": _ep("GET", "/api/health", Health),
    "version_info": _ep("GET", "/api/version", VersionInfo),
    "list_nodes": _ep("GET", "/api/nodes", list[JsonObject]),
}

NOT_CALLED: dict[tuple[str, str], str] = {
    ("GET", "/hooks/{workflow_id}"): "webhooks are called by senders, signed; see docs/api.md",
    ("POST", "/hooks/{workflow_id}"): "as above",
    ("PUT", "/hooks/{workflow_id}"): "as above",
    ("PATCH", "/hooks/{workflow_id}"): "as above",
    ("DELETE", "/hooks/{workflow_id}"): "as above",
}
"""Operations of the API the client deliberately leaves out, and why. (The test clock,
``POST /api/system/clock``, is not in the document: it exists only under
``ORCHEO_TEST_CLOCK``.)"""
