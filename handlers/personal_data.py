"""/mydata (S-53, PIPL): a person's export of what the product stores about them, and their
request for erasure; the decider's buttons on the request's card (pushed, or from /todo).

The export comes as two documents replying to the person's own press (JSON and XLSX), sent
after the commit like every reply (bot/replies.py). `webchat` is the web chat's store when the
product runs it (`dp["webchat"]`): its history is exported and erased with the rest.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import personal_data as cases
from bot.services.actor import Actor
from bot.services.personal_data import ChatHistory
from bot.services.reasons import Purpose
from bot.views.personal_data import (
    Decision,
    ErasureDecision,
    Mine,
    MyData,
    confirm_view,
    export_json,
    export_xlsx,
    menu_view,
)
from handlers import reasons
from storage.models import Person


async def show_menu(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    text, markup = menu_view(i18n, await cases.pending(session, actor))
    await message.answer(text, reply_markup=markup)


async def export_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    webchat: ChatHistory | None = None,
) -> None:
    export = await cases.export(session, actor, webchat, person.tg_user_id)
    day = actor.now.date().isoformat()
    document = export_json(export)
    workbook = await asyncio.to_thread(export_xlsx, export, i18n)
    await query.answer()
    for data, suffix in ((document, "json"), (workbook, "xlsx")):
        await bot.send_document(
            person.tg_user_id,
            BufferedInputFile(data, filename=f"mydata-{day}.{suffix}"),
            caption=i18n("personal_data.export_caption", kind=suffix),
        )


async def erase_pressed(query: CallbackQuery, i18n: I18n) -> None:
    """What erasure means, before it is asked for."""
    text, markup = confirm_view(i18n)
    await query.answer()
    await query.message.edit_text(text, reply_markup=markup)


async def confirm_pressed(
    query: CallbackQuery, session: AsyncSession, actor: Actor, i18n: I18n, settings: Settings
) -> None:
    await cases.request_erasure(session, actor, settings)
    await query.answer()
    await query.message.edit_text(i18n("personal_data.asked"), reply_markup=None)


async def cancel_pressed(query: CallbackQuery, i18n: I18n) -> None:
    await query.answer()
    await query.message.edit_text(i18n("personal_data.not_asked"), reply_markup=None)


async def erase_now_pressed(
    query: CallbackQuery,
    callback_data: ErasureDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    webchat: ChatHistory | None = None,
) -> None:
    decided = await cases.erase(session, actor, callback_data.r, webchat)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(i18n("personal_data.you_erased", request=decided.item_id))


async def refuse_pressed(
    query: CallbackQuery,
    callback_data: ErasureDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Refusing asks the reason the person will be told, through the one reason flow."""
    request = await cases.request_for(session, actor, callback_data.r)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.ERASURE_REFUSE,
        "personal_data.ask_refusal",
        {"request": request.id},
        request=request.id,
        card=query.message.message_id,
    )


async def refusal_given(given: reasons.Given) -> None:
    decided = await cases.refuse(given.session, given.actor, given.data["request"], given.reason)
    await given.bot.edit_message_reply_markup(
        chat_id=given.message.chat.id, message_id=given.data["card"], reply_markup=None
    )
    await given.message.answer(given.i18n("personal_data.you_refused", request=decided.item_id))


REASONS = {Purpose.ERASURE_REFUSE: refusal_given}


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_menu, Command("mydata"))
    router.callback_query.register(export_pressed, MyData.filter(F.action == Mine.EXPORT))
    router.callback_query.register(erase_pressed, MyData.filter(F.action == Mine.ERASE))
    router.callback_query.register(confirm_pressed, MyData.filter(F.action == Mine.CONFIRM))
    router.callback_query.register(cancel_pressed, MyData.filter(F.action == Mine.CANCEL))
    deciders = Router(name=f"{__name__}.deciders")
    deciders.callback_query.filter(Can(Action.PERSONAL_DATA_ERASE))
    deciders.callback_query.register(
        erase_now_pressed, ErasureDecision.filter(F.action == Decision.ERASE)
    )
    deciders.callback_query.register(
        refuse_pressed, ErasureDecision.filter(F.action == Decision.REFUSE)
    )
    router.include_router(deciders)
    return router
