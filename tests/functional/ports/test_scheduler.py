"""Conformance suite for the Scheduler port: every test runs against every implementation.

How an implementation joins (the EventBridge Scheduler one, say): write a factory, a
context manager ``(tmp_path, clock, on_fire) -> Harness`` that builds the scheduler on
fresh storage, and add it to :data:`SCHEDULERS`. ``Harness.tick`` fires what is due
at ``clock.now`` (on AWS: call the scheduler target the way EventBridge would);
``Harness.restart`` builds a new scheduler on the same storage (a new process).

Tests of one implementation's own machinery (the in-process ``run`` loop) sit at the
end, outside the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from aws.eventbridge import SchedulerEmulator
from aws.moto_env import REGION, aws_settings
from moto import mock_aws

from functions.backends.aws.scheduler import EventBridgeScheduler
from functions.backends.local.db import Database
from functions.backends.local.scheduler import InProcessScheduler
from functions.backends.ports import Scheduler, ScheduleRecord
from functions.errors import NotFoundError
from orcheo_core.errors import ConfigError

T0 = 1_700_000_000.0
"""The fake clock's start: Tuesday 2023-11-14 22:13:20 UTC."""


def at(text: str) -> float:
    """Unix seconds of a UTC wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Clock:
    """A clock the test moves by hand: call it for the time; ``advance`` or set ``now``."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Recorder:
    """The fire callback: records ``(schedule id, fire time)``; raises for ``failing`` ids."""

    fired: list[tuple[str, float]] = field(default_factory=list)
    targets: list[dict[str, object]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    async def __call__(self, schedule: ScheduleRecord, fire_time: float) -> None:
        self.fired.append((schedule.id, fire_time))
        self.targets.append(schedule.target)
        if schedule.id in self.failing:
            raise RuntimeError(f"boom from {schedule.id}")


@dataclass
class Harness:
    """One implementation under test, with the hooks the port leaves to each backend."""

    scheduler: Scheduler
    tick: Callable[[], Awaitable[list[str]]]
    restart: Callable[[], None]


Factory = Callable[[Path, Clock, Recorder], contextlib.AbstractContextManager[Harness]]


@contextlib.contextmanager
def make_in_process(tmp_path: Path, clock: Clock, on_fire: Recorder) -> Iterator[Harness]:
    """The local backend: schedules in a SQLite file, fired by ``tick``."""
    databases = [Database(tmp_path / "orcheo.db")]
    first = InProcessScheduler(databases[0], on_fire, clock=clock)
    harness = Harness(scheduler=first, tick=first.tick, restart=lambda: None)

    def restart() -> None:
        databases.append(Database(tmp_path / "orcheo.db"))
        scheduler = InProcessScheduler(databases[-1], on_fire, clock=clock)
        harness.scheduler, harness.tick = scheduler, scheduler.tick

    harness.restart = restart
    try:
        yield harness
    finally:
        for db in databases:
            db.close()


@contextlib.contextmanager
def make_eventbridge(tmp_path: Path, clock: Clock, on_fire: Recorder) -> Iterator[Harness]:
    """The AWS backend: EventBridge Scheduler in moto, fired by an emulator of the service.

    moto never fires a schedule, so ``tick`` is :class:`SchedulerEmulator`: it invokes
    the target (the scheduler Lambda, whose logic is ``EventBridgeScheduler.fire``) as
    EventBridge would. A restart is a new scheduler on the same schedules.
    """
    with mock_aws():
        settings = aws_settings()
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=settings.schedule_group)

        def build() -> EventBridgeScheduler:
            return EventBridgeScheduler(settings, on_fire, clock=clock, client=client)

        async def invoke_target(event: dict[str, object]) -> None:
            await harness.scheduler.fire(event)  # type: ignore[attr-defined]

        emulator = SchedulerEmulator(client, settings.schedule_group, clock, invoke_target)
        harness = Harness(scheduler=build(), tick=emulator.tick, restart=lambda: None)

        def restart() -> None:
            harness.scheduler = build()

        harness.restart = restart
        yield harness


