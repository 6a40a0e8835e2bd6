"""Check-in for teachers: choose today's session, open it, show the rotating code and the
classroom screen's link, close it."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.attendance import local_day
from bot.i18n import I18n
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.attendance import close_checkin
from bot.services.targets import class_session_for
from bot.views import edit_in_place
from handlers.checkin.callbacks import OpenCheckin, Panel, RosterDay
from handlers.checkin.roster import _roster_view
from handlers.checkin.views import _counts, _short, _state, panel_view
from storage import checkin as store
from storage.attendance import enrolled_ids, view
from storage.models import ClassSession, Person, TrainingClass


async def choose_session(
    message: Message, session: AsyncSession, person: Person, i18n: I18n, clock: Clock
) -> None:
    today = await store.todays_sessions_taught(session, person.id, clock.now())
    if not today:
        await message.answer(i18n("checkin.no_sessions_today"))
        return
    builder = InlineKeyboardBuilder()
    for class_session, training_class in today:
        builder.button(
            text=i18n(
                "checkin.session_button",
                name=_short(training_class.name),
                s=view(class_session, training_class),
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
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, callback_data.s
    )
    now = clock.now()
    if class_session.checkin_closed_at is not None:
        await query.answer()
        text, markup = await _roster_view(
            session, training_class, class_session.day, True, now, i18n
        )
        await query.message.answer(text, reply_markup=markup)
        return
    if training_class.status not in store.RUNNING or local_day(
        class_session.starts_at, training_class.timezone
    ) != local_day(now, training_class.timezone):
        await query.answer(i18n("checkin.not_today"), show_alert=True)
        return
    await store.open_checkin(session, class_session, person.id, now)
    await query.answer()
    text, markup = await _panel(session, class_session, training_class, i18n, settings, now)
    await query.message.answer(text, reply_markup=markup)


async def _panel(
    session: AsyncSession,
    class_session: ClassSession,
    training_class: TrainingClass,
    i18n: I18n,
    settings: Settings,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup]:
    checked_in = await store.checked_in_count(session, class_session.id)
    enrolled = len(await enrolled_ids(session, training_class.id))
    return panel_view(
        class_session, training_class, i18n, settings.base_url, now, checked_in, enrolled
    )


async def _open_session(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    session_id: int,
) -> tuple[ClassSession, TrainingClass] | None:
    """The session while its check-in is open; a closed one's panel turns into the result."""
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, session_id
    )
    if class_session.checkin_closed_at is not None:
        await query.answer(i18n("checkin.already_closed"), show_alert=True)
        text, markup = await _closed(session, class_session, training_class, i18n)
        await edit_in_place(bot, query.message, text, markup)
        return None
    if class_session.checkin_opened_at is None:
        await query.answer(i18n("checkin.not_yours"), show_alert=True)
        return None
    return class_session, training_class


async def panel_refreshed(
    query: CallbackQuery,
    callback_data: Panel,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    found = await _open_session(query, session, actor, i18n, bot, callback_data.s)
    if found is None:
        return
    class_session, training_class = found
    await query.answer()
    text, markup = await _panel(session, class_session, training_class, i18n, settings, clock.now())
    await edit_in_place(bot, query.message, text, markup)


async def close_pressed(
    query: CallbackQuery,
    callback_data: Panel,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
) -> None:
    found = await _open_session(query, session, actor, i18n, bot, callback_data.s)
    if found is None:
        return
    class_session, training_class = found
    await close_checkin(session, class_session, clock.now(), actor_id=person.id)
    await query.answer(i18n("checkin.closed_toast"))
    text, markup = await _closed(session, class_session, training_class, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def _closed(
    session: AsyncSession, class_session: ClassSession, training_class: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    lines = await store.roster(session, training_class, class_session)
    text = i18n(
        "checkin.closed",
        name=training_class.name,
        s=view(class_session, training_class),
        counts=_counts(lines),
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("checkin.roster_button"),
        callback_data=RosterDay(c=training_class.id, d=class_session.day, n=True),
    )
    return text, builder.as_markup()
