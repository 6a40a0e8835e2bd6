"""Certificate verification (S-8, S-23): the region's supervisor (lecturer certificates) or an
admin verifies a declared certificate, or rejects it with a reason the teacher is told."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.classes import DECIDED, CertificateStatus
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.outcomes import Decided
from bot.services.targets import certificate_for
from bot.views.certificates import card_text
from storage import classes, repo
from storage.models import Certificate


async def pending_certificate(
    session: AsyncSession, actor: Actor, certificate_id: int
) -> Certificate:
    """The certificate, when the actor may verify it and it still waits."""
    found = await certificate_for(session, actor, certificate_id)
    if found.status != CertificateStatus.PENDING:
        raise Stale("teachers.already_decided", status=found.status)
    return found


async def decide_certificate(
    session: AsyncSession,
    actor: Actor,
    certificate_id: int,
    status: CertificateStatus,
    reason: str | None,
) -> Decided:
    """Verify, or reject with a reason, once: the holder is told, the pushed cards close."""
    found = await pending_certificate(session, actor, certificate_id)
    if status is CertificateStatus.REJECTED and reason is None:
        raise Stale  # a rejection is only ever sent with its reason
    decided = await classes.decide_certificate(
        session, found, status, by=actor.person_id, at=actor.now, reason=reason
    )
    if not decided:
        raise Stale("teachers.already_decided", status=found.status)
    await repo.audit(
        session,
        DECIDED[status],
        actor_id=actor.person_id,
        subject_id=found.person_id,
        object_type="certificate",
        object_id=found.id,
        reason=reason,
        kind=found.kind,
        number=found.number,
    )
    await notifier.close_copies(
        session, f"cert:{found.id}:", lambda reader: card_text(session, found, reader)
    )
    await notifier.tell_person(session, found.person_id, "teachers.result", certificate=found)
    return Decided(found.id, status)


async def certificate(session: AsyncSession, certificate_id: int) -> Certificate | None:
    """The certificate as it stands (to redraw its card after a decision)."""
    return await classes.certificate(session, certificate_id)
