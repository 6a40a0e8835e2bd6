"""Attendance rules: eligibility for every case of both class kinds, leave length, due times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from bot.domain.attendance import (
    MAX_LEAVE_HOURS,
    AttendanceRecord,
    Eligibility,
    LeaveProblem,
    Notice,
    checkin_closes_at,
    close_due,
    day_over,
    eligibility,
    leave_problem,
    local_day,
    notice,
    reminder_due,
    reminder_time,
    session_view,
)
from bot.domain.checkin import Mark
from bot.domain.classes import Programme

COUNTS = range(5)
START = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
END = START + timedelta(hours=3, minutes=30)
LEAD = timedelta(minutes=30)


def record(absent: int = 0, excused: int = 0, late: int = 0, present: int = 0) -> AttendanceRecord:
    return AttendanceRecord(sessions=14, present=present, late=late, absent=absent, excused=excused)


@pytest.mark.parametrize(("absent", "excused", "late"), list(product(COUNTS, COUNTS, COUNTS)))
def test_trainee_class_allows_two_absences_and_leaves_in_total(absent, excused, late):
    result = eligibility(Programme.TRAINEE, record(absent, excused, late, present=3))
    assert result == Eligibility(
        eligible=absent + excused <= 2, absences=absent, leaves=excused, margin=2 - absent - excused
    )


@pytest.mark.parametrize("programme", [Programme.LECTURER, Programme.TRAINER])
@pytest.mark.parametrize(("absent", "excused", "late"), list(product(COUNTS, COUNTS, COUNTS)))
def test_lecturer_and_trainer_classes_allow_no_absence_or_leave(programme, absent, excused, late):
    result = eligibility(programme, record(absent, excused, late, present=3))
    assert result.eligible is (absent == 0 and excused == 0)
    assert result.margin == -absent - excused
    assert (result.absences, result.leaves) == (absent, excused)


def test_programme_may_be_given_as_stored_text():
    assert eligibility("trainee", record(absent=2)).eligible
    assert not eligibility("trainer", record(excused=1)).eligible
    with pytest.raises(ValueError):
        eligibility("siyb", record())


@pytest.mark.parametrize(
    ("programme", "absent", "excused", "expected"),
    [
        (Programme.TRAINEE, 0, 0, None),
        (Programme.TRAINEE, 1, 0, None),
        (Programme.TRAINEE, 0, 1, None),
        (Programme.TRAINEE, 2, 0, Notice.WARN),
        (Programme.TRAINEE, 1, 1, Notice.WARN),
        (Programme.TRAINEE, 0, 2, Notice.WARN),
        (Programme.TRAINEE, 3, 0, Notice.LOST),
        (Programme.TRAINEE, 1, 2, Notice.LOST),
        (Programme.TRAINEE, 4, 4, Notice.LOST),
        (Programme.LECTURER, 0, 0, None),
        (Programme.LECTURER, 1, 0, Notice.LOST),
        (Programme.LECTURER, 0, 1, Notice.LOST),
        (Programme.TRAINER, 0, 0, None),
        (Programme.TRAINER, 0, 1, Notice.LOST),
    ],
)
def test_notice_warns_at_the_margin_and_reports_loss(programme, absent, excused, expected):
    assert notice(eligibility(programme, record(absent, excused, late=3))) is expected


def test_record_counts_marks_per_session():
    made = AttendanceRecord.of(
        14, [Mark.PRESENT, "late", Mark.ABSENT, Mark.EXCUSED, Mark.EXCUSED, "present"]
    )
    assert made == AttendanceRecord(sessions=14, present=2, late=1, absent=1, excused=2)
    assert made.marked == 6
    assert AttendanceRecord.of(0, []) == AttendanceRecord()
    with pytest.raises(ValueError):
        AttendanceRecord.of(1, ["gone"])


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        (-1, LeaveProblem.NOTHING_CHOSEN),
        (0, LeaveProblem.NOTHING_CHOSEN),
        (1, None),
        (3, None),
        (4, None),
        (5, LeaveProblem.TOO_LONG),
        (8, LeaveProblem.TOO_LONG),
    ],
)
def test_a_single_leave_is_at_most_four_class_hours(hours, problem):
    assert MAX_LEAVE_HOURS == 4
    assert leave_problem(hours) is problem


@pytest.mark.parametrize(
    ("before_start", "due"),
    [
        (timedelta(minutes=40), False),
        (timedelta(minutes=30, seconds=1), False),
        (timedelta(minutes=30), True),
        (timedelta(minutes=25), True),
        (timedelta(seconds=1), True),
        (timedelta(0), False),
        (-timedelta(minutes=5), False),
    ],
)
def test_reminder_is_due_from_the_lead_time_until_the_start(before_start, due):
    assert reminder_time(START, LEAD) == START - LEAD
    assert reminder_due(START, START - before_start, LEAD) is due


def test_checkin_closes_at_the_end_or_after_the_window():
    assert checkin_closes_at(START, END, None) == END
    assert checkin_closes_at(START, END, timedelta(minutes=45)) == START + timedelta(minutes=45)
    assert checkin_closes_at(START, END, timedelta(hours=5)) == END


@pytest.mark.parametrize(
    ("opened", "closed", "now", "due"),
    [
        (None, None, END + timedelta(hours=1), False),
        (START, None, END - timedelta(seconds=1), False),
        (START, None, END, True),
        (START, None, END + timedelta(days=1), True),
        (START, END, END + timedelta(hours=1), False),
    ],
)
def test_only_an_opened_and_still_open_checkin_is_closed_by_the_clock(opened, closed, now, due):
    assert close_due(opened, closed, END, now) is due


def test_a_day_is_over_after_its_last_session():
    ends = [END, END + timedelta(hours=5)]
    assert not day_over(ends, END + timedelta(hours=1))
    assert day_over(ends, END + timedelta(hours=5))
    assert not day_over([], END)


def test_sessions_are_shown_in_the_class_time_zone():
    shown = session_view(3, "morning", START, END, 4, "开网店", "Asia/Shanghai")
    assert (shown.date, shown.start, shown.end) == (date(2026, 5, 11), "09:00", "12:30")
    assert (shown.day, shown.slot, shown.hours, shown.topic) == (3, "morning", 4, "开网店")
    late = datetime(2026, 5, 10, 17, 0, tzinfo=UTC)
    assert local_day(late, "Asia/Shanghai") == date(2026, 5, 11)
    assert local_day(late, "UTC") == date(2026, 5, 10)
    assert session_view(1, "morning", late, late, 4, "", "Europe/Berlin").start == "19:00"
