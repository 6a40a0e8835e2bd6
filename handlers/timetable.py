"""The timetable (T5) of a class being prepared: generated from the standard template, viewed
day by day, and adjusted — move a session, change its class hours or topic, remove or add one.

Every change goes through bot.domain.timetable's checks (one session per half day, no
overlaps, hours that fit the time); the class card then shows whether days and hours still
meet the programme's minimum.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import groupby
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
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
from bot.domain.classes import EDITABLE, REQUIREMENTS, Programme
from bot.domain.timetable import (
    Existing,
    Placement,
    Refused,
    Session,
    Slot,
    build,
    check_change,
    distinct_days,
    local_span,
    max_hours,
    parse_hours,
    parse_topic,
    parse_when,
    place,
    placement_for,
    shifted,
)
from bot.i18n import I18n
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.errors import found as existing
from bot.services.targets import class_for, class_if_allowed
from bot.timetables import standard
from bot.views import edit_in_place
from storage import classes, repo
from storage.models import ClassSession, Person, TrainingClass


class TimetableStates(StatesGroup):
    time = State()
    hours = State()
    topic = State()
    new_time = State()
    new_hours = State()
    new_topic = State()


def local_date(item: ClassSession, found: TrainingClass) -> date:
    return local_span(item, found.timezone)[0]


def days_of(sessions: list[ClassSession], found: TrainingClass) -> int:
    return distinct_days(sessions, found.timezone)


def _row(item: ClassSession, found: TrainingClass) -> dict[str, Any]:
    on, begins, ends = local_span(item, found.timezone)
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
        (day, local_date(items[0], found), [_row(item, found) for item in items])
        for day, group in groupby(ordered, key=lambda item: item.day)
        for items in [list(group)]
    ]


def _placement(item: ClassSession) -> Placement:
    return Placement(item.day, Slot(item.slot), item.starts_at, item.ends_at)


def _others(sessions: list[ClassSession], but: int | None = None) -> list[Existing]:
    return [
        Existing(item.id, item.day, Slot(item.slot), item.starts_at, item.ends_at)
        for item in sessions
        if item.id != but
    ]


def _button(text: str, data: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def overview(
    session: AsyncSession, found: TrainingClass, i18n: I18n, *, detailed: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """All days in short (with buttons to open a day), or every session (`detailed`, for the
    supervisor, without buttons)."""
    sessions = await classes.sessions_of(session, found.id)
    need = REQUIREMENTS[Programme(found.programme)]
    editable = found.status in EDITABLE
    days = _days(sessions, found)
    text = i18n(
        "classes.timetable",
        cls=found,
        days=days,
        total_days=days_of(sessions, found),
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


async def day_view(
    session: AsyncSession, found: TrainingClass, day: int, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    sessions = [s for s in await classes.sessions_of(session, found.id) if s.day == day]
    editable = found.status in EDITABLE
    rows = [_row(item, found) for item in sessions]
    on = found.start_date + timedelta(days=day - 1)
    text = i18n("classes.day", cls=found, day=day, on=on, sessions=rows, editable=editable)
    builder = InlineKeyboardBuilder()
    if editable:
        for row in rows:
            builder.row(
                *(
                    _button(
                        i18n("classes.b_session", slot=row["slot"], action=action),
                        SessionDo(s=row["id"], a=action),
                    )
                    for action in (Change.TIME, Change.HOURS, Change.TOPIC, Change.DELETE)
                )
            )
        builder.row(_button(i18n("classes.b_add_day", day=day), AddSession(c=found.id, d=day)))
    builder.row(_button(i18n("classes.b_back_timetable"), ClassView(c=found.id, v=View.TIMETABLE)))
    return text, builder.as_markup()


async def move_start(session: AsyncSession, found: TrainingClass, new_start: date) -> None:
    """A new start date moves every session by the same number of days, same clock times."""
    days = (new_start - found.start_date).days
    if days:
        for item in await classes.sessions_of(session, found.id):
            item.starts_at, item.ends_at = shifted(item, days, found.timezone)


# --- buttons -------------------------------------------------------------------------------------


async def _editable(
    query: CallbackQuery, session: AsyncSession, class_id: int, actor: Actor, i18n: I18n
) -> TrainingClass | None:
    found = await class_for(session, actor, Action.CLASS_TIMETABLE, class_id)
    if found.status not in EDITABLE:
        await query.answer(i18n("classes.not_editable", status=found.status), show_alert=True)
        return None
    return found


async def generate_pressed(
    query: CallbackQuery,
    callback_data: TimetableDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    """Generate from the template; when sessions exist, ask before replacing them."""
    found = await _editable(query, session, callback_data.c, actor, i18n)
    if found is None:
        return
    existing = await classes.sessions_of(session, found.id)
    if not existing:
        await _generate(query, session, found, person, i18n, bot)
        return
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("classes.b_regenerate"),
        callback_data=TimetableDo(c=found.id, a=Generate.REGENERATE),
    )
    builder.button(
        text=i18n("classes.b_keep"), callback_data=ClassView(c=found.id, v=View.TIMETABLE)
    )
    await query.answer()
    await edit_in_place(
        bot,
        query.message,
        i18n("classes.regenerate_confirm", count=len(existing)),
        builder.as_markup(),
    )


async def regenerate_pressed(
    query: CallbackQuery,
    callback_data: TimetableDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    found = await _editable(query, session, callback_data.c, actor, i18n)
    if found is not None:
        await _generate(query, session, found, person, i18n, bot)


async def _generate(
    query: CallbackQuery,
    session: AsyncSession,
    found: TrainingClass,
    person: Person,
    i18n: I18n,
    bot: Bot,
) -> None:
    template = standard(Programme(found.programme))
    made = await classes.replace_sessions(
        session, found.id, build(template, found.start_date, found.timezone, i18n.locale)
    )
    classes.touch(found)
    await repo.audit(
        session,
        "class.timetable_generated",
        actor_id=person.id,
        object_type="training_class",
        object_id=found.id,
        sessions=len(made),
        hours=sum(item.hours for item in made),
    )
    await query.answer(i18n("classes.generated", count=len(made)))
    text, markup = await overview(session, found, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def day_pressed(
    query: CallbackQuery,
    callback_data: DayView,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
) -> None:
    found = await class_for(session, actor, Action.CLASS_VIEW, callback_data.c)
    await state.clear()
    await query.answer()
    text, markup = await day_view(session, found, callback_data.d, i18n)
    await edit_in_place(bot, query.message, text, markup)


ASK = {
    Change.TIME: ("classes.ask_time", TimetableStates.time),
    Change.HOURS: ("classes.ask_hours", TimetableStates.hours),
    Change.TOPIC: ("classes.ask_topic", TimetableStates.topic),
}


async def _session_to_change(
    query: CallbackQuery, session: AsyncSession, session_id: int, actor: Actor, i18n: I18n
) -> tuple[ClassSession, TrainingClass] | None:
    item = existing(await classes.class_session(session, session_id))
    found = await _editable(query, session, item.class_id, actor, i18n)
    return None if found is None else (item, found)


async def change_asked(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """A new time, class hours or topic is asked for; the answer is typed."""
    picked = await _session_to_change(query, session, callback_data.s, actor, i18n)
    if picked is None:
        return
    item, found = picked
    key, asking = ASK[callback_data.a]
    await query.answer()
    await state.set_state(asking)
    await state.set_data({"s": item.id})
    await query.message.answer(i18n(key, day=item.day, **_row(item, found)))


async def delete_asked(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    picked = await _session_to_change(query, session, callback_data.s, actor, i18n)
    if picked is None:
        return
    item, found = picked
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("classes.b_delete"),
        callback_data=SessionDo(s=item.id, a=Change.DELETE_CONFIRMED),
    )
    builder.button(text=i18n("classes.b_keep"), callback_data=DayView(c=found.id, d=item.day))
    await query.answer()
    await edit_in_place(
        bot,
        query.message,
        i18n("classes.delete_confirm", day=item.day, **_row(item, found)),
        builder.as_markup(),
    )


async def delete_confirmed(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    picked = await _session_to_change(query, session, callback_data.s, actor, i18n)
    if picked is None:
        return
    item, found = picked
    await classes.remove_session(session, item)
    classes.touch(found)
    await repo.audit(
        session,
        "class.session_removed",
        actor_id=person.id,
        object_type="training_class",
        object_id=found.id,
        day=item.day,
        slot=item.slot,
        hours=item.hours,
    )
    await query.answer(i18n("classes.removed"))
    text, markup = await day_view(session, found, item.day, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def add_pressed(
    query: CallbackQuery,
    callback_data: AddSession,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    found = await _editable(query, session, callback_data.c, actor, i18n)
    if found is None:
        return
    await query.answer()
    await state.set_state(TimetableStates.new_time)
    await state.set_data({"c": found.id, "d": callback_data.d})
    await query.message.answer(i18n("classes.ask_new_time", day=callback_data.d))


# --- typed answers -----------------------------------------------------------------------------


async def _class_in_state(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    class_id: int | None,
) -> TrainingClass | None:
    found = await class_if_allowed(session, actor, Action.CLASS_TIMETABLE, class_id)
    if not found or found.status not in EDITABLE:
        await state.clear()
        await message.answer(i18n("classes.not_found"))
        return None
    return found


async def _refuse(message: Message, i18n: I18n, refused: Refused) -> None:
    await message.answer(
        i18n("classes.change_refused", code=refused.refusal.code, params=refused.refusal.params)
    )


async def _done(
    message: Message,
    session: AsyncSession,
    found: TrainingClass,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    day: int,
    action: str,
    **details: Any,
) -> None:
    await state.clear()
    classes.touch(found)
    await repo.audit(
        session,
        action,
        actor_id=person.id,
        object_type="training_class",
        object_id=found.id,
        day=day,
        **details,
    )
    await message.answer(i18n("classes.changed"))
    text, markup = await day_view(session, found, day, i18n)
    await message.answer(text, reply_markup=markup)


async def session_answered(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """A new time, class hours or topic for the session being changed."""
    kind = (await state.get_state() or "").rsplit(":", 1)[-1]
    item = await classes.class_session(session, (await state.get_data()).get("s", 0))
    found = await _class_in_state(
        message, session, actor, i18n, state, item.class_id if item else None
    )
    if found is None:
        return
    others = _others(await classes.sessions_of(session, found.id), but=item.id)
    try:
        if kind == "time":
            when = parse_when(message.text, found.start_date)
            moved = placement_for(when, item.day, found.start_date, found.timezone)
            check_change(moved, item.hours, others, found.timezone)
            item.day, item.slot = moved.day, moved.slot
            item.starts_at, item.ends_at = moved.starts_at, moved.ends_at
            details = {"start": moved.starts_at.isoformat(), "end": moved.ends_at.isoformat()}
        elif kind == "hours":
            hours = parse_hours(message.text)
            check_change(_placement(item), hours, others, found.timezone)
            item.hours, details = hours, {"hours": hours}
        else:
            item.topic = parse_topic(message.text)
            details = {"topic": item.topic}
    except Refused as refused:
        await _refuse(message, i18n, refused)
        return
    await _done(
        message, session, found, person, i18n, state, item.day, f"class.session_{kind}", **details
    )


def _planned(data: dict[str, Any], found: TrainingClass) -> Placement:
    on, begins, ends = (
        date.fromisoformat(data["on"]),
        time.fromisoformat(data["b"]),
        time.fromisoformat(data["e"]),
    )
    return place(on, begins, ends, found.start_date, found.timezone)


async def new_session_answered(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Adding a session takes three answers: when, how many class hours, which topic."""
    step = (await state.get_state() or "").rsplit(":", 1)[-1]
    data = await state.get_data()
    found = await _class_in_state(message, session, actor, i18n, state, data.get("c"))
    if found is None:
        return
    others = _others(await classes.sessions_of(session, found.id))
    try:
        if step == "new_time":
            when = parse_when(message.text, found.start_date)
            planned = placement_for(when, data["d"] or None, found.start_date, found.timezone)
            check_change(planned, 1, others, found.timezone)
            on, begins, ends = local_span(planned, found.timezone)
            data |= {"on": on.isoformat(), "b": begins.isoformat(), "e": ends.isoformat()}
            await state.set_data(data)
            await state.set_state(TimetableStates.new_hours)
            await message.answer(i18n("classes.ask_new_hours", fits=max_hours(begins, ends)))
            return
        planned = _planned(data, found)
        if step == "new_hours":
            hours = parse_hours(message.text)
            check_change(planned, hours, others, found.timezone)
            await state.set_data(data | {"h": hours})
            await state.set_state(TimetableStates.new_topic)
            await message.answer(i18n("classes.ask_new_topic"))
            return
        topic = parse_topic(message.text)
        check_change(planned, data["h"], others, found.timezone)
    except Refused as refused:
        await _refuse(message, i18n, refused)
        return
    await classes.add_session(session, found.id, Session(planned, data["h"], topic))
    await _done(
        message,
        session,
        found,
        person,
        i18n,
        state,
        planned.day,
        "class.session_added",
        start=planned.starts_at.isoformat(),
        hours=data["h"],
    )


def create_router() -> Router:
    """Included by the class feature's staff router, which checks the role."""
    router = Router(name=__name__)
    router.callback_query.register(generate_pressed, TimetableDo.filter(F.a == Generate.GENERATE))
    router.callback_query.register(
        regenerate_pressed, TimetableDo.filter(F.a == Generate.REGENERATE)
    )
    router.callback_query.register(day_pressed, DayView.filter())
    router.callback_query.register(change_asked, SessionDo.filter(F.a.in_(ASK)))
    router.callback_query.register(delete_asked, SessionDo.filter(F.a == Change.DELETE))
    router.callback_query.register(
        delete_confirmed, SessionDo.filter(F.a == Change.DELETE_CONFIRMED)
    )
    router.callback_query.register(add_pressed, AddSession.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(
        session_answered,
        StateFilter(TimetableStates.time, TimetableStates.hours, TimetableStates.topic),
        *typed,
    )
    router.message.register(
        new_session_answered,
        StateFilter(TimetableStates.new_time, TimetableStates.new_hours, TimetableStates.new_topic),
        *typed,
    )
    return router
