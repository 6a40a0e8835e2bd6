"""Check-in for teachers: choose today's session, open it, show the rotating code and the
classroom screen's link, close it. Thin adapters over bot/services/checkin.py."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.checkin import CheckinState
from bot.i18n import I18n
from bot.services import checkin
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.timetable import session_shown
from handlers.checkin.callbacks import OpenCheckin, Panel, RosterDay
from handlers.checkin.roster import _roster_view
from handlers.checkin.views import _counts, _short, _state, panel_view


async def choose_session(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    today = await checkin.todays_sessions(session, actor)
    if not today:
        await message.answer(i18n("checkin.no_sessions_today"))
        return
    builder = InlineKeyboardBuilder()
    for class_session, training_class in today:
        builder.button(
            text=i18n(
                "checkin.session_button",
                name=_short(training_class.name),
                s=session_shown(class_session, training_class),
                state=_state(class_session),
            ),
            callback_data=OpenCheckin(s=class_session.id),
        )
    builder.adjust(1)
    await message.answer(i18n("checkin.choose_session"), reply_markup=builder.as_markup())


async def open_pressed(
    query: CallbackQuery,
    callback_data: OpenCheckin,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    """Opens the check-in and shows the panel; a closed one shows its roster instead."""
    found = await checkin.open_checkin(session, actor, callback_data.s)
    await query.answer()
    if found.phase is CheckinState.CLOSED:
        text, markup = await _roster_view(
            session, found.training_class, found.class_session.day, True, actor.now, i18n
        )
    else:
        text, markup = _panel(found, i18n, settings, actor)
    await query.message.answer(text, reply_markup=markup)


def _panel(
    found: checkin.Panel, i18n: I18n, settings: Settings, actor: Actor
) -> tuple[str, InlineKeyboardMarkup]:
    return panel_view(
        found.class_session,
        found.training_class,
        i18n,
        settings.base_url,
        actor.now,
        found.checked_in,
        found.enrolled,
    )


async def _not_open(
    query: CallbackQuery, session: AsyncSession, found: checkin.Panel, i18n: I18n, bot: Bot
) -> None:
    """A press on the panel of a check-in that is not open: a closed one's panel turns into
    the result."""
    if found.phase is CheckinState.CLOSED:
        await query.answer(i18n("checkin.already_closed"), show_alert=True)
        text, markup = await _closed(session, found, i18n)
        await edit_in_place(bot, query.message, text, markup)
    else:
        await query.answer(i18n("checkin.not_yours"), show_alert=True)


async def panel_refreshed(
    query: CallbackQuery,
    callback_data: Panel,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    found = await checkin.panel(session, actor, callback_data.s)
    if found.phase is not CheckinState.OPEN:
        await _not_open(query, session, found, i18n, bot)
        return
    await query.answer()
    await edit_in_place(bot, query.message, *_panel(found, i18n, settings, actor))


async def close_pressed(
    query: CallbackQuery,
    callback_data: Panel,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    was = await checkin.panel(session, actor, callback_data.s)
    if was.phase is not CheckinState.OPEN:
        await _not_open(query, session, was, i18n, bot)
        return
    found = await checkin.close_checkin(session, actor, callback_data.s)
    await query.answer(i18n("checkin.closed_toast"))
    text, markup = await _closed(session, found, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def _closed(
    session: AsyncSession, found: checkin.Panel, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    class_session, training_class = found.class_session, found.training_class
    lines = await checkin.roster(session, training_class, class_session)
    text = i18n(
        "checkin.closed",
        name=training_class.name,
        s=session_shown(class_session, training_class),
        counts=_counts(lines),
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("checkin.roster_button"),
        callback_data=RosterDay(c=training_class.id, d=class_session.day, n=True),
    )
    return text, builder.as_markup()
