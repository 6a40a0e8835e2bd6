"""The leave request a teacher decides on (pushed, or opened from /todo)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.attendance import Eligibility, LeaveStatus, eligibility
from bot.i18n import I18n
from bot.views.timetable import session_shown
from storage import attendance, people
from storage.classes import sessions_of
from storage.models import ClassSession, LeaveRequest, TrainingClass


class LeaveDecision(CallbackData, prefix="lvd"):
    """A teacher's answer to leave request `r`: approve (ok) or refuse."""

    r: int
    ok: bool


def request_view(
    i18n: I18n,
    leave: LeaveRequest,
    learner: str,
    training_class: TrainingClass,
    chosen: list[ClassSession],
    current: Eligibility,
    decider: str | None = None,
    refusal: str | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The request with the learner's record; once decided, the decision (a refusal with its
    reason, when given) and no buttons. `learner` and `decider` are names (`storage.people`)."""
    text = i18n(
        "leave.request",
        learner=learner,
        name=training_class.name,
        sessions=[session_shown(s, training_class) for s in chosen],
        hours=leave.hours,
        reason=leave.reason,
        e=current,
        programme=training_class.programme,
        status=leave.status,
        by=decider or None,
        refusal=refusal,
    )
    if leave.status != LeaveStatus.PENDING:
        return text, None
    row = [
        InlineKeyboardButton(
            text=i18n("leave.approve"),
            callback_data=LeaveDecision(r=leave.id, ok=True).pack(),
        ),
        InlineKeyboardButton(
            text=i18n("leave.refuse"),
            callback_data=LeaveDecision(r=leave.id, ok=False).pack(),
        ),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


async def request_card(
    session: AsyncSession, leave: LeaveRequest, i18n: I18n, *, refusal: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """`request_view` from the store: the request's sessions and the learner's record now."""
    training_class = await session.get(TrainingClass, leave.class_id)
    named = await people.names(session, [leave.person_id, leave.decided_by or leave.person_id])
    chosen = [s for s in await sessions_of(session, leave.class_id) if s.id in leave.session_ids]
    record = await attendance.attendance_record(session, training_class.id, leave.person_id)
    current = eligibility(training_class.programme, record)
    learner, decider = named[leave.person_id], named.get(leave.decided_by or 0)
    return request_view(i18n, leave, learner, training_class, chosen, current, decider, refusal)
