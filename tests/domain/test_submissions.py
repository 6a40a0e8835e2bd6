"""Who may hand in practice results and the business plan, and until when (S-11, S-12):
pure rules of bot/domain/submissions.py, exhaustively and property-based."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.attendance import AttendanceRecord, Eligibility, eligibility
from bot.domain.submissions import (
    EXTENSION_DAYS,
    MAX_EXTENSION_DAYS,
    Closed,
    ExtensionProblem,
    closed_reason,
    extended_deadline,
    extension_problem,
    window,
)

SHANGHAI = "Asia/Shanghai"
FIRST, LAST = date(2026, 5, 11), date(2026, 5, 17)
ZONE = ZoneInfo(SHANGHAI)
ELIGIBLE = Eligibility(True, 0, 0, 2)
BARRED = Eligibility(False, 2, 1, -1)


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def test_the_window_runs_from_the_first_class_day_to_the_end_of_the_last_S12():
    span = window(FIRST, LAST, SHANGHAI)
    assert span.opens_at == local(FIRST)
    assert span.closes_at == local(LAST + timedelta(days=1))
    assert not span.extended
    assert span.contains(local(LAST, 23, 59)) and not span.contains(local(LAST + timedelta(1)))
    assert not span.contains(local(FIRST) - timedelta(seconds=1))


def test_an_extension_only_moves_the_deadline_later():
    later = local(LAST + timedelta(days=3))
    assert window(FIRST, LAST, SHANGHAI, later).closes_at == later
    assert window(FIRST, LAST, SHANGHAI, later).extended
    earlier = local(LAST)
    assert window(FIRST, LAST, SHANGHAI, earlier) == window(FIRST, LAST, SHANGHAI)


def test_the_reason_is_eligibility_first_then_the_dates_S11():
    span = window(FIRST, LAST, SHANGHAI)
    during, before, after = (
        local(FIRST, 10),
        local(FIRST) - timedelta(hours=1),
        local(LAST + timedelta(1)),
    )
    assert closed_reason(ELIGIBLE, span, during) is None
    assert closed_reason(ELIGIBLE, span, before) is Closed.NOT_YET
    assert closed_reason(ELIGIBLE, span, after) is Closed.LATE
    for moment in (during, before, after):
        assert closed_reason(BARRED, span, moment) is Closed.NOT_ELIGIBLE


@given(
    absent=st.integers(0, 6),
    excused=st.integers(0, 6),
    late=st.integers(0, 10),
    offset_minutes=st.integers(-3 * 24 * 60, 12 * 24 * 60),
    extension_days=st.none() | st.integers(-2, 20),
)
def test_a_trainee_may_submit_exactly_when_eligible_and_inside_the_window_S11(
    absent, excused, late, offset_minutes, extension_days
):
    """More than 2 absences or leaves bar a trainee whatever the date; lateness never does;
    otherwise the (possibly extended) window decides."""
    record = AttendanceRecord(
        sessions=14, present=0, late=late, absent=absent, excused=excused, leaves=excused
    )
    standing = eligibility("trainee", record)
    until = None if extension_days is None else local(LAST + timedelta(days=1 + extension_days))
    span = window(FIRST, LAST, SHANGHAI, until)
    now = local(FIRST) + timedelta(minutes=offset_minutes)
    reason = closed_reason(standing, span, now)
    deadline = max(local(LAST + timedelta(1)), until or local(LAST + timedelta(1)))
    if absent + excused > 2:
        assert reason is Closed.NOT_ELIGIBLE
    elif now < local(FIRST):
        assert reason is Closed.NOT_YET
    elif now >= deadline:
        assert reason is Closed.LATE
    else:
        assert reason is None


@given(days=st.integers(-5, 40), late_by=st.integers(0, 40))
def test_extensions_are_the_offered_lengths_within_30_days_of_the_end(days, late_by):
    today = LAST + timedelta(days=late_by)
    problem = extension_problem(LAST, today, days)
    if days not in EXTENSION_DAYS:
        assert problem is ExtensionProblem.DAYS
    elif late_by + days > MAX_EXTENSION_DAYS:
        assert problem is ExtensionProblem.TOO_FAR
    else:
        assert problem is None
        until = extended_deadline(LAST, today, days, SHANGHAI)
        assert until == local(max(today, LAST) + timedelta(days=days + 1))
        assert until > local(today, 23, 59)
        assert window(FIRST, LAST, SHANGHAI, until).contains(local(today, 12).astimezone(UTC))


def test_an_extension_counts_from_today_when_the_class_has_ended():
    today = LAST + timedelta(days=2)
    assert extended_deadline(LAST, today, 1, SHANGHAI) == local(today + timedelta(days=2))
    assert extended_deadline(LAST, FIRST, 3, SHANGHAI) == local(LAST + timedelta(days=4))


def test_a_lecturer_candidate_with_one_miss_cannot_submit_S24():
    standing = eligibility("lecturer", AttendanceRecord(sessions=20, absent=1))
    assert closed_reason(standing, window(FIRST, LAST, SHANGHAI), local(FIRST, 10)) is (
        Closed.NOT_ELIGIBLE
    )
