"""The region's supervisor (or an admin) reads a class application, with its detailed
timetable, and approves it or returns it with a reason (S-9, S-10): bot/services/applications.py
decides."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import Decide
from bot.domain.classes import ClassStatus
from bot.i18n import I18n
from bot.policy import Action
from bot.services import applications
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.services.targets import class_for
from bot.views.classes import application_text
from bot.views.timetable import overview
from handlers import reasons


async def timetable_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The detailed timetable, for deciding; decides nothing."""
    found = await class_for(session, actor, Action.CLASS_DECIDE, callback_data.c)
    await query.answer()
    text, _ = await overview(session, found, i18n, detailed=True)
    await query.message.answer(text)


async def approve_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    decided = await applications.decide_application(
        session, actor, callback_data.c, ClassStatus.APPROVED, None
    )
    await query.answer(i18n("classes.decided", status=decided.status))
    found = await applications.training_class(session, decided.item_id)
    await query.message.edit_text(await application_text(session, found, i18n), reply_markup=None)


async def return_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Returning asks the reason the institution will be told."""
    found = await applications.submitted_class(session, actor, callback_data.c)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.CLASS_RETURN,
        "classes.ask_return_reason",
        {"name": found.name},
        **{"class": found.id, "card": query.message.message_id},
    )


async def return_reason_given(given: reasons.Given) -> None:
    decided = await applications.decide_application(
        given.session, given.actor, given.data["class"], ClassStatus.RETURNED, given.reason
    )
    await given.message.answer(given.i18n("classes.decided", status=decided.status))
    found = await applications.training_class(given.session, decided.item_id)
    await given.bot.edit_message_text(
        text=await application_text(given.session, found, given.i18n),
        chat_id=given.message.chat.id,
        message_id=given.data["card"],
        reply_markup=None,
    )
