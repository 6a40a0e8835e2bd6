"""Trainees joining a class by its link or QR code; places settled after screening."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.forms import service
from bot.i18n import I18n
from handlers.enrolment.common import (
    _capacity,
    _facts,
    _tell,
    log,
)
from handlers.forms import offer_resume
from storage import enrolment as store
from storage.classes import get_class
from storage.models import Invitation, Person


async def _registration_open(session: AsyncSession, person_id: int) -> tuple[bool, bool]:
    """(has submitted the registration form, has an unfinished registration draft)."""
    submitted = await service.latest_submission(session, person_id, "registration") is not None
    drafts = [await service.active_draft(session, person_id)]
    drafts += await service.paused_drafts(session, person_id)
    drafting = any(draft is not None and draft.form_id == "registration" for draft in drafts)
    return submitted, drafting


async def join_by_link(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    invitation: Invitation,
    clock: Clock,
) -> bool:
    """Take a place in the invitation's class, or say why not; True when the person still has
    to register (the caller starts the registration form)."""
    training_class = await get_class(session, invitation.class_id, lock=True)
    submitted, drafting = await _registration_open(session, person.id)
    found = await store.admit(
        session, training_class, person.id, actor_id=person.id, source="link", now=clock.now()
    )
    log.info("class %s joined by link: %s", training_class.id, found.verdict)
    await message.answer(
        i18n(
            "enrolment.joined",
            verdict=found.verdict,
            other=found.other.name if found.other else None,
            outcome=found.outcome,
            capacity=_capacity(training_class),
            registered=submitted,
            **await _facts(session, training_class),
        )
    )
    if drafting:
        await offer_resume(message, session, person, i18n, settings, clock)
    return not submitted and not drafting


async def screening_decided(
    session: AsyncSession, person_id: int, reviewer_id: int, now: datetime
) -> None:
    """A confirmed screening settles the trainee's pending places: enrolled when suitable
    for online training, otherwise given up, and the trainee is told which and why."""
    for training_class, found in await store.settle(
        session, person_id, actor_id=reviewer_id, now=now
    ):
        await _tell(
            session,
            person_id,
            "enrolment.settled",
            verdict=found.verdict,
            other=found.other.name if found.other else None,
            outcome=found.outcome,
            **await _facts(session, training_class),
        )
