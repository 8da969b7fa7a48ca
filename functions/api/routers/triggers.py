"""/api/workflows/{id}/triggers: a workflow's triggers, cron fire times, pause/resume, secrets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from functions.api.deps import AdminToken, ReadToken, ServicesDep
from functions.api.routers.workflows import _ERRORS, WorkflowId
from functions.service import triggers as logic

router = APIRouter(prefix="/api/workflows/{workflow_id}/triggers", tags=["triggers"])

TriggerId = Annotated[str, Path(min_length=1, max_length=100, description="The trigger's id.")]


class FireTimeOut(BaseModel):
    unix: float = Field(description="Unix seconds.")
    at: str = Field(description="ISO 8601 in the trigger's time zone, with its UTC offset.")


class WebhookSecretInfo(BaseModel):
    set: bool = Field(description="Whether the webhook has a signing secret.")
    shown: bool = Field(description="Whether it was already shown (it is shown once).")
    previews: list[str] = Field(description="Masked secrets in use (two while one is rotated).")
    created_at: float | None


class TriggerOut(BaseModel):
    id: str
    type: str
    config: dict[str, Any] = Field(description="The trigger as the spec declares it.")
    paused: bool | None = Field(None, description="cron: paused (by the API or enabled=false).")
    schedule_id: str | None = None
    scheduled: bool = Field(False, description="cron: a schedule is armed in the scheduler.")
    description: str | None = Field(None, description="cron: the expression in words.")
    next_fire_times: list[FireTimeOut] = Field(
        default_factory=list, description="cron: the next 5 fires (none while paused)."
    )
    last_run_id: str | None = Field(None, description="cron: the last run this trigger started.")
    skipped_fires: int = Field(0, description="cron: fires skipped by the overlap guard.")
    url_path: str | None = Field(None, description="webhook: the path to call.")
    secret: WebhookSecretInfo | None = Field(None, description="webhook with auth hmac.")

    @classmethod
    def of(cls, view: logic.TriggerView) -> TriggerOut:
        return cls.model_validate(view, from_attributes=True)


class NextFiresOut(BaseModel):
    trigger_id: str
    timezone: str
    description: str
    next_fire_times: list[FireTimeOut]


class SecretRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: float = Field(
        0, ge=0, le=logic.MAX_GRACE_SECONDS, description="How long the old secret keeps working."
    )


class SecretOut(BaseModel):
    secret: str = Field(description="The signing secret. Shown only in this answer.")
    preview: str
    created_at: float
    previous_valid_until: float | None = None


@router.get("", responses=_ERRORS)
async def list_triggers(
    workflow_id: WorkflowId, svc: ServicesDep, _: ReadToken
) -> list[TriggerOut]:
    """The triggers of the current version: schedules, next fire times, webhook URL."""
    return [TriggerOut.of(v) for v in logic.list_triggers(svc, workflow_id)]


@router.get("/{trigger_id}/next", responses=_ERRORS)
async def next_fire_times(
    workflow_id: WorkflowId,
    trigger_id: TriggerId,
    svc: ServicesDep,
    _: ReadToken,
    count: Annotated[int, Query(ge=1, le=100)] = 5,
) -> NextFiresOut:
    """The next `count` fire times of a cron trigger (paused or not)."""
    times = logic.next_fires(svc, workflow_id, trigger_id, count)
    view = next(v for v in logic.list_triggers(svc, workflow_id) if v.id == trigger_id)
    return NextFiresOut(
        trigger_id=trigger_id,
        timezone=str(view.config["timezone"]),
        description=view.description or "",
        next_fire_times=[FireTimeOut(unix=t.unix, at=t.at) for t in times],
    )


@router.post("/{trigger_id}/pause", responses=_ERRORS)
async def pause_trigger(
    workflow_id: WorkflowId, trigger_id: TriggerId, svc: ServicesDep, _: AdminToken
) -> TriggerOut:
    """Stop a cron trigger firing; kept across restarts and new versions until resumed."""
    return TriggerOut.of(logic.pause_trigger(svc, workflow_id, trigger_id))


@router.post("/{trigger_id}/resume", responses=_ERRORS)
async def resume_trigger(
    workflow_id: WorkflowId, trigger_id: TriggerId, svc: ServicesDep, _: AdminToken
) -> TriggerOut:
    """Let a paused cron trigger fire again from its next fire time."""
    return TriggerOut.of(logic.resume_trigger(svc, workflow_id, trigger_id))


@router.post("/{trigger_id}/secret", status_code=201, responses=_ERRORS)
async def rotate_secret(
    workflow_id: WorkflowId,
    trigger_id: TriggerId,
    svc: ServicesDep,
    _: AdminToken,
    body: SecretRotate | None = None,
) -> SecretOut:
    """A new webhook signing secret, shown only in this answer (stored encrypted)."""
    grace = body.grace_seconds if body is not None else 0.0
    shown = logic.rotate_secret(svc, workflow_id, trigger_id, grace_seconds=grace)
    return SecretOut.model_validate(shown, from_attributes=True)


@router.get("/{trigger_id}/secret", responses=_ERRORS)
async def reveal_secret(
    workflow_id: WorkflowId, trigger_id: TriggerId, svc: ServicesDep, _: AdminToken
) -> SecretOut:
    """The secret made when the webhook was saved, once; afterwards 409 (rotate instead)."""
    return SecretOut.model_validate(
        logic.reveal_secret(svc, workflow_id, trigger_id), from_attributes=True
    )
