"""Assessment submissions in the store: the learner's classes, deadline extensions, and the
practice results and business plans handed in (rows of `form_submission`, context class_id).

Queries and writes only; who may submit or extend is decided in bot/services/submissions.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import ClassStatus
from storage.models import Enrollment, FormSubmission, SubmissionExtension, TrainingClass

NOT_RUNNING = (ClassStatus.DRAFT, ClassStatus.SUBMITTED, ClassStatus.RETURNED)
"""Classes still being prepared: nobody learns in them yet."""


async def learner_classes(session: AsyncSession, person_id: int) -> Sequence[TrainingClass]:
    """Classes (approved, or further on) the person is enrolled in as a learner, latest
    start first."""
    query = (
        select(TrainingClass)
        .join(Enrollment, col(Enrollment.class_id) == TrainingClass.id)
        .where(
            Enrollment.person_id == person_id,
            Enrollment.status == "enrolled",
            col(TrainingClass.status).not_in(NOT_RUNNING),
        )
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
    )
    return (await session.exec(query)).all()


async def extended_until(session: AsyncSession, class_id: int, person_id: int) -> datetime | None:
    """The latest deadline granted to the person in the class, if any."""
    query = select(func.max(SubmissionExtension.until)).where(
        SubmissionExtension.class_id == class_id, SubmissionExtension.person_id == person_id
    )
    found = (await session.exec(query)).one()
    return found


async def add_extension(
    session: AsyncSession, class_id: int, person_id: int, until: datetime, by: int, now: datetime
) -> SubmissionExtension:
    row = SubmissionExtension(
        class_id=class_id, person_id=person_id, until=until, granted_by=by, granted_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def versions(
    session: AsyncSession, person_id: int, form_id: str, class_id: int
) -> list[FormSubmission]:
    """Every submission of the form by the person for the class, oldest first (the current
    one last); earlier versions are kept."""
    query = (
        select(FormSubmission)
        .where(FormSubmission.person_id == person_id, FormSubmission.form_id == form_id)
        .order_by(col(FormSubmission.id))
    )
    rows = (await session.exec(query)).all()
    return [row for row in rows if row.context.get("class_id") == class_id]


async def latest(session: AsyncSession, person_id: int, form_id: str) -> FormSubmission | None:
    """The person's current submission of the form (any class)."""
    query = (
        select(FormSubmission)
        .where(
            FormSubmission.person_id == person_id,
            FormSubmission.form_id == form_id,
            col(FormSubmission.current),
        )
        .order_by(col(FormSubmission.id).desc())
    )
    return (await session.exec(query)).first()
