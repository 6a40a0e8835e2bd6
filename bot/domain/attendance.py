"""Attendance rules (S-11, S-24, S-32) and the due times of the attendance jobs.

Absence and leave are counted per occurrence (次):
「无故旷课或请假超过2次（一次请假不能超过4课时）」.
Each unexcused absent session is one absence; one approved leave request is one leave however
many sessions it covers (at most 4 class hours); a session a teacher excused without a leave
request is one leave of its own. Lateness and early leave (早退) are forbidden and shown, but do
not count towards eligibility.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.checkin import Mark
from bot.domain.classes import Programme

ALLOWED_MISSES = {Programme.TRAINEE: 2, Programme.LECTURER: 0, Programme.TRAINER: 0}
"""Unexcused absences plus leaves a learner may have and still take the assessment: "more than
2" bars a trainee (S-11); any at all bars a lecturer or trainer candidate (S-24, S-32)."""

MAX_LEAVE_HOURS = 4
"""A single leave may not exceed 4 class hours (S-11)."""


class LeaveStatus(StrEnum):
    """A leave request (`LeaveRequest.status`): the first teacher's decision counts (S-11)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class AttendanceRecord:
    """One learner's marks in one class; `sessions` is the timetable size.

    `present`, `late`, `absent` and `excused` count sessions: `excused` those marked excused
    and those an approved leave covers that have no mark yet (leave approved ahead of time
    counts at once). `leaves` counts leave occurrences (次), what eligibility reads.
    """

    sessions: int = 0
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0
    leaves: int = 0
    left_early: int = 0

    @classmethod
    def of(
        cls,
        sessions: int,
        marks: Mapping[int, Mark | str],
        leaves: Iterable[Collection[int]] = (),
    ) -> AttendanceRecord:
        """From the marks by session id and the approved leave requests (each the session ids
        it covers). A leave request counts once when at least one of its sessions is excused
        or still unmarked (a learner who came to all of them after all took no leave); an
        excused session no approved request covers counts once by itself."""
        marks = {session_id: Mark(mark) for session_id, mark in marks.items()}
        leaves = [set(covered) for covered in leaves]
        covered = set().union(*leaves)
        excused = {s for s, mark in marks.items() if mark is Mark.EXCUSED}
        excused |= covered - marks.keys()
        counts = dict.fromkeys(Mark, 0)
        for mark in marks.values():
            counts[mark] += 1
        taken = sum(1 for request in leaves if request & excused)
        return cls(
            sessions=sessions,
            present=counts[Mark.PRESENT],
            late=counts[Mark.LATE],
            absent=counts[Mark.ABSENT],
            excused=len(excused),
            leaves=taken + len(excused - covered),
            left_early=counts[Mark.LEFT_EARLY],
        )

    @property
    def marked(self) -> int:
        return self.present + self.late + self.left_early + self.absent + self.excused


@dataclass(frozen=True)
class Eligibility:
    """`margin`: how many more absences or leaves are allowed before eligibility is lost;
    negative once it is lost (by how many it was exceeded)."""

    eligible: bool
    absences: int
    leaves: int
    margin: int


def eligibility(programme: Programme | str, record: AttendanceRecord) -> Eligibility:
    """S-11, S-24, S-32: unexcused absent sessions plus leave occurrences against the
    programme's allowance."""
    margin = ALLOWED_MISSES[Programme(programme)] - record.absent - record.leaves
    return Eligibility(margin >= 0, record.absent, record.leaves, margin)


class Notice(StrEnum):
    WARN = "warn"
    LOST = "lost"


def notice(result: Eligibility) -> Notice | None:
    """What the learner must be told: lost, or warned that one more miss would cost the
    assessment. A lecturer or trainer candidate starts with no margin; they are not warned
    before having missed anything."""
    if not result.eligible:
        return Notice.LOST
    if result.margin == 0 and result.absences + result.leaves > 0:
        return Notice.WARN
    return None


class LeaveProblem(StrEnum):
    NOTHING_CHOSEN = "nothing_chosen"
    TOO_LONG = "too_long"


def leave_problem(hours: int) -> LeaveProblem | None:
    """Why a leave of this many class hours cannot be asked for, or None."""
    if hours <= 0:
        return LeaveProblem.NOTHING_CHOSEN
    if hours > MAX_LEAVE_HOURS:
        return LeaveProblem.TOO_LONG
    return None


def reminder_time(starts_at: datetime, lead: timedelta) -> datetime:
    return starts_at - lead


def reminder_due(starts_at: datetime, now: datetime, lead: timedelta) -> bool:
    """From `lead` before the start until the start: later a reminder is no use."""
    return reminder_time(starts_at, lead) <= now < starts_at


def checkin_closes_at(starts_at: datetime, ends_at: datetime, window: timedelta | None) -> datetime:
    """Check-in closes when the session ends, or `window` after its start if that is sooner."""
    if window is None:
        return ends_at
    return min(ends_at, starts_at + window)


def close_due(
    opened_at: datetime | None,
    closed_at: datetime | None,
    closes_at: datetime,
    now: datetime,
) -> bool:
    """Only an opened, still open check-in is closed by the clock: a session whose check-in
    was never opened is not marked at all (nobody could have checked in)."""
    return opened_at is not None and closed_at is None and now >= closes_at


def day_over(ends: Iterable[datetime], now: datetime) -> bool:
    """Whether a class day (the end times of its sessions) is over."""
    ends = list(ends)
    return bool(ends) and now >= max(ends)


@dataclass(frozen=True)
class SessionView:
    """A session as people read it: local date and times in the class's time zone."""

    day: int
    slot: str
    date: date
    start: str
    end: str
    hours: int
    topic: str


def session_view(
    day: int,
    slot: str,
    starts_at: datetime,
    ends_at: datetime,
    hours: int,
    topic: str,
    timezone: str,
) -> SessionView:
    zone = ZoneInfo(timezone)
    starts, ends = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return SessionView(day, slot, starts.date(), f"{starts:%H:%M}", f"{ends:%H:%M}", hours, topic)


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()
