"""When feedback is collected (T6, T7, the mid-term evaluation) and who is asked.

Everything is computed from the class's sessions at the moment of asking, so a timetable
change moves the pushes with it. A day's forms open when its last session ends and close when
the next class day's first session starts. After the last day there is no next morning in the
timetable, so the forms close the next calendar day at the local time the last day began
(e.g. 09:00): a whole evening and night to answer, as on every other day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.classes import Programme


class Kind(StrEnum):
    DAILY = "daily"
    MIDTERM = "midterm"
    FINAL = "final"


FORMS = {Kind.DAILY: "daily_feedback", Kind.MIDTERM: "midterm_eval", Kind.FINAL: "final_eval"}
MIDTERM_DAY = 5
"""The mid-term evaluation is at the end of the 5th class day (S-27, S-33: 「培训第5天结束时」):
the 5th day that has sessions, not the 5th calendar day of the class (a weekend or a day off
in between does not count)."""
MIDTERM_PROGRAMMES = frozenset({Programme.LECTURER, Programme.TRAINER})


class Timed(Protocol):
    day: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Window:
    """One form of one class day: open from `opens_at` until `closes_at` (excluded); the
    reminder goes out at `remind_at`, or never when that would be at or after the close."""

    kind: Kind
    day: int
    opens_at: datetime
    closes_at: datetime
    remind_at: datetime | None

    def open_at(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def remind_due(self, now: datetime) -> bool:
        return self.remind_at is not None and self.remind_at <= now < self.closes_at


def kinds_due(programme: Programme | str, class_day: int, class_days: int) -> list[Kind]:
    """What is asked at the end of the `class_day`-th of `class_days` class days (days with
    sessions, counted from 1): daily feedback every day; the mid-term at the end of the 5th of
    a lecturer or trainer class (unless that is already the last); the final evaluation on the
    last."""
    kinds = [Kind.DAILY]
    if Programme(programme) in MIDTERM_PROGRAMMES and class_day == MIDTERM_DAY < class_days:
        kinds.append(Kind.MIDTERM)
    if class_day == class_days:
        kinds.append(Kind.FINAL)
    return kinds


def reminder_at(opens_at: datetime, closes_at: datetime, delay: timedelta) -> datetime | None:
    remind = opens_at + delay
    return remind if remind < closes_at else None


def _after_last_day(first_start: datetime, timezone: str) -> datetime:
    local = first_start.astimezone(ZoneInfo(timezone))
    following = local.date() + timedelta(days=1)
    return datetime.combine(following, local.time(), ZoneInfo(timezone))


def windows(
    programme: Programme | str,
    sessions: Iterable[Timed],
    timezone: str,
    reminder_delay: timedelta,
) -> list[Window]:
    """Every form of the class's timetable, in the order of the days. `Window.day` is the
    timetable's day number (a calendar day of the class); which forms are due depends on the
    day's place among the days that have sessions."""
    days: dict[int, list[Timed]] = defaultdict(list)
    for item in sessions:
        days[item.day].append(item)
    order = sorted(days)
    found = []
    for index, day in enumerate(order):
        opens = max(item.ends_at for item in days[day])
        if index + 1 < len(order):
            closes = min(item.starts_at for item in days[order[index + 1]])
        else:
            closes = _after_last_day(min(item.starts_at for item in days[day]), timezone)
        if closes <= opens:
            closes = opens + timedelta(days=1)
        remind = reminder_at(opens, closes, reminder_delay)
        for kind in kinds_due(programme, index + 1, len(order)):
            found.append(Window(kind, day, opens, closes, remind))
    return found


def class_day_number(day: int, days: Iterable[int]) -> int:
    """Which class day `day` is (1 = the first day with sessions): its place among the
    timetable's days that have sessions, counting days off in between as nothing."""
    return len({other for other in days if other <= day})


class Answerable(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


def answerable(closes_at: datetime, answered_at: datetime | None, now: datetime) -> Answerable:
    """One response per form; none once it has closed."""
    if answered_at is not None:
        return Answerable.ANSWERED
    return Answerable.OPEN if now < closes_at else Answerable.CLOSED
