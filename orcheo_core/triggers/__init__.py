"""Trigger logic with no I/O: cron math (more to come: webhook checks, polling dedup).

Example::

    from orcheo_core.triggers import describe, next_fire_times

    next_fire_times("0 9 * * MON-FRI", "Europe/Berlin", after=time.time(), count=3)
    describe("0 9 * * MON-FRI")  # 'at 09:00 on Monday through Friday'
"""

from orcheo_core.triggers.cron import (
    CronExpression,
    describe,
    iter_fire_times,
    next_fire_times,
    resolve_timezone,
)

__all__ = [
    "CronExpression",
    "describe",
    "iter_fire_times",
    "next_fire_times",
    "resolve_timezone",
]
