"""/leave: a learner asks for leave from some sessions (S-11); a teacher of the class decides.

The learner picks the class (if several), the sessions (today's and later ones) and gives a
reason; a request above 4 class hours is refused. The class's teachers get it through the
outbox; the first decision wins. Also the attendance part of /status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.clock import Clock
from bot.domain.attendance import MAX_LEAVE_HOURS, Eligibility, eligibility, leave_problem
from bot.domain.reasons import reason_from
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.attendance import after_marks_changed
from bot.services.targets import leave_for
from storage import attendance, repo
from storage.classes import sessions_of
from storage.models import ClassSession, LeaveRequest, Person, TrainingClass
from storage.outbox import enqueue

LEAVE_REASON_LENGTH = (2, 200)
"""A leave reason may be as short as 生病 (ill)."""


class LeaveClass(CallbackData, prefix="lvc"):
    c: int


class LeavePick(CallbackData, prefix="lvs"):
    """Toggle session `s` of class `c` in the request being made."""

    c: int
    s: int


class LeaveNext(CallbackData, prefix="lvn"):
    c: int


class LeaveDecision(CallbackData, prefix="lvd"):
    r: int
    ok: bool


class LeaveStates(StatesGroup):
    sessions = State()
    reason = State()


async def _choices(
    session: AsyncSession, training_class: TrainingClass, person: Person, now: datetime
) -> dict[int, ClassSession]:
    found = await attendance.leave_choices(session, training_class, person.id, now)
    return {s.id: s for s in found}


def _picker(
    i18n: I18n, training_class: TrainingClass, choices: dict[int, ClassSession], chosen: list[int]
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for session_id, class_session in choices.items():
        builder.button(
            text=i18n(
                "leave.option",
                s=attendance.view(class_session, training_class),
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
    now: datetime,
) -> None:
    choices = await _choices(session, training_class, person, now)
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
    clock: Clock,
) -> None:
    classes = await attendance.learner_classes(session, person.id)
    if not classes:
        await message.answer(i18n("leave.no_class"))
        return
    if len(classes) == 1:
        await _start_picking(message, session, person, i18n, state, classes[0], clock.now())
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
    clock: Clock,
) -> None:
    classes = {c.id: c for c in await attendance.learner_classes(session, person.id)}
    if callback_data.c not in classes:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    await query.answer()
    await _start_picking(
        query.message, session, person, i18n, state, classes[callback_data.c], clock.now()
    )


async def _picking(
    class_id: int, session: AsyncSession, person: Person, state: FSMContext
) -> tuple[TrainingClass, dict[str, Any]] | None:
    """The class being picked from, when this button belongs to the request being made."""
    data = await state.get_data()
    if await state.get_state() != LeaveStates.sessions.state or data.get("class") != class_id:
        return None
    classes = {c.id: c for c in await attendance.learner_classes(session, person.id)}
    return (classes[class_id], data) if class_id in classes else None


async def session_toggled(
    query: CallbackQuery,
    callback_data: LeavePick,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
) -> None:
    found = await _picking(callback_data.c, session, person, state)
    if found is None:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    training_class, data = found
    choices = await _choices(session, training_class, person, clock.now())
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
    clock: Clock,
) -> None:
    found = await _picking(callback_data.c, session, person, state)
    if found is None:
        await query.answer(i18n("leave.stale"), show_alert=True)
        return
    training_class, data = found
    choices = await _choices(session, training_class, person, clock.now())
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
    await state.set_state(LeaveStates.reason)
    await state.update_data(chosen=chosen)
    await query.message.answer(
        i18n(
            "leave.ask_reason", hours=hours, min=LEAVE_REASON_LENGTH[0], max=LEAVE_REASON_LENGTH[1]
        )
    )


async def reason_given(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
) -> None:
    reason = reason_from(message.text, LEAVE_REASON_LENGTH)
    if reason is None:
        await message.answer(
            i18n("leave.bad_reason", min=LEAVE_REASON_LENGTH[0], max=LEAVE_REASON_LENGTH[1])
        )
        return
    data = await state.get_data()
    await state.clear()
    now = clock.now()
    classes = {c.id: c for c in await attendance.learner_classes(session, person.id)}
    training_class = classes.get(data.get("class"))
    choices = await _choices(session, training_class, person, now) if training_class else {}
    chosen = [s for s in data.get("chosen", []) if s in choices]
    hours = sum(choices[s].hours for s in chosen)
    if training_class is None or len(chosen) != len(data.get("chosen", [])) or not chosen:
        await message.answer(i18n("leave.stale"))
        return
    if leave_problem(hours) is not None:
        await message.answer(i18n("leave.problem_too_long", hours=hours, max=MAX_LEAVE_HOURS))
        return
    leave = LeaveRequest(
        class_id=training_class.id,
        person_id=person.id,
        session_ids=chosen,
        hours=hours,
        reason=reason,
        created_at=now,
    )
    session.add(leave)
    await session.flush()
    await repo.audit(
        session,
        "leave.requested",
        actor_id=person.id,
        subject_id=person.id,
        object_type="leave_request",
        object_id=leave.id,
        reason=reason,
        sessions=chosen,
        hours=hours,
    )
    await _ask_teachers(session, training_class, leave, person, [choices[s] for s in chosen])
    await message.answer(i18n("leave.submitted", hours=hours))


async def _ask_teachers(
    session: AsyncSession,
    training_class: TrainingClass,
    leave: LeaveRequest,
    learner: Person,
    chosen: list[ClassSession],
) -> None:
    record = await attendance.attendance_record(session, training_class.id, learner.id)
    current = eligibility(training_class.programme, record)
    for teacher_id in await attendance.teacher_ids(session, training_class.id):
        teacher = await session.get(Person, teacher_id)
        text, markup = request_view(
            I18n(teacher.locale), leave, learner, training_class, chosen, current
        )
        await enqueue(
            session,
            chat_id=teacher.tg_user_id,
            person_id=teacher.id,
            text=text,
            key=f"leave:{leave.id}:{teacher.id}",
            reply_markup=markup.model_dump(exclude_none=True),
        )


def request_view(
    i18n: I18n,
    leave: LeaveRequest,
    learner: Person,
    training_class: TrainingClass,
    chosen: list[ClassSession],
    current: Eligibility,
    decider: Person | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The leave request a teacher decides on (pushed, or opened from /todo); once decided,
    the decision and no buttons."""
    text = i18n(
        "leave.request",
        learner=learner.first_name,
        name=training_class.name,
        sessions=[attendance.view(s, training_class) for s in chosen],
        hours=leave.hours,
        reason=leave.reason,
        e=current,
        programme=training_class.programme,
        status=leave.status,
        by=decider.first_name if decider else None,
    )
    if leave.status != attendance.PENDING:
        return text, None
    row = [
        InlineKeyboardButton(
            text=i18n("leave.approve"), callback_data=LeaveDecision(r=leave.id, ok=True).pack()
        ),
        InlineKeyboardButton(
            text=i18n("leave.refuse"), callback_data=LeaveDecision(r=leave.id, ok=False).pack()
        ),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


async def request_card(
    session: AsyncSession, leave: LeaveRequest, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """`request_view` from the store: the request's sessions and the learner's record now."""
    training_class = await session.get(TrainingClass, leave.class_id)
    learner = await session.get(Person, leave.person_id)
    decider = await session.get(Person, leave.decided_by) if leave.decided_by else None
    chosen = [s for s in await sessions_of(session, leave.class_id) if s.id in leave.session_ids]
    record = await attendance.attendance_record(session, training_class.id, learner.id)
    current = eligibility(training_class.programme, record)
    return request_view(i18n, leave, learner, training_class, chosen, current, decider)


async def leave_decided(
    query: CallbackQuery,
    callback_data: LeaveDecision,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    leave = await leave_for(session, actor, callback_data.r)
    now = clock.now()
    status = attendance.APPROVED if callback_data.ok else attendance.REFUSED
    if not await attendance.decide_leave(session, leave, status, person.id, now):
        decider = await session.get(Person, leave.decided_by) if leave.decided_by else None
        await query.answer(
            i18n(
                "leave.already_decided",
                status=leave.status,
                by=decider.first_name if decider else "",
            ),
            show_alert=True,
        )
        return
    training_class = await session.get(TrainingClass, leave.class_id)
    excused = []
    if leave.status == attendance.APPROVED:
        excused = await attendance.excuse_closed_sessions(session, leave, person.id, now)
    await repo.audit(
        session,
        f"leave.{leave.status}",
        actor_id=person.id,
        subject_id=leave.person_id,
        object_type="leave_request",
        object_id=leave.id,
        sessions=leave.session_ids,
        excused_now=excused,
    )
    learner = await session.get(Person, leave.person_id)

    async def closed(reader: I18n) -> str:
        return (await request_card(session, leave, reader))[0]

    await notifier.close_copies(session, f"leave:{leave.id}:", closed)
    await notifier.tell(
        session,
        learner,
        "leave.decided",
        key=f"leave_decided:{leave.id}",
        status=leave.status,
        name=training_class.name,
        hours=leave.hours,
        teacher=person.first_name,
    )
    if leave.status == attendance.APPROVED:
        await after_marks_changed(session, training_class, [learner.id], now)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(
        i18n("leave.you_decided", status=leave.status, learner=learner.first_name)
    )


async def status_text(session: AsyncSession, person: Person, i18n: I18n) -> str | None:
    """Attendance so far and eligibility in each of the person's classes (for /status)."""
    classes = []
    for training_class in await attendance.learner_classes(session, person.id):
        record = await attendance.attendance_record(session, training_class.id, person.id)
        pending = await attendance.leaves_of(
            session, training_class.id, person.id, attendance.PENDING
        )
        classes.append(
            {
                "name": training_class.name,
                "programme": training_class.programme,
                "record": record,
                "e": eligibility(training_class.programme, record),
                "pending": len(pending),
            }
        )
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
    learners.message.register(reason_given, StateFilter(LeaveStates.reason), F.text)
    teachers = Router(name=f"{__name__}.teachers")
    teachers.callback_query.filter(Can(Action.LEAVE_DECIDE))
    teachers.callback_query.register(leave_decided, LeaveDecision.filter())
    router.include_routers(learners, teachers)
    return router
