"""A class as its checks and messages see it: its card (board), the list of classes, the teachers
view, and the application its supervisor decides on.

The builders named `*_view` are pure (text and keyboard from plain data; tests call them with no
bot and no store); `snapshot`, `board` and `application` read the class from the store first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import (
    ApplicationAction,
    ClassDo,
    ClassNew,
    ClassRoster,
    ClassView,
    Decide,
    DispatchClass,
    DispatchList,
    DispatchToggle,
    Do,
    TeacherPage,
    TeacherToggle,
    View,
)
from bot.domain.assessment import ClassStage
from bot.domain.classes import (
    EDITABLE,
    REQUIREMENTS,
    CertificateStatus,
    ClassFacts,
    ClassStatus,
    Found,
    Programme,
    Teacher,
    TeacherStanding,
    check_class,
    problems,
)
from bot.domain.issuing import design_of
from bot.domain.timetable import distinct_days, local_span
from bot.i18n import I18n
from bot.views.activity_report import report_buttons
from bot.views.issuing import apply_button
from bot.views.pages import paged, turns
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


Rendered = tuple[str, InlineKeyboardMarkup]


def findings_of(found: list[Found]) -> list[tuple[str, dict]]:
    """Findings as the templates take them."""
    return [(item.code, dict(item.params)) for item in found]


def board_view(i18n: I18n, snap: Snapshot, now: datetime) -> Rendered:
    """The class card: its data, what still keeps it from opening, and what staff can do."""
    found = snap.found
    found_now = snap.findings(now)
    text = i18n(
        "classes.board",
        **summary(snap),
        findings=findings_of(found_now),
        blocking=len(problems(found_now)),
    )
    editable = found.status in EDITABLE
    builder = InlineKeyboardBuilder()
    if editable:
        builder.button(
            text=i18n("classes.b_teachers", count=len(snap.teachers)),
            callback_data=ClassView(c=found.id, v=View.TEACHERS),
        )
    builder.button(
        text=i18n("classes.b_timetable"), callback_data=ClassView(c=found.id, v=View.TIMETABLE)
    )
    if editable:
        builder.button(
            text=i18n("classes.b_equipment", done=snap.facts.equipment_confirmed),
            callback_data=ClassDo(c=found.id, a=Do.EQUIPMENT),
        )
        builder.button(text=i18n("classes.b_edit"), callback_data=ClassDo(c=found.id, a=Do.EDIT))
        builder.button(
            text=i18n("classes.b_submit", again=found.status == ClassStatus.RETURNED),
            callback_data=ClassDo(c=found.id, a=Do.SUBMIT),
        )
    if found.status == ClassStatus.APPROVED:
        builder.button(text=i18n("classes.b_enrolment"), callback_data=ClassRoster(c=found.id))
        builder.add(*report_buttons(i18n, found.id, bundle=True))  # T11, S-15
    builder.button(text=i18n("classes.b_list"), callback_data=ClassView(c=0, v=View.LIST))
    builder.adjust(*((2, 2, 1, 1) if editable else (1, 1, 1)))
    markup = builder.as_markup()
    if found.stage in (ClassStage.ASSESSED, ClassStage.CLOSED) and design_of(found.programme):
        markup.inline_keyboard.insert(-1, [apply_button(i18n, found.id)])
    return text, markup


async def board(session: AsyncSession, found: TrainingClass, i18n: I18n, now: datetime) -> Rendered:
    return board_view(i18n, await snapshot(session, found), now)


class Listed(Protocol):
    id: int
    name: str


def class_list_view(
    i18n: I18n, sections: list[tuple[Listed, Sequence[TrainingClass]]], page: int = 0
) -> Rendered:
    """Each institution's classes, 20 a page, a button to open each and one per institution to
    create a new class (named after its institution when there are several)."""
    entries = [(institution.id, item) for institution, listed in sections for item in listed]
    shown, page, pages = paged(entries, page)
    on_page = {item.id for _, item in shown}
    builder = InlineKeyboardBuilder()
    text_sections = []
    for institution, listed in sections:
        here = [item for item in listed if item.id in on_page]
        if here or (not listed and page == 0):
            text_sections.append((institution.name, here))
        for item in here:
            builder.row(
                InlineKeyboardButton(
                    text=i18n("classes.b_open", cls=item),
                    callback_data=ClassView(c=item.id, v=View.BOARD).pack(),
                )
            )
    moves = turns(i18n, page, pages, lambda number: ClassView(c=number, v=View.LIST))
    if moves:
        builder.row(*moves)
    for institution, _ in sections:
        builder.row(
            InlineKeyboardButton(
                text=i18n(
                    "classes.b_new", institution=institution.name if len(sections) > 1 else ""
                ),
                callback_data=ClassNew(i=institution.id).pack(),
            )
        )
    text = i18n(
        "classes.list",
        sections=text_sections,
        several=len(sections) > 1,
        page=page + 1,
        pages=pages,
        total=len(entries),
    )
    return text, builder.as_markup()


class Offered(Protocol):
    person_id: int
    name: str
    standing: TeacherStanding


def teachers_view(
    i18n: I18n,
    found: TrainingClass,
    offered: list[Offered],
    page: int = 0,
    *,
    dispatch: bool = False,
) -> Rendered:
    """Candidates with how their certificate stands, 20 a page; while the class is being
    prepared, pressing one assigns or removes them. `dispatch`: the supervisor's view (S-8),
    whose buttons dispatch and lead back to the list of classes to dispatch to."""
    kind = REQUIREMENTS[Programme(found.programme)].teacher_kind
    editable = found.status in EDITABLE
    chosen = [item for item in offered if item.standing is TeacherStanding.CHOSEN]
    shown, page, pages = paged(offered, page)
    builder = InlineKeyboardBuilder()
    if editable:
        for item in shown:
            builder.row(
                InlineKeyboardButton(
                    text=i18n("classes.b_teacher", name=item.name, standing=item.standing),
                    callback_data=(DispatchToggle if dispatch else TeacherToggle)(
                        c=found.id, p=item.person_id, on=item.standing is not TeacherStanding.CHOSEN
                    ).pack(),
                )
            )
    page_of = DispatchClass if dispatch else TeacherPage
    moves = turns(i18n, page, pages, lambda number: page_of(c=found.id, g=number))
    if moves:
        builder.row(*moves)
    back = (
        InlineKeyboardButton(
            text=i18n("classes.b_dispatch_list"), callback_data=DispatchList(p=0).pack()
        )
        if dispatch
        else InlineKeyboardButton(
            text=i18n("classes.b_board"), callback_data=ClassView(c=found.id, v=View.BOARD).pack()
        )
    )
    builder.row(back)
    text = i18n(
        "classes.teachers",
        cls=found,
        kind=kind,
        count=len(chosen),
        rows=[(item.name, item.standing) for item in shown],
        editable=editable,
        page=page + 1,
        pages=pages,
        total=len(offered),
    )
    return text, builder.as_markup()


def application_view(
    i18n: I18n, snap: Snapshot, teachers: list[tuple[str, list[str]]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The class application as the supervisor reads it (each teacher with the numbers of their
    verified certificates); buttons while it waits."""
    found = snap.found
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


