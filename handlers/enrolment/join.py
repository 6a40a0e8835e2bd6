"""Trainees joining a class by its link or QR code (the use case: bot/services/enrolment.py)."""

from __future__ import annotations

from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.forms import service
from bot.i18n import I18n
from bot.services import enrolment
from bot.services.actor import Actor
from handlers.enrolment.common import log
from handlers.forms import offer_resume
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
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    invitation: Invitation,
    clock: Clock,
) -> bool:
    """Take a place in the invitation's class, or say why not; True when the person still has
    to register (the caller starts the registration form)."""
    submitted, drafting = await _registration_open(session, person.id)
    joined = await enrolment.join_by_link(session, actor, invitation.class_id)
    log.info("class %s joined by link: %s", joined.training_class.id, joined.verdict)
    await message.answer(
        i18n(
            "enrolment.joined",
            **joined.verdict_context,
            capacity=enrolment.capacity(joined.training_class),
            registered=submitted,
            **joined.facts,
        )
    )
    if drafting:
        await offer_resume(message, session, person, i18n, settings, clock)
    return not submitted and not drafting
