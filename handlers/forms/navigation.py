"""The runner's buttons around the question: Back, Skip, Keep (the current answer), Next
(after a note), Done (choices or
files so far), Pause, and Continue / Start over on the offer to resume. One handler per `Nav`
action; each calls its use case and shows the outcome."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, ReplyKeyboardRemove
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.forms.callbacks import FormNav, Nav
from bot.forms.registry import form
from bot.i18n import I18n
from bot.services import forms
from bot.services.actor import Actor
from bot.services.forms import Screen
from handlers.forms.screens import answer_press, render, started


async def _shown(query: CallbackQuery, screen: Screen, i18n: I18n, bot: Bot) -> None:
    await answer_press(query, screen, i18n)
    await render(bot, query.from_user.id, screen, i18n, query.message)


async def went_back(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.back(session, actor, callback_data.d, callback_data.q, settings.tz)
    await _shown(query, screen, i18n, bot)


async def skipped(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.skip(session, actor, callback_data.d, callback_data.q, settings.tz)
    await _shown(query, screen, i18n, bot)


async def kept(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.keep(session, actor, callback_data.d, callback_data.q, settings.tz)
    await _shown(query, screen, i18n, bot)


async def note_read(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.note_read(session, actor, callback_data.d, callback_data.q, settings.tz)
    await _shown(query, screen, i18n, bot)


async def done_pressed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.done(session, actor, callback_data.d, callback_data.q, settings.tz)
    await _shown(query, screen, i18n, bot)


async def paused(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    draft = await forms.pause_draft(session, actor, callback_data.d)
    await query.answer()
    title = form(draft.form_id).title(i18n.locale)
    await bot.send_message(
        query.from_user.id, i18n("forms.cancelled", title=title), reply_markup=ReplyKeyboardRemove()
    )


async def resumed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.resume(session, actor, callback_data.d, settings.tz)
    await _shown(query, screen, i18n, bot)


async def restarted(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    """Start over: the draft is cancelled and a fresh one begins."""
    outcome = await forms.restart(session, actor, callback_data.d, settings.tz)
    await query.answer()
    await started(bot, query.from_user.id, outcome, i18n)


def create_router() -> Router:
    router = Router(name=__name__)
    for handler, action in (
        (went_back, Nav.BACK),
        (skipped, Nav.SKIP),
        (kept, Nav.KEEP),
        (note_read, Nav.NEXT),
        (done_pressed, Nav.DONE),
        (paused, Nav.CANCEL),
        (resumed, Nav.RESUME),
        (restarted, Nav.RESTART),
    ):
        router.callback_query.register(handler, FormNav.filter(F.a == action))
    return router
