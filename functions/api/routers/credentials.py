"""/api/credentials: create, list, get, update, delete and test credentials.

Reading (list, get, types) needs ``read``: answers hold metadata and a masked preview,
never a secret. Everything that writes a secret or sends one over the network (create,
update, delete, test) needs ``admin``: a test signs a request to a URL the caller picks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from functions.api.deps import AdminToken, ReadToken, ServicesDep
from functions.api.models import (
    CredentialCreate,
    CredentialOut,
    CredentialTest,
    CredentialTestOut,
    CredentialUpdate,
)
from functions.api.routers.workflows import _ERRORS
from functions.backends.ports import CredentialRecord
from functions.service import credentials as logic

router = APIRouter(prefix="/api/credentials", tags=["credentials"])

CredentialId = Annotated[
    str, Path(min_length=1, max_length=100, description="The credential's id.")
]


def _out(record: CredentialRecord) -> CredentialOut:
    return CredentialOut(
        id=record.id,
        name=record.name,
        type=record.type,
        scope=record.scope,
        preview=record.preview,
        fields=logic.fields_of(record),
        settings=logic.settings_of(record),
        revision=record.revision,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.post("", status_code=201, responses=_ERRORS)
async def create_credential(
    body: CredentialCreate, svc: ServicesDep, _: AdminToken
) -> CredentialOut:
    """Seal a secret with the vault and store it; the answer shows a masked preview only."""
    record = logic.create_credential(
        svc,
        name=body.name,
        type=body.type,
        secret=body.secret,
        settings=body.settings,
        scope=body.scope,
    )
    return _out(record)


@router.get("", responses=_ERRORS)
async def list_credentials(svc: ServicesDep, _: ReadToken) -> list[CredentialOut]:
    """Every credential, by name (metadata and masked previews, never a secret)."""
    return [_out(r) for r in logic.list_credentials(svc)]


@router.get("/types", responses=_ERRORS)
async def list_credential_types(_: ReadToken) -> list[dict[str, Any]]:
    """Every credential type: its secret fields, its settings and whether it can be tested."""
    return logic.list_credential_types()


@router.get("/{credential_id}", responses=_ERRORS)
async def get_credential(
    credential_id: CredentialId, svc: ServicesDep, _: ReadToken
) -> CredentialOut:
    return _out(logic.get_credential(svc, credential_id))


@router.patch("/{credential_id}", responses=_ERRORS)
async def update_credential(
    credential_id: CredentialId, body: CredentialUpdate, svc: ServicesDep, _: AdminToken
) -> CredentialOut:
    """Rename, re-scope, replace the secret or the settings; `revision` guards the update."""
    record = logic.update_credential(
        svc,
        credential_id,
        revision=body.revision,
        name=body.name,
        scope=body.scope,
        secret=body.secret,
        settings=body.settings,
    )
    return _out(record)


@router.delete("/{credential_id}", status_code=204, responses=_ERRORS)
async def delete_credential(
    credential_id: CredentialId, svc: ServicesDep, _: AdminToken
) -> Response:
    """Delete the credential; workflows that name it fail with `credential_error`."""
    logic.delete_credential(svc, credential_id)
    return Response(status_code=204)


@router.post("/{credential_id}/test", responses=_ERRORS)
async def test_credential(
    credential_id: CredentialId, body: CredentialTest, svc: ServicesDep, _: AdminToken
) -> CredentialTestOut:
    """Send one request signed with the credential and report the status (HTTP types)."""
    result = await logic.test_credential(
        svc, credential_id, url=body.url, method=body.method, timeout=body.timeout
    )
    return CredentialTestOut(**result)
