"""Issued certificates in the store: applications and their learners, the certificates, the
number counters and the product's generated keys. Queries and writes only; repositories never
commit. Status changes are conditional UPDATEs: when two people press at once, one wins.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AssessmentResult,
    CertificateApplicant,
    CertificateApplication,
    CertificateCounter,
    Enrollment,
    IssuedCertificate,
    ProductSecret,
    TraineeAssessment,
)
from storage.repo import insert_ignore
from storage.types import utcnow

# --- applications --------------------------------------------------------------------------


async def application(
    session: AsyncSession, application_id: int, *, lock: bool = False
) -> CertificateApplication | None:
    query = select(CertificateApplication).where(CertificateApplication.id == application_id)
    if lock:
        query = query.with_for_update()
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def application_of_class(
    session: AsyncSession, class_id: int
) -> CertificateApplication | None:
    query = select(CertificateApplication).where(CertificateApplication.class_id == class_id)
    return (await session.exec(query)).first()


async def create_application(session: AsyncSession, **values: Any) -> CertificateApplication:
    """The class's application (one per class: a concurrent second create finds the first)."""
    await insert_ignore(session, CertificateApplication, created_at=utcnow(), **values)
    return await application_of_class(session, values["class_id"])


async def add_applicants(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        await insert_ignore(session, CertificateApplicant, **row)


async def applicants(session: AsyncSession, application_id: int) -> list[CertificateApplicant]:
    query = (
        select(CertificateApplicant)
        .where(CertificateApplicant.application_id == application_id)
        .order_by(CertificateApplicant.person_id)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def set_applicant(
    session: AsyncSession, application_id: int, person_id: int, **values: Any
) -> bool:
    result = await session.exec(
        update(CertificateApplicant)
        .where(
            col(CertificateApplicant.application_id) == application_id,
            col(CertificateApplicant.person_id) == person_id,
        )
        .values(**values)
    )
    return result.rowcount == 1


async def settle_applicants(
    session: AsyncSession, application_id: int, approved: Collection[int]
) -> None:
    """Selected learners in `approved` are approved, the other selected ones rejected."""
    base = update(CertificateApplicant).where(
        col(CertificateApplicant.application_id) == application_id,
        col(CertificateApplicant.selected).is_(True),
    )
    ids = sorted(approved)
    await session.exec(
        base.where(col(CertificateApplicant.person_id).in_(ids)).values(status="approved")
    )
    await session.exec(
        base.where(col(CertificateApplicant.person_id).not_in(ids)).values(status="rejected")
    )


async def move_application(
    session: AsyncSession,
    found: CertificateApplication,
    before: str,
    after: str,
    **values: Any,
) -> bool:
    """Move the application from `before` to `after`; False when someone moved it first."""
    result = await session.exec(
        update(CertificateApplication)
        .where(col(CertificateApplication.id) == found.id, CertificateApplication.status == before)
        .values(status=after, **values)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def pending_in(
    session: AsyncSession, region_ids: Collection[int] | None
) -> list[CertificateApplication]:
    """Applications waiting for a decision, of `region_ids` (None: everywhere)."""
    query = select(CertificateApplication).where(CertificateApplication.status == "pending")
    if region_ids is not None:
        query = query.where(col(CertificateApplication.region_id).in_(sorted(region_ids)))
    return list((await session.exec(query.order_by(CertificateApplication.id))).all())


# --- a class's results ------------------------------------------------------------------------


async def class_results(
    session: AsyncSession, class_id: int
) -> list[tuple[int, str | None, float | None]]:
    """Every enrolled learner of the class with their assessment stage and latest final score
    (None when they have none), in person order; three queries whatever the class's size."""
    learners = (
        await session.exec(
            select(Enrollment.person_id)
            .where(Enrollment.class_id == class_id, Enrollment.status == "enrolled")
            .order_by(Enrollment.person_id)
        )
    ).all()
    stages = dict(
        (
            await session.exec(
                select(TraineeAssessment.person_id, TraineeAssessment.stage).where(
                    TraineeAssessment.class_id == class_id
                )
            )
        ).all()
    )
    latest = (
        select(AssessmentResult.trainee_id, func.max(AssessmentResult.id).label("last"))
        .where(AssessmentResult.class_id == class_id)
        .group_by(AssessmentResult.trainee_id)
        .subquery()
    )
    finals = dict(
        (
            await session.exec(
                select(AssessmentResult.trainee_id, AssessmentResult.final).join(
                    latest, col(AssessmentResult.id) == latest.c.last
                )
            )
        ).all()
    )
    return [(person_id, stages.get(person_id), finals.get(person_id)) for person_id in learners]


# --- numbers and certificates -----------------------------------------------------------------


async def advance_counter(session: AsyncSession, region_id: int, year: int, count: int) -> int:
    """Take `count` serials of the region's year: the counter's new last value. The UPDATE
    locks the counter row until the caller's transaction ends, so concurrent approvals take
    consecutive ranges and a rolled-back one gives its range back."""
    await insert_ignore(session, CertificateCounter, region_id=region_id, year=year, last=0)
    result = await session.exec(
        update(CertificateCounter)
        .where(col(CertificateCounter.region_id) == region_id, col(CertificateCounter.year) == year)
        .values(last=CertificateCounter.last + count)
        .returning(CertificateCounter.last)
    )
    return int(result.scalar_one())


async def add_certificates(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[IssuedCertificate]:
    made = [IssuedCertificate(**row) for row in rows]
    session.add_all(made)
    await session.flush()
    return made


async def certificate(session: AsyncSession, certificate_id: int) -> IssuedCertificate | None:
    return await session.get(IssuedCertificate, certificate_id)


async def by_number(session: AsyncSession, number: str) -> IssuedCertificate | None:
    query = (
        select(IssuedCertificate)
        .where(IssuedCertificate.number == number)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def of_person(session: AsyncSession, person_id: int) -> list[IssuedCertificate]:
    query = (
        select(IssuedCertificate)
        .where(IssuedCertificate.person_id == person_id)
        .order_by(IssuedCertificate.id)
    )
    return list((await session.exec(query)).all())


async def of_class(session: AsyncSession, class_id: int) -> list[IssuedCertificate]:
    query = (
        select(IssuedCertificate)
        .where(IssuedCertificate.class_id == class_id)
        .order_by(IssuedCertificate.number)
    )
    return list((await session.exec(query)).all())


async def revoke(
    session: AsyncSession, found: IssuedCertificate, *, by: int, at: datetime, reason: str
) -> bool:
    """Revoke once; False when it was revoked already."""
    result = await session.exec(
        update(IssuedCertificate)
        .where(col(IssuedCertificate.id) == found.id, col(IssuedCertificate.revoked_at).is_(None))
        .values(revoked_at=at, revoked_by=by, revoke_reason=reason)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def unsent(session: AsyncSession, limit: int) -> list[IssuedCertificate]:
    """Valid certificates of known holders whose PDF was not queued yet, oldest first."""
    query = (
        select(IssuedCertificate)
        .where(
            col(IssuedCertificate.sent_at).is_(None),
            col(IssuedCertificate.revoked_at).is_(None),
            col(IssuedCertificate.person_id).is_not(None),
        )
        .order_by(IssuedCertificate.id)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def mark_sent(session: AsyncSession, certificate_id: int, at: datetime) -> bool:
    """Claim the sending of one certificate's PDF; False when another run took it first."""
    result = await session.exec(
        update(IssuedCertificate)
        .where(
            col(IssuedCertificate.id) == certificate_id, col(IssuedCertificate.sent_at).is_(None)
        )
        .values(sent_at=at)
    )
    return result.rowcount == 1


async def withdraw_holder(session: AsyncSession, person_id: int) -> int:
    """Erasure of a person's data: their certificates keep number, class and dates, not
    their name or the link to them. Returns how many certificates were touched."""
    result = await session.exec(
        update(IssuedCertificate)
        .where(col(IssuedCertificate.person_id) == person_id)
        .values(holder_name=None, person_id=None)
    )
    return result.rowcount


# --- generated keys ---------------------------------------------------------------------------


async def secret(session: AsyncSession, name: str) -> str:
    """The product's key called `name`, generated on first use and kept (two processes asking
    at once get the same one)."""
    await insert_ignore(
        session, ProductSecret, name=name, value=secrets.token_hex(32), created_at=utcnow()
    )
    found = await session.get(ProductSecret, name)
    return found.value
