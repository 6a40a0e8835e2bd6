"""Campaigns (issue 14), the recipients' side: a pushed questionnaire's buttons (fill in,
不再接收) and counting the answer when its form is submitted. Thin adapters over
bot/services/campaigns.py; the staff's side is handlers/campaigns.py."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaign_callbacks import Answer, CampaignReply
from bot.config import Settings
from bot.filters import Can
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import campaigns, forms
from bot.services.actor import Actor
from bot.services.forms import Filling
from handlers.forms.screens import show, started


async def fill_pressed(
    query: CallbackQuery,
    callback_data: CampaignReply,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    opened = await campaigns.open_reply(session, actor, callback_data.c)
    await query.answer()
    if opened.draft is not None:
        await show(bot, query.from_user.id, Filling(opened.draft, actor.now, settings.tz), i18n)
        return
    outcome = await forms.start(session, actor, opened.form_id, opened.context, settings.tz)
    await started(bot, query.from_user.id, outcome, i18n)


async def stop_pressed(
    query: CallbackQuery,
    callback_data: CampaignReply,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    await campaigns.stop(session, actor, callback_data.c)
    await query.answer(i18n("campaigns.stopped"), show_alert=True)


async def reply_submitted(done: Submitted) -> None:
    await campaigns.answered(done.session, done.submission, done.now)


def form_hooks(hooks: FormHooks) -> None:
    hooks.add_for_context("campaign_id", reply_submitted)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.filter(Can(Action.CAMPAIGN_REPLY))
    router.callback_query.register(fill_pressed, CampaignReply.filter(F.a == Answer.FILL))
    router.callback_query.register(stop_pressed, CampaignReply.filter(F.a == Answer.STOP))
    return router
