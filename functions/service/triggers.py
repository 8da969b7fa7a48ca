"""Triggers served: cron schedules kept in step with workflows, webhooks answered, secrets kept.

What the rest of the service calls:

- :func:`sync_triggers` after anything that changes which version of a workflow runs
  (created with a spec, a new version, promote/rollback, archive/unarchive) and
  :func:`forget_workflow` when one is deleted. One schedule per cron trigger
  (:func:`schedule_id`), enabled unless paused; a webhook trigger with ``auth: hmac``
  gets a signing secret the first time it is seen.
- :func:`fire_cron`, the scheduler's callback: the overlap guard, then a run with
  ``trigger="cron"``.
- :func:`handle_webhook` for ``/hooks/{workflow_id}``: method, size, signature, replay,
  body, run, answer.
- :func:`list_triggers`, :func:`pause_trigger` / :func:`resume_trigger`,
  :func:`rotate_secret`, :func:`reveal_secret` for ``/api/workflows/{id}/triggers``.

Everything a trigger remembers lives in the ``TriggerState`` port, so it is shared by
every process (and, on AWS, every Lambda): the pause switch, the sealed webhook secrets,
the last run a cron trigger started, the lock and fire nonces of the overlap guard and
the replay nonces of webhooks. Keys are ``<what>:<workflow id>:<trigger id>``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.backends.ports import ScheduleRecord
from functions.errors import ConflictError, NotFoundError, UnprocessableError
from orcheo_core.errors import OrcheoError
from orcheo_core.spec.models import CronTrigger, WebhookTrigger, WorkflowSpec
from orcheo_core.triggers import (
    accepted_reply,
    check_body_size,
    check_method,
    describe,
    generate_secret,
    iter_fire_times,
    output_reply,
    replay_error,
    resolve_timezone,
    should_fire,
    static_reply,
    verify,
    webhook_inputs,
)
from orcheo_core.triggers.errors import WebhookAuthError
from orcheo_core.vault.vault import mask

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from functions.backends.ports import RunRecord, VersionRecord, WorkflowRecord
    from functions.service import Services
    from orcheo_core.spec.models import TriggerSpec
    from orcheo_core.triggers import WebhookReply

__all__ = [
    "SECRET_SCOPE",
    "FireTime",
    "TriggerView",
    "WebhookRequest",
    "fire_cron",
    "forget_workflow",
    "handle_webhook",
    "hook_path",
    "list_triggers",
    "next_fires",
    "pause_trigger",
    "resume_trigger",
    "reveal_secret",
    "rotate_secret",
    "schedule_id",
    "sync_triggers",
]

_log = logging.getLogger("orcheo.triggers")

SECRET_SCOPE = "webhook"
"""Vault scope of webhook signing secrets (the credential id is ``webhook:<wf>:<trigger>``)."""
MAX_GRACE_SECONDS = 7 * 24 * 3600
# A cron fire holds this lock while it checks the previous run and starts the next one;
# the lease only matters if the process dies in between.
_FIRE_LOCK_TTL = 60.0
# Fire nonces make one fire time start one run even when two schedulers fire it.
_FIRE_NONCE_TTL = 24 * 3600.0
_CACHE_SIZE = 512


def schedule_id(workflow_id: str, trigger_id: str) -> str:
    """The id of the schedule that fires cron trigger ``trigger_id`` of a workflow."""
    return f"wf:{workflow_id}:{trigger_id}"


def hook_path(workflow_id: str) -> str:
    """The URL path of a workflow's webhook."""
    return f"/hooks/{workflow_id}"


def _key(what: str, workflow_id: str, trigger_id: str) -> str:
    return f"{what}:{workflow_id}:{trigger_id}"


# ---------------------------------------------------------------------------- the spec side

# Versions never change, so their parsed triggers are cached; ``created_at`` is part of
# the key because a deleted workflow's id can come back (import) with other versions.
_parsed: OrderedDict[tuple[str, int, float], tuple[TriggerSpec, ...]] = OrderedDict()


def version_triggers(version: VersionRecord) -> tuple[TriggerSpec, ...]:
    """The triggers a version declares (none for a script version without any)."""
    key = (version.workflow_id, version.number, version.created_at)
    found = _parsed.get(key)
    if found is not None:
        _parsed.move_to_end(key)
        return found
    raw = version.spec.get("triggers") if isinstance(version.spec, dict) else None
    triggers: tuple[TriggerSpec, ...] = ()
    if raw:
        # Stored specs were validated on save; a script's extracted graph may not be a
        # full spec, so only the trigger list is read from it.
        name = version.spec.get("name") or version.workflow_id
        triggers = tuple(WorkflowSpec.model_validate({"name": name, "triggers": raw}).triggers)
    _parsed[key] = triggers
    if len(_parsed) > _CACHE_SIZE:
        _parsed.popitem(last=False)
    return triggers


