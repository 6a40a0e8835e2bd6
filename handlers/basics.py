"""/help and /cancel."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.commands import command_names
from bot.domain.roles import Grant
from bot.forms import service
from bot.i18n import I18n
from bot.services import todo
from handlers.forms import pause
from storage.models import Person


async def show_help(
    message: Message, session: AsyncSession, person: Person, grants: list[Grant], i18n: I18n
) -> None:
    roles = sorted({grant.role for grant in grants})
    text = i18n("basics.help", roles=roles, commands=command_names(grants))
    pending = await todo.total(session, person.id, grants)
    if pending:
        text += "\n\n" + i18n("todo.pending", count=pending)
    await message.answer(text)


async def cancel(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    bot: Bot,
    clock: Clock,
) -> None:
    """Stops the current step; a form being filled is paused with every answer kept."""
    draft = await service.active_draft(session, person.id)
    if draft is not None:
        await state.clear()
        await pause(bot, message.chat.id, draft, i18n, clock.now())
        return
    if await state.get_state() is None:
        await message.answer(i18n("basics.nothing_to_cancel"), reply_markup=ReplyKeyboardRemove())
        return
    await state.clear()
    await message.answer(i18n("basics.cancelled"), reply_markup=ReplyKeyboardRemove())


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_help, Command("help"))
    router.message.register(cancel, Command("cancel"))
    return router
