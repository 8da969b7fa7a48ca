"""Cron math: parsing, fire times across DST and leap years, errors, descriptions."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orcheo_core.errors import ConfigError
from orcheo_core.triggers import (
    CronExpression,
    describe,
    iter_fire_times,
    next_fire_times,
    resolve_timezone,
)
from orcheo_core.triggers import cron as cron_module

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def ts(text: str, zone: ZoneInfo | None = None, fold: int = 0) -> float:
    """Unix seconds of the wall-clock ``text`` in ``zone`` (UTC by default)."""
    moment = datetime.fromisoformat(text).replace(tzinfo=zone or UTC, fold=fold)
    return moment.timestamp()


def local(times: list[float], zone: ZoneInfo) -> list[str]:
    """Each instant as local ISO time with its offset, for readable assertions."""
    return [datetime.fromtimestamp(t, zone).isoformat() for t in times]


def utc(times: list[float]) -> list[str]:
    return [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") for t in times]


# ---------------------------------------------------------------------------- parsing


def test_fields_lists_ranges_and_steps() -> None:
    cron = CronExpression.parse("1,5,10-12 */6 1-10/3 */4 1-5")
    assert cron.minutes == (1, 5, 10, 11, 12)
    assert cron.hours == (0, 6, 12, 18)
    assert cron.days_of_month == (1, 4, 7, 10)
    assert cron.months == (1, 5, 9)
    assert cron.days_of_week == (1, 2, 3, 4, 5)


def test_value_with_step_runs_to_the_end_of_the_field() -> None:
    assert CronExpression.parse("5/15 * * * *").minutes == (5, 20, 35, 50)


def test_step_larger_than_the_range_keeps_only_the_start() -> None:
    assert CronExpression.parse("*/90 * * * *").minutes == (0,)


def test_month_and_weekday_names_are_case_insensitive() -> None:
    cron = CronExpression.parse("0 0 * jan,Mar-may mon-FRI")
    assert cron.months == (1, 3, 4, 5)
    assert cron.days_of_week == (1, 2, 3, 4, 5)


@pytest.mark.parametrize("sunday", ["0", "7", "SUN", "sun"])
def test_sunday_is_0_or_7(sunday: str) -> None:
    assert CronExpression.parse(f"0 0 * * {sunday}").days_of_week == (0,)


def test_weekday_ranges_may_end_on_sunday() -> None:
    assert CronExpression.parse("0 0 * * 5-7").days_of_week == (0, 5, 6)
    assert CronExpression.parse("0 0 * * MON-SUN").days_of_week == tuple(range(7))
    assert CronExpression.parse("0 0 * * FRI-SUN").days_of_week == (0, 5, 6)
    assert CronExpression.parse("0 0 * * SUN-SUN").days_of_week == (0,)
    assert CronExpression.parse("0 0 * * SUN-TUE").days_of_week == (0, 1, 2)


def test_whitespace_around_and_between_fields_is_ignored() -> None:
    assert CronExpression.parse("  0\t9  * *   1 ").text == "0\t9  * *   1"
    assert CronExpression.parse("  0\t9  * *   1 ").hours == (9,)


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@DAILY", "0 0 * * *"),
    ],
)
def test_macros_mean_their_expansion(macro: str, expansion: str) -> None:
    start = ts("2024-05-17 13:45")
    assert next_fire_times(macro, "UTC", start, 5) == next_fire_times(expansion, "UTC", start, 5)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("expression", "field", "message"),
    [
        ("* 25 * * *", "hour", "cron field 'hour': 25 is out of range 0-23"),
        ("60 * * * *", "minute", "cron field 'minute': 60 is out of range 0-59"),
        ("* * 0 * *", "day of month", "cron field 'day of month': 0 is out of range 1-31"),
        ("* * 32 * *", "day of month", "32 is out of range 1-31"),
        ("* * * 13 *", "month", "cron field 'month': 13 is out of range 1-12"),
        ("* * * * 8", "day of week", "cron field 'day of week': 8 is out of range 0-7"),
        ("* * * FOO *", "month", "'FOO' is not a number or a month name (allowed: 1-12 or JAN"),
        ("* * * * FUN", "day of week", "'FUN' is not a number or a day name"),
        ("x * * * *", "minute", "'x' is not a number (allowed: 0-59)"),
        ("² * * * *", "minute", "'²' is not a number"),
        ("-1 * * * *", "minute", "'' is not a number"),
        ("*/0 * * * *", "minute", "step '0' in '*/0' must be a whole number >= 1"),
        ("*/x * * * *", "minute", "step 'x'"),
        ("5-1 * * * *", "minute", "range '5-1' runs backwards"),
        ("* * * * SAT-MON", "day of week", "range 'SAT-MON' runs backwards"),
        ("1,,2 * * * *", "minute", "empty item in list '1,,2'"),
        ("", "expression", "cron expression is empty"),
        ("* * * *", "expression", "has 4 fields; expected 5"),
        ("0 * * * * *", "expression", "has 6 fields; expected 5"),
        ("@reboot", "expression", "unknown cron macro '@reboot'"),
        ("0 0 31 2 *", "day of month", "never fires: no day 31 or later exists in February"),
        ("0 0 30 2 *", "day of month", "never fires"),
        ("0 0 31 4,6,9,11 *", "day of month", "April, June, September, November"),
    ],
)
def test_bad_expressions_say_which_field_what_value_and_what_is_allowed(
    expression: str, field: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        CronExpression.parse(expression)
    assert message in caught.value.message
    assert caught.value.details["field"] == field


def test_out_of_range_details_carry_value_and_allowed_range() -> None:
    with pytest.raises(ConfigError) as caught:
        CronExpression.parse("0 25 * * *")
    assert caught.value.details == {
        "field": "hour",
        "value": "25",
        "allowed": "0-23",
        "expression": "0 25 * * *",
    }


def test_day_31_in_february_fires_when_weekday_is_also_restricted() -> None:
    # Vixie OR: Mondays in February alone make it fire.
    times = next_fire_times("0 0 31 2 MON", "UTC", ts("2024-01-01 12:00"), 2)
    assert utc(times) == ["2024-02-05 00:00", "2024-02-12 00:00"]


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "europe/berlin", "", "../etc/passwd"])
def test_unknown_timezone_is_named(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        next_fire_times("* * * * *", name, 0.0)
    assert repr(name) in caught.value.message
    assert caught.value.details["field"] == "timezone"


def test_errors_are_raised_at_the_call_not_at_the_first_next() -> None:
    with pytest.raises(ConfigError):
        iter_fire_times("* * * * *", "Nowhere/Land", 0.0)
    with pytest.raises(ConfigError):
        iter_fire_times("* * *", "UTC", 0.0)


@pytest.mark.parametrize("after", [float("nan"), float("inf"), 1e20])
def test_after_must_be_a_real_timestamp(after: float) -> None:
    with pytest.raises(ConfigError):
        next_fire_times("* * * * *", "UTC", after)


def test_negative_count_is_an_error_and_zero_is_empty() -> None:
    with pytest.raises(ConfigError):
        next_fire_times("* * * * *", "UTC", 0.0, -1)
    assert next_fire_times("* * * * *", "UTC", 0.0, 0) == []


def test_resolve_timezone() -> None:
    assert resolve_timezone("Europe/Berlin") == BERLIN
    assert datetime(2024, 1, 1, tzinfo=resolve_timezone("UTC")).utcoffset() == timedelta(0)


# ---------------------------------------------------------------------------- fire times


def test_results_are_strictly_after_after() -> None:
    at_fire_time = ts("2024-05-17 13:45")
    assert utc(next_fire_times("45 13 * * *", "UTC", at_fire_time)) == ["2024-05-18 13:45"]
    assert utc(next_fire_times("45 13 * * *", "UTC", at_fire_time - 0.5)) == ["2024-05-17 13:45"]
    assert utc(next_fire_times("* * * * *", "UTC", at_fire_time + 59.9)) == ["2024-05-17 13:46"]


def test_every_five_minutes() -> None:
    times = next_fire_times("*/5 * * * *", "UTC", ts("2024-05-17 23:52:10"), 4)
    assert utc(times) == [
        "2024-05-17 23:55",
        "2024-05-18 00:00",
        "2024-05-18 00:05",
        "2024-05-18 00:10",
    ]


def test_weekdays_at_nine_in_berlin_from_a_friday_evening() -> None:
    times = next_fire_times("0 9 * * MON-FRI", "Europe/Berlin", ts("2024-05-17 18:00", BERLIN), 6)
    assert local(times, BERLIN) == [
        "2024-05-20T09:00:00+02:00",
        "2024-05-21T09:00:00+02:00",
        "2024-05-22T09:00:00+02:00",
        "2024-05-23T09:00:00+02:00",
        "2024-05-24T09:00:00+02:00",
        "2024-05-27T09:00:00+02:00",
    ]


def test_vixie_or_when_both_day_fields_are_restricted() -> None:
    # Friday the 13th is not required: the 13th OR any Friday.
    times = next_fire_times("0 0 13 * FRI", "UTC", ts("2024-09-01 00:00"), 5)
    assert utc(times) == [
        "2024-09-06 00:00",  # Friday
        "2024-09-13 00:00",  # the 13th (also a Friday: once)
        "2024-09-20 00:00",
        "2024-09-27 00:00",
        "2024-10-04 00:00",
    ]
    assert utc(next_fire_times("0 0 13 * FRI", "UTC", ts("2024-10-05 00:00"), 2)) == [
        "2024-10-11 00:00",
        "2024-10-13 00:00",  # a Sunday: matched by the day of month alone
    ]


def test_and_when_either_day_field_starts_with_a_star() -> None:
    # "*/2" counts as unrestricted for Vixie: odd days of the month that are Mondays.
    times = next_fire_times("0 0 */2 * MON", "UTC", ts("2024-09-01 00:00"), 3)
    assert utc(times) == ["2024-09-09 00:00", "2024-09-23 00:00", "2024-10-07 00:00"]
    # A plain "*" weekday: every listed day of month, whatever the weekday.
    assert utc(next_fire_times("0 0 13 * *", "UTC", ts("2024-09-01 00:00"), 2)) == [
        "2024-09-13 00:00",
        "2024-10-13 00:00",
    ]


def test_day_31_skips_short_months() -> None:
    times = next_fire_times("0 12 31 * *", "UTC", ts("2024-01-31 12:00"), 4)
    assert utc(times) == [
        "2024-03-31 12:00",
        "2024-05-31 12:00",
        "2024-07-31 12:00",
        "2024-08-31 12:00",
    ]


def test_leap_day_is_found_across_years_and_the_skipped_2100() -> None:
    assert utc(next_fire_times("0 0 29 2 *", "UTC", ts("2023-03-01 00:00"), 3)) == [
        "2024-02-29 00:00",
        "2028-02-29 00:00",
        "2032-02-29 00:00",
    ]
    # 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    assert utc(next_fire_times("0 0 29 2 *", "UTC", ts("2097-01-01 00:00"), 1)) == [
        "2104-02-29 00:00"
    ]
    assert utc(next_fire_times("0 0 29 2 *", "UTC", ts("1997-01-01 00:00"), 1)) == [
        "2000-02-29 00:00"
    ]


def test_leap_day_on_a_given_weekday_needs_both_with_a_star_step() -> None:
    # "*/7" in the weekday is {0}: Sunday. With a "*"-led weekday both must match.
    times = next_fire_times("0 0 29 2 */7", "UTC", ts("2000-01-01 00:00"), 3)
    assert utc(times) == ["2004-02-29 00:00", "2032-02-29 00:00", "2060-02-29 00:00"]


def test_large_counts_are_computed_by_skipping_fields() -> None:
    after = ts("2024-01-01 00:00")
    minutes = next_fire_times("* * * * *", "UTC", after, 100_000)
    assert minutes[-1] == after + 100_000 * 60
    leap_days = next_fire_times("0 0 29 2 *", "UTC", after, 500)
    # 2024 + 4 * 499 = 4020, plus 15 skipped century years (2100, 2200, 2300, 2500, ...).
    assert utc(leap_days[-1:]) == ["4080-02-29 00:00"]


def test_iter_fire_times_continues_without_end() -> None:
    times = iter_fire_times("0 0 1 1 *", "UTC", ts("2024-06-01 00:00"))
    assert utc([next(times), next(times), next(times)]) == [
        "2025-01-01 00:00",
        "2026-01-01 00:00",
        "2027-01-01 00:00",
    ]


def test_a_parsed_expression_can_be_reused() -> None:
    cron = CronExpression.parse("30 6 * * *")
    assert next_fire_times(cron, "UTC", 0.0) == next_fire_times("30 6 * * *", "UTC", 0.0)


def test_matches_reads_the_wall_clock_of_the_moment() -> None:
    cron = CronExpression.parse("0 9 * * MON-FRI")
    assert cron.matches(datetime(2024, 5, 17, 9, 0))  # a Friday
    assert cron.matches(datetime(2024, 5, 17, 9, 0, tzinfo=BERLIN))
    assert not cron.matches(datetime(2024, 5, 18, 9, 0))  # Saturday
    assert not cron.matches(datetime(2024, 5, 17, 9, 1))


# ---------------------------------------------------------------------------- DST
# Europe/Berlin: 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET.
# America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST.


def test_berlin_spring_forward_runs_a_skipped_time_right_after_the_gap() -> None:
    times = next_fire_times("30 2 * * *", "Europe/Berlin", ts("2024-03-30 12:00", BERLIN), 3)
    assert local(times, BERLIN) == [
        "2024-03-31T03:00:00+02:00",
        "2024-04-01T02:30:00+02:00",
        "2024-04-02T02:30:00+02:00",
    ]


def test_several_skipped_times_fire_once_after_the_gap() -> None:
    times = next_fire_times("0,15,30 2 * * *", "Europe/Berlin", ts("2024-03-31 00:00", BERLIN), 2)
    assert local(times, BERLIN) == ["2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00"]


def test_skipped_time_and_a_real_three_oclock_fire_once() -> None:
    times = next_fire_times("0 2,3 * * *", "Europe/Berlin", ts("2024-03-31 00:00", BERLIN), 2)
    assert local(times, BERLIN) == ["2024-03-31T03:00:00+02:00", "2024-04-01T02:00:00+02:00"]


def test_new_york_spring_forward() -> None:
    times = next_fire_times("30 2 * * *", "America/New_York", ts("2024-03-09 12:00", NEW_YORK), 2)
    assert local(times, NEW_YORK) == ["2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"]


def test_berlin_fall_back_fires_a_repeated_fixed_time_once_at_its_first_occurrence() -> None:
    times = next_fire_times("30 2 * * *", "Europe/Berlin", ts("2024-10-26 12:00", BERLIN), 2)
    assert local(times, BERLIN) == ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]


def test_new_york_fall_back_fires_a_repeated_fixed_time_once() -> None:
    times = next_fire_times("30 1 * * *", "America/New_York", ts("2024-11-02 12:00", NEW_YORK), 2)
    assert local(times, NEW_YORK) == ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"]


def test_after_the_first_occurrence_a_repeated_fixed_time_does_not_fire_again() -> None:
    second_pass = ts("2024-10-27 02:15", BERLIN, fold=1)
    times = next_fire_times("30 2 * * *", "Europe/Berlin", second_pass)
    assert local(times, BERLIN) == ["2024-10-28T02:30:00+01:00"]


@pytest.mark.parametrize(
    ("zone", "name", "start"),
    [
        (BERLIN, "Europe/Berlin", "2024-03-31 00:00"),
        (BERLIN, "Europe/Berlin", "2024-10-27 00:00"),
        (NEW_YORK, "America/New_York", "2024-03-10 00:00"),
        (NEW_YORK, "America/New_York", "2024-11-03 00:00"),
    ],
)
def test_every_minute_follows_real_time_across_dst(zone: ZoneInfo, name: str, start: str) -> None:
    after = ts(start, zone)
    times = next_fire_times("* * * * *", name, after, 5 * 60)
    assert times == [after + 60 * i for i in range(1, 5 * 60 + 1)]


@pytest.mark.parametrize(
    ("zone", "name", "start"),
    [
        (BERLIN, "Europe/Berlin", "2024-03-30 22:00"),
        (BERLIN, "Europe/Berlin", "2024-10-26 22:00"),
        (NEW_YORK, "America/New_York", "2024-03-09 22:00"),
        (NEW_YORK, "America/New_York", "2024-11-02 22:00"),
    ],
)
def test_hourly_follows_real_time_across_dst(zone: ZoneInfo, name: str, start: str) -> None:
    after = ts(start, zone)
    assert next_fire_times("0 * * * *", name, after, 12) == [after + 3600 * i for i in range(1, 13)]


def test_hourly_fires_in_both_passes_of_the_repeated_hour() -> None:
    times = next_fire_times("0 * * * *", "Europe/Berlin", ts("2024-10-27 01:30", BERLIN), 3)
    assert local(times, BERLIN) == [
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T03:00:00+01:00",
    ]


def test_wildcard_hour_is_not_caught_up_after_the_gap() -> None:
    # Half past every hour: 01:30 CET then 03:30 CEST are one real hour apart.
    times = next_fire_times("30 * * * *", "Europe/Berlin", ts("2024-03-31 01:00", BERLIN), 2)
    assert local(times, BERLIN) == ["2024-03-31T01:30:00+01:00", "2024-03-31T03:30:00+02:00"]


def test_starting_inside_the_first_pass_still_reaches_the_second() -> None:
    first_pass = ts("2024-10-27 02:30", BERLIN)
    times = next_fire_times("*/10 * * * *", "Europe/Berlin", first_pass, 5)
    assert local(times, BERLIN) == [
        "2024-10-27T02:40:00+02:00",
        "2024-10-27T02:50:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T02:10:00+01:00",
        "2024-10-27T02:20:00+01:00",
    ]


def test_half_hour_dst_zone() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 02:00 -> 02:30 on 2024-10-06.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    times = next_fire_times("15 2 * * *", "Australia/Lord_Howe", ts("2024-10-05 12:00", lord_howe))
    assert local(times, lord_howe) == ["2024-10-06T02:30:00+11:00"]


# ---------------------------------------------------------------------------- property

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


def _transitions(name: str, year: int) -> list[float]:
    """Instants (to the hour) just after the zone's offset changes during ``year``."""
    zone = ZoneInfo(name)
    start = ts(f"{year}-01-01 00:00")
    found = []
    previous = datetime.fromtimestamp(start, zone).utcoffset()
    for hour in range(1, 366 * 24):
        offset = datetime.fromtimestamp(start + hour * 3600, zone).utcoffset()
        if offset != previous:
            found.append(start + hour * 3600)
        previous = offset
    return found


