"""The EventBridge Scheduler implementation of the Scheduler port.

One EventBridge schedule per Orcheo schedule, in the stack's schedule group: a
``cron(...)`` expression in the schedule's IANA time zone, state ``ENABLED`` or
``DISABLED`` (paused), flexible window off, and as target the scheduler Lambda, whose
input is the JSON :func:`fire_payload` (schedule id, its Orcheo expression and target,
and EventBridge's ``<aws.scheduler.scheduled-time>``). The Lambda hands that event to
:meth:`EventBridgeScheduler.fire`, which calls ``on_fire`` as the local scheduler does.

EventBridge keeps the schedules, so nothing else is stored: the Orcheo record is read
back from the schedule (its input carries the original 5-field expression, which the
``cron(...)`` form cannot always spell the same way).

Differences from the local scheduler, by EventBridge's design: a fire missed while the
target failed is retried by EventBridge (up to its retry policy), not coalesced; and
at daylight-saving changes EventBridge's own rules apply (``next_fire_times`` uses
Orcheo's cron math, which follows cronie). An expression that restricts both day of
month and day of week cannot be written as an EventBridge cron and is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.backends.common import not_found
from functions.backends.ports import ScheduleRecord
from orcheo_core.errors import ConfigError
from orcheo_core.triggers import CronExpression, iter_fire_times, resolve_timezone

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from functions.settings import AwsSettings

__all__ = ["SCHEDULED_TIME", "EventBridgeScheduler", "aws_cron", "schedule_name"]

logger = logging.getLogger(__name__)

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
"""The context attribute EventBridge replaces with the fire time (ISO 8601, UTC)."""
# EventBridge limits: schedule names [0-9a-zA-Z-_.]{1,64}; target input 8192 characters.
_NAME_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]")
_MAX_INPUT = 8192
_MAX_EXPRESSION = 256


def schedule_name(schedule_id: str) -> str:
    """The EventBridge schedule name of an Orcheo schedule id (``wf:abc:nightly`` has colons).

    Readable part plus a hash of the whole id, so distinct ids never share a name.
    """
    digest = hashlib.sha256(schedule_id.encode()).hexdigest()[:16]
    return f"{_NAME_UNSAFE.sub('_', schedule_id)[:40]}-{digest}"


def _render(values: tuple[int, ...], low: int, high: int, shift: int = 0) -> str:
    """A cron field listing ``values``: ``*`` when complete, else runs as ``a-b`` ranges."""
    if set(values) == set(range(low, high + 1)):
        return "*"
    runs: list[list[int]] = []
    for value in sorted(values):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(a + shift) if a == b else f"{a + shift}-{b + shift}" for a, b in runs)


def aws_cron(expression: str | CronExpression) -> str:
    """The EventBridge ``cron(minutes hours day-of-month month day-of-week year)`` form.

    Written from the parsed values, so steps, names and macros all come out as plain
    lists and ranges. EventBridge wants one day field to be ``?`` and numbers Sunday 1
    (cron: 0). ConfigError when both day fields restrict the days, which EventBridge
    cannot express.
    """
    cron = (
        expression if isinstance(expression, CronExpression) else CronExpression.parse(expression)
    )
    dom_all = set(cron.days_of_month) == set(range(1, 32))
    dow_all = set(cron.days_of_week) == set(range(7))
    either = not (cron.dom_star or cron.dow_star)  # Vixie's rule: both restricted -> OR
    if dow_all or (either and dom_all):
        dom, dow = ("*" if either and dom_all else _render(cron.days_of_month, 1, 31)), "?"
    elif dom_all:
        dom, dow = "?", _render(cron.days_of_week, 0, 6, shift=1)
    else:
        raise ConfigError(
            f"cron expression {cron.text!r} restricts both the day of month and the day of "
            "week, which EventBridge Scheduler cannot express; use one of them (or two "
            "triggers)",
            field="expression",
            expression=cron.text,
        )
    minutes = _render(cron.minutes, 0, 59)
    hours = _render(cron.hours, 0, 23)
    months = _render(cron.months, 1, 12)
    text = f"cron({minutes} {hours} {dom} {months} {dow} *)"
    if len(text) > _MAX_EXPRESSION:
        raise ConfigError(
            f"cron expression {cron.text!r} lists too many separate values for EventBridge "
            f"Scheduler ({len(text)} characters as {text[:40]}...; at most {_MAX_EXPRESSION})",
            field="expression",
            expression=cron.text,
        )
    return text


def fire_payload(schedule: ScheduleRecord, armed_at: float) -> str:
    """The target input of a schedule: what the scheduler Lambda receives on each fire."""
    payload = {
        "schedule_id": schedule.id,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "target": schedule.target,
        "armed_at": armed_at,
        "scheduled_time": SCHEDULED_TIME,
    }
    try:
        text = json.dumps(payload, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"schedule {schedule.id!r}: target must be JSON-serialisable ({exc})", field="target"
        ) from None
    if len(text) > _MAX_INPUT:
        raise ConfigError(
            f"schedule {schedule.id!r}: target is too large for EventBridge Scheduler "
            f"({len(text)} characters of input; at most {_MAX_INPUT})",
            field="target",
        )
    return text


class EventBridgeScheduler:
    """Cron schedules on EventBridge Scheduler, fired into the scheduler Lambda.

    ``on_fire(schedule, fire_time)`` is what :meth:`fire` calls (only the scheduler
    Lambda needs one); ``clock`` gives the time for ``next_fire_times`` and for the
    moment a schedule is armed; ``client`` is a boto3 ``scheduler`` client.
    """

    def __init__(
        self,
        settings: AwsSettings,
        on_fire: Callable[[ScheduleRecord, float], Awaitable[None]] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        client: Any = None,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("scheduler", region_name=settings.region)
        self._client = client
        self._group = settings.schedule_group
        self._target_arn = settings.scheduler_target_arn
        self._role_arn = settings.scheduler_role_arn
        self._on_fire = on_fire
        self._clock = clock

    # ------------------------------------------------------------------ the port

    def put_schedule(self, schedule: ScheduleRecord) -> None:
        """Create or replace; ConfigError for a bad expression, time zone or target.

        Validated before anything is sent, so a refused replacement leaves the old one.
        """
        if not schedule.id:
            raise ConfigError("a schedule needs a non-empty id", field="id")
        expression = aws_cron(schedule.expression)
        resolve_timezone(schedule.timezone)
        request = self._request(schedule, expression, fire_payload(schedule, self._clock()))
        try:
            self._client.update_schedule(**request)
        except self._client.exceptions.ResourceNotFoundException:
            self._client.create_schedule(**request)

    def _request(self, schedule: ScheduleRecord, expression: str, payload: str) -> dict[str, Any]:
        target: dict[str, Any] = {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": payload,
        }
        return {
            "Name": schedule_name(schedule.id),
            "GroupName": self._group,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": schedule.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED" if schedule.enabled else "DISABLED",
            "Description": f"Orcheo schedule {schedule.id}"[:512],
            "Target": target,
        }

    def _raw(self, schedule_id: str) -> dict[str, Any]:
        try:
            raw: dict[str, Any] = self._client.get_schedule(
                Name=schedule_name(schedule_id), GroupName=self._group
            )
        except self._client.exceptions.ResourceNotFoundException:
            raise not_found("schedule", schedule_id) from None
        return raw

    @staticmethod
    def _record(raw: Mapping[str, Any]) -> ScheduleRecord:
        payload = json.loads(raw["Target"]["Input"])
        return ScheduleRecord(
            id=payload["schedule_id"],
            expression=payload["expression"],
            timezone=raw.get("ScheduleExpressionTimezone") or payload["timezone"],
            target=payload["target"],
            enabled=raw.get("State", "ENABLED") == "ENABLED",
        )

    def get_schedule(self, schedule_id: str) -> ScheduleRecord:
        """The schedule; NotFoundError when there is none with this id."""
        return self._record(self._raw(schedule_id))

    def list_schedules(self) -> list[ScheduleRecord]:
        """All schedules of the group, paused ones included, by id (one read per schedule)."""
        names: list[str] = []
        for page in self._client.get_paginator("list_schedules").paginate(GroupName=self._group):
            names.extend(s["Name"] for s in page.get("Schedules", []))
        records = []
        for name in names:
            try:
                raw = self._client.get_schedule(Name=name, GroupName=self._group)
            except self._client.exceptions.ResourceNotFoundException:
                continue  # deleted since it was listed
            records.append(self._record(raw))
        return sorted(records, key=lambda s: s.id)

    def delete_schedule(self, schedule_id: str) -> None:
        """Remove the schedule; NotFoundError when there is none with this id."""
        try:
            self._client.delete_schedule(Name=schedule_name(schedule_id), GroupName=self._group)
        except self._client.exceptions.ResourceNotFoundException:
            raise not_found("schedule", schedule_id) from None

    def set_enabled(self, schedule_id: str, enabled: bool) -> ScheduleRecord:
        """Pause (state DISABLED) or resume (ENABLED); a resume re-arms from now."""
        raw = self._raw(schedule_id)
        record = self._record(raw)
        if record.enabled == enabled:
            return record
        payload = json.loads(raw["Target"]["Input"])
        armed_at = self._clock() if enabled else payload.get("armed_at", 0.0)
        record.enabled = enabled
        self._client.update_schedule(
            **self._request(
                record, raw["ScheduleExpression"], fire_payload(record, float(armed_at))
            )
        )
        return record

    def next_fire_times(self, schedule_id: str, count: int = 5) -> list[float]:
        """The next ``count`` fire times (Unix seconds) after now; empty while paused."""
        schedule = self.get_schedule(schedule_id)
        if not schedule.enabled or count <= 0:
            return []
        times = iter_fire_times(schedule.expression, schedule.timezone, self._clock())
        return [next(times) for _ in range(count)]

    # ------------------------------------------------------------------ firing

    async def fire(self, event: Mapping[str, Any]) -> tuple[str, float] | None:
        """Handle one EventBridge invocation (the scheduler Lambda's event, a fire payload).

        Calls ``on_fire(schedule, fire_time)`` and returns ``(schedule id, fire time)``;
        None for a fire at or before the moment the schedule was armed (EventBridge does
        not send those; a late retry after a replace could). An exception in
        ``on_fire`` is logged with the schedule id and raised again, so EventBridge
        retries the invocation under its retry policy.
        """
        if self._on_fire is None:
            raise ConfigError("this scheduler has no on_fire callback to fire into")
        schedule = ScheduleRecord(
            id=event["schedule_id"],
            expression=event["expression"],
            timezone=event["timezone"],
            target=event["target"],
            enabled=True,
        )
        fire_time = datetime.fromisoformat(event["scheduled_time"]).timestamp()
        if fire_time <= float(event.get("armed_at", 0.0)):
            return None
        try:
            await self._on_fire(schedule, fire_time)
        except Exception:
            logger.exception("schedule %r failed to fire at %s", schedule.id, fire_time)
            raise
        return schedule.id, fire_time
