"""Showing a form to the person filling it: the one place that turns a use case's `Screen`
(bot/services/forms.py) into chat messages, and the entry points other features call to start a
form, show the one being filled, pause it or offer to continue it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, InaccessibleMessage, Message, ReplyKeyboardRemove
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.forms.registry import form
from bot.forms.schema import QuestionType
from bot.i18n import I18n
from bot.services import forms
from bot.services.actor import Actor
from bot.services.forms import Filling, Screen, Started
from bot.views import edit_in_place
from bot.views.forms import (
    intro_text,
    offer_view,
    problem_text,
    question_view,
    reply_keyboard,
    review_view,
    saved_text,
)
from storage.models import FormDraft, Person

__all__ = ["Runner", "begin", "offer_resume", "pause", "render", "today_in"]


def today_in(settings: Settings, now: datetime) -> date:
    """The programme's local date at `now` (the product's clock, never the machine's)."""
    return forms.today_in(settings.tz, now)


def owner(person: Person, now: datetime) -> Actor:
    """The person as the actor of their own form. Filling a form is the person's own business
    whatever their roles (the use cases check ownership only), so no grants are needed: this
    lets features that hold a `Person` start one."""
    return Actor.of(person.id, (), person.locale, now)


async def answer_press(query: CallbackQuery, screen: Screen, i18n: I18n) -> None:
    """Answer the button pressed: with the screen's notice, if it has one."""
    if screen.notice is None:
        await query.answer()
    else:
        await query.answer(i18n(screen.notice, **screen.notice_params), show_alert=screen.alert)


async def render(
    bot: Bot,
    chat_id: int,
    screen: Screen,
    i18n: I18n,
    pressed: Message | InaccessibleMessage | None = None,
) -> None:
    """What went wrong or what was saved, then the current question or the review screen.

    A wrong answer to a question answered through the reply keyboard (a mobile number, a
    location) is one message: what is wrong, with that keyboard again; the question above
    it is still the one asked, its buttons still work."""
    if screen.problem is not None:
        problem = problem_text(screen.problem, i18n)
        slot = screen.filling.slot if screen.show else None
        keyboard = reply_keyboard(slot.question, i18n) if slot is not None else None
        if keyboard is not None:
            if slot.question.type is not QuestionType.LOCATION:  # its problem says it all
                problem += "\n" + i18n("forms.use_keyboard", kind=slot.question.type)
            await bot.send_message(chat_id, problem, reply_markup=keyboard)
            return
        await bot.send_message(chat_id, problem)
    if screen.saved is not None:
        echo = saved_text(*screen.saved, i18n, typed=screen.typed)
        if echo is not None:
            await bot.send_message(chat_id, echo, reply_markup=ReplyKeyboardRemove())
    if screen.show:
        await show(bot, chat_id, screen.filling, i18n, pressed if screen.redraw else None)


async def show(
    bot: Bot,
    chat_id: int,
    filling: Filling,
    i18n: I18n,
    redraw: Message | InaccessibleMessage | None = None,
) -> None:
    """Ask the current question (redrawn in place in `redraw`), or show the review screen."""
    slot = filling.settle()
    if slot is None:
        text, markup = review_view(filling.run, filling.draft, i18n)
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    text, markup = question_view(filling.run, slot, filling.draft, i18n, filling.today)
    if redraw is not None:
        await edit_in_place(bot, redraw, text, markup)
        return
    await bot.send_message(chat_id, text, reply_markup=markup)
    keyboard = reply_keyboard(slot.question, i18n)
    if keyboard is not None:
        text = i18n("forms.use_keyboard", kind=slot.question.type)
        await bot.send_message(chat_id, text, reply_markup=keyboard)


async def started(bot: Bot, chat_id: int, outcome: Started, i18n: I18n) -> None:
    """A form begun: which one it paused, its introduction, then its first question."""
    if outcome.paused is not None:
        title = form(outcome.paused.form_id).title(i18n.locale)
        await bot.send_message(chat_id, i18n("forms.paused_other", title=title))
    await bot.send_message(chat_id, intro_text(form(outcome.screen.draft.form_id), i18n))
    await render(bot, chat_id, outcome.screen, i18n)


class Runner:
    """Show a draft's current question to its person (for features that resume one)."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        draft: FormDraft,
        i18n: I18n,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.bot, self.chat_id, self.i18n = bot, chat_id, i18n
        self.filling = Filling(draft, clock.now(), settings.tz)

    async def show(self) -> None:
        await show(self.bot, self.chat_id, self.filling, self.i18n)


async def begin(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    form_id: str,
    context: dict[str, Any],
    *,
    clock: Clock,
) -> FormDraft:
    """Start a form for the person (pausing any other) and ask its first question."""
    outcome = await forms.start(session, owner(person, clock.now()), form_id, context, settings.tz)
    await started(bot, chat_id, outcome, i18n)
    return outcome.screen.draft


async def pause(bot: Bot, chat_id: int, draft: FormDraft, i18n: I18n, now: datetime) -> None:
    """Stop filling for now; every answer stays in the draft for later."""
    forms.pause(draft, Actor.of(draft.person_id, (), i18n.locale, now))
    title = form(draft.form_id).title(i18n.locale)
    await bot.send_message(
        chat_id, i18n("forms.cancelled", title=title), reply_markup=ReplyKeyboardRemove()
    )


async def offer_resume(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> bool:
    """Offer the person's unfinished form, if any; True when one was offered."""
    found = await forms.offer(session, owner(person, clock.now()), settings.tz)
    if found is None:
        return False
    text, markup = offer_view(found.draft, found.answered, found.total, i18n)
    await message.answer(text, reply_markup=markup)
    return True
