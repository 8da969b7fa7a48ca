"""Cron math: parse a 5-field cron expression and compute when it fires, in a time zone.

Pure logic on the standard library (``datetime``, ``zoneinfo``); the local scheduler,
the AWS scheduler and the canvas all use it, so "when does this fire?" has one answer.

Syntax (Vixie cron / cronie, ``crontab(5)``)::

    ┌ minute        0-59
    │ ┌ hour        0-23
    │ │ ┌ day of month 1-31
    │ │ │ ┌ month     1-12 or JAN-DEC
    │ │ │ │ ┌ day of week 0-7 or SUN-SAT (0 and 7 are Sunday)
    * * * * *

Each field is ``*``, a number or name, a range ``a-b``, a step ``*/n``, ``a-b/n`` or
``a/n`` (``a`` to the field's end), or a comma-separated list of those. Macros:
``@hourly``, ``@daily`` (= ``@midnight``), ``@weekly``, ``@monthly``, ``@yearly``
(= ``@annually``). ``@reboot`` has no meaning for a scheduler and is rejected.

**Day of month and day of week** follow Vixie's rule: when both fields are restricted
(neither is written starting with ``*``) a day matches if *either* matches, so
``0 0 1 * MON`` fires on the 1st and on every Monday. When either one starts with
``*`` (including ``*/2``) both must match.

**Daylight saving time** follows cronie (``cron(8)``: "jobs which would have run in
the time that was skipped will be run soon after the change ... those jobs that fall
into the repeated time will not be re-run"):

- A job at fixed times (minute *and* hour fields restricted, e.g. ``30 2 * * *``):

  - a local time skipped by spring-forward fires once, at the first instant after the
    gap (``30 2 * * *`` in Europe/Berlin on the last Sunday of March fires at 03:00
    CEST); several skipped times coalesce into that one fire;
  - a local time that occurs twice at fall-back fires once, at its first occurrence.

- A job with a wildcard minute or hour (written with ``*``, like ``* * * * *``,
  ``*/15 * * * *`` or ``0 * * * *``, or covering the field's whole range) follows real
  time: it fires at every instant whose local wall-clock time matches. Skipped local
  times never happen, so nothing is caught up; repeated local times are real, distinct
  instants, so both fire. An hourly job therefore fires every real hour across both
  changes, never twice for one instant and never skipping one.

Example::

    >>> from orcheo_core.triggers import next_fire_times, describe
    >>> next_fire_times("30 9 * * MON-FRI", "Europe/Berlin", after=1_700_000_000.0)
    [1700037000.0]
    >>> describe("*/5 * * * *")
    'every 5 minutes'
"""

from __future__ import annotations

import calendar
import heapq
import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orcheo_core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["CronExpression", "describe", "iter_fire_times", "next_fire_times", "resolve_timezone"]

MACROS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# English on purpose: calendar.month_name follows the process locale.
MONTH_WORDS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] is value ``low + i``
    allowed: str = ""
    noun: str = "a number"

    @property
    def range_text(self) -> str:
        return self.allowed or f"{self.low}-{self.high}"


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES, "1-12 or JAN-DEC", "a number or a month name"),
    _Field(
        "day of week",
        0,
        7,
        DAY_NAMES,
        "0-7 or SUN-SAT, 0 and 7 being Sunday",
        "a number or a day name",
    ),
)
_DOW = _FIELDS[4]
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February in a leap year
# The Gregorian calendar repeats every 400 years: a search that finds nothing in that
# span never will (a guard only; parse() already rejects expressions that never fire).
_SEARCH_YEARS = 400
_MINUTE = timedelta(minutes=1)


def _error(text: str, spec: _Field, message: str, value: str) -> ConfigError:
    return ConfigError(
        f"cron field {spec.name!r}: {message}",
        field=spec.name,
        value=value,
        allowed=spec.range_text,
        expression=text,
    )