def _workflow(svc: Services, workflow_id: str) -> WorkflowRecord:
    try:
        return svc.workflows.get_workflow(workflow_id)
    except NotFoundError:
        raise NotFoundError(f"no workflow {workflow_id!r}", workflow_id=workflow_id) from None


def _current_triggers(svc: Services, workflow: WorkflowRecord) -> tuple[TriggerSpec, ...]:
    if workflow.current_version is None:
        return ()
    try:
        version = svc.workflows.get_version(workflow.id, workflow.current_version)
    except NotFoundError:
        return ()
    return version_triggers(version)


def _trigger(svc: Services, workflow_id: str, trigger_id: str) -> TriggerSpec:
    workflow = _workflow(svc, workflow_id)
    triggers = _current_triggers(svc, workflow)
    for trigger in triggers:
        if trigger.id == trigger_id:
            return trigger
    have = ", ".join(t.id for t in triggers) or "none"
    raise NotFoundError(
        f"workflow {workflow_id!r} has no trigger {trigger_id!r} in its current version "
        f"(triggers: {have})",
        workflow_id=workflow_id,
        trigger_id=trigger_id,
    )


def _cron(svc: Services, workflow_id: str, trigger_id: str) -> CronTrigger:
    trigger = _trigger(svc, workflow_id, trigger_id)
    if not isinstance(trigger, CronTrigger):
        raise UnprocessableError(
            f"trigger {trigger_id!r} is a {trigger.type} trigger; only cron triggers have "
            "a schedule to pause, resume or list fire times of",
            field="trigger_id",
            type=trigger.type,
        )
    return trigger


# ---------------------------------------------------------------------------- pause switch


def _pause_state(svc: Services, workflow_id: str, trigger: CronTrigger) -> bool | None:
    """The paused flag set through the API, or None when the spec's ``enabled`` decides.

    A switch is stored with the spec's ``enabled`` it was made against: once a later
    version changes ``enabled``, the spec author's newer decision wins.
    """
    raw = svc.trigger_state.get_cursor(_key("trigger-pause", workflow_id, trigger.id))
    if not raw:
        return None
    state = json.loads(raw)
    if state.get("spec_enabled") != trigger.enabled:
        return None
    return bool(state["paused"])


def _is_paused(svc: Services, workflow_id: str, trigger: CronTrigger) -> bool:
    switch = _pause_state(svc, workflow_id, trigger)
    return (not trigger.enabled) if switch is None else switch


def _set_paused(svc: Services, workflow_id: str, trigger_id: str, paused: bool) -> TriggerView:
    trigger = _cron(svc, workflow_id, trigger_id)
    state = {"paused": paused, "spec_enabled": trigger.enabled}
    svc.trigger_state.set_cursor(
        _key("trigger-pause", workflow_id, trigger_id), json.dumps(state, sort_keys=True)
    )
    sync_triggers(svc, workflow_id)
    return _view(svc, _workflow(svc, workflow_id), trigger)


def pause_trigger(svc: Services, workflow_id: str, trigger_id: str) -> TriggerView:
    """Stop a cron trigger from firing until resumed (kept across restarts and new versions)."""
    return _set_paused(svc, workflow_id, trigger_id, True)


def resume_trigger(svc: Services, workflow_id: str, trigger_id: str) -> TriggerView:
    """Let a paused cron trigger fire again from its next fire time (missed ones stay missed)."""
    return _set_paused(svc, workflow_id, trigger_id, False)


# ---------------------------------------------------------------------------- sync


def _target(workflow_id: str, trigger_id: str) -> dict[str, Any]:
    return {"workflow_id": workflow_id, "trigger_id": trigger_id}


def _workflow_schedules(svc: Services, workflow_id: str) -> dict[str, ScheduleRecord]:
    assert svc.scheduler is not None
    return {
        s.id: s
        for s in svc.scheduler.list_schedules()
        if s.target.get("workflow_id") == workflow_id
    }