SCHEDULERS: dict[str, Factory] = {"in_process": make_in_process, "eventbridge": make_eventbridge}
"""Every implementation of the Scheduler port, by name; add one here to test it."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(params=sorted(SCHEDULERS), ids=sorted(SCHEDULERS))
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock, recorder: Recorder
) -> Iterator[Harness]:
    with SCHEDULERS[request.param](tmp_path, clock, recorder) as built:
        yield built


@pytest.fixture
def scheduler(harness: Harness) -> Scheduler:
    return harness.scheduler


def schedule(
    schedule_id: str = "nightly",
    expression: str = "0 2 * * *",
    timezone: str = "UTC",
    enabled: bool = True,
) -> ScheduleRecord:
    return ScheduleRecord(
        id=schedule_id,
        expression=expression,
        timezone=timezone,
        target={"workflow_id": "wf-1", "inputs": {"n": 1}},
        enabled=enabled,
    )


# ---------------------------------------------------------------------------- CRUD


def test_put_then_get_returns_every_field(scheduler: Scheduler) -> None:
    stored = schedule(expression="*/5 9-17 * * MON-FRI", timezone="Europe/Berlin")
    scheduler.put_schedule(stored)
    assert scheduler.get_schedule("nightly") == stored


def test_put_replaces_an_existing_schedule(scheduler: Scheduler) -> None:
    scheduler.put_schedule(schedule())
    replaced = schedule(expression="@hourly", timezone="America/New_York")
    scheduler.put_schedule(replaced)
    assert scheduler.get_schedule("nightly") == replaced
    assert scheduler.list_schedules() == [replaced]


def test_list_is_ordered_by_id_and_includes_paused(scheduler: Scheduler) -> None:
    for schedule_id in ["b", "c", "a"]:
        scheduler.put_schedule(schedule(schedule_id, enabled=schedule_id != "c"))
    listed = scheduler.list_schedules()
    assert [s.id for s in listed] == ["a", "b", "c"]
    assert [s.enabled for s in listed] == [True, True, False]


def test_list_is_empty_at_first(scheduler: Scheduler) -> None:
    assert scheduler.list_schedules() == []


def test_delete_removes(scheduler: Scheduler) -> None:
    scheduler.put_schedule(schedule())
    scheduler.delete_schedule("nightly")
    with pytest.raises(NotFoundError):
        scheduler.get_schedule("nightly")
    assert scheduler.list_schedules() == []


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_schedule("missing"),
        lambda s: s.delete_schedule("missing"),
        lambda s: s.set_enabled("missing", False),
        lambda s: s.set_enabled("missing", True),
        lambda s: s.next_fire_times("missing"),
    ],
    ids=["get", "delete", "pause", "resume", "next_fire_times"],
)
def test_missing_schedule_is_not_found(
    scheduler: Scheduler, call: Callable[[Scheduler], object]
) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(scheduler)
    assert "missing" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "timezone", "field"),
    [
        ("* 25 * * *", "UTC", "hour"),
        ("not cron", "UTC", "expression"),
        ("0 0 31 2 *", "UTC", "day of month"),
        ("0 9 * * *", "Mars/Olympus_Mons", "timezone"),
    ],
)
def test_bad_expression_or_timezone_is_rejected_and_not_stored(
    scheduler: Scheduler, expression: str, timezone: str, field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        scheduler.put_schedule(schedule(expression=expression, timezone=timezone))
    assert caught.value.details["field"] == field
    assert scheduler.list_schedules() == []


def test_a_rejected_replacement_keeps_the_old_schedule(scheduler: Scheduler) -> None:
    scheduler.put_schedule(schedule())
    with pytest.raises(ConfigError):
        scheduler.put_schedule(schedule(expression="0 24 * * *"))
    assert scheduler.get_schedule("nightly").expression == "0 2 * * *"


# ---------------------------------------------------------------------------- next fire times


def test_next_fire_times_start_after_now(scheduler: Scheduler, clock: Clock) -> None:
    scheduler.put_schedule(schedule(expression="0 * * * *"))
    assert scheduler.next_fire_times("nightly", 3) == [
        at("2023-11-14 23:00"),
        at("2023-11-15 00:00"),
        at("2023-11-15 01:00"),
    ]
    clock.advance(3600)
    assert scheduler.next_fire_times("nightly", 1) == [at("2023-11-15 00:00")]


def test_next_fire_times_default_to_five(scheduler: Scheduler) -> None:
    scheduler.put_schedule(schedule(expression="@daily"))
    assert len(scheduler.next_fire_times("nightly")) == 5


def test_next_fire_times_use_the_timezone(scheduler: Scheduler) -> None:
    scheduler.put_schedule(schedule(expression="0 9 * * *", timezone="Europe/Berlin"))
    # 09:00 CET is 08:00 UTC in November.
    assert scheduler.next_fire_times("nightly", 1) == [at("2023-11-15 08:00")]


# ---------------------------------------------------------------------------- firing


async def test_tick_fires_a_due_schedule_once_with_its_fire_time(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="*/5 * * * *"))
    assert await harness.tick() == []

    clock.now = at("2023-11-14 22:15:07")
    assert await harness.tick() == ["nightly"]
    assert recorder.fired == [("nightly", at("2023-11-14 22:15"))]
    assert recorder.targets == [{"workflow_id": "wf-1", "inputs": {"n": 1}}]

    assert await harness.tick() == []  # same instant: nothing new
    clock.advance(60)
    assert await harness.tick() == []  # 22:16: not a fire time
    clock.now = at("2023-11-14 22:20:00")
    assert await harness.tick() == ["nightly"]
    assert recorder.fired[-1] == ("nightly", at("2023-11-14 22:20"))
    assert len(recorder.fired) == 2


async def test_a_new_schedule_fires_only_for_times_after_it_was_put(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    clock.now = at("2023-11-14 22:15:00")  # exactly a fire time
    await harness.tick()
    harness.scheduler.put_schedule(schedule(expression="*/5 * * * *"))
    clock.advance(30)
    assert await harness.tick() == []
    clock.now = at("2023-11-14 22:20:00")
    assert await harness.tick() == ["nightly"]
    assert recorder.fired == [("nightly", at("2023-11-14 22:20"))]


async def test_missed_fire_times_coalesce_into_one_fire_for_the_latest(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="* * * * *"))
    clock.now = at("2023-11-14 22:30:30")  # 17 fire times passed since the last tick
    assert await harness.tick() == ["nightly"]
    assert recorder.fired == [("nightly", at("2023-11-14 22:30"))]
    clock.advance(60)
    assert await harness.tick() == ["nightly"]
    assert recorder.fired[-1] == ("nightly", at("2023-11-14 22:31"))


async def test_a_long_gap_still_fires_once_for_the_latest_time(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="0 * * * *"))
    harness.scheduler.put_schedule(schedule("sparse", expression="0 0 1 1 *"))
    clock.now = at("2024-02-20 10:30:00")  # about three months later
    assert await harness.tick() == ["sparse", "nightly"]  # ordered by fire time
    assert recorder.fired == [
        ("sparse", at("2024-01-01 00:00")),
        ("nightly", at("2024-02-20 10:00")),
    ]


async def test_several_schedules_due_in_one_tick_each_fire(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule("a", expression="20 22 * * *"))
    harness.scheduler.put_schedule(schedule("b", expression="15 22 * * *"))
    harness.scheduler.put_schedule(schedule("c", expression="45 22 * * *"))
    clock.now = at("2023-11-14 22:21:00")
    assert await harness.tick() == ["b", "a"]
    assert recorder.fired == [("b", at("2023-11-14 22:15")), ("a", at("2023-11-14 22:20"))]


async def test_a_schedule_fires_in_its_timezone(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="30 23 * * *", timezone="America/New_York"))
    clock.now = at("2023-11-15 04:29:59")
    assert await harness.tick() == []
    clock.now = at("2023-11-15 04:30:00")  # 23:30 EST
    assert await harness.tick() == ["nightly"]


async def test_paused_schedule_never_fires_and_has_no_next_times(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    scheduler = harness.scheduler
    scheduler.put_schedule(schedule(expression="* * * * *"))
    paused = scheduler.set_enabled("nightly", False)
    assert paused.enabled is False
    assert scheduler.get_schedule("nightly").enabled is False
    assert scheduler.next_fire_times("nightly") == []
    clock.advance(600)
    assert await harness.tick() == []
    assert recorder.fired == []


async def test_a_schedule_put_paused_does_not_fire(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="* * * * *", enabled=False))
    clock.advance(600)
    assert await harness.tick() == []
    assert harness.scheduler.next_fire_times("nightly") == []


async def test_resume_fires_only_for_times_after_the_resume(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    scheduler = harness.scheduler
    scheduler.put_schedule(schedule(expression="*/5 * * * *"))
    scheduler.set_enabled("nightly", False)
    clock.now = at("2023-11-14 22:16:00")  # 22:15 passed while paused
    resumed = scheduler.set_enabled("nightly", True)
    assert resumed.enabled is True
    assert scheduler.next_fire_times("nightly", 1) == [at("2023-11-14 22:20")]
    clock.now = at("2023-11-14 22:17:00")
    assert await harness.tick() == []
    clock.now = at("2023-11-14 22:20:00")
    assert await harness.tick() == ["nightly"]
    assert recorder.fired == [("nightly", at("2023-11-14 22:20"))]


async def test_resuming_a_running_schedule_keeps_its_due_fire(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="*/5 * * * *"))
    clock.now = at("2023-11-14 22:15:30")
    harness.scheduler.set_enabled("nightly", True)  # already enabled: nothing changes
    assert await harness.tick() == ["nightly"]


async def test_deleted_schedule_does_not_fire(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="* * * * *"))
    harness.scheduler.delete_schedule("nightly")
    clock.advance(600)
    assert await harness.tick() == []


async def test_schedules_survive_a_restart_and_keep_firing(
    harness: Harness, clock: Clock, recorder: Recorder
) -> None:
    harness.scheduler.put_schedule(schedule(expression="*/5 * * * *"))
    harness.scheduler.put_schedule(schedule("paused", expression="* * * * *", enabled=False))
    before = harness.scheduler.list_schedules()

    harness.restart()
    assert harness.scheduler.list_schedules() == before
    clock.now = at("2023-11-14 22:15:01")
    assert await harness.tick() == ["nightly"]
    assert recorder.fired == [("nightly", at("2023-11-14 22:15"))]


async def test_a_failing_fire_affects_neither_other_schedules_nor_later_ticks(
    harness: Harness, clock: Clock, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.failing.add("broken")
    harness.scheduler.put_schedule(schedule("broken", expression="* * * * *"))
    harness.scheduler.put_schedule(schedule("healthy", expression="* * * * *"))
    clock.advance(60)
    with caplog.at_level(logging.ERROR):
        fired = await harness.tick()
    assert sorted(fired) == ["broken", "healthy"]
    assert sorted(schedule_id for schedule_id, _ in recorder.fired) == ["broken", "healthy"]
    assert "broken" in caplog.text

    clock.advance(60)
    assert sorted(await harness.tick()) == ["broken", "healthy"]
    assert len(recorder.fired) == 4


# ---------------------------------------------------------------------------- in-process loop


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "orcheo.db")
    yield database
    database.close()


async def wait_until(condition: Callable[[], bool], deadline: float = 10.0) -> None:
    """Poll ``condition`` until true; fail after a generous ``deadline`` (seconds)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while not condition():
        assert loop.time() < give_up, "condition not met before the deadline"
        await asyncio.sleep(0.005)


