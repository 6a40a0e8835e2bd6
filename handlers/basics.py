"""/help and /cancel."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.commands import command_names
from bot.domain.roles import Grant
from bot.i18n import I18n


async def show_help(message: Message, grants: list[Grant], i18n: I18n) -> None:
    roles = sorted({grant.role for grant in grants})
    await message.answer(i18n("basics.help", roles=roles, commands=command_names(grants)))


async def cancel(message: Message, state: FSMContext, i18n: I18n) -> None:
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