def sync_triggers(svc: Services, workflow_id: str) -> None:
    """Make the scheduler and the secrets match the workflow's current version.

    One schedule per cron trigger of the current version (none when the workflow is
    archived, deleted or has no version); a schedule whose expression and time zone did
    not change is left alone, so a new version does not re-arm it. Each webhook
    trigger with ``auth: hmac`` gets a secret if it has none.
    """
    try:
        workflow: WorkflowRecord | None = svc.workflows.get_workflow(workflow_id)
    except NotFoundError:
        workflow = None
    triggers = () if workflow is None else _current_triggers(svc, workflow)
    active = workflow is not None and not workflow.archived
    crons = {t.id: t for t in triggers if isinstance(t, CronTrigger)} if active else {}
    if svc.scheduler is not None:
        _sync_schedules(svc, workflow_id, crons)
    for trigger in triggers:
        if isinstance(trigger, WebhookTrigger) and trigger.auth == "hmac":
            try:
                _ensure_secret(svc, workflow_id, trigger.id)
            except OrcheoError:
                # The version is saved already; the secret is made (and the vault's
                # problem reported to the user) when it is revealed or rotated.
                _log.exception("webhook %s of %s: no signing secret made", trigger.id, workflow_id)


def _sync_schedules(svc: Services, workflow_id: str, crons: dict[str, CronTrigger]) -> None:
    scheduler = svc.scheduler
    assert scheduler is not None
    existing = _workflow_schedules(svc, workflow_id)
    wanted = {schedule_id(workflow_id, tid): trigger for tid, trigger in crons.items()}
    for stale in existing.keys() - wanted.keys():
        with contextlib.suppress(NotFoundError):  # another process removed it first
            scheduler.delete_schedule(stale)
    for sid, trigger in wanted.items():
        enabled = not _is_paused(svc, workflow_id, trigger)
        current = existing.get(sid)
        same_times = current is not None and (
            (current.expression, current.timezone, current.target)
            == (trigger.expression, trigger.timezone, _target(workflow_id, trigger.id))
        )
        if not same_times:
            scheduler.put_schedule(
                ScheduleRecord(
                    id=sid,
                    expression=trigger.expression,
                    timezone=trigger.timezone,
                    target=_target(workflow_id, trigger.id),
                    enabled=enabled,
                )
            )
        elif current is not None and current.enabled != enabled:
            scheduler.set_enabled(sid, enabled)


def forget_workflow(svc: Services, workflow_id: str, trigger_ids: Iterable[str]) -> None:
    """After a workflow is deleted: remove its schedules, pause switches and secrets."""
    sync_triggers(svc, workflow_id)  # the workflow is gone: every schedule goes
    for trigger_id in set(trigger_ids):
        for what in ("trigger-pause", "webhook-secret", "cron-last-run", "cron-skipped"):
            if svc.trigger_state.get_cursor(_key(what, workflow_id, trigger_id)):
                svc.trigger_state.set_cursor(_key(what, workflow_id, trigger_id), "")


def all_trigger_ids(svc: Services, workflow_id: str) -> set[str]:
    """Every trigger id any version of the workflow declares (what a delete must forget)."""
    return {t.id for v in svc.workflows.list_versions(workflow_id) for t in version_triggers(v)}


# ---------------------------------------------------------------------------- cron fires


async def fire_cron(svc: Services, schedule: ScheduleRecord, fire_time: float) -> RunRecord | None:
    """Start the run of one cron fire, unless the overlap guard (or a stale schedule) says no.

    Safe when several schedulers fire the same schedule: a fire time starts at most one
    run (a nonce per fire time), and the check of the previous run and the start of the
    next happen under a lock with an expiry.
    """
    from functions.service.runs import start_run

    target = schedule.target
    workflow_id = str(target["workflow_id"])
    trigger_id = target.get("trigger_id")
    if trigger_id is None:  # a schedule made by hand, not from a trigger
        return await start_run(svc, workflow_id, dict(target.get("inputs") or {}), trigger="cron")
    try:
        trigger = _cron(svc, workflow_id, str(trigger_id))
        archived = _workflow(svc, workflow_id).archived
    except (NotFoundError, UnprocessableError):
        archived, trigger = True, None
    if archived or trigger is None:
        _log.info("schedule %s has no trigger to fire any more; resyncing", schedule.id)
        sync_triggers(svc, workflow_id)
        return None
    state = svc.trigger_state
    if not state.add_nonce(f"cron-fire:{workflow_id}:{trigger.id}:{fire_time!r}", _FIRE_NONCE_TTL):
        return None  # another scheduler fired this time already
    lock, owner = _key("cron-lock", workflow_id, trigger.id), secrets.token_hex(8)
    if not state.acquire_lock(lock, owner, _FIRE_LOCK_TTL):
        _log.info(
            "cron trigger %s of %s is being fired elsewhere; skipped", trigger.id, workflow_id
        )
        return None
    try:
        last_key = _key("cron-last-run", workflow_id, trigger.id)
        previous = _run_status(svc, state.get_cursor(last_key))
        if not should_fire(trigger.overlap, previous):
            # a cursor, not a counter: read without writing; the lock makes this safe
            skipped_key = _key("cron-skipped", workflow_id, trigger.id)
            state.set_cursor(skipped_key, str(int(state.get_cursor(skipped_key) or 0) + 1))
            _log.info(
                "cron trigger %s of %s skipped a fire: its previous run is still %s",
                trigger.id,
                workflow_id,
                previous,
            )
            return None
        run = await start_run(svc, workflow_id, dict(trigger.inputs), trigger="cron")
        state.set_cursor(last_key, run.id)
        return run
    finally:
        state.release_lock(lock, owner)


