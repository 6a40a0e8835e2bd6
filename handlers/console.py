"""/console: institution staff, supervisors and admins get a one-time sign-in link to the web
console (valid 10 minutes, single use); the reply goes out after the commit that stored it."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.console import LINK_TTL
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import console
from bot.services.actor import Actor


async def console_link(
    message: Message, session: AsyncSession, actor: Actor, settings: Settings, i18n: I18n
) -> None:
    secret = await console.request_link(session, actor)
    await message.answer(
        i18n(
            "console.link",
            url=f"{settings.base_url}/console/signin/{secret}",
            minutes=int(LINK_TTL.total_seconds() // 60),
        ),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def no_role(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("console.no_role"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(console_link, Command("console"), Can(Action.CONSOLE_USE))
    router.message.register(no_role, Command("console"))
    return router
