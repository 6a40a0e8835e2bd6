"""The timetable's buttons: generate it, open a day, ask for a change, remove or add a session."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import AddSession, Change, DayView, SessionDo, TimetableDo
from bot.i18n import I18n
from bot.policy import Action
from bot.services import timetable
from bot.services.actor import Actor
from bot.services.targets import class_for
from bot.views import edit_in_place
from bot.views.timetable import day_card, delete_view, overview, regenerate_view, row
from handlers.timetable.answers import TimetableStates

ASK = {
    Change.TIME: ("classes.ask_time", TimetableStates.time),
    Change.HOURS: ("classes.ask_hours", TimetableStates.hours),
    Change.TOPIC: ("classes.ask_topic", TimetableStates.topic),
}
"""What a session's button asks, and the state that waits for the typed answer."""


async def generate_pressed(
    query: CallbackQuery,
    callback_data: TimetableDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    """Generate from the template; when sessions exist, ask before replacing them."""
    found, existing = await timetable.to_replace(session, actor, callback_data.c)
    if not existing:
        await regenerate_pressed(query, callback_data, session, actor, i18n, bot)
        return
    text, markup = regenerate_view(i18n, found, existing)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def regenerate_pressed(
    query: CallbackQuery,
    callback_data: TimetableDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    found, made = await timetable.generate(session, actor, callback_data.c)
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
    text, markup = await day_card(session, found, callback_data.d, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def change_asked(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """A new time, class hours or topic is asked for; the answer is typed."""
    item, found = await timetable.session_to_change(session, actor, callback_data.s)
    key, asking = ASK[callback_data.a]
    await query.answer()
    await state.set_state(asking)
    await state.set_data({"s": item.id})
    await query.message.answer(i18n(key, day=item.day, **row(item, found)))


async def delete_asked(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    item, found = await timetable.session_to_change(session, actor, callback_data.s)
    text, markup = delete_view(i18n, found, item)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def delete_confirmed(
    query: CallbackQuery,
    callback_data: SessionDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    changed = await timetable.remove_session(session, actor, callback_data.s)
    await query.answer(i18n("classes.removed"))
    text, markup = await day_card(session, changed.found, changed.day, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def add_pressed(
    query: CallbackQuery,
    callback_data: AddSession,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    found = await timetable.editable(session, actor, callback_data.c)
    await query.answer()
    await state.set_state(TimetableStates.new_time)
    await state.set_data({"c": found.id, "d": callback_data.d})
    await query.message.answer(i18n("classes.ask_new_time", day=callback_data.d))