async def test_run_loop_fires_when_the_clock_reaches_a_fire_time(
    db: Database, clock: Clock, recorder: Recorder
) -> None:
    recorder.failing.add("broken")
    scheduler = InProcessScheduler(db, recorder, clock=clock)
    scheduler.put_schedule(schedule("broken", expression="*/5 * * * *"))
    scheduler.put_schedule(schedule("nightly", expression="*/5 * * * *"))
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop, resolution=0.01))

    clock.now = at("2023-11-14 22:15:00")  # the clock jumps; the loop notices
    await wait_until(lambda: len(recorder.fired) == 2)
    clock.now = at("2023-11-14 22:20:00")  # a failing fire did not stop the loop
    await wait_until(lambda: len(recorder.fired) == 4)
    assert sorted(recorder.fired) == [
        ("broken", at("2023-11-14 22:15")),
        ("broken", at("2023-11-14 22:20")),
        ("nightly", at("2023-11-14 22:15")),
        ("nightly", at("2023-11-14 22:20")),
    ]

    stop.set()
    await asyncio.wait_for(task, timeout=10)


async def test_run_loop_stops_promptly_while_waiting_for_a_distant_fire(
    db: Database, clock: Clock, recorder: Recorder
) -> None:
    scheduler = InProcessScheduler(db, recorder, clock=clock)
    scheduler.put_schedule(schedule(expression="0 0 1 1 *"))
    stop = asyncio.Event()
    # An hour-long resolution: only the stop event can end this wait in time.
    task = asyncio.create_task(scheduler.run(stop, resolution=3600))
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert recorder.fired == []


