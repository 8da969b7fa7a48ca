"""The Scheduler port on EventBridge Scheduler: what the service holds, and the target's input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aws.eventbridge import unix_cron
from aws.moto_env import REGION, aws_settings
from functions.backends.aws.scheduler import EventBridgeScheduler, aws_cron, schedule_name
from functions.backends.ports import ScheduleRecord
from orcheo_core.errors import ConfigError
from orcheo_core.triggers import CronExpression

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with mock_aws():
        scheduler = boto3.client("scheduler", region_name=REGION)
        scheduler.create_schedule_group(Name=aws_settings().schedule_group)
        yield scheduler


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/15 9-17 * * MON-FRI", "cron(0,15,30,45 9-17 ? * 2-6 *)"),
        ("@daily", "cron(0 0 * * ? *)"),
        ("@hourly", "cron(0 * * * ? *)"),
        ("30 2 1,15 * *", "cron(30 2 1,15 * ? *)"),
        ("0 9 * JAN,JUL SUN", "cron(0 9 ? 1,7 1 *)"),
        ("0 9 * * 7", "cron(0 9 ? * 1 *)"),
        ("0 0 1-31 * MON", "cron(0 0 * * ? *)"),  # Vixie OR with every day: every day
        ("*/20 * */2 * *", "cron(0,20,40 * 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * ? *)"),
    ],
)
def test_cron_becomes_eventbridge_cron(expression: str, expected: str) -> None:
    assert aws_cron(expression) == expected
    # And back: the same fire times as the original (what the emulator relies on).
    original, back = CronExpression.parse(expression), CronExpression.parse(unix_cron(expected))
    for field in ("minutes", "hours", "months"):
        assert getattr(back, field) == getattr(original, field)


@pytest.mark.parametrize("expression", ["0 0 1 * MON", "0 0 */2 * MON-FRI"])
def test_both_day_fields_restricted_is_refused(expression: str) -> None:
    with pytest.raises(ConfigError, match="EventBridge") as caught:
        aws_cron(expression)
    assert caught.value.details["field"] == "expression"


def test_schedule_names_are_valid_and_distinct() -> None:
    names = {schedule_name(i) for i in ("wf:a:b", "wf_a_b", "wf:a:b ", "x" * 300)}
    assert len(names) == 4
    for name in names:
        assert len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)


def test_the_schedule_eventbridge_holds(client: Any) -> None:
    settings = aws_settings()
    scheduler = EventBridgeScheduler(settings, clock=lambda: T0, client=client)
    record = ScheduleRecord(
        "wf:w1:nightly", "30 2 * * *", "Europe/Berlin", {"workflow_id": "w1", "trigger": "n"}
    )
    scheduler.put_schedule(record)
    raw = client.get_schedule(Name=schedule_name(record.id), GroupName=settings.schedule_group)
    assert raw["ScheduleExpression"] == "cron(30 2 * * ? *)"
    assert raw["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert raw["State"] == "ENABLED"
    assert raw["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert raw["Target"]["Arn"] == settings.scheduler_target_arn
    assert raw["Target"]["RoleArn"] == settings.scheduler_role_arn
    assert json.loads(raw["Target"]["Input"]) == {
        "schedule_id": "wf:w1:nightly",
        "expression": "30 2 * * *",
        "timezone": "Europe/Berlin",
        "target": {"workflow_id": "w1", "trigger": "n"},
        "armed_at": T0,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    scheduler.set_enabled(record.id, False)
    paused = client.get_schedule(Name=schedule_name(record.id), GroupName=settings.schedule_group)
    assert paused["State"] == "DISABLED"
    assert paused["ScheduleExpression"] == raw["ScheduleExpression"]
    scheduler.delete_schedule(record.id)


async def test_the_target_fires_with_the_scheduled_time(client: Any) -> None:
    fired: list[tuple[ScheduleRecord, float]] = []

    async def on_fire(schedule: ScheduleRecord, fire_time: float) -> None:
        fired.append((schedule, fire_time))

    scheduler = EventBridgeScheduler(aws_settings(), on_fire, clock=lambda: T0, client=client)
    scheduler.put_schedule(ScheduleRecord("s1", "*/5 * * * *", "UTC", {"n": 1}))
    raw = client.get_schedule(Name=schedule_name("s1"), GroupName=aws_settings().schedule_group)
    # The invocation EventBridge makes: the input with the context attribute filled in.
    event = json.loads(
        raw["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", "2023-11-14T22:15:00Z")
    )
    assert await scheduler.fire(event) == ("s1", 1_700_000_100.0)
    assert fired == [(ScheduleRecord("s1", "*/5 * * * *", "UTC", {"n": 1}), 1_700_000_100.0)]
    # A fire for a time before the schedule was armed (a late retry) is dropped.
    stale = {**event, "scheduled_time": "2023-11-14T22:10:00Z"}
    assert await scheduler.fire(stale) is None
    assert len(fired) == 1
