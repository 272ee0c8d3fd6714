"""Business-hours arithmetic for the prazo de atendimento (pure functions, no database).

All datetimes in and out are naive UTC, as the database stores them; the working days, hours
and holidays are those of the dealer company, in its local time zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, UTC
from zoneinfo import ZoneInfo

from app.core.timefmt import to_naive_utc

# A calendar without a single working day would never reach a deadline; give up after this.
MAX_DAYS_SCANNED = 3 * 366

OK, NEAR, LATE, PAUSED, MET, MISSED, NONE = "ok", "near", "late", "paused", "met", "missed", "none"


@dataclass(frozen=True)
class Calendar:
    """Working days (Monday = 0), one daily window [start, end) and the holidays."""

    tz: ZoneInfo
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(8, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    near: timedelta = timedelta(hours=2)

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError("end of the working day must come after its start")

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of ``day`` in local time, or None when it is not a working day."""
        if day.weekday() not in self.workdays or day in self.holidays:
            return None
        return (datetime.combine(day, self.start, self.tz), datetime.combine(day, self.end, self.tz))


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(tz)


def add_business_time(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """The moment ``amount`` of business time after ``start``."""
    if amount <= timedelta(0):
        return start
    moment = _local(start, calendar.tz)
    remaining = amount
    day = moment.date()
    for _ in range(MAX_DAYS_SCANNED):
        window = calendar.window(day)
        if window is not None and moment < window[1]:
            begin = max(moment, window[0])
            available = window[1] - begin
            if remaining <= available:
                return to_naive_utc(begin + remaining)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("calendar has no working time within the scanned period")


def business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Business time elapsed from ``start`` to ``end`` (zero when end is not after start)."""
    if end <= start:
        return timedelta(0)
    first, last = _local(start, calendar.tz), _local(end, calendar.tz)
    total = timedelta(0)
    day = first.date()
    while day <= last.date():
        window = calendar.window(day)
        if window is not None:
            begin, finish = max(first, window[0]), min(last, window[1])
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def deadline(opened_at: datetime, sla_hours: int | None, calendar: Calendar) -> datetime | None:
    """Prazo de atendimento: the contract's SLA hours counted in business hours."""
    if not sla_hours:
        return None
    return add_business_time(opened_at, timedelta(hours=sla_hours), calendar)


def resumed_deadline(due: datetime, paused_at: datetime, resumed_at: datetime,
                     calendar: Calendar) -> tuple[datetime, timedelta]:
    """The deadline after a pause, pushed by the business time the pause lasted."""
    paused = business_time_between(paused_at, resumed_at, calendar)
    return add_business_time(due, paused, calendar), paused


def deadline_state(due: datetime | None, now: datetime, calendar: Calendar, *,
                   paused: bool = False, closed_at: datetime | None = None) -> str:
    """How a call stands against its deadline: ok, near, late, paused, met, missed or none."""
    if due is None:
        return NONE
    if closed_at is not None:
        return MET if closed_at <= due else MISSED
    if paused:
        return PAUSED
    if now >= due:
        return LATE
    return NEAR if business_time_between(now, due, calendar) <= calendar.near else OK
