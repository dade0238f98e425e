"""AWS cron expressions for backup plan schedules: ``cron(minutes hours day month weekday year)``.

Source: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
Supported: ``*``, ``?``, numbers, names (JAN, MON), lists, ranges and ``/`` steps. Weekdays run
1-7 = SUN-SAT. ``L``, ``W`` and ``#`` are not emulated: such a field never matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_MONTHS = {
    name: i
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_FIELDS = 6


@dataclass(frozen=True, slots=True)
class Cron:
    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    days: frozenset[int] | None
    months: frozenset[int] | None
    weekdays: frozenset[int] | None
    years: frozenset[int] | None

    def matches(self, moment: datetime) -> bool:
        weekday = (moment.isoweekday() % 7) + 1  # SUN=1 … SAT=7
        checks = (
            (self.minutes, moment.minute),
            (self.hours, moment.hour),
            (self.days, moment.day),
            (self.months, moment.month),
            (self.weekdays, weekday),
            (self.years, moment.year),
        )
        return all(allowed is None or value in allowed for allowed, value in checks)


def parse(expression: str) -> Cron:
    body = expression.strip()
    if not (body.startswith("cron(") and body.endswith(")")):
        raise ValueError(f"not a cron expression: {expression!r}")
    parts = body[5:-1].split()
    if len(parts) != _FIELDS:
        raise ValueError(f"a cron expression has six fields: {expression!r}")
    minute, hour, day, month, weekday, year = parts
    return Cron(
        minutes=_field(minute, 0, 59, {}),
        hours=_field(hour, 0, 23, {}),
        days=_field(day, 1, 31, {}),
        months=_field(month, 1, 12, _MONTHS),
        weekdays=_field(weekday, 1, 7, _DAYS),
        years=_field(year, 1970, 2199, {}),
    )


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int] | None:
    """None means "any" (``*`` / ``?``)."""
    if text in {"*", "?"}:
        return None
    values: set[int] = set()
    for part in text.upper().split(","):
        values |= _part(part, low, high, names)
    return frozenset(values)


def _part(part: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    if any(mark in part for mark in "LW#"):
        return set()
    span, _, step_text = part.partition("/")
    step = int(step_text) if step_text else 1
    if span == "*":
        start, end = low, high
    elif "-" in span:
        first, last = span.split("-", 1)
        start, end = _value(first, names), _value(last, names)
    else:
        start = _value(span, names)
        end = high if step_text else start
    return set(range(start, end + 1, step))


def _value(text: str, names: dict[str, int]) -> int:
    return names[text] if text in names else int(text)


def fire_times(
    expression: str, timezone: str, after: datetime, until: datetime
) -> Iterator[datetime]:
    """Every minute in (after, until] at which the schedule fires, in UTC."""
    cron = parse(expression)
    zone = ZoneInfo(timezone or "Etc/UTC")
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment <= until:
        if cron.matches(moment.astimezone(zone)):
            yield moment
        moment += timedelta(minutes=1)
