"""The timetable (T5): a standard template per programme, the sessions it gives for a start
date, and the checks on every change an institution makes to them.

A template is data (templates/timetables/<programme>.yaml) checked here when it loads, so a
wording change cannot produce a timetable that breaks the programme's own hours rule.
Times in templates and in what people type are local to the class's time zone; sessions
carry aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from bot.domain.classes import REQUIREMENTS, Programme
from bot.forms.answers import parse_date
from bot.forms.schema import LocalText

MINUTES_PER_HOUR = 40
"""A class hour (课时) needs at least 40 minutes of the session; breaks come on top."""
MAX_SESSION_HOURS = 8
TOPIC_LENGTH = (2, 100)
MODULES = (5, 8)
"""A standard timetable groups its sessions into 5 to 8 modules, the units the mid-term and
final evaluations ask about (not each session's topic)."""


class Slot(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


def slot_of(begins: time) -> Slot:
    """上午 before noon, 下午 before six, 晚上 after."""
    if begins < time(12):
        return Slot.MORNING
    if begins < time(18):
        return Slot.AFTERNOON
    return Slot.EVENING


def max_hours(begins: time, ends: time) -> int:
    minutes = (ends.hour * 60 + ends.minute) - (begins.hour * 60 + begins.minute)
    return min(MAX_SESSION_HOURS, max(0, minutes // MINUTES_PER_HOUR))


# --- the standard template ---------------------------------------------------------------


class PlannedSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: time
    end: time
    hours: int
    topic: LocalText
    module: int
    """The module it belongs to: 1 is the template's first `modules` entry."""

    @model_validator(mode="after")
    def _fits(self) -> PlannedSession:
        if self.end <= self.start:
            raise ValueError(f"session {self.start}-{self.end} ends before it starts")
        if not 1 <= self.hours <= max_hours(self.start, self.end):
            raise ValueError(
                f"session {self.start}-{self.end} cannot hold {self.hours} class hours "
                f"(1 to {max_hours(self.start, self.end)}, {MINUTES_PER_HOUR} minutes each)"
            )
        return self

    @property
    def slot(self) -> Slot:
        return slot_of(self.start)


class PlannedDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: int
    sessions: list[PlannedSession]

    @model_validator(mode="after")
    def _one_per_slot(self) -> PlannedDay:
        slots = [session.slot for session in self.sessions]
        if not slots or len(set(slots)) != len(slots):
            raise ValueError(f"day {self.day}: one to three sessions, one per half day")
        ordered = sorted(self.sessions, key=lambda session: session.start)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if later.start < earlier.end:
                raise ValueError(f"day {self.day}: sessions overlap")
        return self


class TimetableTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: Programme
    title: LocalText
    modules: list[LocalText]
    days: list[PlannedDay]

    @field_validator("days")
    @classmethod
    def _numbered(cls, days: list[PlannedDay]) -> list[PlannedDay]:
        if [plan.day for plan in days] != list(range(1, len(days) + 1)):
            raise ValueError("days must be numbered 1, 2, 3, ... in order")
        return days

    @model_validator(mode="after")
    def _meets_requirement(self) -> TimetableTemplate:
        need = REQUIREMENTS[self.programme]
        hours = sum(session.hours for plan in self.days for session in plan.sessions)
        if len(self.days) < need.days or hours < need.hours:
            raise ValueError(
                f"a {self.programme} timetable needs {need.days} days and {need.hours} class "
                f"hours; this one has {len(self.days)} days and {hours} hours"
            )
        return self

    @model_validator(mode="after")
    def _grouped_into_modules(self) -> TimetableTemplate:
        low, high = MODULES
        if not low <= len(self.modules) <= high:
            raise ValueError(f"modules: {low} to {high}, this one has {len(self.modules)}")
        order = [session.module for session in self.sessions()]
        if any(not 1 <= module <= len(self.modules) for module in order):
            raise ValueError(f"a session's module must be 1 to {len(self.modules)}")
        if order != sorted(order) or set(order) != set(range(1, len(self.modules) + 1)):
            raise ValueError("every module must have sessions, in order, one after another")
        return self

    def sessions(self) -> list[PlannedSession]:
        """Every session in timetable order."""
        return [
            session
            for plan in self.days
            for session in sorted(plan.sessions, key=lambda planned: planned.start)
        ]

    def module_titles(self, locale: str, through_day: int | None = None) -> list[str]:
        """The modules' titles, in order: all of them, or those begun by the end of template
        day `through_day` (the modules taught so far at the mid-term of the 5th class day)."""
        begun = {
            session.module
            for plan in self.days
            if through_day is None or plan.day <= through_day
            for session in plan.sessions
        }
        return [title(locale) for number, title in enumerate(self.modules, 1) if number in begun]


class TimetableError(ValueError):
    """A template file that cannot be used; the message names the file and the reason."""


def load_template(path: Path) -> TimetableTemplate:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TimetableTemplate.model_validate(data)
    except yaml.YAMLError as error:
        raise TimetableError(f"{path}: not valid YAML: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'template'}: {err['msg']}"
            for err in error.errors()
        )
        raise TimetableError(f"{path}: {problems}") from error


# --- sessions ------------------------------------------------------------------------------


class Spanned(Protocol):
    starts_at: datetime
    ends_at: datetime


class Timed(Spanned, Protocol):
    hours: int


@dataclass(frozen=True)
class Placement:
    """Where a session sits: the class day (1 = start date), its half day, and UTC times."""

    day: int
    slot: Slot
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Session:
    placement: Placement
    hours: int
    topic: str


def place(on: date, begins: time, ends: time, start: date, timezone: str) -> Placement:
    zone = ZoneInfo(timezone)
    return Placement(
        day=(on - start).days + 1,
        slot=slot_of(begins),
        starts_at=datetime.combine(on, begins, zone).astimezone(UTC),
        ends_at=datetime.combine(on, ends, zone).astimezone(UTC),
    )


def build(template: TimetableTemplate, start: date, timezone: str, locale: str) -> list[Session]:
    """The template's sessions for a class starting on `start`, day 1 being that date."""
    sessions = []
    for plan in template.days:
        on = start + timedelta(days=plan.day - 1)
        for planned in sorted(plan.sessions, key=lambda session: session.start):
            sessions.append(
                Session(
                    place(on, planned.start, planned.end, start, timezone),
                    planned.hours,
                    planned.topic(locale),
                )
            )
    return sessions


def total_hours(sessions: Iterable[Timed]) -> int:
    return sum(session.hours for session in sessions)


def distinct_days(sessions: Iterable[Spanned], timezone: str) -> int:
    """Training days: the local calendar dates that have at least one session."""
    zone = ZoneInfo(timezone)
    return len({session.starts_at.astimezone(zone).date() for session in sessions})


def local_span(session: Spanned, timezone: str) -> tuple[date, time, time]:
    zone = ZoneInfo(timezone)
    begins, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return begins.date(), begins.time(), ends.time()


def shifted(session: Spanned, days: int, timezone: str) -> tuple[datetime, datetime]:
    """The session's UTC times `days` later at the same local clock times (start date moved)."""
    on, begins, ends = local_span(session, timezone)
    zone = ZoneInfo(timezone)
    moved = on + timedelta(days=days)
    return (
        datetime.combine(moved, begins, zone).astimezone(UTC),
        datetime.combine(moved, ends, zone).astimezone(UTC),
    )


# --- adjustments -----------------------------------------------------------------------------


class SessionField(StrEnum):
    """What of a session a person changes by typing it: its time, class hours or topic."""

    TIME = "time"
    HOURS = "hours"
    TOPIC = "topic"


class Change(StrEnum):
    """Why a change to the timetable is refused."""

    BAD_FORMAT = "bad_format"
    DAY_NEEDED = "day_needed"
    ENDS_BEFORE_START = "ends_before_start"
    BEFORE_CLASS_START = "before_class_start"
    SLOT_TAKEN = "slot_taken"
    OVERLAP = "overlap"
    HOURS_RANGE = "hours_range"
    HOURS_DO_NOT_FIT = "hours_do_not_fit"
    TOPIC_LENGTH = "topic_length"


@dataclass(frozen=True)
class Refusal:
    code: Change
    params: dict[str, Any]


class Refused(Exception):
    def __init__(self, code: Change, **params: Any) -> None:
        super().__init__(code)
        self.refusal = Refusal(code, params)


@dataclass(frozen=True)
class When:
    """What someone typed for a session's time: a day (or None: keep the day) and clock times."""

    on: date | None
    day: int | None
    begins: time
    ends: time


_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: " "}
_CLOCK = r"(\d{1,2})(?:\s*[:：点.]\s*(\d{2})?)?"
_RANGE = re.compile(rf"{_CLOCK}\s*(?:-|~|～|—|–|至|到)+\s*{_CLOCK}")
_DAY_NUMBER = re.compile(r"^(?:第\s*(\d{1,2})\s*天|day\s*(\d{1,2}))", re.IGNORECASE)
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_FULL_DATE = re.compile(r"^(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?)")


def _clock(hour: str, minute: str | None) -> time:
    value = int(hour), int(minute or 0)
    if not (0 <= value[0] <= 23 and 0 <= value[1] <= 59):
        raise Refused(Change.BAD_FORMAT)
    return time(*value)


def parse_when(text: str, start: date) -> When:
    """Read "14:00-17:30", optionally after a day: "6月3日", "2025-06-03" or "第3天".

    A month and day without a year is taken in the year of the class's start date (or the
    next year when that would fall more than half a year before it).
    """
    given = text.translate(_WIDE).strip().casefold()
    on: date | None = None
    day: int | None = None
    match = _DAY_NUMBER.match(given) or _FULL_DATE.match(given) or _MONTH_DAY.match(given)
    try:
        if match is not None and match.re is _DAY_NUMBER:
            day = int(match[1] or match[2])
        elif match is not None and match.re is _FULL_DATE:
            on = parse_date(match[1])
        elif match is not None:
            on = date(start.year, int(match[1]), int(match[2]))
            if (start - on).days > 183:
                on = on.replace(year=start.year + 1)
    except ValueError:
        raise Refused(Change.BAD_FORMAT) from None
    found = _RANGE.fullmatch(given[match.end() if match else 0 :].strip())
    if found is None or day == 0:
        raise Refused(Change.BAD_FORMAT)
    begins, ends = _clock(found[1], found[2]), _clock(found[3], found[4])
    if ends <= begins:
        raise Refused(Change.ENDS_BEFORE_START)
    return When(on, day, begins, ends)


def parse_hours(text: str) -> int:
    given = text.translate(_WIDE).strip().removesuffix("课时").strip()
    if not re.fullmatch(r"\d{1,2}", given) or not 1 <= int(given) <= MAX_SESSION_HOURS:
        raise Refused(Change.HOURS_RANGE, max=MAX_SESSION_HOURS)
    return int(given)


def parse_topic(text: str) -> str:
    topic = " ".join(text.split())
    if not TOPIC_LENGTH[0] <= len(topic) <= TOPIC_LENGTH[1] or topic.startswith("/"):
        raise Refused(Change.TOPIC_LENGTH, min=TOPIC_LENGTH[0], max=TOPIC_LENGTH[1])
    return topic


@dataclass(frozen=True)
class Existing:
    """A session already in the timetable, as the checks see it."""

    id: int
    day: int
    slot: Slot
    starts_at: datetime
    ends_at: datetime


def check_change(
    placement: Placement, hours: int, others: Iterable[Existing], timezone: str
) -> None:
    """Raise Refused when a session at `placement` with `hours` cannot join the `others`."""
    if placement.day < 1:
        raise Refused(Change.BEFORE_CLASS_START)
    _, begins, ends = local_span(placement, timezone)
    fits = max_hours(begins, ends)
    if hours > fits:
        raise Refused(Change.HOURS_DO_NOT_FIT, hours=hours, fits=fits, minutes=MINUTES_PER_HOUR)
    for other in others:
        if other.day == placement.day and other.slot == placement.slot:
            raise Refused(Change.SLOT_TAKEN, day=other.day, slot=other.slot)
        if other.starts_at < placement.ends_at and placement.starts_at < other.ends_at:
            raise Refused(Change.OVERLAP, day=other.day, slot=other.slot)


def placement_for(when: When, current_day: int | None, start: date, timezone: str) -> Placement:
    """The placement a typed time means: its own day if it names one, else `current_day`."""
    if when.on is not None:
        on = when.on
    elif when.day is not None:
        on = start + timedelta(days=when.day - 1)
    elif current_day is not None:
        on = start + timedelta(days=current_day - 1)
    else:
        raise Refused(Change.DAY_NEEDED)
    return place(on, when.begins, when.ends, start, timezone)
