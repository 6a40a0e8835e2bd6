"""The review screen and after: change an answer, submit (then the feature's hook and the forms
it starts), and `/forms` to change a submitted form whose definition allows it."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.forms.callbacks import FormEdit, FormNav, Nav
from bot.forms.registry import form
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.services import forms
from bot.services.actor import Actor
from bot.services.forms import Done, Screen
from bot.views.forms import my_forms_view
from handlers.forms.screens import render, started
from storage.models import Person


async def edit_answer(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    """From the review screen, ask question `q` again."""
    screen = await forms.edit_answer(session, actor, callback_data.d, callback_data.q, settings.tz)
    await query.answer()
    await render(bot, query.from_user.id, screen, i18n)


async def submit_pressed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    form_hooks: FormHooks,
) -> None:
    outcome = await forms.submit(session, actor, callback_data.d, settings.tz)
    await query.answer()
    chat_id = query.from_user.id
    if isinstance(outcome, Screen):
        await render(bot, chat_id, outcome, i18n)
        return
    await after_submit(bot, chat_id, session, person, actor, outcome, i18n, settings, form_hooks)


async def after_submit(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    done: Done,
    i18n: I18n,
    settings: Settings,
    form_hooks: FormHooks,
) -> None:
    """Say it was submitted (unless the form's hook tells its own outcome), run the hook, and
    start the forms it asks for next."""
    form_id = done.draft.form_id
    if not form_hooks.announces(form_id):
        await bot.send_message(
            chat_id, i18n("forms.submitted", title=form(form_id).title(i18n.locale))
        )
    hook = form_hooks.of(form_id, done.draft.context)
    if hook is None:
        return
    submitted = Submitted(
        session, person, done.submission, done.first_time, bot, i18n, settings, actor.now
    )
    for follow_up in await hook(submitted) or []:
        outcome = await forms.start(
            session, actor, follow_up.form_id, follow_up.context, settings.tz
        )
        await started(bot, chat_id, outcome, i18n)


async def list_forms(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, settings: Settings
) -> None:
    """The person's submitted forms that may still be changed, each with an edit button."""
    rows = await forms.editable(session, actor)
    text, markup = my_forms_view(rows, i18n, settings.tz)
    await message.answer(text, reply_markup=markup)


async def edit_pressed(
    query: CallbackQuery,
    callback_data: FormEdit,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    """Start a new draft holding the submitted answers, at its review screen."""
    outcome = await forms.revise(session, actor, callback_data.s, settings.tz)
    await query.answer()
    await render(bot, query.from_user.id, outcome.screen, i18n)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(list_forms, Command("forms"))
    router.callback_query.register(edit_pressed, FormEdit.filter())
    router.callback_query.register(edit_answer, FormNav.filter(F.a == Nav.EDIT))
    router.callback_query.register(submit_pressed, FormNav.filter(F.a == Nav.SUBMIT))
    return router
