"""/feedback: what teachers and institution staff see of trainee feedback (T6, T7).

Teachers see the daily feedback of the classes they teach; institution staff see every class of
their institution, with the mid-term and final evaluations too. Every view is an aggregate
(`bot.domain.feedback_summary`): never a name, never one person's answers. The use cases are in
bot/services/feedback.py (who sees what), the views in bot/views/feedback.py.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import charts
from bot.feedback_view_callbacks import (
    FeedbackClass,
    FeedbackClasses,
    FeedbackRound,
    FeedbackTrend,
)
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import feedback
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.feedback import (
    choose_class_view,
    menu_view,
    summary_view,
    trend_points,
    trend_title,
)


async def feedback_command(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    found = await feedback.class_page(session, actor, 0)
    if not found.total:
        await message.answer(i18n("feedback_views.no_classes"))
        return
    if found.total == 1:
        class_id = found.items[0].id
        text, markup = menu_view(await feedback.class_menu(session, actor, class_id), i18n)
    else:
        text, markup = choose_class_view(found, i18n)
    await message.answer(text, reply_markup=markup)


async def classes_paged(
    query: CallbackQuery,
    callback_data: FeedbackClasses,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    found = await feedback.class_page(session, actor, callback_data.p)
    await query.answer()
    await edit_in_place(bot, query.message, *choose_class_view(found, i18n))


async def class_pressed(
    query: CallbackQuery,
    callback_data: FeedbackClass,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    menu = await feedback.class_menu(session, actor, callback_data.c)
    await query.answer()
    text, markup = menu_view(menu, i18n)
    await query.message.answer(text, reply_markup=markup)


async def round_pressed(
    query: CallbackQuery,
    callback_data: FeedbackRound,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The round's summary, then its rating distribution as a chart when there is one."""
    summary = await feedback.round_summary(
        session, actor, callback_data.c, callback_data.k, callback_data.d
    )
    await query.answer()
    text, markup = summary_view(summary, i18n)
    await query.message.answer(text, reply_markup=markup)
    png = charts.round_chart(summary.shown, summary.kind, summary.day, i18n)
    if png is not None:
        name = f"feedback-{summary.day}.png"
        await query.message.answer_photo(BufferedInputFile(png, filename=name))


async def trend_pressed(
    query: CallbackQuery,
    callback_data: FeedbackTrend,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """Each class day's overall average (days under the small-class rule have no point)."""
    trend = await feedback.trend(session, actor, callback_data.c)
    await query.answer()
    title = trend_title(trend, i18n)
    png = charts.trend(title, trend_points(trend, i18n))
    name = f"trend-{trend.training_class.id}.png"
    await query.message.answer_photo(BufferedInputFile(png, filename=name), caption=title)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.FEEDBACK_DAILY))
    router.callback_query.filter(Can(Action.FEEDBACK_DAILY))
    router.message.register(feedback_command, Command("feedback"))
    router.callback_query.register(classes_paged, FeedbackClasses.filter())
    router.callback_query.register(class_pressed, FeedbackClass.filter())
    router.callback_query.register(round_pressed, FeedbackRound.filter())
    router.callback_query.register(trend_pressed, FeedbackTrend.filter())
    return router