def _run_status(svc: Services, run_id: str | None) -> str | None:
    if not run_id:
        return None
    try:
        # An engine that runs elsewhere (Step Functions) records a run that has ended
        # when asked; without that, a finished run would read "running" and "skip"
        # would skip every fire after it.
        svc.engine.status(run_id)
        return svc.runs.get_run(run_id).status
    except NotFoundError:
        return None


# ---------------------------------------------------------------------------- secrets


def _secret_context(workflow_id: str, trigger_id: str) -> dict[str, str]:
    return {"credential_id": f"webhook:{workflow_id}:{trigger_id}", "scope": SECRET_SCOPE}


def _load_secrets(svc: Services, workflow_id: str, trigger_id: str) -> dict[str, Any]:
    raw = svc.trigger_state.get_cursor(_key("webhook-secret", workflow_id, trigger_id))
    return json.loads(raw) if raw else {"secrets": [], "shown": True}


def _store_secrets(svc: Services, workflow_id: str, trigger_id: str, doc: dict[str, Any]) -> None:
    svc.trigger_state.set_cursor(
        _key("webhook-secret", workflow_id, trigger_id), json.dumps(doc, sort_keys=True)
    )


def _seal(svc: Services, workflow_id: str, trigger_id: str, secret: str) -> dict[str, Any]:
    blob = svc.vault.encrypt({"secret": secret}, **_secret_context(workflow_id, trigger_id))
    return {
        "ciphertext": base64.b64encode(blob).decode(),
        "preview": mask(secret),
        "created_at": svc.clock(),
        "expires_at": None,
    }


# Opening a sealed secret costs an AWS Encryption SDK decrypt (~1 ms); a webhook under
# load would pay it on every request. Ciphertexts are unique, so one opened under the
# same vault key always opens to the same secret.
_opened: OrderedDict[str, str] = OrderedDict()


def _open(svc: Services, workflow_id: str, trigger_id: str, entry: dict[str, Any]) -> str:
    ciphertext: str = entry["ciphertext"]
    secret = _opened.get(ciphertext)
    if secret is None:
        fields = svc.vault.decrypt(
            base64.b64decode(ciphertext), **_secret_context(workflow_id, trigger_id)
        )
        secret = fields["secret"]
        _opened[ciphertext] = secret
        if len(_opened) > _CACHE_SIZE:
            _opened.popitem(last=False)
    else:
        _opened.move_to_end(ciphertext)
    return secret


