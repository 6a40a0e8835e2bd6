"""Attendance rules: eligibility for every case of both class kinds, leave length, due times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    """`excused` leave occurrences, each of one session."""
    return AttendanceRecord(
        sessions=14, present=present, late=late, absent=absent, excused=excused, leaves=excused
    )


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


def test_record_counts_marks_per_session_and_leaves_per_request():
    made = AttendanceRecord.of(
        14,
        {1: Mark.PRESENT, 2: "late", 3: Mark.ABSENT, 4: "excused", 5: Mark.EXCUSED, 6: "present"},
    )
    assert made == AttendanceRecord(sessions=14, present=2, late=1, absent=1, excused=2, leaves=2)
    assert made.marked == 6
    assert AttendanceRecord.of(0, {}) == AttendanceRecord()
    with pytest.raises(ValueError):
        AttendanceRecord.of(1, {1: "gone"})


def test_one_leave_request_over_two_sessions_counts_once_S11():
    """S-11 「请假超过2次（一次请假不能超过4课时）」: a 4-hour leave over two sessions is one
    leave, marked or not yet marked; two such leaves and an absence still leave a trainee
    eligible (3 occurrences would not)."""
    ahead = AttendanceRecord.of(14, {}, [{3, 4}])
    assert (ahead.excused, ahead.leaves) == (2, 1)
    marked = AttendanceRecord.of(14, {3: Mark.EXCUSED, 4: Mark.EXCUSED}, [{3, 4}])
    assert (marked.excused, marked.leaves) == (2, 1)
    two = AttendanceRecord.of(14, {1: Mark.ABSENT, 3: "excused"}, [{3, 4}, {7, 8}])
    result = eligibility("trainee", two)
    assert (two.excused, two.leaves, two.absent) == (4, 2, 1)
    assert result == Eligibility(eligible=False, absences=1, leaves=2, margin=-1)
    assert eligibility("trainee", AttendanceRecord.of(14, {}, [{3, 4}, {7, 8}])).eligible


def test_a_leave_not_taken_does_not_count_and_a_teacher_excused_session_does():
    """A learner who came to every session of an approved leave took none; a session a
    teacher excused without a request counts as a leave of its own; an absent mark on a
    leave's session is an absence (the teacher's mark stands)."""
    came = AttendanceRecord.of(14, {3: Mark.PRESENT, 4: Mark.LATE}, [{3, 4}])
    assert (came.excused, came.leaves) == (0, 0)
    part = AttendanceRecord.of(14, {3: Mark.PRESENT}, [{3, 4}])
    assert (part.excused, part.leaves) == (1, 1)
    by_teacher = AttendanceRecord.of(14, {5: Mark.EXCUSED, 6: Mark.EXCUSED})
    assert by_teacher.leaves == 2
    absent = AttendanceRecord.of(14, {3: Mark.ABSENT, 4: Mark.ABSENT}, [{3, 4}])
    assert (absent.absent, absent.leaves) == (2, 0)


@given(early=st.integers(0, 14), late=st.integers(0, 14))
def test_early_leave_is_recorded_but_never_costs_eligibility(early, late):
    """「严禁迟到早退」 but only absences and leaves bar the assessment (S-11, S-24)."""
    marks = {n: Mark.LEFT_EARLY for n in range(early)}
    marks |= {100 + n: Mark.LATE for n in range(late)}
    made = AttendanceRecord.of(14 + early + late, marks)
    assert (made.left_early, made.late, made.marked) == (early, late, early + late)
    for programme in Programme:
        assert eligibility(programme, made).eligible


@given(
    marks=st.dictionaries(st.integers(1, 14), st.sampled_from(list(Mark)), max_size=14),
    leaves=st.lists(st.sets(st.integers(1, 14), min_size=1, max_size=2), max_size=4),
)
def test_leaves_are_occurrences_never_more_than_the_excused_sessions(marks, leaves):
    """Per occurrence: requests in use plus lone excused sessions, never more than the excused
    sessions, at most the requests when every excused session is covered by one."""
    made = AttendanceRecord.of(14, marks, leaves)
    covered = set().union(*leaves)
    excused = {s for s, m in marks.items() if m is Mark.EXCUSED} | (covered - marks.keys())
    assert made.excused == len(excused)
    used = [request for request in leaves if request & excused]
    assert made.leaves == len(used) + len(excused - covered)
    assert made.absent == sum(1 for m in marks.values() if m is Mark.ABSENT)


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
