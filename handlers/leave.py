"""/leave: a learner asks for leave from some sessions (S-11); a teacher of the class decides.

The learner picks the class (if several), the sessions (today's and later ones) and gives a
reason; a request above 4 class hours is refused. The class's teachers get it through the
outbox; the first decision wins. Also the attendance part of /status.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.attendance import MAX_LEAVE_HOURS, leave_problem
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import leave as leave_cases
from bot.services import people
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.views.leave import LeaveDecision, request_card, request_view
from bot.views.timetable import session_shown
from handlers import reasons
from storage.models import ClassSession, Person, TrainingClass

__all__ = ["LeaveDecision", "request_card", "request_view"]
"""Re-exported: the request card lives in bot.views.leave."""


class LeaveClass(CallbackData, prefix="lvc"):
    c: int


class LeavePick(CallbackData, prefix="lvs"):
    """Toggle session `s` of class `c` in the request being made."""

    c: int
    s: int


class LeaveNext(CallbackData, prefix="lvn"):
    c: int


class LeaveStates(StatesGroup):
    sessions = State()


def _picker(
    i18n: I18n, training_class: TrainingClass, choices: dict[int, ClassSession], chosen: list[int]
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for session_id, class_session in choices.items():
        builder.button(
            text=i18n(
                "leave.option",
                s=session_shown(class_session, training_class),
                chosen=session_id in chosen,
            ),
            callback_data=LeavePick(c=training_class.id, s=session_id),
        )
    builder.adjust(2)
    builder.row()
    builder.button(text=i18n("leave.next"), callback_data=LeaveNext(c=training_class.id))
    hours = sum(choices[s].hours for s in chosen if s in choices)
    text = i18n("leave.pick", name=training_class.name, hours=hours, max=MAX_LEAVE_HOURS)
    return text, builder.as_markup()


async def _start_picking(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    training_class: TrainingClass,
    actor: Actor,
) -> None:
    choices = await leave_cases.choices(session, training_class, actor)
    if not choices:
        await state.clear()
        await message.answer(i18n("leave.nothing_to_pick", name=training_class.name))
        return
    await state.set_state(LeaveStates.sessions)
    await state.set_data({"class": training_class.id, "chosen": []})
    text, markup = _picker(i18n, training_class, choices, [])
    await message.answer(text, reply_markup=markup)


async def ask_leave(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    actor: Actor,
) -> None:
    classes = await leave_cases.learner_classes(session, person.id)
    if not classes:
        await message.answer(i18n("leave.no_class"))
        return
    if len(classes) == 1:
        await _start_picking(message, session, person, i18n, state, classes[0], actor)
        return
    await state.clear()
    builder = InlineKeyboardBuilder()
    for training_class in classes:
        builder.button(text=training_class.name, callback_data=LeaveClass(c=training_class.id))
    builder.adjust(1)
    await message.answer(i18n("leave.which_class"), reply_markup=builder.as_markup())


async def class_chosen(
    query: CallbackQuery,
    callback_data: LeaveClass,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    actor: Actor,
) -> None:
    classes = {c.id: c for c in await leave_cases.learner_classes(session, person.id)}
    if callback_data.c not in classes:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    await query.answer()
    await _start_picking(
        query.message, session, person, i18n, state, classes[callback_data.c], actor
    )


async def _picking(
    class_id: int, session: AsyncSession, person: Person, state: FSMContext
) -> tuple[TrainingClass, dict[str, Any]] | None:
    """The class being picked from, when this button belongs to the request being made."""
    data = await state.get_data()
    if await state.get_state() != LeaveStates.sessions.state or data.get("class") != class_id:
        return None
    classes = {c.id: c for c in await leave_cases.learner_classes(session, person.id)}
    return (classes[class_id], data) if class_id in classes else None


async def session_toggled(
    query: CallbackQuery,
    callback_data: LeavePick,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    actor: Actor,
) -> None:
    found = await _picking(callback_data.c, session, person, state)
    if found is None:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    training_class, data = found
    choices = await leave_cases.choices(session, training_class, actor)
    if callback_data.s not in choices:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    chosen = [s for s in data["chosen"] if s in choices]
    if callback_data.s in chosen:
        chosen.remove(callback_data.s)
    else:
        chosen.append(callback_data.s)
    await state.update_data(chosen=chosen)
    await query.answer()
    text, markup = _picker(i18n, training_class, choices, chosen)
    await query.message.edit_text(text, reply_markup=markup)


async def sessions_chosen(
    query: CallbackQuery,
    callback_data: LeaveNext,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    actor: Actor,
) -> None:
    found = await _picking(callback_data.c, session, person, state)
    if found is None:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    training_class, data = found
    choices = await leave_cases.choices(session, training_class, actor)
    chosen = [s for s in data["chosen"] if s in choices]
    hours = sum(choices[s].hours for s in chosen)
    problem = leave_problem(hours)
    if problem is not None:
        await query.answer()
        await query.message.answer(
            i18n(f"leave.problem_{problem}", hours=hours, max=MAX_LEAVE_HOURS)
        )
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.LEAVE_REQUEST,
        "leave.ask_reason",
        {"hours": hours},
        **{"class": training_class.id, "chosen": chosen},
    )


async def reason_given(given: reasons.Given) -> None:
    decided = await leave_cases.request_leave(
        given.session, given.actor, given.data["class"], given.data["chosen"], given.reason
    )
    await given.message.answer(given.i18n("leave.submitted", hours=decided.hours))


async def approve_pressed(
    query: CallbackQuery,
    callback_data: LeaveDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    decided = await leave_cases.decide_leave(session, actor, callback_data.r, approve=True)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(
        i18n("leave.you_decided", status=decided.status, learner=decided.subject)
    )


async def refuse_pressed(
    query: CallbackQuery,
    callback_data: LeaveDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Refusing asks the reason the learner will be told, through the one reason flow."""
    leave = await leave_cases.pending_leave(session, actor, callback_data.r)
    learner = await session.get(Person, leave.person_id)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.LEAVE_REFUSE,
        "leave.ask_refusal",
        {"learner": await people.name(session, learner)},
        leave=leave.id,
        card=query.message.message_id,
    )


