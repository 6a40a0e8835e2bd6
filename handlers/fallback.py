"""Catch-alls, included last: anything not understood gets a short helpful answer."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.commands import roles_for
from bot.config import Settings
from bot.i18n import I18n
from handlers.forms import offer_resume
from storage.models import Person


async def stale_button(query: CallbackQuery, i18n: I18n) -> None:
    """A button from an old message, from a step already finished, or with forged data."""
    await query.answer(i18n("fallback.stale_button"), show_alert=True)


async def not_understood(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    """Unknown input; a person with an unfinished form is offered to continue it, and a command
    of a role the person does not hold says whose it is."""
    words = (message.text or "").split(maxsplit=1)
    command = words[0].partition("@")[0].removeprefix("/") if words else ""
    if words and words[0].startswith("/") and (roles := roles_for(command)):
        await message.answer(i18n("fallback.not_your_command", command=command, roles=roles))
        await offer_resume(message, session, person, i18n, settings, clock)
        return
    if await offer_resume(message, session, person, i18n, settings, clock):
        return
    key = "fallback.text" if message.text else "fallback.media"
    await message.answer(i18n(key))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(stale_button)
    router.message.register(not_understood)
    return router
