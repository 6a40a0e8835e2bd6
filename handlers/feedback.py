"""Answering the daily feedback and the evaluations (T6, T7, mid-term), and /myfeedback.

The pushed button starts the form with the class's teachers and modules in its context; the
submit hook counts the answer once, only while the form is open. The answer stays the
trainee's to read; teachers only ever see aggregates (handlers/feedback_views.py). The use
cases are in bot/services/feedback.py, the views in bot/views/feedback.py.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.feedback import FORMS
from bot.feedback_callbacks import FeedbackFill
from bot.filters import Can
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import feedback, forms
from bot.services.actor import Actor
from bot.services.forms import Filling, today_in
from bot.views.feedback import counted_text, my_feedback_text
from handlers.forms.screens import show, started


async def fill_pressed(
    query: CallbackQuery,
    callback_data: FeedbackFill,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    opened = await feedback.open_request(session, actor, callback_data.r)
    await query.answer()
    chat_id = query.from_user.id
    if opened.draft is not None:
        await show(bot, chat_id, Filling(opened.draft, actor.now, settings.tz), i18n)
        return
    outcome = await forms.start(session, actor, opened.form_id, opened.context, settings.tz)
    await started(bot, chat_id, outcome, i18n)


async def feedback_submitted(done: Submitted) -> None:
    """Count the answer if it is the first one and the form is still open; say what next."""
    actor = await done.actor()
    counted = await feedback.count_answer(done.session, actor, done.submission, done.first_time)
    if counted is not None:
        await done.bot.send_message(done.person.tg_user_id, counted_text(counted, done.i18n))


async def my_feedback(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, settings: Settings
) -> None:
    """The person's own counted answers, latest first, as they gave them."""
    given = await feedback.my_answers(session, actor, today_in(settings.tz, actor.now))
    await message.answer(my_feedback_text(given, i18n, settings.tz))


def form_hooks(hooks: FormHooks) -> None:
    """Every feedback form is counted (or refused as late) by one hook, which says so itself."""
    for form_id in FORMS.values():
        hooks.add(form_id, feedback_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.FEEDBACK_GIVE))
    router.callback_query.filter(Can(Action.FEEDBACK_GIVE))
    router.callback_query.register(fill_pressed, FeedbackFill.filter())
    router.message.register(my_feedback, Command("myfeedback"))
    return router
