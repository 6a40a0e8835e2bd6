"""The timetable (T5) of a class being prepared: generated from the standard template, then
adjusted — a session moved, its class hours or topic changed, removed, or one added.

Every change passes bot.domain.timetable's checks (one session per half day, no overlaps, hours
that fit the time), which raise `Refused` with the reason; the class card then shows whether
days and hours still meet the programme's minimum. Typed answers arrive after the button that
asked them, so their use cases return None when the class can no longer be changed, for the
adapter to say so in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import ClassEvent, Programme
from bot.domain.timetable import (
    Existing,
    Placement,
    Session,
    SessionField,
    Slot,
    build,
    check_change,
    local_span,
    max_hours,
    parse_hours,
    parse_topic,
    parse_when,
    place,
    placement_for,
)
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.classes import audit, preparing, preparing_or_none
from bot.services.errors import found as existing
from bot.timetables import standard
from storage import classes
from storage.models import ClassSession, TrainingClass

CHANGED = {
    SessionField.TIME: ClassEvent.SESSION_TIME,
    SessionField.HOURS: ClassEvent.SESSION_HOURS,
    SessionField.TOPIC: ClassEvent.SESSION_TOPIC,
}


@dataclass(frozen=True)
class Changed:
    """A change made: the class, and the day whose sessions to show again."""

    found: TrainingClass
    day: int


@dataclass(frozen=True)
class Planned:
    """Where a session being added goes: a local date and clock times (kept between the
    questions that add it)."""

    on: date
    begins: time
    ends: time

    def data(self) -> dict[str, str]:
        return {"on": self.on.isoformat(), "b": self.begins.isoformat(), "e": self.ends.isoformat()}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Planned:
        return cls(
            date.fromisoformat(data["on"]),
            time.fromisoformat(data["b"]),
            time.fromisoformat(data["e"]),
        )

    def placement(self, found: TrainingClass) -> Placement:
        return place(self.on, self.begins, self.ends, found.start_date, found.timezone)

    @property
    def fits(self) -> int:
        """The most class hours its time holds."""
        return max_hours(self.begins, self.ends)


def _others(sessions: list[ClassSession], but: int | None = None) -> list[Existing]:
    return [
        Existing(item.id, item.day, Slot(item.slot), item.starts_at, item.ends_at)
        for item in sessions
        if item.id != but
    ]


async def editable(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """The class whose timetable the actor is about to change (Stale once it is submitted)."""
    return await preparing(session, actor, Action.CLASS_TIMETABLE, class_id)


async def to_replace(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, int]:
    """The class about to get the standard timetable, and how many sessions that replaces (to
    ask first when there are some)."""
    found = await editable(session, actor, class_id)
    return found, len(await classes.sessions_of(session, found.id))


async def session_to_change(
    session: AsyncSession, actor: Actor, session_id: int
) -> tuple[ClassSession, TrainingClass]:
    """A session of a class whose timetable the actor may still change, with the class."""
    item = existing(await classes.class_session(session, session_id))
    return item, await editable(session, actor, item.class_id)


async def generate(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, list[ClassSession]]:
    """The timetable becomes the programme's standard one (topics in the actor's language),
    replacing any sessions it had."""
    found = await editable(session, actor, class_id)
    template = standard(Programme(found.programme))
    planned = build(template, found.start_date, found.timezone, actor.locale)
    made = await classes.replace_sessions(session, found.id, planned)
    classes.touch(found)
    await audit(
        session,
        actor,
        ClassEvent.TIMETABLE_GENERATED,
        found,
        sessions=len(made),
        hours=sum(item.hours for item in made),
    )
    return found, made


async def remove_session(session: AsyncSession, actor: Actor, session_id: int) -> Changed:
    item, found = await session_to_change(session, actor, session_id)
    await classes.remove_session(session, item)
    classes.touch(found)
    await audit(
        session,
        actor,
        ClassEvent.SESSION_REMOVED,
        found,
        day=item.day,
        slot=item.slot,
        hours=item.hours,
    )
    return Changed(found, item.day)


async def change_session(
    session: AsyncSession, actor: Actor, session_id: int, field: SessionField, text: str
) -> Changed | None:
    """A typed new time, class hours or topic for a session; Refused (domain) when it does not
    fit, None when the class can no longer be changed."""
    item = await classes.class_session(session, session_id)
    found = await preparing_or_none(
        session, actor, Action.CLASS_TIMETABLE, item.class_id if item else None
    )
    if found is None:
        return None
    others = _others(await classes.sessions_of(session, found.id), but=item.id)
    if field is SessionField.TIME:
        moved = placement_for(
            parse_when(text, found.start_date), item.day, found.start_date, found.timezone
        )
        check_change(moved, item.hours, others, found.timezone)
        classes.reschedule(item, moved)
        details: dict[str, Any] = {
            "start": moved.starts_at.isoformat(),
            "end": moved.ends_at.isoformat(),
        }
    elif field is SessionField.HOURS:
        hours = parse_hours(text)
        current = Placement(item.day, Slot(item.slot), item.starts_at, item.ends_at)
        check_change(current, hours, others, found.timezone)
        classes.set_hours(item, hours)
        details = {"hours": hours}
    else:
        classes.set_topic(item, parse_topic(text))
        details = {"topic": item.topic}
    classes.touch(found)
    await audit(session, actor, CHANGED[field], found, day=item.day, **details)
    return Changed(found, item.day)


# --- adding a session: when, how many class hours, which topic --------------------------------


async def plan_time(
    session: AsyncSession, actor: Actor, class_id: int | None, day: int | None, text: str
) -> Planned | None:
    """Where a new session would go (on `day` unless the text names one); Refused when one
    class hour would not fit there."""
    found = await preparing_or_none(session, actor, Action.CLASS_TIMETABLE, class_id)
    if found is None:
        return None
    others = _others(await classes.sessions_of(session, found.id))
    planned = placement_for(
        parse_when(text, found.start_date), day, found.start_date, found.timezone
    )
    check_change(planned, 1, others, found.timezone)
    on, begins, ends = local_span(planned, found.timezone)
    return Planned(on, begins, ends)


async def plan_hours(
    session: AsyncSession, actor: Actor, class_id: int | None, planned: Planned, text: str
) -> int | None:
    found = await preparing_or_none(session, actor, Action.CLASS_TIMETABLE, class_id)
    if found is None:
        return None
    others = _others(await classes.sessions_of(session, found.id))
    hours = parse_hours(text)
    check_change(planned.placement(found), hours, others, found.timezone)
    return hours


async def add_session(
    session: AsyncSession,
    actor: Actor,
    class_id: int | None,
    planned: Planned,
    hours: int,
    text: str,
) -> Changed | None:
    """The session planned, with its class hours and the typed topic."""
    found = await preparing_or_none(session, actor, Action.CLASS_TIMETABLE, class_id)
    if found is None:
        return None
    others = _others(await classes.sessions_of(session, found.id))
    placement = planned.placement(found)
    topic = parse_topic(text)
    check_change(placement, hours, others, found.timezone)
    await classes.add_session(session, found.id, Session(placement, hours, topic))
    classes.touch(found)
    await audit(
        session,
        actor,
        ClassEvent.SESSION_ADDED,
        found,
        day=placement.day,
        start=placement.starts_at.isoformat(),
        hours=hours,
    )
    return Changed(found, placement.day)