TRANSITIONS = {name: _transitions(name, 2024) or [ts("2024-06-01 00:00")] for name in ZONES}


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    ranges = st.tuples(value, value).map(lambda pair: f"{min(pair)}-{max(pair)}")
    steps = st.integers(1, high - low + 1).map(lambda step: f"*/{step}")
    ranged_steps = st.tuples(ranges, st.integers(1, 10)).map(lambda p: f"{p[0]}/{p[1]}")
    item = st.one_of(value.map(str), ranges, ranged_steps)
    items = st.lists(item, min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), steps, items)


EXPRESSIONS = st.tuples(
    _field(0, 59), _field(0, 23), _field(1, 28), _field(1, 12), _field(0, 7)
).map(" ".join)


def _is_gap_shift(cron: CronExpression, instant: float, zone: ZoneInfo) -> bool:
    """True when ``instant`` ends a spring-forward gap that holds a matching wall time."""
    before = datetime.fromtimestamp(instant - 1, zone)
    at = datetime.fromtimestamp(instant, zone)
    if before.utcoffset() == at.utcoffset() or cron.follows_real_time:
        return False
    wall = before.replace(tzinfo=None, second=0) + timedelta(minutes=1)
    while wall < at.replace(tzinfo=None):
        if cron.matches(wall):
            return True
        wall += timedelta(minutes=1)
    return False


