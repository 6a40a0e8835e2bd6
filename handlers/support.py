"""Follow-up support in chat (T12, S-16, S-42): the trainee's needs survey (pushed once the class
is assessed), `/needs` (the class's lecturers read and complete the answers; the institution's
staff read them), `/services` (the region's catalogue: list, add and edit through a form,
withdraw, import from Excel) and the follow-up items of `/todo` (record a contact, mark done).
Thin: the use cases are bot/services/support.py, the screens bot/views/support.py, the forms
the generic runner."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.support import (
    CONTACT_FORM,
    NEEDS_FORM,
)
from bot.filters import Can
from bot.forms import service as form_service
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import support as cases
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.pages import Page
from bot.views.support import (
    FupAct,
    FupCb,
    NeedsAct,
    NeedsCb,
    NeedsFill,
    class_view,
    classes_view,
    followup_view,
    service_picker,
    trainee_view,
)
from handlers.forms import Runner, begin
from storage.models import Person, SupportFollowup

log = logging.getLogger(__name__)


async def start_form(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    form_id: str,
    context: dict,
    answers: dict | None,
) -> None:
    """Start a form for the person: blank at its first question, or holding `answers` at its
    review screen (to change any of them)."""
    if answers is None:
        await begin(bot, chat_id, session, person, i18n, settings, form_id, context, clock=clock)
        return
    draft = await form_service.start(
        session, person.id, form_id, context, answers=answers, now=clock.now()
    )
    await Runner(bot, chat_id, draft, i18n, settings, clock).show()


# --- the trainee -----------------------------------------------------------------------------


async def fill_pressed(
    query: CallbackQuery,
    callback_data: NeedsFill,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    drafts = [await form_service.active_draft(session, person.id)]
    drafts += await form_service.paused_drafts(session, person.id)
    mine = [(d.id, d.context) for d in drafts if d is not None and d.form_id == NEEDS_FORM]
    opening = await cases.open_needs(session, actor, callback_data.c, mine)
    await query.answer()
    if opening.draft_id is not None:
        draft = next(d for d in drafts if d is not None and d.id == opening.draft_id)
        await form_service.resume(session, draft, clock.now())
        await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()
        return
    await start_form(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        clock,
        NEEDS_FORM,
        opening.context,
        None,
    )


async def needs_submitted(done: Submitted) -> None:
    """Follow-up items for the institution, the matching services for the trainee; the one
    who filled it is told."""
    settled = await cases.settle_needs(done.session, done.submission, done.now)
    if done.submission.person_id == done.person.id:
        text = done.i18n("support.received", needs=settled.needs)
    else:
        text = done.i18n("support.completed_for", name=settled.trainee_name, needs=settled.needs)
    await done.bot.send_message(done.person.tg_user_id, text)


# --- /needs: lecturers and institution staff -------------------------------------------------


async def needs_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    classes = await cases.classes_with_needs(session, actor)
    text, markup = classes_view(i18n, Page.of(classes, 0))
    await message.answer(text, reply_markup=markup)


async def classes_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    classes = await cases.classes_with_needs(session, actor)
    await query.answer()
    await edit_in_place(bot, query.message, *classes_view(i18n, Page.of(classes, callback_data.n)))


async def class_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    needs = await cases.class_needs(session, actor, callback_data.c, callback_data.n)
    await query.answer()
    await edit_in_place(bot, query.message, *class_view(i18n, needs))


async def trainee_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, trainee, may = await cases.trainee_needs(
        session, actor, callback_data.c, callback_data.p
    )
    await query.answer()
    await edit_in_place(bot, query.message, *trainee_view(i18n, training_class, trainee, may))


async def complete_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """A teaching lecturer fills the survey for the trainee, from their answers if any."""
    context, answers = await cases.complete_for(session, actor, callback_data.c, callback_data.p)
    await query.answer()
    await start_form(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        clock,
        NEEDS_FORM,
        context,
        answers,
    )


# --- follow-up items -------------------------------------------------------------------------


async def followup_card(
    session: AsyncSession, item: SupportFollowup, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card of an item, as `/todo` opens it."""
    return followup_view(i18n, await cases.followup_card(session, item))


async def record_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    item = await cases.open_followup(session, actor, callback_data.f)
    card = await cases.followup_card(session, item)
    await query.answer()
    text, markup = service_picker(i18n, card)
    await query.message.answer(text, reply_markup=markup)


async def service_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
    state: FSMContext,
) -> None:
    context = await cases.contact_context(session, actor, callback_data.f, callback_data.s)
    await state.clear()
    await query.answer()
    await start_form(
        bot, query.from_user.id, session, person, i18n, settings, clock, CONTACT_FORM, context, None
    )


async def contact_submitted(done: Submitted) -> None:
    actor = await done.actor()
    contact = await cases.record_contact(done.session, actor, done.submission)
    item = await cases.followup_for(done.session, actor, contact.followup_id)
    text, markup = followup_view(done.i18n, await cases.followup_card(done.session, item))
    await done.bot.send_message(done.person.tg_user_id, done.i18n("support.contact_saved"))
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


async def done_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    item = await cases.close_followup(session, actor, callback_data.f)
    await query.answer(i18n("support.closed"))
    await edit_in_place(
        bot, query.message, *followup_view(i18n, await cases.followup_card(session, item))
    )


def form_hooks(hooks: FormHooks) -> None:
    hooks.add(NEEDS_FORM, needs_submitted, announces=True)
    hooks.add(CONTACT_FORM, contact_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    trainees = Router(name=f"{__name__}.trainees")
    trainees.callback_query.filter(Can(Action.SUPPORT_NEEDS_GIVE))
    trainees.callback_query.register(fill_pressed, NeedsFill.filter())
    readers = Router(name=f"{__name__}.needs")
    readers.message.filter(Can(Action.SUPPORT_NEEDS_VIEW))
    readers.callback_query.filter(Can(Action.SUPPORT_NEEDS_VIEW))
    readers.message.register(needs_command, Command("needs"))
    readers.callback_query.register(classes_pressed, NeedsCb.filter(F.a == NeedsAct.CLASSES))
    readers.callback_query.register(class_pressed, NeedsCb.filter(F.a == NeedsAct.CLASS))
    readers.callback_query.register(trainee_pressed, NeedsCb.filter(F.a == NeedsAct.TRAINEE))
    readers.callback_query.register(complete_pressed, NeedsCb.filter(F.a == NeedsAct.COMPLETE))
    followers = Router(name=f"{__name__}.followup")
    followers.callback_query.filter(Can(Action.SUPPORT_FOLLOWUP))
    followers.callback_query.register(record_pressed, FupCb.filter(F.a == FupAct.RECORD))
    followers.callback_query.register(service_pressed, FupCb.filter(F.a == FupAct.SERVICE))
    followers.callback_query.register(done_pressed, FupCb.filter(F.a == FupAct.DONE))
    router.include_routers(trainees, readers, followers)
    return router
