"""What the enrolment handlers share: their buttons, the class's facts, pushes to trainees,
and the check that a class takes trainees now."""

from __future__ import annotations

import logging

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.clock import Clock
from bot.domain.enrolment import (
    MAX_CLASS_SIZE,
    is_open,
)
from bot.i18n import I18n
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.targets import class_for
from storage import enrolment as store
from storage.models import TrainingClass

log = logging.getLogger(__name__)

PAGE_SIZE = 8
SHOWN_PROBLEMS = 30
TEXT_LIMIT = 4000
"""Bad rows listed in the chat, as many as fit one message; all of them come back as a file
when some do not fit."""
RESULT_COLUMNS = ("row", "name", "mobile", "id_number", "result", "link")
PROBLEM_COLUMNS = ("row", "name", "mobile", "id_number", "problem")


class ClassInvite(CallbackData, prefix="eni"):
    c: int


class EnrolList(CallbackData, prefix="enl"):
    """Page `p` of the trainees staff may add; `e` edits the list in place (paging)."""

    c: int
    p: int = 0
    e: bool = False


class EnrolAdd(CallbackData, prefix="ena"):
    c: int
    t: int


class ClassImport(CallbackData, prefix="enx"):
    c: int


class WithdrawList(CallbackData, prefix="enw"):
    c: int


class Withdraw(CallbackData, prefix="eno"):
    """Take trainee `t` out of class `c`; `ok` is the confirmation."""

    c: int
    t: int
    ok: bool = False


class ImportStates(StatesGroup):
    file = State()


def _capacity(training_class: TrainingClass) -> int:
    return min(training_class.capacity, MAX_CLASS_SIZE)


async def _facts(session: AsyncSession, training_class: TrainingClass) -> dict:
    """What every message about a class names: its name, days and venue."""
    span = await store.span_of(session, training_class)
    return {
        "name": training_class.name,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "venue": training_class.venue_address,
    }


async def _tell(session: AsyncSession, person_id: int, key: str, **context: object) -> None:
    """A push to a trainee (not the person whose update this is) goes through the notifier."""
    await notifier.tell_person(session, person_id, key, **context)


async def _open_class(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    class_id: int,
    *,
    lock: bool = False,
) -> TrainingClass | None:
    """The staff's class when it takes trainees now; otherwise the press is answered."""
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id, lock=lock)
    span = await store.span_of(session, training_class)
    if not is_open(training_class.status, span, store.today_of(training_class, clock.now())):
        await query.answer(i18n("enrolment.not_open", name=training_class.name), show_alert=True)
        return None
    return training_class