async def refusal_reason_given(given: reasons.Given) -> None:
    decided = await leave_cases.decide_leave(
        given.session, given.actor, given.data["leave"], approve=False, reason=given.reason
    )
    await given.bot.edit_message_reply_markup(
        chat_id=given.message.chat.id, message_id=given.data["card"], reply_markup=None
    )
    await given.message.answer(
        given.i18n("leave.you_decided", status=decided.status, learner=decided.subject)
    )


REASONS = {Purpose.LEAVE_REQUEST: reason_given, Purpose.LEAVE_REFUSE: refusal_reason_given}


async def status_text(session: AsyncSession, person: Person, i18n: I18n) -> str | None:
    """Attendance so far and eligibility in each of the person's classes (for /status)."""
    classes = await leave_cases.status(session, person.id)
    return i18n("attendance.status", classes=classes) if classes else None


def create_router() -> Router:
    router = Router(name=__name__)
    learners = Router(name=f"{__name__}.learners")
    learners.message.filter(Can(Action.LEAVE_REQUEST))
    learners.callback_query.filter(Can(Action.LEAVE_REQUEST))
    learners.message.register(ask_leave, Command("leave"))
    learners.callback_query.register(class_chosen, LeaveClass.filter())
    learners.callback_query.register(session_toggled, LeavePick.filter())
    learners.callback_query.register(sessions_chosen, LeaveNext.filter())
    teachers = Router(name=f"{__name__}.teachers")
    teachers.callback_query.filter(Can(Action.LEAVE_DECIDE))
    teachers.callback_query.register(approve_pressed, LeaveDecision.filter(F.ok))
    teachers.callback_query.register(refuse_pressed, LeaveDecision.filter(~F.ok))
    router.include_routers(learners, teachers)
    return router
