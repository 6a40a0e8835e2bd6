"""A class as its checks and messages see it, and the application its supervisor decides on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import ApplicationAction, ClassView, Decide
from bot.domain.classes import (
    REQUIREMENTS,
    ClassFacts,
    ClassStatus,
    Found,
    Programme,
    Teacher,
    check_class,
)
from bot.domain.timetable import distinct_days, local_span
from bot.i18n import I18n
from storage import classes
from storage.models import ClassSession, Institution, Person, TrainingClass


def local_today(found: TrainingClass, now: datetime) -> date:
    return now.astimezone(ZoneInfo(found.timezone)).date()


def local_time(moment: datetime | None, found: TrainingClass) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(found.timezone)).strftime("%Y-%m-%d %H:%M")


@dataclass
class Snapshot:
    """A class as its checks and messages see it."""

    found: TrainingClass
    institution: str
    teachers: list[tuple[Person, str, Teacher]]
    sessions: list[ClassSession]
    facts: ClassFacts

    def findings(self, now: datetime) -> list[Found]:
        return check_class(self.facts, local_today(self.found, now))


async def snapshot(session: AsyncSession, found: TrainingClass) -> Snapshot:
    teachers = []
    for person_id in await classes.teacher_ids(session, found.id):
        person = await session.get(Person, person_id)
        name = await classes.teacher_name(session, person)
        kinds = await classes.verified_kinds(session, person_id)
        teachers.append((person, name, Teacher(name, kinds)))
    sessions = await classes.sessions_of(session, found.id)
    institution = await session.get(Institution, found.institution_id)
    facts = ClassFacts(
        programme=Programme(found.programme),
        capacity=found.capacity,
        teachers=tuple(teacher for _, _, teacher in teachers),
        days=distinct_days(sessions, found.timezone),
        hours=sum(item.hours for item in sessions),
        equipment_confirmed=found.equipment_confirmed_at is not None,
        venue_located=found.venue_lat is not None and found.venue_lon is not None,
        start_date=found.start_date,
    )
    return Snapshot(found, institution.name if institution else "", teachers, sessions, facts)


def summary(snap: Snapshot) -> dict:
    """What the card and the application both show about the class."""
    found = snap.found
    need = REQUIREMENTS[Programme(found.programme)]
    dates = [local_span(item, found.timezone)[0] for item in snap.sessions]
    return {
        "cls": found,
        "institution": snap.institution,
        "teachers": [name for _, name, _ in snap.teachers],
        "first": min(dates) if dates else None,
        "last": max(dates) if dates else None,
        "days": snap.facts.days,
        "hours": snap.facts.hours,
        "need_days": need.days,
        "need_hours": need.hours,
        "equipment_at": local_time(found.equipment_confirmed_at, found),
    }


async def application(
    session: AsyncSession, found: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The class application as the supervisor reads it; buttons while it waits."""
    snap = await snapshot(session, found)
    kind = REQUIREMENTS[Programme(found.programme)].teacher_kind
    teachers = []
    for person, name, _ in snap.teachers:
        numbers = [
            c.number
            for c in await classes.certificates_of(session, person.id)
            if c.kind == kind and c.status == "verified"
        ]
        teachers.append((name, numbers))
    text = i18n("classes.application", **summary(snap) | {"teachers": teachers})
    if found.status != ClassStatus.SUBMITTED:
        return text, None

    def button(key: str, action: ApplicationAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=i18n(key), callback_data=Decide(c=found.id, a=action).pack()
        )

    rows = [
        [
            button("classes.b_approve", ApplicationAction.APPROVE),
            button("classes.b_return", ApplicationAction.RETURN),
        ],
        [button("classes.b_view_timetable", ApplicationAction.TIMETABLE)],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def application_text(session: AsyncSession, found: TrainingClass, i18n: I18n) -> str:
    return (await application(session, found, i18n))[0]


def open_button(i18n: I18n, found: TrainingClass) -> InlineKeyboardMarkup:
    """The button that opens the class card (on the decision told to the institution)."""
    button = InlineKeyboardButton(
        text=i18n("classes.b_open", cls=found),
        callback_data=ClassView(c=found.id, v="board").pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
