"""Typed clients for the whole Orcheo API: :class:`OrcheoClient` and :class:`AsyncOrcheoClient`.

Both have the same methods (one per operation, named as in ``endpoints.ENDPOINTS``), the
same retries and the same typed errors; the async one's methods are coroutines.

Example::

    with OrcheoClient("http://127.0.0.1:8000", token) as client:
        workflow = client.create_workflow("greet", spec=spec)
        run = client.start_run(workflow.id, {"name": "Ada"}, wait=True)
        print(run.status, run.state)
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from orcheo_core.sdk._transport import DEFAULT_TIMEOUT, AsyncTransport, RetryPolicy, SyncTransport
from orcheo_core.sdk.endpoints import ENDPOINTS, Call

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence
    from types import TracebackType

    import httpx

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
        RunStatus,
        Token,
        TokenCreated,
        Trigger,
        Version,
        VersionInfo,
        WebhookSecret,
        Workflow,
    )

__all__ = ["AsyncOrcheoClient", "OrcheoClient"]

P = ParamSpec("P")
T = TypeVar("T")
JsonObject = dict[str, Any]
# How much longer than the server's own wait a waiting request may take to answer.
_WAIT_MARGIN = 15.0
_SERVER_WAIT_DEFAULT = 300.0


class _SyncCaller:
    _transport: SyncTransport

    def _do(self, call: Call[T]) -> T:
        return call.parse(self._transport.send(call.request))


class _AsyncCaller:
    _transport: AsyncTransport

    async def _do(self, call: Call[T]) -> T:
        return call.parse(await self._transport.send(call.request))


class _op(Generic[P, T]):  # noqa: N801 - used as a decorator
    """One API method written once: sync on OrcheoClient, a coroutine on AsyncOrcheoClient."""

    def __init__(self, build: Callable[Concatenate[Any, P], Call[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__

    @overload
    def __get__(self, obj: None, owner: type) -> _op[P, T]: ...
    @overload
    def __get__(self, obj: _AsyncCaller, owner: type) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, obj: _SyncCaller, owner: type) -> Callable[P, T]: ...
    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        build = self._build

        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return obj._do(build(obj, *args, **kwargs))

        bound.__doc__ = build.__doc__
        bound.__name__ = build.__name__
        return bound


def _e(name: str) -> Any:
    return ENDPOINTS[name]


class _Api:
    """The operations; see docs/api.md for what each does."""

    # ------------------------------------------------------------------ workflows

    @_op
    def create_workflow(
        self,
        name: str,
        *,
        description: str = "",
        tags: Sequence[str] = (),
        spec: Mapping[str, Any] | None = None,
    ) -> Call[Workflow]:
        """Create a workflow; with ``spec``, its version 1 too."""
        body = {"name": name, "description": description, "tags": list(tags), "spec": spec}
        return _e("create_workflow").call(body=body)  # type: ignore[no-any-return]

    @_op
    def create_script_workflow(
        self, name: str, source: str, *, description: str = "", tags: Sequence[str] = ()
    ) -> Call[Workflow]:
        """Create a workflow whose version 1 is a LangGraph script."""
        body = {"name": name, "source": source, "description": description, "tags": list(tags)}
        return _e("create_script_workflow").call(body=body)  # type: ignore[no-any-return]

    @_op
    def list_workflows(
        self,
        *,
        q: str | None = None,
        include_archived: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Call[Page[Workflow]]:
        """Newest first; ``q`` searches name, description and tags."""
        query = {"q": q, "include_archived": include_archived, "limit": limit, "cursor": cursor}
        return _e("list_workflows").call(query=query)  # type: ignore[no-any-return]

    @_op
    def get_workflow(self, workflow_id: str) -> Call[Workflow]:
        return _e("get_workflow").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def update_workflow(
        self,
        workflow_id: str,
        *,
        revision: int,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        archived: bool | None = None,
    ) -> Call[Workflow]:
        """Change metadata; ``revision`` is the one you loaded (a newer one is a 409)."""
        body = {
            "revision": revision,
            "name": name,
            "description": description,
            "tags": None if tags is None else list(tags),
            "archived": archived,
        }
        return _e("update_workflow").call(workflow_id, body=body)  # type: ignore[no-any-return]

    @_op
    def archive_workflow(self, workflow_id: str) -> Call[Workflow]:
        return _e("archive_workflow").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def delete_workflow(self, workflow_id: str) -> Call[None]:
        return _e("delete_workflow").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def export_workflow(self, workflow_id: str) -> Call[JsonObject]:
        """The workflow and every version as one document (``orcheo.workflow/v1``)."""
        return _e("export_workflow").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def import_workflow(
        self, document: Mapping[str, Any], *, workflow_id: str | None = None
    ) -> Call[Workflow]:
        body = {"document": dict(document), "workflow_id": workflow_id}
        return _e("import_workflow").call(body=body)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ versions

    @_op
    def create_version(
        self,
        workflow_id: str,
        spec: Mapping[str, Any],
        *,
        note: str = "",
        base_version: int | None = None,
    ) -> Call[Version]:
        """Save a spec as the next version (a 422 lists every problem)."""
        body = {"spec": dict(spec), "note": note, "base_version": base_version}
        return _e("create_version").call(workflow_id, body=body)  # type: ignore[no-any-return]

    @_op
    def create_script_version(
        self, workflow_id: str, source: str, *, note: str = "", base_version: int | None = None
    ) -> Call[Version]:
        """Save a LangGraph script as the next version (a 422 gives line and column)."""
        body = {"source": source, "note": note, "base_version": base_version}
        endpoint = _e("create_script_version")
        return endpoint.call(workflow_id, body=body)  # type: ignore[no-any-return]

    @_op
    def list_versions(self, workflow_id: str) -> Call[list[Version]]:
        return _e("list_versions").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def get_version(self, workflow_id: str, number: int) -> Call[Version]:
        return _e("get_version").call(workflow_id, number)  # type: ignore[no-any-return]

    @_op
    def diff_versions(
        self, workflow_id: str, from_version: int, to_version: int
    ) -> Call[JsonObject]:
        query = {"from_version": from_version, "to_version": to_version}
        return _e("diff_versions").call(workflow_id, query=query)  # type: ignore[no-any-return]

    @_op
    def promote_version(self, workflow_id: str, version: int) -> Call[Workflow]:
        body = {"version": version}
        return _e("promote_version").call(workflow_id, body=body)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ runs

    @_op
    def start_run(
        self,
        workflow_id: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        debug: bool = False,
        wait: bool = False,
        timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> Call[Run]:
        """Start a run. Every call sends an ``Idempotency-Key`` (a new one unless given),
        so the retries of one call never start two runs."""
        body = {
            "inputs": dict(inputs or {}),
            "version": version,
            "debug": debug,
            "wait": wait,
            "timeout": timeout,
        }
        limit = None
        if wait:
            limit = (timeout or _SERVER_WAIT_DEFAULT) + _WAIT_MARGIN
        return _e("start_run").call(  # type: ignore[no-any-return]
            workflow_id,
            body=body,
            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex},
            timeout=limit,
        )

    @_op
    def start_batch(
        self,
        workflow_id: str,
        batch: Sequence[Mapping[str, Any]],
        *,
        version: int | None = None,
        debug: bool = False,
        idempotency_key: str | None = None,
    ) -> Call[Batch]:
        """One run per inputs object (idempotent per call, like :meth:`start_run`)."""
        body = {"batch": [dict(item) for item in batch], "version": version, "debug": debug}
        return _e("start_batch").call(  # type: ignore[no-any-return]
            workflow_id,
            body=body,
            headers={"Idempotency-Key": idempotency_key or uuid.uuid4().hex},
        )

    @_op
    def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: Sequence[RunStatus] | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Call[Page[Run]]:
        """Newest first."""
        query = {
            "workflow_id": workflow_id,
            "status": None if status is None else list(status),
            "since": since,
            "until": until,
            "limit": limit,
            "cursor": cursor,
        }
        return _e("list_runs").call(query=query)  # type: ignore[no-any-return]

    @_op
    def get_run(self, run_id: str) -> Call[RunDetail]:
        """The run with all its events so far."""
        return _e("get_run").call(run_id)  # type: ignore[no-any-return]

    @_op
    def list_events(
        self, run_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> Call[list[Event]]:
        query = {"after_seq": after_seq, "limit": limit}
        return _e("list_events").call(run_id, query=query)  # type: ignore[no-any-return]

    @_op
    def cancel_run(self, run_id: str) -> Call[Run]:
        return _e("cancel_run").call(run_id)  # type: ignore[no-any-return]

    @_op
    def replay_run(
        self, run_id: str, *, from_step: int | None = None, debug: bool | None = None
    ) -> Call[Run]:
        body = {"from_step": from_step, "debug": debug}
        return _e("replay_run").call(run_id, body=body)  # type: ignore[no-any-return]

    @_op
    def resume_run(self, run_id: str) -> Call[Run]:
        return _e("resume_run").call(run_id)  # type: ignore[no-any-return]

    @_op
    def delete_run(self, run_id: str) -> Call[None]:
        return _e("delete_run").call(run_id)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ credentials

    @_op
    def create_credential(
        self,
        name: str,
        type: str,
        secret: Mapping[str, str],
        *,
        settings: Mapping[str, str] | None = None,
        scope: str = "global",
    ) -> Call[Credential]:
        body = {
            "name": name,
            "type": type,
            "secret": dict(secret),
            "settings": dict(settings or {}),
            "scope": scope,
        }
        return _e("create_credential").call(body=body)  # type: ignore[no-any-return]

    @_op
    def list_credentials(self) -> Call[list[Credential]]:
        return _e("list_credentials").call()  # type: ignore[no-any-return]

    @_op
    def list_credential_types(self) -> Call[list[JsonObject]]:
        return _e("list_credential_types").call()  # type: ignore[no-any-return]

    @_op
    def get_credential(self, credential_id: str) -> Call[Credential]:
        return _e("get_credential").call(credential_id)  # type: ignore[no-any-return]

    @_op
    def update_credential(
        self,
        credential_id: str,
        *,
        revision: int,
        name: str | None = None,
        scope: str | None = None,
        secret: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> Call[Credential]:
        body = {
            "revision": revision,
            "name": name,
            "scope": scope,
            "secret": None if secret is None else dict(secret),
            "settings": None if settings is None else dict(settings),
        }
        endpoint = _e("update_credential")
        return endpoint.call(credential_id, body=body)  # type: ignore[no-any-return]

    @_op
    def delete_credential(self, credential_id: str) -> Call[None]:
        return _e("delete_credential").call(credential_id)  # type: ignore[no-any-return]

    @_op
    def test_credential(
        self,
        credential_id: str,
        *,
        url: str | None = None,
        method: str = "GET",
        timeout: float = 10.0,
    ) -> Call[CredentialTestResult]:
        body = {"url": url, "method": method, "timeout": timeout}
        endpoint = _e("test_credential")
        return endpoint.call(  # type: ignore[no-any-return]
            credential_id, body=body, timeout=timeout + _WAIT_MARGIN
        )

    # ------------------------------------------------------------------ tokens

    @_op
    def create_token(
        self, name: str, scopes: Sequence[str], *, expires_in: float | None = None
    ) -> Call[TokenCreated]:
        """A new API token; its secret (``token``) is in this answer only."""
        body = {"name": name, "scopes": list(scopes), "expires_in": expires_in}
        return _e("create_token").call(body=body)  # type: ignore[no-any-return]

    @_op
    def list_tokens(self) -> Call[list[Token]]:
        return _e("list_tokens").call()  # type: ignore[no-any-return]

    @_op
    def revoke_token(self, token_id: str) -> Call[Token]:
        return _e("revoke_token").call(token_id)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ triggers

    @_op
    def list_triggers(self, workflow_id: str) -> Call[list[Trigger]]:
        return _e("list_triggers").call(workflow_id)  # type: ignore[no-any-return]

    @_op
    def next_fire_times(
        self, workflow_id: str, trigger_id: str, *, count: int = 5
    ) -> Call[NextFires]:
        endpoint = _e("next_fire_times")
        return endpoint.call(  # type: ignore[no-any-return]
            workflow_id, trigger_id, query={"count": count}
        )

    @_op
    def pause_trigger(self, workflow_id: str, trigger_id: str) -> Call[Trigger]:
        return _e("pause_trigger").call(workflow_id, trigger_id)  # type: ignore[no-any-return]

    @_op
    def resume_trigger(self, workflow_id: str, trigger_id: str) -> Call[Trigger]:
        return _e("resume_trigger").call(workflow_id, trigger_id)  # type: ignore[no-any-return]

    @_op
    def reveal_webhook_secret(self, workflow_id: str, trigger_id: str) -> Call[WebhookSecret]:
        """The webhook's signing secret, the first time only (then a 409: rotate instead)."""
        endpoint = _e("reveal_webhook_secret")
        return endpoint.call(workflow_id, trigger_id)  # type: ignore[no-any-return]

    @_op
    def rotate_webhook_secret(
        self, workflow_id: str, trigger_id: str, *, grace_seconds: float = 0
    ) -> Call[WebhookSecret]:
        endpoint = _e("rotate_webhook_secret")
        return endpoint.call(  # type: ignore[no-any-return]
            workflow_id, trigger_id, body={"grace_seconds": grace_seconds}
        )

    # ------------------------------------------------------------------ system

    @_op
    def health(self) -> Call[Health]:
        return _e("health").call()  # type: ignore[no-any-return]

    @_op
    def version_info(self) -> Call[VersionInfo]:
        return _e("version_info").call()  # type: ignore[no-any-return]

    @_op
    def list_nodes(self) -> Call[list[JsonObject]]:
        """The node catalog: every node type with its config JSON Schema."""
        return _e("list_nodes").call()  # type: ignore[no-any-return]


class OrcheoClient(_Api, _SyncCaller):
    """The API over HTTP, synchronously. ``token`` goes in every request as a bearer token.

    Retries follow ``retry`` (:class:`RetryPolicy`); ``timeout`` is per request, in
    seconds. Errors are typed (:mod:`orcheo_core.sdk.errors`) and carry the server's code
    and message.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._transport = SyncTransport(base_url, token, timeout=timeout, retry=retry, http=http)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> OrcheoClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncOrcheoClient(_Api, _AsyncCaller):
    """:class:`OrcheoClient` for asyncio: the same methods, as coroutines."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._transport = AsyncTransport(base_url, token, timeout=timeout, retry=retry, http=http)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncOrcheoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
