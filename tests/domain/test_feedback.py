"""When feedback forms open, close and are reminded, which are due, and who is asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.feedback import (
    Answerable,
    Kind,
    Window,
    answerable,
    class_day_number,
    kinds_due,
    reminder_at,
    windows,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TWO_HOURS = timedelta(hours=2)


@dataclass(frozen=True)
class S:
    day: int
    starts_at: datetime
    ends_at: datetime


def at(on: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(on, time(hour, minute), SHANGHAI)


def timetable(days: int, start: date = date(2026, 5, 11), skip: tuple[date, ...] = ()) -> list[S]:
    """Two sessions a day, 09:00–12:30 and 14:00–17:30, on consecutive dates except `skip`."""
    found, on, day = [], start, 0
    while day < days:
        if on not in skip:
            day += 1
            found += [S(day, at(on, 9), at(on, 12, 30)), S(day, at(on, 14), at(on, 17, 30))]
        on += timedelta(days=1)
    return found


def by_kind(plan: list[Window], kind: Kind) -> list[Window]:
    return [window for window in plan if window.kind is kind]


@pytest.mark.parametrize(
    ("programme", "day", "last", "expected"),
    [
        ("trainee", 1, 7, [Kind.DAILY]),
        ("trainee", 5, 7, [Kind.DAILY]),
        ("trainee", 7, 7, [Kind.DAILY, Kind.FINAL]),
        ("lecturer", 4, 10, [Kind.DAILY]),
        ("lecturer", 5, 10, [Kind.DAILY, Kind.MIDTERM]),
        ("trainer", 5, 10, [Kind.DAILY, Kind.MIDTERM]),
        ("trainer", 6, 10, [Kind.DAILY]),
        ("lecturer", 10, 10, [Kind.DAILY, Kind.FINAL]),
        ("lecturer", 5, 5, [Kind.DAILY, Kind.FINAL]),
        ("lecturer", 1, 1, [Kind.DAILY, Kind.FINAL]),
    ],
)
def test_kinds_due(programme, day, last, expected):
    assert kinds_due(programme, day, last) == expected


def test_a_day_opens_when_its_last_session_ends_and_closes_at_the_next_first():
    plan = windows("trainee", timetable(7), "Asia/Shanghai", TWO_HOURS)
    daily = by_kind(plan, Kind.DAILY)
    assert [w.day for w in daily] == list(range(1, 8))
    first = daily[0]
    assert first.opens_at == at(date(2026, 5, 11), 17, 30)
    assert first.closes_at == at(date(2026, 5, 12), 9)
    assert first.remind_at == at(date(2026, 5, 11), 19, 30)


def test_after_a_weekend_the_form_stays_open_until_the_next_class_day():
    friday, monday = date(2026, 5, 15), date(2026, 5, 18)
    plan = windows(
        "trainee",
        timetable(7, skip=(date(2026, 5, 16), date(2026, 5, 17))),
        "Asia/Shanghai",
        TWO_HOURS,
    )
    day5 = by_kind(plan, Kind.DAILY)[4]
    assert day5.opens_at == at(friday, 17, 30) and day5.closes_at == at(monday, 9)


def test_the_last_day_closes_next_morning_at_the_hour_the_day_began():
    plan = windows("trainee", timetable(7), "Asia/Shanghai", TWO_HOURS)
    last_daily, final = by_kind(plan, Kind.DAILY)[-1], by_kind(plan, Kind.FINAL)[0]
    assert final.day == 7 and final.opens_at == last_daily.opens_at == at(date(2026, 5, 17), 17, 30)
    assert final.closes_at == last_daily.closes_at == at(date(2026, 5, 18), 9)
    assert not by_kind(plan, Kind.MIDTERM)


def test_last_day_close_is_in_the_class_time_zone_across_a_dst_change():
    berlin = ZoneInfo("Europe/Berlin")
    on = date(2026, 3, 28)  # clocks go forward on the 29th
    day = [S(1, datetime.combine(on, time(9), berlin), datetime.combine(on, time(17), berlin))]
    (window,) = by_kind(windows("trainee", day, "Europe/Berlin", TWO_HOURS), Kind.DAILY)
    assert window.closes_at == datetime.combine(date(2026, 3, 29), time(9), berlin)
    assert window.closes_at.astimezone(UTC) - window.opens_at.astimezone(UTC) == timedelta(hours=15)


def test_a_lecturer_class_has_a_midterm_after_day_5_and_a_final():
    plan = windows("lecturer", timetable(10), "Asia/Shanghai", TWO_HOURS)
    (midterm,) = by_kind(plan, Kind.MIDTERM)
    daily5 = by_kind(plan, Kind.DAILY)[4]
    assert (midterm.day, midterm.opens_at, midterm.closes_at) == (
        5,
        daily5.opens_at,
        daily5.closes_at,
    )
    assert [w.day for w in by_kind(plan, Kind.FINAL)] == [10]
    assert len(plan) == 12


def calendar(dates: list[date], start: date) -> list[S]:
    """Two sessions on each of `dates`, numbered as the timetable numbers them: the calendar
    day of the class (1 = `start`)."""
    return [
        S((on - start).days + 1, at(on, hour), at(on, hour + 3))
        for on in sorted(dates)
        for hour in (9, 14)
    ]


def test_midterm_is_at_the_end_of_the_5th_class_day_not_calendar_day_5():
    """S-27: 「培训第5天结束时」. A Thursday start with the weekend off: calendar day 5 is the
    Monday (the 3rd class day); the 5th class day is the Wednesday, calendar day 7."""
    thursday = date(2026, 5, 14)
    dates = [thursday + timedelta(days=n) for n in range(14) if n not in (2, 3, 9, 10)]
    plan = windows("lecturer", calendar(dates, thursday), "Asia/Shanghai", TWO_HOURS)
    (midterm,) = by_kind(plan, Kind.MIDTERM)
    assert midterm.day == 7
    assert midterm.opens_at == at(date(2026, 5, 20), 17)
    assert by_kind(plan, Kind.DAILY)[4] == Window(
        Kind.DAILY, 7, midterm.opens_at, midterm.closes_at, midterm.remind_at
    )


def test_midterm_comes_even_when_calendar_day_5_has_no_sessions():
    """S-33: a trainer class whose 5th calendar day is a day off still gets its mid-term, at
    the end of its 5th class day (calendar day 6)."""
    start = date(2026, 5, 11)
    dates = [start + timedelta(days=n) for n in range(11) if n != 4]
    plan = windows("trainer", calendar(dates, start), "Asia/Shanghai", TWO_HOURS)
    assert [window.day for window in by_kind(plan, Kind.MIDTERM)] == [6]


@given(
    programme=st.sampled_from(["trainee", "lecturer", "trainer"]),
    offsets=st.sets(st.integers(min_value=0, max_value=30), min_size=1, max_size=15),
)
def test_the_midterm_always_follows_the_5th_of_the_days_with_sessions(programme, offsets):
    """S-27, S-33, for any set of class dates: one mid-term at the 5th class day of a lecturer
    or trainer class with more than 5 class days, none otherwise; one final at the last."""
    start = date(2026, 5, 11)
    dates = [start + timedelta(days=n) for n in offsets]
    plan = windows(programme, calendar(dates, start), "Asia/Shanghai", TWO_HOURS)
    days = sorted((on - start).days + 1 for on in dates)
    expected = [days[4]] if programme != "trainee" and len(days) > 5 else []
    assert [window.day for window in by_kind(plan, Kind.MIDTERM)] == expected
    assert [window.day for window in by_kind(plan, Kind.FINAL)] == [days[-1]]
    assert [window.day for window in by_kind(plan, Kind.DAILY)] == days


def test_sessions_in_any_order_and_a_day_with_one_session():
    sessions = list(reversed(timetable(3)))
    on = date(2026, 5, 12)
    sessions = [s for s in sessions if not (s.day == 2 and s.starts_at.hour == 14)]
    daily = by_kind(windows("trainee", sessions, "Asia/Shanghai", TWO_HOURS), Kind.DAILY)
    assert daily[1].opens_at == at(on, 12, 30)
    assert daily[1].closes_at == at(date(2026, 5, 13), 9)


def test_moving_a_session_moves_the_window():
    sessions = timetable(2)
    later = S(1, at(date(2026, 5, 11), 15), at(date(2026, 5, 11), 18, 45))
    moved = [later if (s.day, s.starts_at.hour) == (1, 14) else s for s in sessions]
    first = by_kind(windows("trainee", moved, "Asia/Shanghai", TWO_HOURS), Kind.DAILY)[0]
    assert first.opens_at == at(date(2026, 5, 11), 18, 45)
    assert first.remind_at == at(date(2026, 5, 11), 20, 45)


def test_a_broken_timetable_still_gets_a_window_that_closes_after_it_opens():
    on = date(2026, 5, 11)
    sessions = [S(1, at(on, 9), at(on, 23)), S(2, at(on, 20), at(on, 22))]
    first = by_kind(windows("trainee", sessions, "Asia/Shanghai", TWO_HOURS), Kind.DAILY)[0]
    assert first.closes_at == first.opens_at + timedelta(days=1)


def test_no_timetable_no_windows():
    assert windows("trainee", [], "Asia/Shanghai", TWO_HOURS) == []


def test_reminder_never_at_or_after_the_close():
    opens = datetime(2026, 5, 11, 9, 30, tzinfo=UTC)
    assert reminder_at(opens, opens + timedelta(hours=3), TWO_HOURS) == opens + TWO_HOURS
    assert reminder_at(opens, opens + TWO_HOURS, TWO_HOURS) is None
    assert reminder_at(opens, opens + timedelta(hours=1), TWO_HOURS) is None


def test_open_and_remind_due_bounds():
    opens = datetime(2026, 5, 11, 9, 30, tzinfo=UTC)
    window = Window(Kind.DAILY, 1, opens, opens + timedelta(hours=15), opens + TWO_HOURS)
    assert not window.open_at(opens - timedelta(seconds=1))
    assert window.open_at(opens) and window.open_at(window.closes_at - timedelta(seconds=1))
    assert not window.open_at(window.closes_at)
    assert not window.remind_due(opens + TWO_HOURS - timedelta(seconds=1))
    assert window.remind_due(opens + TWO_HOURS)
    assert not window.remind_due(window.closes_at)
    never = Window(Kind.DAILY, 1, opens, opens + timedelta(hours=1), None)
    assert not never.remind_due(opens + timedelta(minutes=59))


def test_class_day_number_counts_only_days_with_sessions():
    days = [1, 1, 2, 5, 5, 6, 7, 7]
    assert [class_day_number(day, days) for day in (1, 2, 5, 6, 7)] == [1, 2, 3, 4, 5]
    assert class_day_number(3, days) == 2, "a day off is still the 2nd class day's evening"
    assert class_day_number(1, []) == 0


def test_answerable():
    closes = datetime(2026, 5, 12, 1, tzinfo=UTC)
    before = closes - timedelta(minutes=1)
    assert answerable(closes, None, before) is Answerable.OPEN
    assert answerable(closes, None, closes) is Answerable.CLOSED
    assert answerable(closes, before, before) is Answerable.ANSWERED
    assert answerable(closes, before, closes + timedelta(days=1)) is Answerable.ANSWERED
