"""Health, version, the node catalog and API tokens."""

from __future__ import annotations

import platform
from importlib.metadata import version as dist_version
from typing import Annotated, Any

from fastapi import APIRouter, Path

import orcheo_core
from functions.api.deps import AdminToken, ReadToken, ServicesDep
from functions.api.models import (
    HealthOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    VersionInfoOut,
)
from functions.api.routers.workflows import _ERRORS
from functions.service import tokens as logic

router = APIRouter(tags=["system"])
API_VERSION = "1"


@router.get("/api/health")
async def health() -> HealthOut:
    """Liveness: no token needed. ``sandbox`` says how user code is isolated."""
    from orcheo_core.sandbox import sandbox_mode

    return HealthOut(status="ok", version=orcheo_core.__version__, sandbox=sandbox_mode())


@router.get("/api/version", responses=_ERRORS)
async def version(_: ReadToken) -> VersionInfoOut:
    return VersionInfoOut(
        version=orcheo_core.__version__,
        python=platform.python_version(),
        langgraph=dist_version("langgraph"),
        api=API_VERSION,
    )


@router.get("/api/nodes", tags=["nodes"], responses=_ERRORS)
async def node_catalog(svc: ServicesDep, _: ReadToken) -> list[dict[str, Any]]:
    """Every node type: metadata (name, category, icon, description) and config JSON Schema."""
    catalog: list[dict[str, Any]] = svc.node_catalog()
    return catalog


@router.post("/api/tokens", status_code=201, tags=["tokens"], responses=_ERRORS)
async def create_token(body: TokenCreate, svc: ServicesDep, _: AdminToken) -> TokenCreated:
    """Create an API token. The secret is in this answer only: it is stored hashed."""
    record, secret = logic.issue_token(svc, body.name, body.scopes, expires_in=body.expires_in)
    return TokenCreated(**TokenOut.of(record).model_dump(), token=secret)


@router.get("/api/tokens", tags=["tokens"], responses=_ERRORS)
async def list_tokens(svc: ServicesDep, _: AdminToken) -> list[TokenOut]:
    """Every token, revoked ones included (never a secret)."""
    return [TokenOut.of(t) for t in svc.tokens.list_tokens()]


@router.delete("/api/tokens/{token_id}", tags=["tokens"], responses=_ERRORS)
async def revoke_token(
    token_id: Annotated[str, Path(min_length=1, max_length=100)],
    svc: ServicesDep,
    _: AdminToken,
) -> TokenOut:
    """Revoke a token: it stops working at once."""
    logic.get_token(svc, token_id)
    return TokenOut.of(logic.revoke_token(svc, token_id))
