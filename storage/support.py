"""Follow-up support in the store: who was asked the needs survey, the services catalogue, the
follow-up items and their contacts. Queries and writes only; the rules are bot/domain/support.py
and bot/services/support.py."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.assessment import ClassStage
from bot.domain.enrolment import PlaceStatus
from bot.domain.support import NEEDS_FORM, FollowupStatus
from storage.models import (
    ClassTeacher,
    Enrollment,
    FormSubmission,
    Region,
    SupportContact,
    SupportFollowup,
    SupportRequest,
    SupportService,
    TrainingClass,
)
from storage.types import UtcDateTime

ASKED_STAGES = (ClassStage.ASSESSED, ClassStage.CLOSED)
"""A class's trainees are asked about their needs once it is assessed (and still when closed:
a scan that missed the assessed stage catches up)."""


def _dialect(session: AsyncSession) -> Any:
    return postgresql if session.bind.dialect.name == "postgresql" else sqlite


# --- the survey's pushes ---------------------------------------------------------------------


async def unasked(session: AsyncSession, since: datetime, limit: int) -> list[tuple[int, int]]:
    """(class, trainee) of enrolled trainees of trainee classes assessed (or closed) since
    `since` and not asked yet, a batch at a time: one query, its cost the recent classes'
    places, not the history."""
    class_ids = list((await session.exec(_recent(), params={"since": since})).all())
    if not class_ids:
        return []
    params = {"classes": sorted(class_ids), "most": limit}
    found = await session.exec(_unasked(), params=params)
    return [(class_id, person_id) for class_id, person_id in found.all()]


@cache
def _recent() -> Any:
    """Built once (the scan runs it every interval): parameter `since`."""
    return select(TrainingClass.id).where(
        col(TrainingClass.stage).in_([str(stage) for stage in ASKED_STAGES]),
        col(TrainingClass.stage_at) >= bindparam("since", type_=UtcDateTime),
        TrainingClass.programme == "trainee",
    )


@cache
def _unasked() -> Any:
    """Built once: parameters `classes` and `most`."""
    asked = exists(
        select(SupportRequest.id).where(
            SupportRequest.class_id == Enrollment.class_id,
            SupportRequest.person_id == Enrollment.person_id,
        )
    )
    return (
        select(Enrollment.class_id, Enrollment.person_id)
        .where(
            col(Enrollment.class_id).in_(bindparam("classes", expanding=True)),
            Enrollment.status == PlaceStatus.ENROLLED,
            ~asked,
        )
        .order_by(Enrollment.class_id, Enrollment.person_id)
        .limit(bindparam("most"))
    )


async def claim(
    session: AsyncSession, pairs: Sequence[tuple[int, int]], now: datetime
) -> list[tuple[int, int]]:
    """Record the asks; returns those this call recorded (another process may have won some)."""
    if not pairs:
        return []
    table = SupportRequest.__table__
    rows = [{"class_id": c, "person_id": p, "created_at": now} for c, p in pairs]
    insert = _dialect(session).insert(table).values(rows).on_conflict_do_nothing()
    result = await session.exec(insert.returning(table.c.class_id, table.c.person_id))
    return sorted((class_id, person_id) for class_id, person_id in result.all())


async def request_of(session: AsyncSession, class_id: int, person_id: int) -> SupportRequest | None:
    query = select(SupportRequest).where(
        SupportRequest.class_id == class_id, SupportRequest.person_id == person_id
    )
    return (await session.exec(query)).first()


async def asked_in(session: AsyncSession, class_id: int) -> list[int]:
    """The trainees of a class asked about their needs."""
    query = (
        select(SupportRequest.person_id)
        .where(SupportRequest.class_id == class_id)
        .order_by(SupportRequest.person_id)
    )
    return list((await session.exec(query)).all())


async def classes_asked(
    session: AsyncSession, *, teacher_id: int | None, institution_ids: Collection[int]
) -> list[TrainingClass]:
    """Classes whose trainees were asked, taught by `teacher_id` or of one of the institutions,
    latest first."""
    where: Any = col(TrainingClass.institution_id).in_(sorted(institution_ids))
    if teacher_id is not None:
        taught = select(ClassTeacher.class_id).where(ClassTeacher.person_id == teacher_id)
        where = where | col(TrainingClass.id).in_(taught)
    query = (
        select(TrainingClass)
        .where(where, col(TrainingClass.id).in_(select(SupportRequest.class_id)))
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
    )
    return list((await session.exec(query)).all())


async def answers_in(
    session: AsyncSession, class_id: int, person_ids: Collection[int]
) -> dict[int, FormSubmission]:
    """The latest needs survey of each of these trainees for this class (a trainee of two
    classes answers each: `current` is per person and form, so the class decides here)."""
    if not person_ids:
        return {}
    query = (
        select(FormSubmission)
        .where(
            FormSubmission.form_id == NEEDS_FORM,
            col(FormSubmission.person_id).in_(sorted(person_ids)),
        )
        .order_by(FormSubmission.id)
    )
    return {
        row.person_id: row
        for row in (await session.exec(query)).all()
        if row.context.get("class_id") == class_id
    }


# --- regions ---------------------------------------------------------------------------------


async def ancestry(session: AsyncSession, region_id: int | None) -> dict[int, int | None]:
    """Parents of `region_id` and of the regions above it (a handful of lookups: regions are
    province → city → district)."""
    parents: dict[int, int | None] = {}
    while region_id is not None and region_id not in parents:
        region = await session.get(Region, region_id)
        if region is None:
            break
        parents[region_id] = region.parent_id
        region_id = region.parent_id
    return parents


async def subtree(session: AsyncSession, region_id: int) -> list[Region]:
    """The region and every region under it, level by level."""
    found = [await session.get(Region, region_id)]
    if found[0] is None:
        return []
    level = [region_id]
    while level:
        query = select(Region).where(col(Region.parent_id).in_(level)).order_by(Region.id)
        children = [r for r in (await session.exec(query)).all() if r not in found]
        found += children
        level = [child.id for child in children]
    return found


# --- the catalogue ---------------------------------------------------------------------------


async def services_serving(
    session: AsyncSession, region_ids: Collection[int], kinds: Collection[str]
) -> list[SupportService]:
    """Active services of these kinds in these regions."""
    if not region_ids or not kinds:
        return []
    query = select(SupportService).where(
        col(SupportService.region_id).in_(sorted(region_ids)),
        col(SupportService.kind).in_(sorted(kinds)),
        col(SupportService.active),
    )
    return list((await session.exec(query)).all())


async def count_services(session: AsyncSession, region_ids: Collection[int]) -> int:
    query = select(func.count()).where(col(SupportService.region_id).in_(sorted(region_ids)))
    return (await session.exec(query)).one()


async def services_page(
    session: AsyncSession, region_ids: Collection[int], offset: int, limit: int
) -> list[SupportService]:
    """The catalogue of these regions, active first, by kind and name."""
    query = (
        select(SupportService)
        .where(col(SupportService.region_id).in_(sorted(region_ids)))
        .order_by(
            col(SupportService.active).desc(),
            SupportService.kind,
            SupportService.name,
            SupportService.id,
        )
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def service(session: AsyncSession, service_id: int) -> SupportService | None:
    return await session.get(SupportService, service_id)


def add_services(session: AsyncSession, rows: Sequence[SupportService]) -> None:
    session.add_all(rows)


# --- follow-ups and contacts -----------------------------------------------------------------


async def add_followups(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """One item per need (a need followed up already is left as it is); how many are new."""
    if not rows:
        return 0
    insert = _dialect(session).insert(SupportFollowup.__table__).values(list(rows))
    result = await session.exec(insert.on_conflict_do_nothing())
    return result.rowcount


async def followup(session: AsyncSession, followup_id: int) -> SupportFollowup | None:
    return await session.get(SupportFollowup, followup_id)


async def close_followup(session: AsyncSession, followup_id: int, by: int, now: datetime) -> bool:
    """Mark the item done; False when it was closed already."""
    result = await session.exec(
        update(SupportFollowup)
        .where(
            col(SupportFollowup.id) == followup_id,
            SupportFollowup.status == FollowupStatus.OPEN,
        )
        .values(status=FollowupStatus.DONE, done_at=now, done_by=by)
    )
    return result.rowcount == 1


async def contacts_of(session: AsyncSession, followup_id: int) -> list[SupportContact]:
    query = (
        select(SupportContact)
        .where(SupportContact.followup_id == followup_id)
        .order_by(SupportContact.contacted_on, SupportContact.id)
    )
    return list((await session.exec(query)).all())


def add_contact(session: AsyncSession, contact: SupportContact) -> None:
    session.add(contact)


async def contact_counts(session: AsyncSession, institution_ids: Collection[int]) -> dict[str, int]:
    """Contacts recorded by channel for the institutions' follow-ups (countable, S-42)."""
    query = (
        select(SupportContact.channel, func.count())
        .join(SupportFollowup, col(SupportFollowup.id) == SupportContact.followup_id)
        .where(col(SupportFollowup.institution_id).in_(sorted(institution_ids)))
        .group_by(SupportContact.channel)
    )
    return dict((await session.exec(query)).all())
