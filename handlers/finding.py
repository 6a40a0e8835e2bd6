"""Finding training without an invitation (issue 10): plain /start offers it to someone with
no role; they pick the region, then an institution accepting registrations, and register as
with that institution's link (handlers/start.py `redeem`)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.roles import Grant
from bot.i18n import I18n
from bot.services import finding, invitations
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.finding import Find, Step, institutions_view, regions_view
from handlers.start import redeem
from storage.models import Person


async def regions_pressed(
    query: CallbackQuery,
    callback_data: Find,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    regions = await finding.regions(session, actor)
    await query.answer()
    await edit_in_place(bot, query.message, *regions_view(i18n, regions, callback_data.p))


async def region_pressed(
    query: CallbackQuery,
    callback_data: Find,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    region, institutions = await finding.institutions(session, actor, callback_data.i)
    await query.answer()
    text, markup = institutions_view(i18n, region, institutions, callback_data.p)
    await edit_in_place(bot, query.message, text, markup)


async def institution_pressed(
    query: CallbackQuery,
    callback_data: Find,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    """Register with the institution as its registration link would."""
    link = await finding.registration_link(session, actor, callback_data.i)
    await query.answer()
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
    )
    if await invitations.already_redeemed(session, link.id, person.id):
        await query.message.answer(i18n("start.already_redeemed"))
        return
    await redeem(query.message, session, person, grants, actor, i18n, bot, settings, clock, link)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(regions_pressed, Find.filter(F.a == Step.REGIONS))
    router.callback_query.register(region_pressed, Find.filter(F.a == Step.REGION))
    router.callback_query.register(institution_pressed, Find.filter(F.a == Step.INSTITUTION))
    return router
