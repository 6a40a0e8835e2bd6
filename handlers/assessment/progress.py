"""/assessment: per class, handed in, scored, passed, in coaching and overdue assignments with
the oldest's age, for the classes the person may follow (taught, their institution's, their
region's); a supervisor also gets a button to draw scorers now."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action, may
from bot.services import assessment as cases
from bot.services.actor import Actor
from bot.views.assessment import progress_text

PAGE = 20


class DrawCb(CallbackData, prefix="adr"):
    """The supervisor draws scorers for class `c` now."""

    c: int


async def show_progress(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    classes = await cases.followed_classes(session, actor)
    if not classes:
        await message.answer(i18n("assessment.no_classes"))
        return
    rows = await cases.progress(session, actor, classes[:PAGE])
    text = progress_text(i18n, [(c.name, p) for c, p in rows], actor.now)
    markup = None
    if may(actor, Action.ASSESSMENT_MANAGE):
        buttons = [
            [
                InlineKeyboardButton(
                    text=i18n("assessment.draw_button", name=c.name),
                    callback_data=DrawCb(c=c.id).pack(),
                )
            ]
            for c, _ in rows
            if c.stage in ("in_progress", "ended")
        ]
        markup = InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None
    await message.answer(text, reply_markup=markup)


async def draw_pressed(
    query: CallbackQuery, callback_data: DrawCb, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    outcome = await cases.supervisor_draw(session, actor, callback_data.c)
    await query.answer()
    await query.message.answer(
        i18n("assessment.drawn", assigned=len(outcome.assigned), shortfall=outcome.shortfall)
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_progress, Command("assessment"), Can(Action.ASSESSMENT_PROGRESS))
    router.callback_query.register(draw_pressed, DrawCb.filter(), Can(Action.ASSESSMENT_MANAGE))
    return router