def _check_fire_times(cron: CronExpression, zone_name: str, after: float, count: int) -> None:
    zone = ZoneInfo(zone_name)
    times = next_fire_times(cron, zone_name, after, count)

    assert len(times) == count
    assert all(a < b for a, b in zip([after, *times], times, strict=False))
    for instant in times:
        moment = datetime.fromtimestamp(instant, zone)
        assert cron.matches(moment) or _is_gap_shift(cron, instant, zone), moment.isoformat()
        if not cron.follows_real_time:
            assert moment.fold == 0, f"fixed time fired twice: {moment.isoformat()}"

    # Nothing real was skipped: walk every minute (in real time) up to the last result.
    if times[-1] - after > 4 * 24 * 3600:
        return
    fired = set(times)
    minute = (after // 60 + 1) * 60
    while minute <= times[-1]:
        moment = datetime.fromtimestamp(minute, zone)
        second_pass_of_fixed_time = moment.fold == 1 and not cron.follows_real_time
        if cron.matches(moment) and not second_pass_of_fixed_time:
            assert minute in fired, f"missed {moment.isoformat()}"
        if _is_gap_shift(cron, minute, zone):
            assert minute in fired, f"missed the catch-up at {moment.isoformat()}"
        minute += 60


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expression=EXPRESSIONS,
    zone_name=st.sampled_from(ZONES),
    near=st.integers(0, 10),
    shift_minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60),
    count=st.integers(1, 30),
)
def test_fire_times_increase_and_match_and_miss_nothing(
    expression: str, zone_name: str, near: int, shift_minutes: int, count: int
) -> None:
    transitions = TRANSITIONS[zone_name]
    after = transitions[near % len(transitions)] + shift_minutes * 60 + 17
    _check_fire_times(CronExpression.parse(expression), zone_name, after, count)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    minute=_field(0, 59),
    # Hours 1 and 2 are where these zones skip or repeat time: draw them often.
    hour=st.one_of(_field(0, 23), st.sampled_from(["2", "1", "1-3", "2,14", "0-4/2", "1,2"])),
    zone_name=st.sampled_from(ZONES[1:4]),
    near=st.integers(0, 1),
    shift_minutes=st.integers(-24 * 60, 6 * 60),
    count=st.integers(1, 60),
)
def test_daily_times_around_dst_changes(
    minute: str, hour: str, zone_name: str, near: int, shift_minutes: int, count: int
) -> None:
    # Every day, so the DST days themselves are always in play.
    after = TRANSITIONS[zone_name][near] + shift_minutes * 60 + 17
    _check_fire_times(CronExpression.parse(f"{minute} {hour} * * *"), zone_name, after, count)


