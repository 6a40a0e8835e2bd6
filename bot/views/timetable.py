"""The timetable (T5) as staff adjust it and the supervisor reads it: all days in short, one
day's sessions with their buttons, and the confirmations before replacing or removing sessions.

The `*_view` builders are pure (tests call them with plain sessions, no bot and no store);
`overview` and `day_card` read the class's sessions first.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import (
    AddSession,
    Change,
    ClassView,
    DayView,
    Generate,
    SessionDo,
    TimetableDo,
    View,
)
from bot.domain.attendance import SessionView, session_view
from bot.domain.classes import EDITABLE, REQUIREMENTS, Programme
from bot.domain.timetable import distinct_days, local_span
from bot.i18n import I18n
from storage import classes
from storage.models import ClassSession, TrainingClass

SESSION_BUTTONS = (Change.TIME, Change.HOURS, Change.TOPIC, Change.DELETE)


def row(item: ClassSession, found: TrainingClass) -> dict[str, Any]:
    """A session as the templates show it, in the class's local time."""
    _, begins, ends = local_span(item, found.timezone)
    return {
        "id": item.id,
        "slot": item.slot,
        "start": begins.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "hours": item.hours,
        "topic": item.topic,
    }


def _days(sessions: list[ClassSession], found: TrainingClass) -> list[tuple[int, date, list]]:
    ordered = sorted(sessions, key=lambda item: (item.day, item.starts_at))
    return [
        (day, local_span(items[0], found.timezone)[0], [row(item, found) for item in items])
        for day, group in groupby(ordered, key=lambda item: item.day)
        for items in [list(group)]
    ]


def _button(text: str, data: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def timetable_view(
    i18n: I18n, found: TrainingClass, sessions: list[ClassSession], *, detailed: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """All days in short (with buttons to open a day), or every session (`detailed`, for the
    supervisor, without buttons)."""
    need = REQUIREMENTS[Programme(found.programme)]
    editable = found.status in EDITABLE
    days = _days(sessions, found)
    text = i18n(
        "classes.timetable",
        cls=found,
        days=days,
        total_days=distinct_days(sessions, found.timezone),
        total_hours=sum(item.hours for item in sessions),
        need_days=need.days,
        need_hours=need.hours,
        editable=editable and not detailed,
        detailed=detailed,
    )
    if detailed:
        return text, None
    builder = InlineKeyboardBuilder()
    day_buttons = [
        _button(i18n("classes.b_day", day=day), DayView(c=found.id, d=day)) for day, _, _ in days
    ]
    for start in range(0, len(day_buttons), 5):
        builder.row(*day_buttons[start : start + 5])
    if editable:
        if sessions:
            builder.row(_button(i18n("classes.b_add"), AddSession(c=found.id)))
        builder.row(
            _button(
                i18n("classes.b_generate", again=bool(sessions)),
                TimetableDo(c=found.id, a=Generate.GENERATE),
            )
        )
    builder.row(_button(i18n("classes.b_board"), ClassView(c=found.id, v=View.BOARD)))
    return text, builder.as_markup()


def day_view(
    i18n: I18n, found: TrainingClass, day: int, sessions: list[ClassSession]
) -> tuple[str, InlineKeyboardMarkup]:
    """One day's sessions (of `sessions`, the class's); while the class is being prepared, each
    with buttons to change its time, hours or topic or remove it, and one to add a session."""
    rows = [row(item, found) for item in sessions if item.day == day]
    editable = found.status in EDITABLE
    on = found.start_date + timedelta(days=day - 1)
    text = i18n("classes.day", cls=found, day=day, on=on, sessions=rows, editable=editable)
    builder = InlineKeyboardBuilder()
    if editable:
        for shown in rows:
            builder.row(
                *(
                    _button(
                        i18n("classes.b_session", slot=shown["slot"], action=action),
                        SessionDo(s=shown["id"], a=action),
                    )
                    for action in SESSION_BUTTONS
                )
            )
        builder.row(_button(i18n("classes.b_add_day", day=day), AddSession(c=found.id, d=day)))
    builder.row(_button(i18n("classes.b_back_timetable"), ClassView(c=found.id, v=View.TIMETABLE)))
    return text, builder.as_markup()


def regenerate_view(
    i18n: I18n, found: TrainingClass, count: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Asked before the standard timetable replaces the `count` sessions the class has."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("classes.b_regenerate"),
        callback_data=TimetableDo(c=found.id, a=Generate.REGENERATE),
    )
    builder.button(
        text=i18n("classes.b_keep"), callback_data=ClassView(c=found.id, v=View.TIMETABLE)
    )
    return i18n("classes.regenerate_confirm", count=count), builder.as_markup()


def delete_view(
    i18n: I18n, found: TrainingClass, item: ClassSession
) -> tuple[str, InlineKeyboardMarkup]:
    """Asked before a session is removed."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("classes.b_delete"),
        callback_data=SessionDo(s=item.id, a=Change.DELETE_CONFIRMED),
    )
    builder.button(text=i18n("classes.b_keep"), callback_data=DayView(c=found.id, d=item.day))
    text = i18n("classes.delete_confirm", day=item.day, **row(item, found))
    return text, builder.as_markup()


async def overview(
    session: AsyncSession, found: TrainingClass, i18n: I18n, *, detailed: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    return timetable_view(
        i18n, found, await classes.sessions_of(session, found.id), detailed=detailed
    )


async def day_card(
    session: AsyncSession, found: TrainingClass, day: int, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    return day_view(i18n, found, day, await classes.sessions_of(session, found.id))


def session_shown(class_session: ClassSession, training_class: TrainingClass) -> SessionView:
    """A session as the chat shows it, in the class's time zone."""
    s = class_session
    return session_view(
        s.day, s.slot, s.starts_at, s.ends_at, s.hours, s.topic, training_class.timezone
    )
