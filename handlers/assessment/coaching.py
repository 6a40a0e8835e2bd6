"""/coaching: the teaching lecturers' list of trainees who did not pass (S-13); a name records
a coaching session held today, its notes through the one reason flow."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import assessment as cases
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from handlers import reasons
from storage.models import Person, TrainingClass


class CoachCb(CallbackData, prefix="cch"):
    """Record a coaching session of trainee `t` in class `c`."""

    c: int
    t: int


def coaching_view(
    i18n: I18n, training_class: TrainingClass, trainees: list[cases.Coached]
) -> tuple[str, InlineKeyboardMarkup]:
    text = i18n("assessment.coaching_list", name=training_class.name, trainees=trainees)
    rows = [
        [
            InlineKeyboardButton(
                text=i18n("assessment.coach_button", name=t.name),
                callback_data=CoachCb(c=training_class.id, t=t.trainee_id).pack(),
            )
        ]
        for t in trainees[:20]
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def show_coaching(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    lists = await cases.coaching_lists(session, actor)
    for training_class, trainees in lists:
        text, markup = coaching_view(i18n, training_class, trainees)
        await message.answer(text, reply_markup=markup)
    if not lists:
        await message.answer(i18n("assessment.no_coaching"))


async def coach_pressed(
    query: CallbackQuery,
    callback_data: CoachCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    trainee = await cases.coached(session, actor, callback_data.c, callback_data.t)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.COACHING_NOTES,
        "assessment.ask_notes",
        {"name": trainee.name},
        c=callback_data.c,
        t=callback_data.t,
    )


async def notes_given(given: reasons.Given) -> None:
    training_class = await given.session.get(TrainingClass, given.data["c"])
    held_on = given.actor.now.astimezone(cases.class_zone(training_class)).date()
    await cases.record_coaching(
        given.session, given.actor, given.data["c"], given.data["t"], held_on, given.reason
    )
    trainee = await given.session.get(Person, given.data["t"])
    await given.message.answer(given.i18n("assessment.coached", name=trainee.first_name))


REASONS = {Purpose.COACHING_NOTES: notes_given}


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.COACHING_RECORD))
    router.callback_query.filter(Can(Action.COACHING_RECORD))
    router.message.register(show_coaching, Command("coaching"))
    router.callback_query.register(coach_pressed, CoachCb.filter())
    return router
