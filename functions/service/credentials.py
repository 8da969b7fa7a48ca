"""Credentials: create, list, get, update, delete and test; the secret is never given back.

A credential's secret fields are sealed by the vault (``Services.vault``) under the
encryption context of the credential's id and scope, so the store holds ciphertext
only. Answers carry metadata, the names of the secret fields and a masked ``preview``
(``sk-…abcd``); nothing here returns, logs or puts a secret value in an error message.

**Scope.** ``global`` (any workflow may use it) or ``workflow:<id>`` (only runs of that
workflow). The scope is part of the encryption context: changing it re-seals the secret.

**Test.** For the HTTP types, :func:`test_credential` sends one request (to the URL
given, or the credential's ``settings.test_url``) signed exactly as the
``http_request`` node signs it, and reports the status: a quick way to tell a revoked
token from a typo in a workflow. Only an admin may test, since the request carries the
secret to the URL the caller picks.
"""

from __future__ import annotations

import re
import secrets as _secrets
import time
from typing import TYPE_CHECKING, Any

from functions.backends.ports import CredentialRecord
from functions.errors import ConflictError, NotFoundError, UnprocessableError
from functions.service.credential_types import CREDENTIAL_TYPES, credential_type
from orcheo_core.errors import HttpRequestError
from orcheo_core.vault import Redactor, mask

if TYPE_CHECKING:
    from collections.abc import Mapping

    from functions.service import Services

__all__ = [
    "GLOBAL_SCOPE",
    "create_credential",
    "delete_credential",
    "OPENED_SECRETS",
    "get_credential",
    "list_credential_types",
    "list_credentials",
    "open_secret",
    "scope_allows",
    "settings_of",
    "test_credential",
    "update_credential",
]

GLOBAL_SCOPE = "global"
_SCOPE = re.compile(r"^(global|workflow:[A-Za-z0-9][A-Za-z0-9_\-]{0,99})$")
_SETTINGS = "settings"
_FIELDS = "fields"

OPENED_SECRETS = Redactor()
"""Every secret value this process has decrypted: the log filter redacts them all.

Log records come from any thread and task (uvicorn, httpx, a node's logger), so the log
filter cannot rely on knowing which run a record belongs to; it redacts every secret
opened so far instead. Events and run records use the run's own Redactor."""


def scope_allows(scope: str, workflow_id: str) -> bool:
    """Whether a credential with ``scope`` may be used by a run of ``workflow_id``."""
    return scope == GLOBAL_SCOPE or scope == f"workflow:{workflow_id}"


def _check_scope(scope: str) -> str:
    if not _SCOPE.match(scope):
        raise UnprocessableError(
            f"scope {scope[:120]!r} is not valid: use 'global' or 'workflow:<workflow id>'",
            field="scope",
        )
    return scope


def settings_of(record: CredentialRecord) -> dict[str, str]:
    """The credential's non-secret settings."""
    return dict(record.metadata.get(_SETTINGS) or {})


def fields_of(record: CredentialRecord) -> list[str]:
    """The names of the credential's secret fields (never their values)."""
    return list(record.metadata.get(_FIELDS) or [])


def open_secret(svc: Services, record: CredentialRecord) -> dict[str, str]:
    """Decrypt ``record``: its settings and secret fields, merged (what a node gets).

    Every secret value is added to :data:`OPENED_SECRETS` before it is returned.
    """
    secret = svc.vault.decrypt(record.ciphertext, credential_id=record.id, scope=record.scope)
    OPENED_SECRETS.add(*secret.values())
    return {**settings_of(record), **secret}


def list_credential_types() -> list[dict[str, object]]:
    """Every credential type with the fields and settings it takes."""
    return [t.describe() for t in CREDENTIAL_TYPES.values()]


def get_credential(svc: Services, credential_id: str) -> CredentialRecord:
    try:
        return svc.credentials.get_credential(credential_id)
    except NotFoundError:
        raise NotFoundError(
            f"no credential {credential_id!r}; list credentials to see the ids that exist",
            credential_id=credential_id,
        ) from None


def list_credentials(svc: Services) -> list[CredentialRecord]:
    """Every credential, by name."""
    return svc.credentials.list_credentials()


def _seal(
    svc: Services, record: CredentialRecord, secret: Mapping[str, str], settings: dict[str, str]
) -> None:
    ctype = credential_type(record.type)
    record.ciphertext = svc.vault.encrypt(secret, credential_id=record.id, scope=record.scope)
    primary = ctype.preview_field(secret)
    record.preview = mask(secret[primary]) if primary else ""
    record.metadata = {**record.metadata, _SETTINGS: settings, _FIELDS: sorted(secret)}


