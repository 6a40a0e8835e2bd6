"""/stats: figures by class, region, institution, month or quarter, for supervisors (their
region), institution staff (their institution) and admins (everything). The figures come from
bot/services/stats.py (the web console reads the same), the views from bot/views/stats.py."""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.stats import Dimension, Period
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import stats
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.stats import Do, StatsCb, chart, filename, picker_view, table_view, workbook


async def stats_command(message: Message, i18n: I18n) -> None:
    text, markup = picker_view(i18n, Dimension.CLASS, Period.ALL)
    await message.answer(text, reply_markup=markup)


async def pick_pressed(query: CallbackQuery, callback_data: StatsCb, i18n: I18n, bot: Bot) -> None:
    await query.answer()
    await edit_in_place(bot, query.message, *picker_view(i18n, callback_data.d, callback_data.p))


async def show_pressed(
    query: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The table's first page, then its chart as a photo."""
    d, p = callback_data.d, callback_data.p
    table = await stats.figures(session, actor, d, p)
    await query.answer()
    text, markup = table_view(i18n, table, d, p, 0)
    await query.message.answer(text, reply_markup=markup)
    png = await asyncio.to_thread(chart, i18n, table, d, p)
    await query.message.answer_photo(BufferedInputFile(png, filename=f"stats-{d}-{p}.png"))


async def page_pressed(
    query: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    d, p = callback_data.d, callback_data.p
    table = await stats.figures(session, actor, d, p)
    await query.answer()
    await edit_in_place(bot, query.message, *table_view(i18n, table, d, p, callback_data.g))


async def xlsx_pressed(
    query: CallbackQuery,
    callback_data: StatsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    d, p = callback_data.d, callback_data.p
    table = await stats.figures(session, actor, d, p)
    await query.answer()
    data = await asyncio.to_thread(workbook, i18n, table, d, p)
    await query.message.answer_document(BufferedInputFile(data, filename=filename(d, p)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.STATS_VIEW))
    router.callback_query.filter(Can(Action.STATS_VIEW))
    router.message.register(stats_command, Command("stats"))
    router.callback_query.register(pick_pressed, StatsCb.filter(F.a == Do.PICK))
    router.callback_query.register(show_pressed, StatsCb.filter(F.a == Do.SHOW))
    router.callback_query.register(page_pressed, StatsCb.filter(F.a == Do.PAGE))
    router.callback_query.register(xlsx_pressed, StatsCb.filter(F.a == Do.XLSX))
    return router