async def application(
    session: AsyncSession, found: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The application of a class read from the store (pushed, or opened from /todo)."""
    snap = await snapshot(session, found)
    kind = REQUIREMENTS[Programme(found.programme)].teacher_kind
    teachers = []
    for person, name, _ in snap.teachers:
        numbers = [
            c.number
            for c in await classes.certificates_of(session, person.id)
            if c.kind == kind and c.status == CertificateStatus.VERIFIED
        ]
        teachers.append((name, numbers))
    return application_view(i18n, snap, teachers)


async def application_text(session: AsyncSession, found: TrainingClass, i18n: I18n) -> str:
    return (await application(session, found, i18n))[0]


def open_button(i18n: I18n, found: TrainingClass) -> InlineKeyboardMarkup:
    """The button that opens the class card (on the decision told to the institution)."""
    button = InlineKeyboardButton(
        text=i18n("classes.b_open", cls=found),
        callback_data=ClassView(c=found.id, v=View.BOARD).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def dispatch_list_view(
    i18n: I18n, shown: Sequence[TrainingClass], page: int, pages: int, total: int
) -> Rendered:
    """/dispatch: the trainee classes being prepared in the supervisor's region, 20 a page, one
    button each to the lecturers who may be dispatched to it (S-8)."""
    rows = [
        [
            InlineKeyboardButton(
                text=i18n("classes.b_dispatch_class", cls=item),
                callback_data=DispatchClass(c=item.id).pack(),
            )
        ]
        for item in shown
    ]
    moves = turns(i18n, page, pages, lambda number: DispatchList(p=number))
    if moves:
        rows.append(moves)
    text = i18n("classes.dispatch_list", count=total, page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
