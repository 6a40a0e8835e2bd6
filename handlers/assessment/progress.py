"""/assessment: per class, handed in, scored, passed, in coaching and overdue assignments with
the oldest's age, for the classes the person may follow (taught, their institution's, their
region's). A supervisor opens a class to draw scorers now, widen the pool to a neighbouring
region after a shortfall, or give an open assignment to another lecturer by hand."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action, may
from bot.services import assessment as cases
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.assessment import (
    ManageCb,
    Mg,
    candidates_view,
    manage_view,
    progress_text,
    regions_view,
)
from bot.views.pages import PAGE_SIZE, page_count, page_window, turns


class ProgressPage(CallbackData, prefix="apg"):
    """Page `p` (from 0) of the /assessment progress list."""

    p: int


async def _progress(
    session: AsyncSession, actor: Actor, i18n: I18n, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of the classes the actor follows: 20 a page with ◀ ▶ and the count, and the
    supervisor's manage buttons."""
    total, classes = await cases.followed_classes(
        session, actor, max(number, 0) * PAGE_SIZE, PAGE_SIZE
    )
    if not total:
        return i18n("assessment.no_classes"), None
    pages = page_count(total)
    if number >= pages or number < 0:
        number, pages, offset = page_window(total, number)
        _, classes = await cases.followed_classes(session, actor, offset, PAGE_SIZE)
    rows = await cases.progress(session, actor, classes)
    text = progress_text(i18n, [(c.name, p) for c, p in rows], actor.now)
    if pages > 1:
        text += "\n\n" + i18n("assessment.page", page=number + 1, pages=pages, total=total)
    buttons = []
    if may(actor, Action.ASSESSMENT_MANAGE):
        buttons += [
            [
                InlineKeyboardButton(
                    text=i18n("assessment.manage_button", name=c.name),
                    callback_data=ManageCb(a=Mg.OPEN, c=c.id).pack(),
                )
            ]
            for c, _ in rows
        ]
    moves = turns(i18n, number, pages, lambda page: ProgressPage(p=page))
    if moves:
        buttons.append(moves)
    return text, InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None


async def show_progress(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    text, markup = await _progress(session, actor, i18n, 0)
    await message.answer(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: ProgressPage,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    text, markup = await _progress(session, actor, i18n, callback_data.p)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def _card(session: AsyncSession, actor: Actor, i18n: I18n, class_id: int):
    managed = await cases.manage(session, actor, class_id)
    return manage_view(
        i18n,
        class_id,
        managed.training_class.name,
        managed.progress,
        managed.open,
        actor.now,
        cases.class_zone(managed.training_class),
    )


async def open_pressed(
    query: CallbackQuery, callback_data: ManageCb, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    text, markup = await _card(session, actor, i18n, callback_data.c)
    await query.answer()
    await query.message.answer(text, reply_markup=markup)


async def draw_pressed(
    query: CallbackQuery,
    callback_data: ManageCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    regions = [callback_data.r] if callback_data.a == Mg.REGION else []
    outcome = await cases.supervisor_draw(
        session, actor, callback_data.c, regions, cases.Config.of(settings)
    )
    await query.answer()
    await query.message.answer(
        i18n("assessment.drawn", assigned=len(outcome.assigned), shortfall=outcome.shortfall)
    )


async def widen_pressed(
    query: CallbackQuery,
    callback_data: ManageCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    managed = await cases.manage(session, actor, callback_data.c)
    await query.answer()
    text, markup = regions_view(i18n, callback_data.c, managed.regions)
    await query.message.answer(text, reply_markup=markup)


async def assignment_pressed(
    query: CallbackQuery,
    callback_data: ManageCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    assignment, found = await cases.candidates(session, actor, callback_data.r)
    await query.answer()
    text, markup = candidates_view(i18n, assignment.class_id, assignment.id, found)
    await query.message.answer(text, reply_markup=markup)


async def give_pressed(
    query: CallbackQuery,
    callback_data: ManageCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
) -> None:
    made = await cases.reassign(
        session, actor, callback_data.r, callback_data.p, cases.Config.of(settings)
    )
    await query.answer()
    await edit_in_place(
        bot, query.message, i18n("assessment.reassigned", code=callback_data.r, new=made.id)
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_progress, Command("assessment"), Can(Action.ASSESSMENT_PROGRESS))
    router.callback_query.register(
        page_pressed, ProgressPage.filter(), Can(Action.ASSESSMENT_PROGRESS)
    )
    managing = Router(name=f"{__name__}.managing")
    managing.callback_query.filter(Can(Action.ASSESSMENT_MANAGE))
    managing.callback_query.register(open_pressed, ManageCb.filter(F.a == Mg.OPEN))
    managing.callback_query.register(draw_pressed, ManageCb.filter(F.a == Mg.DRAW))
    managing.callback_query.register(widen_pressed, ManageCb.filter(F.a == Mg.WIDEN))
    managing.callback_query.register(draw_pressed, ManageCb.filter(F.a == Mg.REGION))
    managing.callback_query.register(assignment_pressed, ManageCb.filter(F.a == Mg.ASSIGNMENT))
    managing.callback_query.register(give_pressed, ManageCb.filter(F.a == Mg.GIVE))
    router.include_router(managing)
    return router