def create_credential(
    svc: Services,
    *,
    name: str,
    type: str,
    secret: Mapping[str, str],
    settings: Mapping[str, str] | None = None,
    scope: str = GLOBAL_SCOPE,
) -> CredentialRecord:
    """Seal ``secret`` and store a new credential; 409 when the name is taken."""
    ctype = credential_type(type)
    checked = ctype.check_secret(secret)
    clear = ctype.check_settings(settings or {})
    _check_scope(scope)
    if svc.credentials.find_credential(name) is not None:
        raise _name_taken(name)
    now = svc.clock()
    record = CredentialRecord(
        id=f"cred_{_secrets.token_hex(8)}",
        name=name,
        type=ctype.name,
        ciphertext=b"",
        scope=scope,
        created_at=now,
        updated_at=now,
    )
    _seal(svc, record, checked, clear)
    return svc.credentials.create_credential(record)


def update_credential(
    svc: Services,
    credential_id: str,
    *,
    revision: int,
    name: str | None = None,
    scope: str | None = None,
    secret: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
) -> CredentialRecord:
    """Rename, re-scope, replace the secret or the settings; ``revision`` guards the update.

    A new ``secret`` replaces every secret field. A new scope without a new secret
    re-seals the stored one under the new scope (the scope is in the encryption context).
    """
    current = get_credential(svc, credential_id)
    if current.revision != revision:
        raise ConflictError(
            f"credential {credential_id!r} changed since you loaded it (revision {revision}, "
            f"now {current.revision}); reload it and apply your change again",
            credential_id=credential_id,
            revision=current.revision,
        )
    ctype = credential_type(current.type)
    new_secret = ctype.check_secret(secret) if secret is not None else None
    new_settings = ctype.check_settings(settings) if settings is not None else None
    if name is not None and name != current.name:
        taken = svc.credentials.find_credential(name)
        if taken is not None:
            raise _name_taken(name)
        current.name = name
    if scope is not None and scope != current.scope:
        if new_secret is None:
            new_secret = open_secret(svc, current)
        current.scope = _check_scope(scope)
    if new_secret is not None:
        _seal(
            svc,
            current,
            new_secret,
            new_settings if new_settings is not None else settings_of(current),
        )
    elif new_settings is not None:
        current.metadata = {**current.metadata, _SETTINGS: new_settings}
    current.updated_at = svc.clock()
    return svc.credentials.update_credential(current)


def delete_credential(svc: Services, credential_id: str) -> None:
    """Remove the credential; runs that name it fail with ``credential_error`` from now on."""
    get_credential(svc, credential_id)
    svc.credentials.delete_credential(credential_id)


async def test_credential(
    svc: Services,
    credential_id: str,
    *,
    url: str | None = None,
    method: str = "GET",
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Send one request signed with the credential; report whether the server accepted it.

    ``ok`` is true for a status under 400. The answer holds the status and reason only,
    never the response body (a server may echo the secret back), and every text in it is
    redacted.
    """
    from orcheo_core.nodes import transport

    record = get_credential(svc, credential_id)
    ctype = credential_type(record.type)
    if not ctype.http:
        ctype.auth_headers({})  # raises the 422 that explains which types can be tested
    values = open_secret(svc, record)
    target = url or values.get("test_url")
    if not target:
        raise UnprocessableError(
            f"credential {credential_id!r} has no settings.test_url; give the `url` to test "
            "it against (an endpoint that needs the credential, e.g. https://api.example.com/me)",
            field="url",
        )
    redactor = Redactor(values[name] for name in fields_of(record) if name in values)
    headers = ctype.auth_headers(values)
    started = time.perf_counter()
    try:
        response = await transport.send(method, target, timeout=timeout, headers=headers)
    except HttpRequestError as exc:
        result: dict[str, Any] = {
            "ok": False,
            "status": None,
            "message": exc.message,
            "url": target,
        }
    else:
        ok = response.status < 400
        verdict = "accepted" if ok else "refused"
        result = {
            "ok": ok,
            "status": response.status,
            "message": f"{method} {target} answered {response.status} {response.reason}: "
            f"the server {verdict} the credential",
            "url": target,
        }
    result["duration"] = time.perf_counter() - started
    return redactor.redact(result)


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"a credential named {name!r} already exists; choose another name", name=name
    )
