"""The in-process implementation of the Scheduler port: cron schedules in SQLite, fired by a loop.

Schedules live in the ``schedules`` table, so they survive restarts; the firing state
(when the last tick ran) lives in memory. Firing rules:

- :meth:`InProcessScheduler.tick` fires every enabled schedule that has a fire time
  in ``(last tick, now]``, by awaiting ``on_fire(schedule, fire_time)``.
- **Catch-up coalesces**: when several fire times were missed (the laptop slept, the
  loop was blocked) a schedule fires once, with the *latest* missed time, as
  cronie and Kubernetes CronJobs do; a burst of stale runs helps nobody.
- A schedule only fires for times after it was armed: put (created or replaced) or
  resumed. The ``created_at`` column holds that moment, so another process sharing
  the database gets the same answer. A new scheduler starts its window at its own
  creation: times missed while nothing was running are not caught up (cron's rule;
  ``next_fire_times`` shows what comes next).
- Paused schedules never fire. An exception in ``on_fire`` is logged and affects
  neither the other schedules nor the loop. ``on_fire`` should start work, not wait
  for it: a tick waits for every callback it made.

Example::

    scheduler = InProcessScheduler(db, on_fire=start_run)
    scheduler.put_schedule(ScheduleRecord("nightly", "0 2 * * *", "Europe/Berlin"))
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from functions.backends.common import not_found
from functions.backends.local.db import dumps
from functions.backends.ports import ScheduleRecord
from orcheo_core.errors import ConfigError
from orcheo_core.triggers import CronExpression, iter_fire_times, resolve_timezone

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from functions.backends.local.db import Database

__all__ = ["InProcessScheduler"]

logger = logging.getLogger(__name__)

# The first window probed when looking for the latest missed fire time; it grows by
# this factor until it holds one, so a week of missed minutes costs a few probes.
_COALESCE_WINDOW = 60.0
_COALESCE_GROWTH = 16.0


@functools.lru_cache(maxsize=1024)
def _parse(expression: str) -> CronExpression:
    return CronExpression.parse(expression)


@dataclass(frozen=True)
class _Row:
    """An enabled schedule as the tick loop sees it (target still JSON text)."""

    id: str
    expression: str
    timezone: str
    target: str
    armed_at: float

    def record(self) -> ScheduleRecord:
        return ScheduleRecord(
            id=self.id,
            expression=self.expression,
            timezone=self.timezone,
            target=json.loads(self.target),
            enabled=True,
        )


def _record(row: tuple[Any, ...]) -> ScheduleRecord:
    return ScheduleRecord(
        id=row[0],
        expression=row[1],
        timezone=row[2],
        target=json.loads(row[3]),
        enabled=bool(row[4]),
    )


class InProcessScheduler:
    """Cron schedules stored in SQLite and fired in this process.

    ``on_fire(schedule, fire_time)`` is awaited for each fire; ``clock`` returns Unix
    seconds (tests pass a controllable one). Call :meth:`tick` yourself, or run
    :meth:`run` as a background task.
    """

    def __init__(
        self,
        db: Database,
        on_fire: Callable[[ScheduleRecord, float], Awaitable[None]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._on_fire = on_fire
        self._clock = clock
        self._last_tick = clock()
        # id -> (expression, timezone, after, next fire after ``after``): the answer
        # holds for any later ``after`` short of ``next``, so a tick a second rarely
        # recomputes.
        self._next: dict[str, tuple[str, str, float, float]] = {}

    # ------------------------------------------------------------------ the port

    def put_schedule(self, schedule: ScheduleRecord) -> None:
        """Create or replace; ConfigError for a bad expression, time zone or target.

        The schedule fires only for times after this call.
        """
        if not schedule.id:
            raise ConfigError("a schedule needs a non-empty id", field="id")
        _parse(schedule.expression)
        resolve_timezone(schedule.timezone)
        try:
            target = dumps(schedule.target)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"schedule {schedule.id!r}: target must be JSON-serialisable ({exc})",
                field="target",
            ) from None
        with self._db.connection() as conn:
            conn.execute(
                "INSERT INTO schedules (id, expression, timezone, target, enabled, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "expression = excluded.expression, timezone = excluded.timezone, "
                "target = excluded.target, enabled = excluded.enabled, "
                "created_at = excluded.created_at",
                (
                    schedule.id,
                    schedule.expression,
                    schedule.timezone,
                    target,
                    int(schedule.enabled),
                    self._clock(),
                ),
            )
        self._next.pop(schedule.id, None)

    def get_schedule(self, schedule_id: str) -> ScheduleRecord:
        """The schedule; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT id, expression, timezone, target, enabled FROM schedules WHERE id = ?",
                (schedule_id,),
            ).fetchone()
        if row is None:
            raise not_found("schedule", schedule_id)
        return _record(row)

    def list_schedules(self) -> list[ScheduleRecord]:
        """All schedules, paused ones included, by id."""
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT id, expression, timezone, target, enabled FROM schedules ORDER BY id"
            ).fetchall()
        return [_record(row) for row in rows]

    def delete_schedule(self, schedule_id: str) -> None:
        """Remove the schedule; NotFoundError when there is none with this id."""
        with self._db.connection() as conn:
            deleted = conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount
        if not deleted:
            raise not_found("schedule", schedule_id)
        self._next.pop(schedule_id, None)

    def set_enabled(self, schedule_id: str, enabled: bool) -> ScheduleRecord:
        """Pause (False) or resume (True); a resumed schedule fires only for later times."""
        with self._db.transaction() as conn:
            if enabled:
                # Re-arm only on a real resume: resuming a running schedule changes nothing.
                conn.execute(
                    "UPDATE schedules SET enabled = 1, created_at = ? WHERE id = ? AND enabled = 0",
                    (self._clock(), schedule_id),
                )
            else:
                conn.execute("UPDATE schedules SET enabled = 0 WHERE id = ?", (schedule_id,))
        return self.get_schedule(schedule_id)

    def next_fire_times(self, schedule_id: str, count: int = 5) -> list[float]:
        """The next ``count`` fire times (Unix seconds) after now; empty while paused."""
        schedule = self.get_schedule(schedule_id)
        if not schedule.enabled or count <= 0:
            return []
        times = iter_fire_times(_parse(schedule.expression), schedule.timezone, self._clock())
        return [next(times) for _ in range(count)]

    # ------------------------------------------------------------------ firing

    async def tick(self, now: float | None = None) -> list[str]:
        """Fire every enabled schedule due in ``(last tick, now]``, at most once each.

        ``now`` defaults to the clock. Returns the ids fired (their ``on_fire`` was
        called, whether or not it raised), ordered by fire time.
        """
        now = self._clock() if now is None else now
        since = self._last_tick
        if now <= since:  # no time passed, or the wall clock stepped back: nothing is due
            return []
        self._last_tick = now
        due: list[tuple[float, _Row]] = []
        for row in self._enabled():
            try:
                fire_time = self._latest_due(row, max(since, row.armed_at), now)
            except ConfigError:
                # Stored before a tz database update dropped its zone, say: keep the rest going.
                logger.exception("schedule %r cannot be evaluated; skipping it", row.id)
                continue
            if fire_time is not None:
                due.append((fire_time, row))
        due.sort(key=lambda item: (item[0], item[1].id))
        await asyncio.gather(*(self._fire(row, fire_time) for fire_time, row in due))
        return [row.id for _, row in due]

    async def run(self, stop: asyncio.Event, resolution: float = 1.0) -> None:
        """Tick until ``stop`` is set: sleep until the next fire time, at most ``resolution``.

        Returns promptly once ``stop`` is set. A failing tick is logged and retried on
        the next round.
        """
        while not stop.is_set():
            delay = resolution
            try:
                await self.tick()
                upcoming = self.next_due()
                if upcoming is not None:
                    delay = min(resolution, max(0.0, upcoming - self._clock()))
            except Exception:
                logger.exception("scheduler tick failed; retrying in %.3gs", resolution)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    def next_due(self) -> float | None:
        """The earliest time any enabled schedule fires after the last tick, or None."""
        upcoming: float | None = None
        for row in self._enabled():
            with contextlib.suppress(ConfigError):
                fire_time = self._next_after(row, max(self._last_tick, row.armed_at))
                upcoming = fire_time if upcoming is None else min(upcoming, fire_time)
        return upcoming

    # ------------------------------------------------------------------ internals

    def _enabled(self) -> list[_Row]:
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT id, expression, timezone, target, created_at FROM schedules "
                "WHERE enabled = 1 ORDER BY id"
            ).fetchall()
        return [_Row(*row) for row in rows]

    def _next_after(self, row: _Row, after: float) -> float:
        cached = self._next.get(row.id)
        if cached is not None:
            expression, timezone, since, upcoming = cached
            if (expression, timezone) == (row.expression, row.timezone) and (
                since <= after < upcoming
            ):
                return upcoming
        upcoming = next(iter_fire_times(_parse(row.expression), row.timezone, after))
        self._next[row.id] = (row.expression, row.timezone, after, upcoming)
        return upcoming

    def _latest_due(self, row: _Row, after: float, now: float) -> float | None:
        """The latest fire time in ``(after, now]`` (coalescing any before it), or None."""
        first = self._next_after(row, after)
        if first > now:
            return None
        if self._next_after(row, first) > now:
            return first  # the usual case: exactly one fire time is due
        window = _COALESCE_WINDOW
        while True:
            # Probe ever larger windows ending at ``now`` so a long gap is not walked
            # fire by fire; the window reaching ``after`` finds ``first`` at least.
            latest = None
            for fire_time in iter_fire_times(
                _parse(row.expression), row.timezone, max(after, now - window)
            ):
                if fire_time > now:
                    break
                latest = fire_time
            if latest is not None:
                return latest
            window *= _COALESCE_GROWTH

    async def _fire(self, row: _Row, fire_time: float) -> None:
        try:
            await self._on_fire(row.record(), fire_time)
        except Exception:
            logger.exception("schedule %r failed to fire for %s", row.id, fire_time)


if TYPE_CHECKING:  # mypy checks that the class implements the port
    from functions.backends.ports import Scheduler

    _conforms: type[Scheduler] = InProcessScheduler
