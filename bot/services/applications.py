"""Class applications (S-9, S-10): the region's supervisor (or an admin) approves a submitted
class, or returns it to the institution with a reason."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.classes import DECIDED, ClassStatus
from bot.policy import Action
from bot.services import recipients
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.outcomes import Decided
from bot.services.targets import class_for
from bot.views.classes import application_text, open_button, snapshot, summary
from storage import classes, repo
from storage.models import TrainingClass


async def submitted_class(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """The class, when the actor may decide it and its application still waits."""
    found = await class_for(session, actor, Action.CLASS_DECIDE, class_id)
    if found.status != ClassStatus.SUBMITTED:
        raise Stale("classes.already_decided", status=found.status)
    return found


async def decide_application(
    session: AsyncSession, actor: Actor, class_id: int, status: ClassStatus, reason: str | None
) -> Decided:
    """Approve, or return with a reason, once: the institution's staff and, on approval, the
    class's teachers are told; the pushed applications close."""
    found = await submitted_class(session, actor, class_id)
    if status not in (ClassStatus.APPROVED, ClassStatus.RETURNED) or (
        status is ClassStatus.RETURNED and reason is None
    ):
        raise Stale  # a return is only ever sent with its reason
    values = {"decided_by": actor.person_id, "decided_at": actor.now}
    if reason is not None:
        values["return_reason"] = reason
    if not await classes.move_class(session, found, [ClassStatus.SUBMITTED], status, **values):
        raise Stale("classes.already_decided", status=found.status)
    await repo.audit(
        session,
        DECIDED[status],
        actor_id=actor.person_id,
        object_type="training_class",
        object_id=found.id,
        reason=reason,
    )
    await notifier.close_copies(
        session, f"class:{found.id}:", lambda reader: application_text(session, found, reader)
    )
    told = summary(await snapshot(session, found))
    for reader in await recipients.staff(session, found.institution_id):
        await notifier.tell(
            session,
            reader,
            "classes.decision_notice",
            keyboard=lambda i18n: open_button(i18n, found),
            **told,
        )
    if status is ClassStatus.APPROVED:
        for person_id in await classes.teacher_ids(session, found.id):
            await notifier.tell_person(
                session, person_id, "classes.teacher_approved_notice", **told
            )
    return Decided(found.id, status)


async def training_class(session: AsyncSession, class_id: int) -> TrainingClass | None:
    """The class as it stands (to redraw its application card after a decision)."""
    return await classes.get_class(session, class_id)
