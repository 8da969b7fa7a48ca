"""/hooks/{workflow_id}: a workflow's webhook. Public (no bearer token) but verified.

Every verb a webhook trigger may accept is routed to one handler; the trigger decides
which it takes (others get 405 with ``Allow``), checks the size and the HMAC signature
(``auth: hmac``), starts the run and answers as its ``response`` says.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from functions.api.deps import ServicesDep
from functions.api.models import ErrorOut
from functions.service import triggers as logic
from orcheo_core.triggers import SIGNATURE_HEADER, check_body_size

router = APIRouter(tags=["hooks"])

HOOK_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HookWorkflowId = Annotated[
    str, Path(min_length=1, max_length=100, description="The workflow whose webhook this is.")
]
_HOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 405, 413, 422)
}
_HOOK_DOC: dict[int | str, dict[str, Any]] = {
    202: {"description": 'response mode "accepted": `{"run_id"}` (or the configured status).'},
    200: {"description": 'modes "static" and "wait": the configured body, or the output.'},
}


def _reader(request: Request) -> Any:
    async def read_body(limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            check_body_size(size, limit)  # stop reading as soon as it is over
            chunks.append(chunk)
        return b"".join(chunks)

    return read_body


async def webhook(workflow_id: HookWorkflowId, request: Request, svc: ServicesDep) -> Response:
    """Start a run of the workflow from an HTTP request (see docs/api.md, "Webhooks").

    No bearer token: a hook with `auth: hmac` needs `X-Orcheo-Signature:
    t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; one with `auth: none` is public.
    """
    length = request.headers.get("content-length")
    reply = await logic.handle_webhook(
        svc,
        workflow_id,
        logic.WebhookRequest(
            method=request.method,
            path=request.url.path,
            query=request.query_params.multi_items(),
            headers=request.headers.items(),
            read_body=_reader(request),
            content_length=int(length) if length and length.isdigit() else None,
            signature=request.headers.get(SIGNATURE_HEADER),
        ),
    )
    return Response(reply.body, status_code=reply.status_code, media_type=reply.content_type)


for _verb in HOOK_METHODS:
    router.add_api_route(
        "/hooks/{workflow_id}",
        webhook,
        methods=[_verb],
        operation_id=f"webhook_{_verb.lower()}",
        summary=f"Webhook ({_verb})",
        responses={**_HOOK_DOC, **_HOOK_ERRORS},
        response_class=Response,
    )
# HEAD and OPTIONS reach the handler too (kept out of the document): the trigger answers
# them with 405 and its own Allow, rather than the router with the verbs of one route.
router.add_api_route(
    "/hooks/{workflow_id}",
    webhook,
    methods=["HEAD", "OPTIONS"],
    include_in_schema=False,
    response_class=Response,
)
