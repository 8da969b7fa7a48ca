"""The scheduler Lambda: EventBridge Scheduler invokes it for each cron fire.

The event is the schedule's input (``fire_payload``: the schedule id, its expression,
target and the ``scheduled_time``). ``EventBridgeScheduler.fire`` hands it to
:func:`functions.service.triggers.fire_cron`, whose overlap guard holds across
Lambdas: a nonce per fire time (a fire starts at most one run) and a conditional-write
lock with an expiry in the trigger-state table around "is the previous run still
going? then start the next". The invocation is also idempotent on (schedule, fire
time), so an EventBridge retry of a fire that already started its run does nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from functions.lambda_kit import Idempotent, observability

__all__ = ["handler"]

obs = observability("orcheo-scheduler")


def _fire(event: dict[str, Any]) -> dict[str, Any]:
    from functions.aws import current

    fired = asyncio.run(current().scheduler.fire(event))
    if fired is None:
        return {"fired": False}
    schedule_id, fire_time = fired
    return {"fired": True, "schedule_id": schedule_id, "fire_time": fire_time}


_fire_once = Idempotent(_fire, key="[schedule_id, scheduled_time]", expires_after=24 * 3600)


@obs.logger.inject_lambda_context(correlation_id_path="schedule_id")
@obs.traced
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.aws import current

    obs.count("CronFires")
    answer: dict[str, Any] = _fire_once(current().settings, event, context)
    if not answer.get("fired"):
        obs.count("CronFiresIgnored")
    return answer