# ---------------------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("expression", "meaning"),
    [
        ("* * * * *", "every minute"),
        ("*/5 * * * *", "every 5 minutes"),
        ("0 * * * *", "every hour"),
        ("@hourly", "every hour"),
        ("15 * * * *", "every hour at minute 15"),
        ("0 */2 * * *", "every 2 hours"),
        ("0 9 * * 1-5", "at 09:00 on Monday through Friday"),
        ("0 9 * * MON-FRI", "at 09:00 on Monday through Friday"),
        ("0 0 * * *", "at 00:00 every day"),
        ("0 9,17 * * *", "at 09:00 and 17:00 every day"),
        ("30 2 1 * *", "at 02:30 on day 1 of the month"),
        ("0 0 1,15 * *", "at 00:00 on days 1 and 15 of the month"),
        ("@weekly", "at 00:00 on Sunday"),
        ("@yearly", "at 00:00 on day 1 of January"),
        ("0 8 * * SAT,SUN", "at 08:00 on Sunday and Saturday"),
        ("5 4 * 3-5 *", "at 04:05 every day in March through May"),
        ("* * * 1 *", "every minute in January"),
        ("0 8-18 * * *", "every hour from 08:00 to 18:00"),
        ("*/15 9-17 * * MON-FRI", "every 15 minutes, from 09:00 to 17:59 on Monday through Friday"),
        ("0 0 13 * FRI", "at 00:00 on day 13 of the month or on Friday"),
        ("0 0 */10 * MON", "at 00:00 on days 1, 11, 21 and 31 of the month if it is a Monday"),
        ("7,19 3,15,20 * * *", "at minutes 7 and 19, during hours 3, 15 and 20"),
    ],
)
def test_describe(expression: str, meaning: str) -> None:
    assert describe(expression) == meaning


def test_describe_rejects_what_parse_rejects() -> None:
    with pytest.raises(ConfigError):
        describe("* 25 * * *")


def test_docstring_examples() -> None:
    result = doctest.testmod(cron_module)
    assert result.attempted > 0
    assert result.failed == 0
