"""What staff type after a timetable button asked it: a session's new time, class hours or
topic, and the three answers that add a session (when, how many class hours, which topic)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.timetable import Refused, SessionField
from bot.i18n import I18n
from bot.services import timetable
from bot.services.actor import Actor
from bot.services.timetable import Changed, Planned
from bot.views.timetable import day_card


class TimetableStates(StatesGroup):
    time = State()
    hours = State()
    topic = State()
    new_time = State()
    new_hours = State()
    new_topic = State()


async def _gone(message: Message, i18n: I18n, state: FSMContext) -> None:
    """The class was submitted (or is gone) since the question was asked."""
    await state.clear()
    await message.answer(i18n("classes.not_found"))


async def _refuse(message: Message, i18n: I18n, refused: Refused) -> None:
    await message.answer(
        i18n("classes.change_refused", code=refused.refusal.code, params=refused.refusal.params)
    )


async def _done(
    message: Message, session: AsyncSession, i18n: I18n, state: FSMContext, changed: Changed
) -> None:
    await state.clear()
    await message.answer(i18n("classes.changed"))
    text, markup = await day_card(session, changed.found, changed.day, i18n)
    await message.answer(text, reply_markup=markup)


CHANGING = {
    TimetableStates.time.state: SessionField.TIME,
    TimetableStates.hours.state: SessionField.HOURS,
    TimetableStates.topic.state: SessionField.TOPIC,
}
"""Which field of the session being changed a typed answer is, by the state waiting for it."""


async def session_answered(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    """A new time, class hours or topic for the session being changed."""
    field = CHANGING[await state.get_state()]
    session_id = (await state.get_data()).get("s", 0)
    try:
        changed = await timetable.change_session(session, actor, session_id, field, message.text)
    except Refused as refused:
        await _refuse(message, i18n, refused)
        return
    if changed is None:
        await _gone(message, i18n, state)
        return
    await _done(message, session, i18n, state, changed)


async def new_session_answered(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    """Adding a session takes three answers: when, how many class hours, which topic."""
    step = await state.get_state()
    data = await state.get_data()
    class_id = data.get("c")
    try:
        if step == TimetableStates.new_time.state:
            planned = await timetable.plan_time(
                session, actor, class_id, data["d"] or None, message.text
            )
            if planned is None:
                await _gone(message, i18n, state)
                return
            await state.set_data(data | planned.data())
            await state.set_state(TimetableStates.new_hours)
            await message.answer(i18n("classes.ask_new_hours", fits=planned.fits))
            return
        planned = Planned.of(data)
        if step == TimetableStates.new_hours.state:
            hours = await timetable.plan_hours(session, actor, class_id, planned, message.text)
            if hours is None:
                await _gone(message, i18n, state)
                return
            await state.set_data(data | {"h": hours})
            await state.set_state(TimetableStates.new_topic)
            await message.answer(i18n("classes.ask_new_topic"))
            return
        changed = await timetable.add_session(
            session, actor, class_id, planned, data["h"], message.text
        )
    except Refused as refused:
        await _refuse(message, i18n, refused)
        return
    if changed is None:
        await _gone(message, i18n, state)
        return
    await _done(message, session, i18n, state, changed)
