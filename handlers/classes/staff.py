"""Institution staff: /classes, a new class, the class card and its views, editing the basic
data, the equipment checklist and Submit. Each button calls a use case of
bot/services/classes.py and redraws the card with a view of bot/views/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import ClassDo, ClassNew, ClassView, View
from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import EQUIPMENT_FORMS, ClassDetails, Programme
from bot.forms import service
from bot.i18n import I18n
from bot.policy import Action
from bot.services import classes as prepare
from bot.services.actor import Actor
from bot.services.targets import class_for, institution_for
from bot.views import edit_in_place
from bot.views.classes import board, class_list_view, findings_of, local_time, teachers_view
from bot.views.timetable import overview
from handlers.forms import Runner, begin
from storage.models import Person, TrainingClass

CLASS_FORM = "class"


async def list_classes(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    text, markup = class_list_view(i18n, await prepare.listed(session, actor))
    await message.answer(text, reply_markup=markup)


async def list_pressed(
    query: CallbackQuery,
    callback_data: ClassView,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
) -> None:
    """The list again, at page `c`."""
    await state.clear()
    text, markup = class_list_view(i18n, await prepare.listed(session, actor), callback_data.c)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def new_class(
    query: CallbackQuery,
    callback_data: ClassNew,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The class form, for a class of the institution (the form's hook creates it)."""
    institution = await institution_for(session, actor, Action.CLASS_CREATE, callback_data.i)
    await query.answer()
    await state.clear()
    context = {"institution_id": institution.id}
    await begin(
        bot, query.from_user.id, session, person, i18n, settings, CLASS_FORM, context, clock=clock
    )


Card = tuple[str, InlineKeyboardMarkup | None]


async def _teachers(session: AsyncSession, found: TrainingClass, i18n: I18n, now: datetime) -> Card:
    return teachers_view(i18n, found, await prepare.candidates(session, found))


async def _timetable(
    session: AsyncSession, found: TrainingClass, i18n: I18n, now: datetime
) -> Card:
    return await overview(session, found, i18n)


CLASS_VIEWS: dict[View, Callable[[AsyncSession, TrainingClass, I18n, datetime], Awaitable[Card]]]
CLASS_VIEWS = {View.BOARD: board, View.TEACHERS: _teachers, View.TIMETABLE: _timetable}
"""What each ClassView button shows of the class."""


async def view_pressed(
    query: CallbackQuery,
    callback_data: ClassView,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The class card turned into its board, teachers or timetable view."""
    await state.clear()
    found = await class_for(session, actor, Action.CLASS_VIEW, callback_data.c)
    text, markup = await CLASS_VIEWS[callback_data.v](session, found, i18n, clock.now())
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def equipment_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The checklist form (T4), unless it was confirmed already."""
    found = await prepare.equipment_to_confirm(session, actor, callback_data.c)
    await state.clear()
    if found.equipment_confirmed_at is not None:
        at = local_time(found.equipment_confirmed_at, found)
        await query.answer(i18n("classes.equipment_done", at=at), show_alert=True)
        return
    await query.answer()
    context = {"class_id": found.id}
    await begin(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        EQUIPMENT_FORMS[Programme(found.programme)],
        context,
        clock=clock,
    )


async def edit_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The class form again, at its review screen with the class's data."""
    found = await prepare.details_to_edit(session, actor, callback_data.c)
    await state.clear()
    await query.answer()
    draft = await service.start(
        session,
        person.id,
        CLASS_FORM,
        {"institution_id": found.institution_id, "class_id": found.id},
        answers=ClassDetails.of(found).answers(),
        now=clock.now(),
    )
    await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()


async def submit_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    state: FSMContext,
) -> None:
    """Submitted to the supervisor, or refused with every reason listed."""
    outcome = await prepare.submit_class(session, actor, callback_data.c, settings)
    await state.clear()
    if outcome.blocking:
        count = len(outcome.blocking)
        await query.answer(i18n("classes.submit_blocked", count=count), show_alert=True)
        findings = findings_of(list(outcome.blocking))
        await query.message.answer(i18n("classes.submit_refused", findings=findings))
        return
    await query.answer(i18n("classes.submitted", count=outcome.reviewers), show_alert=True)
    text, markup = await board(session, outcome.found, i18n, actor.now)
    await edit_in_place(query.bot, query.message, text, markup)