def _parse_value(text: str, spec: _Field, raw: str) -> int:
    if raw.isascii() and raw.isdigit():
        value = int(raw)
    elif spec.names and raw.upper() in spec.names:
        value = spec.low + spec.names.index(raw.upper())
    else:
        raise _error(text, spec, f"{raw!r} is not {spec.noun} (allowed: {spec.range_text})", raw)
    if not spec.low <= value <= spec.high:
        raise _error(text, spec, f"{value} is out of range {spec.low}-{spec.high}", raw)
    return value


def _parse_item(text: str, spec: _Field, item: str) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not (step_text.isascii() and step_text.isdigit()) or int(step_text) == 0:
            raise _error(
                text, spec, f"step {step_text!r} in {item!r} must be a whole number >= 1", item
            )
        step = int(step_text)
    if base == "*":
        low, high = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        low = _parse_value(text, spec, first)
        high = _parse_value(text, spec, last)
        if spec is _DOW and high == 0 < low:
            high = 7  # "MON-SUN" reads naturally: Sunday closing a range is 7, not 0
        if low > high:
            raise _error(
                text, spec, f"range {base!r} runs backwards (write the smaller value first)", item
            )
    else:
        low = _parse_value(text, spec, base)
        # "5/15" means from 5 to the field's end in steps of 15 (as AWS and Quartz read it).
        high = spec.high if slash else low
    return set(range(low, high + 1, step))


def _parse_field(text: str, spec: _Field, raw: str) -> tuple[int, ...]:
    values: set[int] = set()
    for item in raw.split(","):
        if not item:
            raise _error(text, spec, f"empty item in list {raw!r}", raw)
        values |= _parse_item(text, spec, item)
    if spec is _DOW and 7 in values:
        values = (values - {7}) | {0}
    return tuple(sorted(values))


def _next_at_least(values: tuple[int, ...], value: int) -> int | None:
    """The smallest of the sorted ``values`` that is >= ``value``, or None."""
    index = bisect_left(values, value)
    return values[index] if index < len(values) else None


