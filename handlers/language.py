"""/lang: switch between 中文 and English; the choice is stored on the person."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands import set_person_commands
from bot.config import LOCALES
from bot.domain.roles import Grant
from bot.i18n import I18n
from bot.services import people
from bot.views import edit_in_place
from storage.models import Person


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str


def language_keyboard(i18n: I18n) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in LOCALES:
        builder.button(
            text=i18n("language.name", locale=locale), callback_data=LanguageChoice(locale=locale)
        )
    return builder.as_markup()


async def ask_language(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("language.choose"), reply_markup=language_keyboard(i18n))


async def set_language(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    bot: Bot,
) -> None:
    changed = await people.set_locale(session, person, callback_data.locale)
    i18n = I18n(person.locale)
    if changed:
        await set_person_commands(bot, query.from_user.id, grants, person.locale)
    await query.answer(i18n("language.changed"))
    if query.message is not None:
        await edit_in_place(bot, query.message, i18n("language.changed"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(ask_language, Command("lang"))
    router.callback_query.register(set_language, LanguageChoice.filter(F.locale.in_(LOCALES)))
    return router
