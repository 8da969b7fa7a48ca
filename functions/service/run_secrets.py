"""Secrets at run time: the per-run credential resolver and the redaction of every sink.

The engine calls :func:`begin_run` at the start of each run, inside the run's own task:
it puts a fresh :class:`RunSecrets` (the run's workflow and its
:class:`~orcheo_core.vault.Redactor`) in a context variable, which every task the run
starts inherits. :func:`resolve_credential` (the engine's credential resolver, reached
by nodes only through ``NodeContext.get_credential``) reads it to

1. find the credential by id, else by name;
2. check its scope lets this run's workflow use it (``global`` or ``workflow:<id>``);
3. decrypt it with the vault under the context credential id + scope;
4. add each secret value to the run's Redactor (and to the process-wide one the log
   filter uses, :data:`~functions.service.credentials.OPENED_SECRETS`).

The engine passes every event through the run's Redactor before storing and publishing
it (so the API and the WebSocket only ever see redacted events) and does the same with
the run's final state and error. :func:`install_log_redaction` puts the log filter on
the root logger's handlers and on the loggers nodes write to.

A sub-workflow runs in its parent's context: its secrets are redacted from the parent's
sinks, and scope is checked against the parent run's workflow.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from functions.errors import NotFoundError
from functions.service.credentials import OPENED_SECRETS, fields_of, open_secret, scope_allows
from orcheo_core.errors import CredentialError
from orcheo_core.vault import RedactingFilter, Redactor, VaultError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from functions.backends.ports import CredentialRecord, RunRecord
    from functions.service import Services

__all__ = [
    "LOG_FILTER",
    "RunSecrets",
    "begin_run",
    "current_run",
    "install_log_redaction",
    "resolve_credential",
    "workflow_redactor",
]

LOG_FILTER = RedactingFilter(OPENED_SECRETS)
"""The one log filter: redacts every secret value this process has decrypted."""

# Loggers whose records are redacted at the source, so that handlers added after start
# (or on another logger) see them clean too: node logs and the HTTP client's request lines.
_SOURCE_LOGGERS = ("orcheo.run", "httpx", "httpcore")


@dataclass
class RunSecrets:
    """The secrets side of one run: whose it is, its Redactor, what it has opened."""

    run_id: str
    workflow_id: str
    redactor: Redactor = field(default_factory=Redactor)
    opened: dict[str, dict[str, str]] = field(default_factory=dict)


_current: ContextVar[RunSecrets | None] = ContextVar("orcheo_run_secrets", default=None)


def begin_run(run: RunRecord) -> Redactor:
    """Track ``run``'s secrets in the current context; returns the run's Redactor.

    Call it inside the task that drives the run: the tasks it starts inherit the value,
    and it goes away with the task.
    """
    secrets = RunSecrets(run.id, run.workflow_id)
    _current.set(secrets)
    return secrets.redactor


def current_run() -> RunSecrets | None:
    """The run whose secrets the current context tracks, if any."""
    return _current.get()


def _find(svc: Services, ref: str) -> CredentialRecord:
    try:
        return svc.credentials.get_credential(ref)
    except NotFoundError:
        record = svc.credentials.find_credential(ref)
    if record is None:
        raise CredentialError(
            f"no credential with id or name {ref!r}; create it (POST /api/credentials) or "
            "bind an existing one in the node's `credentials`",
            credential=ref,
        )
    return record


async def resolve_credential(svc: Services, ref: str) -> Mapping[str, str]:
    """The settings and secret fields of credential ``ref`` (id or name) for the current run."""
    run = _current.get()
    if run is None:
        raise CredentialError(
            f"credential {ref!r} was asked for outside a run; only a running node can "
            "resolve credentials (NodeContext.get_credential)",
            credential=ref,
        )
    values = run.opened.get(ref)
    if values is None:
        record = _find(svc, ref)
        if not scope_allows(record.scope, run.workflow_id):
            raise CredentialError(
                f"credential {record.name!r} has scope {record.scope!r}, so workflow "
                f"{run.workflow_id!r} cannot use it; use a credential scoped to this "
                f"workflow ('workflow:{run.workflow_id}') or to 'global'",
                credential=record.id,
                scope=record.scope,
                workflow_id=run.workflow_id,
            )
        try:
            values = open_secret(svc, record)
        except VaultError as exc:
            # Not retried (a CredentialError), but the vault's own code says what broke.
            error = CredentialError(exc.message, credential=record.id)
            error.code = exc.code
            raise error from None
        run.redactor.add(*(values[name] for name in fields_of(record) if name in values))
        run.opened[ref] = values
    return dict(values)


def workflow_redactor(svc: Services, run: RunRecord) -> Redactor:
    """A Redactor of every secret ``run`` could have resolved: those of each credential
    whose scope lets its workflow use it (what :func:`resolve_credential` allows).

    For an engine whose runs resolve their secrets in other processes (the node-runner
    Lambdas on AWS): it cleans the final state and error it records.
    """
    redactor = Redactor()
    for record in svc.credentials.list_credentials():
        if scope_allows(record.scope, run.workflow_id) and fields_of(record):
            values = open_secret(svc, record)
            redactor.add(*(values[name] for name in fields_of(record) if name in values))
    return redactor


def install_log_redaction() -> None:
    """Put :data:`LOG_FILTER` on the root logger's handlers and the node loggers (idempotent).

    Handlers added to the root logger later are not covered, except for records from
    the loggers nodes write to, which are redacted where they are made.
    """
    for handler in logging.getLogger().handlers:
        if LOG_FILTER not in handler.filters:
            handler.addFilter(LOG_FILTER)
    for name in _SOURCE_LOGGERS:
        logger = logging.getLogger(name)
        if LOG_FILTER not in logger.filters:
            logger.addFilter(LOG_FILTER)