@dataclass(frozen=True)
class CronExpression:
    """A parsed cron expression: the allowed values of each field, sorted.

    ``days_of_week`` uses 0 for Sunday (a 7 in the text becomes 0). ``dom_star`` and
    ``dow_star`` record whether the day fields were written starting with ``*``, which
    decides between Vixie's AND and OR rules; ``minute_star`` and ``hour_star`` whether
    the minute or hour is a wildcard (written with ``*`` or covering its whole range),
    which decides how DST changes are handled (see the module docstring). Build one
    with :meth:`parse`.
    """

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: tuple[int, ...]
    months: tuple[int, ...]
    days_of_week: tuple[int, ...]
    dom_star: bool
    dow_star: bool
    minute_star: bool = False
    hour_star: bool = False
    _month_set: frozenset[int] = field(init=False, repr=False, compare=False)
    _dom_set: frozenset[int] = field(init=False, repr=False, compare=False)
    _dow_set: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Sets for the membership tests of the search loop; tuples stay the public face.
        object.__setattr__(self, "_month_set", frozenset(self.months))
        object.__setattr__(self, "_dom_set", frozenset(self.days_of_month))
        object.__setattr__(self, "_dow_set", frozenset(self.days_of_week))

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Parse ``text``; ConfigError naming the field, the value and the allowed range.

        >>> CronExpression.parse("*/15 9-17 * * MON-FRI").hours
        (9, 10, 11, 12, 13, 14, 15, 16, 17)
        """
        if not isinstance(text, str):
            raise ConfigError(
                f"cron expression must be a string, not {type(text).__name__}",
                field="expression",
            )
        source = text.strip()
        if not source:
            raise ConfigError(
                "cron expression is empty; expected 5 fields "
                "(minute hour day-of-month month day-of-week) or a macro like @daily",
                field="expression",
                expression=text,
            )
        expanded = source
        if source.startswith("@"):
            expanded = MACROS.get(source.lower(), "")
            if not expanded:
                raise ConfigError(
                    f"unknown cron macro {source!r}; use one of {', '.join(MACROS)}",
                    field="expression",
                    value=source,
                    expression=text,
                )
        parts = expanded.split()
        if len(parts) != len(_FIELDS):
            raise ConfigError(
                f"cron expression {source!r} has {len(parts)} fields; expected 5 "
                "(minute hour day-of-month month day-of-week) or a macro like @daily",
                field="expression",
                value=source,
                expression=text,
            )
        values = [_parse_field(source, spec, raw) for spec, raw in zip(_FIELDS, parts, strict=True)]
        cron = cls(
            text=source,
            minutes=values[0],
            hours=values[1],
            days_of_month=values[2],
            months=values[3],
            days_of_week=values[4],
            dom_star=parts[2].startswith("*"),
            dow_star=parts[4].startswith("*"),
            minute_star=parts[0].startswith("*") or len(values[0]) == 60,
            hour_star=parts[1].startswith("*") or len(values[1]) == 24,
        )
        cron._check_fires()
        return cron

    def _check_fires(self) -> None:
        # Only the day of month can make an expression impossible: OR always finds a
        # weekday, and every valid date falls on every weekday in some year.
        if not (self.dow_star and not self.dom_star):
            return
        if any(_MAX_DAYS[month - 1] >= self.days_of_month[0] for month in self.months):
            return
        names = ", ".join(MONTH_WORDS[m - 1] for m in self.months)
        raise ConfigError(
            f"cron expression {self.text!r} never fires: no day {self.days_of_month[0]} "
            f"or later exists in {names}",
            field="day of month",
            value=str(self.days_of_month[0]),
            expression=self.text,
        )

    @property
    def follows_real_time(self) -> bool:
        """True when the minute or hour is a wildcard: DST changes don't shift its fires."""
        return self.minute_star or self.hour_star

    def day_matches(self, year: int, month: int, day: int) -> bool:
        """Whether the date matches the day-of-month, day-of-week and month fields."""
        if month not in self._month_set:
            return False
        dom_ok = day in self._dom_set
        dow_ok = (calendar.weekday(year, month, day) + 1) % 7 in self._dow_set
        if self.dom_star or self.dow_star:
            return dom_ok and dow_ok
        return dom_ok or dow_ok

    def matches(self, moment: datetime) -> bool:
        """Whether the wall-clock minute of ``moment`` (its own time zone, if any) matches."""
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self.day_matches(moment.year, moment.month, moment.day)
        )

    def _next_day(self, year: int, month: int, day: int) -> int | None:
        last = calendar.monthrange(year, month)[1]
        for candidate in range(day, last + 1):
            if self.day_matches(year, month, candidate):
                return candidate
        return None

    def next_local(self, start: datetime) -> datetime:
        """The first wall-clock minute at or after naive ``start`` that matches.

        Skips by fields (month, then day, then hour, then minute), so a leap-day
        expression finds its day in a handful of steps. An hour of 24 or a minute of 60
        simply finds nothing at that level and carries into the next day or hour.
        """
        year, month, day, hour = start.year, start.month, start.day, start.hour
        minute = start.minute + (1 if start.second or start.microsecond else 0)
        last_year = min(year + _SEARCH_YEARS, datetime.max.year - 1)
        while year <= last_year:
            if month not in self._month_set:
                found = _next_at_least(self.months, month)
                if found is None:
                    year, found = year + 1, self.months[0]
                month, day, hour, minute = found, 1, 0, 0
                continue
            found_day = self._next_day(year, month, day)
            if found_day is None:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
                day, hour, minute = 1, 0, 0
                continue
            if found_day != day:
                day, hour, minute = found_day, 0, 0
            found_hour = _next_at_least(self.hours, hour)
            if found_hour is None:
                day, hour, minute = day + 1, 0, 0
                continue
            if found_hour != hour:
                hour, minute = found_hour, 0
            found_minute = _next_at_least(self.minutes, minute)
            if found_minute is None:
                hour, minute = hour + 1, 0
                continue
            return datetime(year, month, day, hour, found_minute)
        raise ConfigError(
            f"cron expression {self.text!r} never fires", field="expression", expression=self.text
        )