def _live(entries: Sequence[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("expires_at") is None or e["expires_at"] > now]


def _ensure_secret(svc: Services, workflow_id: str, trigger_id: str) -> None:
    if _live(_load_secrets(svc, workflow_id, trigger_id)["secrets"], svc.clock()):
        return
    secret = generate_secret()
    doc = {"secrets": [_seal(svc, workflow_id, trigger_id, secret)], "shown": False}
    _store_secrets(svc, workflow_id, trigger_id, doc)


def _webhook(svc: Services, workflow_id: str, trigger_id: str) -> WebhookTrigger:
    trigger = _trigger(svc, workflow_id, trigger_id)
    if not isinstance(trigger, WebhookTrigger):
        raise UnprocessableError(
            f"trigger {trigger_id!r} is a {trigger.type} trigger; only webhook triggers "
            "have a signing secret",
            field="trigger_id",
            type=trigger.type,
        )
    return trigger


@dataclass(frozen=True)
class SecretShown:
    """A webhook secret in the one answer that shows it."""

    secret: str
    preview: str
    created_at: float
    previous_valid_until: float | None = None


def rotate_secret(
    svc: Services, workflow_id: str, trigger_id: str, *, grace_seconds: float = 0.0
) -> SecretShown:
    """A new signing secret, shown only in this answer.

    The previous secret keeps working for ``grace_seconds`` (0: it stops now), time to
    update the sender; during that window a request signed with either passes.
    """
    _webhook(svc, workflow_id, trigger_id)
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise UnprocessableError(
            f"grace_seconds must be between 0 and {MAX_GRACE_SECONDS} (7 days), "
            f"not {grace_seconds}",
            field="grace_seconds",
        )
    now = svc.clock()
    old = _live(_load_secrets(svc, workflow_id, trigger_id)["secrets"], now)
    until = now + grace_seconds if grace_seconds and old else None
    kept = [{**e, "expires_at": until} for e in old[:1]] if until else []
    secret = generate_secret()
    sealed = _seal(svc, workflow_id, trigger_id, secret)
    _store_secrets(svc, workflow_id, trigger_id, {"secrets": [sealed, *kept], "shown": True})
    return SecretShown(secret, sealed["preview"], sealed["created_at"], until)


def reveal_secret(svc: Services, workflow_id: str, trigger_id: str) -> SecretShown:
    """The secret generated when the webhook was first saved: once, then a 409."""
    trigger = _webhook(svc, workflow_id, trigger_id)
    if trigger.auth != "hmac":
        raise ConflictError(
            f"webhook {trigger_id!r} is public (auth: none): it has no secret",
            trigger_id=trigger_id,
        )
    _ensure_secret(svc, workflow_id, trigger_id)
    doc = _load_secrets(svc, workflow_id, trigger_id)
    if doc.get("shown"):
        raise ConflictError(
            f"the secret of webhook {trigger_id!r} was already shown once; rotate it "
            f"(POST /api/workflows/{workflow_id}/triggers/{trigger_id}/secret) to get a new one",
            trigger_id=trigger_id,
        )
    entry = _live(doc["secrets"], svc.clock())[0]
    secret = _open(svc, workflow_id, trigger_id, entry)
    _store_secrets(svc, workflow_id, trigger_id, {**doc, "shown": True})
    return SecretShown(secret, entry["preview"], entry["created_at"])


# ---------------------------------------------------------------------------- webhooks


@dataclass
class WebhookRequest:
    """A request to ``/hooks/{workflow_id}`` as the route saw it; the body is read on demand.

    ``read_body(limit)`` returns the raw body, raising WebhookPayloadTooLargeError once
    more than ``limit`` bytes arrived.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    read_body: Callable[[int], Awaitable[bytes]]
    content_length: int | None = None
    signature: str | None = None


def _hook_trigger(svc: Services, workflow: WorkflowRecord) -> WebhookTrigger:
    if not workflow.archived:
        for trigger in _current_triggers(svc, workflow):
            if isinstance(trigger, WebhookTrigger):
                return trigger
    raise NotFoundError(
        f"workflow {workflow.id!r} has no webhook: add a webhook trigger to its current "
        "version (an archived workflow has none)",
        workflow_id=workflow.id,
    )


def _check_signature(
    svc: Services, workflow_id: str, trigger: WebhookTrigger, header: str | None, body: bytes
) -> None:
    now = svc.clock()
    entries = _live(_load_secrets(svc, workflow_id, trigger.id)["secrets"], now)
    if not entries:
        raise WebhookAuthError(
            f"webhook {trigger.id!r} has no signing secret yet; create one with "
            f"POST /api/workflows/{workflow_id}/triggers/{trigger.id}/secret",
            reason="no_secret",
        )
    keys = [_open(svc, workflow_id, trigger.id, entry) for entry in entries]
    check = verify(header, body, keys, now=now)
    if not svc.trigger_state.add_nonce(f"webhook:{workflow_id}:{check.nonce}", check.nonce_ttl):
        raise replay_error(check)


async def handle_webhook(svc: Services, workflow_id: str, request: WebhookRequest) -> WebhookReply:
    """Check a webhook request, start its run and shape the answer the trigger asks for.

    Refusals, in this order: no such workflow or no webhook trigger (404), a method the
    trigger does not accept (405), a body over ``max_body_bytes`` (413), a missing,
    wrong, stale or replayed signature (401), a body that does not parse as its
    Content-Type says (400).
    """
    from functions.service.runs import start_run, wait_run

    workflow = _workflow(svc, workflow_id)
    trigger = _hook_trigger(svc, workflow)
    check_method(request.method, trigger.methods)
    if request.content_length is not None:
        check_body_size(request.content_length, trigger.max_body_bytes)
    body = await request.read_body(trigger.max_body_bytes)
    check_body_size(len(body), trigger.max_body_bytes)
    if trigger.auth == "hmac":
        _check_signature(svc, workflow_id, trigger, request.signature, body)
    payload = webhook_inputs(request.method, request.path, request.query, request.headers, body)
    run = await start_run(
        svc,
        workflow_id,
        {trigger.input_key: payload},
        version=workflow.current_version,
        trigger="webhook",
    )
    response = trigger.response
    if response.mode == "static":
        return static_reply(response)
    if response.mode == "accepted":
        return accepted_reply(response, run.id)
    run = await wait_run(svc, run, response.timeout)
    return output_reply(
        response, run_id=run.id, status=run.status, state=run.state, error=run.error
    )


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class FireTime:
    """One upcoming fire: Unix seconds and the ISO 8601 time in the trigger's time zone."""

    unix: float
    at: str


def _fires(expression: str, timezone: str, after: float, count: int) -> list[FireTime]:
    zone = resolve_timezone(timezone)
    times = iter_fire_times(expression, timezone, after)
    out = []
    for _ in range(count):
        moment = next(times)
        out.append(FireTime(moment, datetime.fromtimestamp(moment, zone).isoformat()))
    return out


def next_fires(svc: Services, workflow_id: str, trigger_id: str, count: int = 5) -> list[FireTime]:
    """The next ``count`` fire times of a cron trigger from now (also while it is paused)."""
    trigger = _cron(svc, workflow_id, trigger_id)
    return _fires(trigger.expression, trigger.timezone, svc.clock(), count)


@dataclass
class TriggerView:
    """A trigger of a workflow's current version, with what the service knows of it."""

    id: str
    type: str
    config: dict[str, Any]
    paused: bool | None = None
    schedule_id: str | None = None
    scheduled: bool = False
    description: str | None = None
    next_fire_times: list[FireTime] = field(default_factory=list)
    last_run_id: str | None = None
    skipped_fires: int = 0
    url_path: str | None = None
    secret: dict[str, Any] | None = None


def _view(svc: Services, workflow: WorkflowRecord, trigger: TriggerSpec) -> TriggerView:
    view = TriggerView(id=trigger.id, type=trigger.type, config=trigger.model_dump(mode="json"))
    state = svc.trigger_state
    if isinstance(trigger, CronTrigger):
        sid = schedule_id(workflow.id, trigger.id)
        view.paused = _is_paused(svc, workflow.id, trigger)
        view.schedule_id = sid
        view.scheduled = _has_schedule(svc, sid)
        view.description = describe(trigger.expression)
        if not view.paused and not workflow.archived:
            view.next_fire_times = _fires(trigger.expression, trigger.timezone, svc.clock(), 5)
        view.last_run_id = state.get_cursor(_key("cron-last-run", workflow.id, trigger.id)) or None
        view.skipped_fires = int(
            state.get_cursor(_key("cron-skipped", workflow.id, trigger.id)) or 0
        )
    elif isinstance(trigger, WebhookTrigger):
        view.url_path = hook_path(workflow.id)
        if trigger.auth == "hmac":
            doc = _load_secrets(svc, workflow.id, trigger.id)
            live = _live(doc["secrets"], svc.clock())
            view.secret = {
                "set": bool(live),
                "shown": bool(doc.get("shown")),
                "previews": [e["preview"] for e in live],
                "created_at": live[0]["created_at"] if live else None,
            }
    return view


def _has_schedule(svc: Services, sid: str) -> bool:
    if svc.scheduler is None:
        return False
    try:
        svc.scheduler.get_schedule(sid)
    except NotFoundError:
        return False
    return True


def list_triggers(svc: Services, workflow_id: str) -> list[TriggerView]:
    """Every trigger of the workflow's current version (none before its first version)."""
    workflow = _workflow(svc, workflow_id)
    return [_view(svc, workflow, t) for t in _current_triggers(svc, workflow)]
