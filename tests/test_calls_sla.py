"""Business-hours arithmetic of the prazo de atendimento (app.calls.sla, pure functions).

Times are naive UTC as stored; São Paulo is UTC-3, so 08:00 local is 11:00 UTC.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.calls import sla

SP = ZoneInfo("America/Sao_Paulo")
WEEK = sla.Calendar(tz=SP)  # Monday to Friday, 08:00–18:00, near = 2 business hours
FINADOS = date(2026, 11, 2)  # a Monday


def local(day, hour, minute=0):
    """Naive UTC of a São Paulo wall-clock time."""
    return datetime(2026, *day, hour, minute) + timedelta(hours=3)


H = timedelta(hours=1)


@pytest.mark.parametrize("start,hours,expected", [
    (local((11, 3), 10), 8, local((11, 3), 18)),      # ends exactly at closing time
    (local((11, 3), 10), 9, local((11, 4), 9)),       # spills into the next morning
    (local((11, 6), 17), 2, local((11, 9), 9)),       # Friday afternoon → Monday
    (local((11, 7), 11), 1, local((11, 9), 9)),       # opened on Saturday
    (local((11, 3), 6), 1, local((11, 3), 9)),        # before opening time
    (local((11, 3), 20), 1, local((11, 4), 9)),       # after closing time
    (local((11, 3), 10), 30, local((11, 6), 10)),     # several days
    (local((11, 3), 10), 0, local((11, 3), 10)),
])
def test_add_business_time(start, hours, expected):
    assert sla.add_business_time(start, hours * H, WEEK) == expected


def test_holidays_are_skipped():
    calendar = sla.Calendar(tz=SP, holidays=frozenset({FINADOS}))
    friday = local((10, 30), 17)
    assert sla.add_business_time(friday, 2 * H, calendar) == local((11, 3), 9)
    assert sla.add_business_time(friday, 2 * H, WEEK) == local((11, 2), 9)
    assert sla.business_time_between(friday, local((11, 3), 9), calendar) == 2 * H


def test_working_days_and_hours_are_the_company_s():
    saturdays = sla.Calendar(tz=SP, workdays=frozenset(range(6)), start=time(7), end=time(12))
    assert sla.add_business_time(local((11, 6), 11), 3 * H, saturdays) == local((11, 7), 9)


def test_business_time_between():
    assert sla.business_time_between(local((11, 6), 17), local((11, 9), 9), WEEK) == 2 * H
    assert sla.business_time_between(local((11, 7), 9), local((11, 8), 23), WEEK) == timedelta(0)
    assert sla.business_time_between(local((11, 3), 12), local((11, 3), 10), WEEK) == timedelta(0)
    assert sla.business_time_between(local((11, 3), 0), local((11, 4), 23), WEEK) == 20 * H


def test_deadline_from_contract_hours():
    assert sla.deadline(local((11, 3), 10), 8, WEEK) == local((11, 3), 18)
    assert sla.deadline(local((11, 3), 10), None, WEEK) is None


def test_a_pause_pushes_the_deadline_by_its_business_time():
    due = local((11, 4), 12)
    # paused Tue 16:00 → Wed 10:00: 2 h on Tuesday + 2 h on Wednesday
    new_due, paused = sla.resumed_deadline(due, local((11, 3), 16), local((11, 4), 10), WEEK)
    assert paused == 4 * H
    assert new_due == local((11, 4), 16)
    # a pause over the weekend and a holiday costs nothing outside business hours
    calendar = sla.Calendar(tz=SP, holidays=frozenset({FINADOS}))
    new_due, paused = sla.resumed_deadline(local((11, 3), 12), local((10, 30), 18),
                                           local((11, 3), 8), calendar)
    assert paused == timedelta(0) and new_due == local((11, 3), 12)


def test_a_late_call_stays_late_by_the_same_amount_after_a_pause():
    due = local((11, 3), 10)
    paused_at, resumed_at = local((11, 3), 12), local((11, 4), 12)
    new_due, _ = sla.resumed_deadline(due, paused_at, resumed_at, WEEK)
    late_before = sla.business_time_between(due, paused_at, WEEK)
    assert sla.business_time_between(new_due, resumed_at, WEEK) == late_before == 2 * H


def test_deadline_state_thresholds():
    due = local((11, 9), 9)  # Monday 09:00
    assert sla.deadline_state(due, local((11, 6), 17, 30), WEEK) == sla.NEAR  # 1.5 business h
    assert sla.deadline_state(due, local((11, 6), 14), WEEK) == sla.OK        # 5 business h
    assert sla.deadline_state(due, due, WEEK) == sla.LATE
    assert sla.deadline_state(due, due + H, WEEK, paused=True) == sla.PAUSED
    assert sla.deadline_state(due, due + H, WEEK, closed_at=due) == sla.MET
    assert sla.deadline_state(due, due + H, WEEK, closed_at=due + H) == sla.MISSED
    assert sla.deadline_state(None, due, WEEK) == sla.NONE
    wide = sla.Calendar(tz=SP, near=timedelta(hours=6))
    assert sla.deadline_state(due, local((11, 6), 14), wide) == sla.NEAR


def test_impossible_calendars_are_refused():
    with pytest.raises(ValueError):
        sla.Calendar(tz=SP, start=time(18), end=time(8))
    never = sla.Calendar(tz=SP, workdays=frozenset())
    with pytest.raises(ValueError):
        sla.add_business_time(local((11, 3), 10), H, never)