def resolve_timezone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (e.g. ``Europe/Berlin``); ConfigError naming it if unknown."""
    if name == "UTC":
        return UTC  # works even where the system has no tz database
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise ConfigError(
            f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'",
            field="timezone",
            value=str(name),
        ) from None


def _transition(before: float, after: float, zone: tzinfo) -> float:
    """The first second in (before, after] whose UTC offset differs from ``before``'s."""
    low, high = math.floor(before), math.ceil(after)
    offset = datetime.fromtimestamp(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return float(high)


def _instants(local: datetime, zone: tzinfo, real_time: bool) -> tuple[float | None, float | None]:
    """The instants a matching wall-clock minute fires at: (primary, second occurrence)."""
    first = local.replace(tzinfo=zone).timestamp()
    second = local.replace(tzinfo=zone, fold=1).timestamp()
    if first == second:
        return first, None
    if first < second:  # fall-back: the wall-clock time happens twice
        return first, (second if real_time else None)
    # Spring-forward gap: the wall-clock time never happens.
    return (None if real_time else _transition(second, first, zone)), None


def _search_start(after: float, zone: tzinfo) -> datetime:
    """The earliest wall-clock minute that can fire after ``after``.

    Normally the local time of ``after``; but in the first pass of a fall-back, the
    second occurrences of earlier-looking wall times are still to come.
    """
    moment = datetime.fromtimestamp(after, zone)
    local = moment.replace(tzinfo=None)
    other = local.replace(tzinfo=zone, fold=1 - moment.fold).utcoffset()
    own = moment.utcoffset()
    if other is not None and own is not None and other < own:
        local -= own - other
    return local.replace(second=0, microsecond=0)


def iter_fire_times(
    expression: str | CronExpression, timezone: str, after: float
) -> Iterator[float]:
    """Fire times (Unix seconds) strictly after ``after``, increasing, without end.

    Validates eagerly: a bad expression or time zone raises ConfigError at the call,
    not at the first ``next()``.
    """
    cron = (
        expression if isinstance(expression, CronExpression) else CronExpression.parse(expression)
    )
    zone = resolve_timezone(timezone)
    try:
        datetime.fromtimestamp(after, UTC)
    except (OverflowError, OSError, ValueError):
        raise ConfigError(
            f"'after' must be a Unix timestamp in years 1-9999, not {after!r}", field="after"
        ) from None
    return _generate(cron, zone, after)


def _generate(cron: CronExpression, zone: tzinfo, after: float) -> Iterator[float]:
    real_time = cron.follows_real_time
    # Second occurrences of fall-back times come after every first occurrence in the
    # fold, so they wait here until a later first occurrence passes them. Primaries
    # never decrease, so comparing with the newest one keeps the output in order.
    pending: list[float] = []
    last = after
    local = _search_start(after, zone)
    while True:
        local = cron.next_local(local)
        primary, repeat = _instants(local, zone, real_time)
        if primary is not None:
            while pending and pending[0] < primary:
                value = heapq.heappop(pending)
                if value > last:
                    last = value
                    yield value
            if primary > last:  # equal instants (a shifted time, a dedupe) fire once
                last = primary
                yield primary
        if repeat is not None:
            heapq.heappush(pending, repeat)
        if local.year >= datetime.max.year - 1:
            return
        local += _MINUTE


def next_fire_times(
    expression: str | CronExpression, timezone: str, after: float, count: int = 1
) -> list[float]:
    """The next ``count`` fire times (Unix seconds) strictly after ``after``, in ``timezone``.

    >>> next_fire_times("0 0 29 2 *", "UTC", after=0.0)  # the next leap day after 1970
    [68169600.0]
    """
    if count < 0:
        raise ConfigError(f"count must be >= 0, not {count}", field="count")
    times = iter_fire_times(expression, timezone, after)
    return [next(times) for _ in range(count)]


# ---------------------------------------------------------------------------- describe

_DAY_WORDS = dict(
    enumerate(("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"))
)
_MONTH_WORDS = dict(enumerate(MONTH_WORDS, start=1))
_CLOCK_TIMES = re.compile(r"at \d\d:\d\d")


def _join(words: list[str], conjunction: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _runs(values: tuple[int, ...]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ``values`` as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _list(values: tuple[int, ...], words: dict[int, str] | None = None, conj: str = "and") -> str:
    """``1, 3 and 5 through 9``: runs of three or more become ranges."""
    parts: list[str] = []
    for first, last in _runs(values):
        if last - first >= 2:
            parts.append(
                f"{words[first] if words else first} through {words[last] if words else last}"
            )
        else:
            parts.extend(words[v] if words else str(v) for v in range(first, last + 1))
    return _join(parts, conj)


def _step(values: tuple[int, ...], low: int, high: int) -> int | None:
    """n when ``values`` is every n-th value from the field's start (``*/n``), else None."""
    if len(values) < 2 or values[0] != low:
        return None
    step = values[1] - values[0]
    return step if values == tuple(range(low, high + 1, step)) else None


def _minute_phrase(minutes: tuple[int, ...]) -> str:
    if len(minutes) == 60:
        return "every minute"
    step = _step(minutes, 0, 59)
    if step is not None:
        return f"every {step} minutes"
    return f"at minute{'s' if len(minutes) > 1 else ''} {_list(minutes)}"


def _hour_phrase(hours: tuple[int, ...]) -> str:
    if len(hours) == 24:
        return ""
    step = _step(hours, 0, 23)
    if step is not None:
        return f"every {step} hours"
    runs = _runs(hours)
    if len(runs) == 1:
        return f"from {runs[0][0]:02d}:00 to {runs[0][1]:02d}:59"
    return f"during hours {_list(hours)}"


def _time_phrase(cron: CronExpression) -> str:
    minutes, hours = cron.minutes, cron.hours
    runs = _runs(hours)
    if len(hours) < 24 and len(minutes) * len(hours) <= 4:
        return "at " + _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
    if len(minutes) == 1:
        minute = minutes[0]
        at = f" at minute {minute}" if minute else ""
        step = _step(hours, 0, 23)
        if len(hours) == 24:
            return f"every hour{at}"
        if step is not None:
            return f"every {step} hours{at}"
        if len(runs) == 1:
            return f"every hour from {runs[0][0]:02d}:{minute:02d} to {runs[0][1]:02d}:{minute:02d}"
    return ", ".join(p for p in (_minute_phrase(minutes), _hour_phrase(hours)) if p)


def _day_phrase(cron: CronExpression, month_words: str) -> str:
    dom_all = len(cron.days_of_month) == 31
    dow_all = len(cron.days_of_week) == 7
    noun = "day" if len(cron.days_of_month) == 1 else "days"
    dom = f"on {noun} {_list(cron.days_of_month)} of {month_words or 'the month'}"
    dow = f"on {_list(cron.days_of_week, _DAY_WORDS)}"
    if not (cron.dom_star or cron.dow_star):
        return f"{dom} or {dow}"  # Vixie: either field may match
    if dom_all and dow_all:
        return ""
    if dom_all:
        return dow
    if dow_all:
        return dom
    return f"{dom} if it is a {_list(cron.days_of_week, _DAY_WORDS, 'or')}"


def describe(expression: str | CronExpression) -> str:
    """A short human-readable meaning, for the canvas.

    >>> describe("0 9 * * 1-5")
    'at 09:00 on Monday through Friday'
    >>> describe("@yearly")
    'at 00:00 on day 1 of January'
    """
    cron = (
        expression if isinstance(expression, CronExpression) else CronExpression.parse(expression)
    )
    months = _list(cron.months, _MONTH_WORDS) if len(cron.months) < 12 else ""
    time = _time_phrase(cron)
    day = _day_phrase(cron, months)
    if months and "of " + months in day:
        months = ""  # already said: "on day 1 of January"
    if not day and _CLOCK_TIMES.match(time):
        day = "every day"  # "at 09:00" alone reads as incomplete
    return " ".join(p for p in (time, day, f"in {months}" if months else "") if p)
