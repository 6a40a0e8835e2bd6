"""Tracking surveys after the class (S-16, T13): the schedule, when a wave is due, when a survey
is reminded and closed, and what an answer counts as. Pure: no aiogram, no database.

A wave's due moment is computed from the class's last day and the schedule in force whenever
the scan runs, never stored per person, so a schedule change moves every survey not yet sent.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_MONTHS: tuple[int, ...] = (6, 12, 18, 24)
"""Months after the class's last day (「如每半年、每年」): the schedule when none is set."""
MAX_MONTHS = 120
MAX_WAVES = 12
SEND_FROM, SEND_UNTIL = time(10, 0), time(20, 0)
"""Surveys and reminders go out between these local hours of the class's time zone; outside
them they wait for the next morning."""


class Problem(StrEnum):
    """Why a typed schedule is refused."""

    EMPTY = "empty"
    NOT_NUMBERS = "not_numbers"
    OUT_OF_RANGE = "out_of_range"
    NOT_INCREASING = "not_increasing"
    TOO_MANY = "too_many"


def parse_months(text: str) -> tuple[int, ...] | Problem:
    """ "6, 12, 18, 24" (commas, spaces, Chinese commas or 、) → (6, 12, 18, 24); or what is
    wrong: each 1..120 months, strictly increasing, at most 12 waves."""
    parts = [part for part in re.split(r"[\s,，、;；]+", text.strip()) if part]
    if not parts:
        return Problem.EMPTY
    if not all(part.isascii() and part.isdigit() for part in parts):
        return Problem.NOT_NUMBERS
    months = tuple(int(part) for part in parts)
    if len(months) > MAX_WAVES:
        return Problem.TOO_MANY
    if any(not 1 <= value <= MAX_MONTHS for value in months):
        return Problem.OUT_OF_RANGE
    if any(b <= a for a, b in zip(months, months[1:], strict=False)):
        return Problem.NOT_INCREASING
    return months


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_at(ended_at: datetime, timezone: str, months: int) -> datetime:
    """When the wave `months` after a class that ended at `ended_at` is due: that day, in the
    class's time zone, at the start of the sending hours."""
    zone = ZoneInfo(timezone)
    day = add_months(ended_at.astimezone(zone).date(), months)
    return datetime.combine(day, SEND_FROM, zone)


def sending_hours(now: datetime, timezone: str) -> bool:
    """Whether `now` is within the sending hours where the class is (not at night)."""
    local = now.astimezone(ZoneInfo(timezone)).time()
    return SEND_FROM <= local < SEND_UNTIL


def wave_due(
    ended_at: datetime, timezone: str, schedule: Sequence[int], waves_sent: int, now: datetime
) -> int | None:
    """The wave (from 1) to push now, or None: the next one not yet sent, once its day has
    come and only during the sending hours."""
    if waves_sent >= len(schedule) or not sending_hours(now, timezone):
        return None
    return waves_sent + 1 if due_at(ended_at, timezone, schedule[waves_sent]) <= now else None


def reminder_due(
    sent_at: datetime, reminders: int, reminder_days: Sequence[int], now: datetime
) -> bool:
    """Whether the next reminder of an unanswered open survey is due (hours checked apart)."""
    return (
        reminders < len(reminder_days) and sent_at + timedelta(days=reminder_days[reminders]) <= now
    )


def closes_at(sent_at: datetime, close_days: int) -> datetime:
    return sent_at + timedelta(days=close_days)


class Answer(StrEnum):
    """What a submitted tracking survey counts as."""

    COUNTED = "counted"
    LATE = "late"
    """After the survey closed: stored and marked late, not lost."""
    ALREADY = "already"
    """The survey was answered before: the first answer counts."""


def answer_kind(answered_at: datetime | None, closed_at: datetime | None, now: datetime) -> Answer:
    if answered_at is not None:
        return Answer.ALREADY
    return Answer.LATE if closed_at is not None and closed_at <= now else Answer.COUNTED


class CallOutcome(StrEnum):
    """What a phone follow-up came to (recorded by the institution's staff)."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    BY_PHONE = "by_phone"
    """Reached, and the survey answered over the phone (staff filled the same form)."""


@dataclass(frozen=True)
class Schedule:
    """The months in force for one class, and where they come from."""

    months: tuple[int, ...]
    source: str
    """"class" (its own), "institution" (all its classes) or "default"."""


def schedule_for(
    class_months: Sequence[int] | None, institution_months: Sequence[int] | None
) -> Schedule:
    """A class's own schedule overrides its institution's, which overrides the default."""
    if class_months:
        return Schedule(tuple(class_months), "class")
    if institution_months:
        return Schedule(tuple(institution_months), "institution")
    return Schedule(DEFAULT_MONTHS, "default")