async def test_run_loop_with_the_real_clock_stops_when_asked(
    db: Database, recorder: Recorder
) -> None:
    scheduler = InProcessScheduler(db, recorder)
    scheduler.put_schedule(schedule(expression="* * * * *"))
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0)
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, timeout=10)


def test_next_due_is_the_earliest_fire_time(db: Database, clock: Clock, recorder: Recorder) -> None:
    scheduler = InProcessScheduler(db, recorder, clock=clock)
    assert scheduler.next_due() is None
    scheduler.put_schedule(schedule("hourly", expression="0 * * * *"))
    scheduler.put_schedule(schedule("soon", expression="20 22 * * *"))
    scheduler.put_schedule(schedule("paused", expression="* * * * *", enabled=False))
    assert scheduler.next_due() == at("2023-11-14 22:20")


async def test_a_schedule_put_by_another_scheduler_on_the_same_database_is_seen(
    tmp_path: Path, db: Database, clock: Clock, recorder: Recorder
) -> None:
    mine = InProcessScheduler(db, recorder, clock=clock)
    other_db = Database(tmp_path / "orcheo.db")
    try:
        InProcessScheduler(other_db, recorder, clock=clock).put_schedule(schedule())
    finally:
        other_db.close()
    clock.now = at("2023-11-15 02:00:01")
    assert await mine.tick() == ["nightly"]
