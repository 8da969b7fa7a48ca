"""An EventBridge Scheduler stand-in for tests: moto stores schedules but never fires them.

:class:`SchedulerEmulator` plays the service's part on a test clock: ``tick`` reads the
schedules from moto's scheduler, works out which are due from what EventBridge itself
holds (the ``cron(...)`` expression, its time zone, the state), and invokes the target
with the input EventBridge would send, ``<aws.scheduler.scheduled-time>`` filled in.
Reading the AWS form (not the Orcheo expression kept in the input) means the tests
also check the translation to EventBridge's cron dialect.

Two simplifications, both EventBridge's behaviour in effect: a schedule never fires for
a time before it was armed (created, replaced or resumed; EventBridge does not
backfill, and moto's timestamps are wall-clock, so the moment is read from the input's
``armed_at``), and missed times since the last tick coalesce into one fire of the
latest (the tick plays the role of time passing).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from functions.backends.aws.scheduler import SCHEDULED_TIME
from orcheo_core.triggers import iter_fire_times

logger = logging.getLogger(__name__)

Target = Callable[[dict[str, Any]], Awaitable[object]]


def unix_cron(aws_expression: str) -> str:
    """Back from ``cron(m h dom mon dow year)`` to 5 fields (``?`` is ``*``, Sunday 0)."""
    match = re.fullmatch(r"cron\((.*)\)", aws_expression)
    assert match, f"not an EventBridge cron expression: {aws_expression!r}"
    minute, hour, dom, month, dow, year = match.group(1).split()
    assert year == "*", aws_expression
    dom = "*" if dom == "?" else dom
    dow = "*" if dow in ("?", "*") else re.sub(r"\d+", lambda m: str(int(m.group()) - 1), dow)
    return f"{minute} {hour} {dom} {month} {dow}"


class SchedulerEmulator:
    """Fires moto's EventBridge schedules of one group at ``clock()``, into ``target``."""

    def __init__(self, client: Any, group: str, clock: Callable[[], float], target: Target):
        self._client = client
        self._group = group
        self._clock = clock
        self._target = target
        self._fired: dict[str, float] = {}

    def _latest_due(self, raw: dict[str, Any], since: float, now: float) -> float | None:
        cron = unix_cron(raw["ScheduleExpression"])
        latest = None
        for fire_time in iter_fire_times(cron, raw["ScheduleExpressionTimezone"], since):
            if fire_time > now:
                break
            latest = fire_time
        return latest

    async def tick(self) -> list[str]:
        """Invoke the target once for each schedule due since its last fire; their ids."""
        now = self._clock()
        due: list[tuple[float, str, dict[str, Any]]] = []
        for summary in self._client.list_schedules(GroupName=self._group)["Schedules"]:
            raw = self._client.get_schedule(Name=summary["Name"], GroupName=self._group)
            if raw["State"] != "ENABLED":
                continue
            payload = raw["Target"]["Input"]
            since = max(json.loads(payload)["armed_at"], self._fired.get(raw["Name"], 0.0))
            fire_time = self._latest_due(raw, since, now)
            if fire_time is not None:
                due.append((fire_time, raw["Name"], raw))
        fired = []
        for fire_time, name, raw in sorted(due, key=lambda d: (d[0], d[1])):
            self._fired[name] = fire_time
            stamp = datetime.fromtimestamp(fire_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            event = json.loads(raw["Target"]["Input"].replace(SCHEDULED_TIME, stamp))
            fired.append(event["schedule_id"])
            try:
                await self._target(event)
            except Exception:  # EventBridge records a failed invocation and retries later
                logger.info("target of %s failed", name)
        return fired
