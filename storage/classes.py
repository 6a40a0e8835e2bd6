"""Classes, their teachers and sessions, and teaching certificates. Repositories never commit.

Status changes are conditional UPDATEs (`move_class`, `decide_certificate`): when two people
press at once, exactly one wins and the other is told it was already decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import (
    REQUIREMENTS,
    CertificateKind,
    CertificateStatus,
    ClassDetails,
    ClassStatus,
    Programme,
)
from bot.domain.roles import Role
from bot.domain.timetable import Placement, Session
from storage import people
from storage.models import (
    Certificate,
    ClassSession,
    ClassTeacher,
    FormSubmission,
    Person,
    RoleGrant,
    TrainingClass,
)
from storage.repo import insert_ignore
from storage.types import utcnow

PROFILE_FORM = "teacher_profile"


# --- certificates --------------------------------------------------------------------------


async def certificate(session: AsyncSession, certificate_id: int) -> Certificate | None:
    return await session.get(Certificate, certificate_id)


async def certificate_by_number(
    session: AsyncSession, kind: CertificateKind, number: str
) -> Certificate | None:
    query = select(Certificate).where(Certificate.kind == kind, Certificate.number == number)
    return (await session.exec(query)).first()


async def add_certificate(
    session: AsyncSession,
    *,
    person_id: int,
    kind: CertificateKind,
    number: str,
    course: str,
    issued_on: date,
    region_id: int | None,
    submission_id: int | None,
) -> Certificate | None:
    """A new pending certificate; None when the number was taken meanwhile (unique key)."""
    inserted = await insert_ignore(
        session,
        Certificate,
        person_id=person_id,
        kind=kind,
        number=number,
        course=course,
        issued_on=issued_on,
        region_id=region_id,
        submission_id=submission_id,
        status=CertificateStatus.PENDING,
        created_at=utcnow(),
    )
    return await certificate_by_number(session, kind, number) if inserted else None


async def reopen_certificate(session: AsyncSession, found: Certificate, **values: Any) -> bool:
    """A rejected certificate declared again goes back to pending with the new details."""
    result = await session.exec(
        update(Certificate)
        .where(
            col(Certificate.id) == found.id,
            col(Certificate.status) == CertificateStatus.REJECTED,
        )
        .values(status=CertificateStatus.PENDING, decided_by=None, decided_at=None, **values)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def decide_certificate(
    session: AsyncSession,
    found: Certificate,
    status: CertificateStatus,
    *,
    by: int,
    at: datetime,
    reason: str | None,
) -> bool:
    """Verify or reject a pending certificate; False when someone decided it first."""
    result = await session.exec(
        update(Certificate)
        .where(
            col(Certificate.id) == found.id,
            col(Certificate.status) == CertificateStatus.PENDING,
        )
        .values(status=status, decided_by=by, decided_at=at, reason=reason)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def certificates_of(session: AsyncSession, person_id: int) -> Sequence[Certificate]:
    query = select(Certificate).where(Certificate.person_id == person_id).order_by(Certificate.id)
    return (await session.exec(query)).all()


async def verified_kinds(session: AsyncSession, person_id: int) -> frozenset[CertificateKind]:
    query = select(Certificate.kind).where(
        Certificate.person_id == person_id,
        Certificate.status == CertificateStatus.VERIFIED,
    )
    return frozenset(CertificateKind(kind) for kind in (await session.exec(query)).all())


async def profile_answers(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """The teacher's current profile answers (empty before the profile is submitted)."""
    query = select(FormSubmission).where(
        FormSubmission.person_id == person_id,
        FormSubmission.form_id == PROFILE_FORM,
        col(FormSubmission.current),
    )
    found = (await session.exec(query)).first()
    return dict(found.answers) if found is not None else {}


async def teacher_name(session: AsyncSession, person: Person) -> str:
    """The person's name as others see it (`storage.people.name`): for a teacher, the name on
    their profile."""
    return await people.name(session, person)


# --- people by role ----------------------------------------------------------------------------


async def holders(
    session: AsyncSession,
    role: Role,
    *,
    region_id: int | None = None,
    institution_id: int | None = None,
) -> list[Person]:
    """People holding `role`, in the region or institution when given, once each."""
    query = select(Person).join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
    query = query.where(RoleGrant.role == role)
    if region_id is not None:
        query = query.where(RoleGrant.region_id == region_id)
    if institution_id is not None:
        query = query.where(RoleGrant.institution_id == institution_id)
    people = (await session.exec(query.order_by(Person.id))).all()
    return list({person.id: person for person in people}.values())


async def people_by_chat(session: AsyncSession, chat_ids: Iterable[int]) -> list[Person]:
    """The people behind these Telegram ids, for those who have talked to the bot."""
    ids = list(chat_ids)
    if not ids:
        return []
    found = await session.exec(select(Person).where(col(Person.tg_user_id).in_(ids)))
    return list(found.all())


# --- classes --------------------------------------------------------------------------------


def _details(details: ClassDetails) -> dict[str, Any]:
    """The class's columns that hold its basic data (the class form's answers)."""
    return {
        "programme": str(details.programme),
        "name": details.name,
        "start_date": details.start_date,
        "capacity": details.capacity,
        "venue_address": details.venue_address,
        "venue_lat": details.venue_lat,
        "venue_lon": details.venue_lon,
    }


async def create_class(
    session: AsyncSession,
    details: ClassDetails,
    *,
    institution_id: int,
    region_id: int,
    timezone: str,
    created_by: int,
) -> TrainingClass:
    """A new class being prepared (draft)."""
    made = TrainingClass(
        institution_id=institution_id,
        region_id=region_id,
        timezone=timezone,
        status=ClassStatus.DRAFT,
        created_by=created_by,
        **_details(details),
    )
    session.add(made)
    await session.flush()
    return made


async def set_details(session: AsyncSession, found: TrainingClass, details: ClassDetails) -> None:
    """New basic data for a class being prepared."""
    found.programme, found.name = str(details.programme), details.name
    found.start_date, found.capacity = details.start_date, details.capacity
    found.venue_address = details.venue_address
    found.venue_lat, found.venue_lon = details.venue_lat, details.venue_lon
    touch(found)
    await session.flush()


def confirm_equipment(found: TrainingClass, *, by: int, at: datetime) -> None:
    found.equipment_confirmed_at, found.equipment_confirmed_by = at, by
    touch(found)


async def get_class(
    session: AsyncSession, class_id: int, *, lock: bool = False
) -> TrainingClass | None:
    """The class; `lock` holds its row on PostgreSQL until the update ends, so two people
    taking the last place one after the other cannot both get it (SQLite's write lock
    already serialises every transaction)."""
    if not lock or session.bind.dialect.name != "postgresql":
        return await session.get(TrainingClass, class_id)
    query = select(TrainingClass).where(TrainingClass.id == class_id).with_for_update()
    return (await session.exec(query)).first()


async def classes_of_institution(
    session: AsyncSession, institution_id: int
) -> Sequence[TrainingClass]:
    query = (
        select(TrainingClass)
        .where(TrainingClass.institution_id == institution_id)
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
    )
    return (await session.exec(query)).all()


async def classes_in_regions(
    session: AsyncSession,
    region_ids: Iterable[int],
    statuses: Iterable[str],
    programme: str,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[Sequence[TrainingClass], int]:
    """A page of the regions' classes of `programme` in `statuses` (soonest first) and how many
    there are."""
    where = (
        col(TrainingClass.region_id).in_(list(region_ids)),
        col(TrainingClass.status).in_(list(statuses)),
        TrainingClass.programme == programme,
    )
    total = (
        await session.exec(select(func.count()).select_from(TrainingClass).where(*where))
    ).one()
    query = (
        select(TrainingClass)
        .where(*where)
        .order_by(col(TrainingClass.start_date), col(TrainingClass.id))
        .offset(offset)
        .limit(limit)
    )
    return (await session.exec(query)).all(), total


async def classes_taught_by(session: AsyncSession, person_id: int) -> Sequence[TrainingClass]:
    query = (
        select(TrainingClass)
        .join(ClassTeacher, col(ClassTeacher.class_id) == col(TrainingClass.id))
        .where(ClassTeacher.person_id == person_id)
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
    )
    return (await session.exec(query)).all()


async def move_class(
    session: AsyncSession,
    found: TrainingClass,
    allowed_from: Iterable[ClassStatus],
    to: ClassStatus,
    **values: Any,
) -> bool:
    """Change the class's status if it is in one of `allowed_from`; False when it was not."""
    result = await session.exec(
        update(TrainingClass)
        .where(
            col(TrainingClass.id) == found.id,
            col(TrainingClass.status).in_([str(status) for status in allowed_from]),
        )
        .values(status=to, updated_at=utcnow(), **values)
    )
    await session.refresh(found)
    return result.rowcount == 1


def touch(changed: TrainingClass) -> None:
    changed.updated_at = utcnow()


# --- teachers -------------------------------------------------------------------------------


async def teacher_ids(session: AsyncSession, class_id: int) -> list[int]:
    query = (
        select(ClassTeacher.person_id)
        .where(ClassTeacher.class_id == class_id)
        .order_by(col(ClassTeacher.assigned_at), col(ClassTeacher.person_id))
    )
    return list((await session.exec(query)).all())


async def assign_teacher(session: AsyncSession, class_id: int, person_id: int, *, by: int) -> bool:
    return await insert_ignore(
        session,
        ClassTeacher,
        class_id=class_id,
        person_id=person_id,
        assigned_by=by,
        assigned_at=utcnow(),
    )


async def unassign_teacher(session: AsyncSession, class_id: int, person_id: int) -> bool:
    result = await session.exec(
        delete(ClassTeacher).where(
            col(ClassTeacher.class_id) == class_id, col(ClassTeacher.person_id) == person_id
        )
    )
    return result.rowcount == 1


async def candidate_teachers(session: AsyncSession, found: TrainingClass) -> list[Person]:
    """Who may be offered to teach the class: lecturers of its region (trainee classes) or
    trainers (lecturer and trainer classes), and anyone who declared a certificate of the
    kind it needs there; assigned teachers first."""
    kind = REQUIREMENTS[Programme(found.programme)].teacher_kind
    if kind is CertificateKind.LECTURER:
        grants = (RoleGrant.role == Role.LECTURER) & (RoleGrant.region_id == found.region_id)
        declared = (Certificate.kind == kind) & (Certificate.region_id == found.region_id)
    else:
        grants = RoleGrant.role == Role.TRAINER
        declared = Certificate.kind == kind
    by_grant = select(RoleGrant.person_id).where(grants)
    by_certificate = select(Certificate.person_id).where(declared)
    assigned = select(ClassTeacher.person_id).where(ClassTeacher.class_id == found.id)
    query = select(Person).where(
        or_(
            col(Person.id).in_(by_grant),
            col(Person.id).in_(by_certificate),
            col(Person.id).in_(assigned),
        )
    )
    people = list((await session.exec(query.order_by(Person.id))).all())
    chosen = await teacher_ids(session, found.id)
    return sorted(people, key=lambda person: (person.id not in chosen, person.id))


# --- sessions -------------------------------------------------------------------------------


async def sessions_of(session: AsyncSession, class_id: int) -> list[ClassSession]:
    query = (
        select(ClassSession)
        .where(ClassSession.class_id == class_id)
        .order_by(col(ClassSession.starts_at), col(ClassSession.id))
    )
    return list((await session.exec(query)).all())


async def class_session(session: AsyncSession, session_id: int) -> ClassSession | None:
    return await session.get(ClassSession, session_id)


async def replace_sessions(
    session: AsyncSession, class_id: int, planned: Iterable[Session]
) -> list[ClassSession]:
    """The class's timetable becomes `planned` (a class being prepared has no attendance)."""
    await session.exec(delete(ClassSession).where(col(ClassSession.class_id) == class_id))
    made = [
        ClassSession(
            class_id=class_id,
            day=item.placement.day,
            slot=item.placement.slot,
            starts_at=item.placement.starts_at,
            ends_at=item.placement.ends_at,
            hours=item.hours,
            topic=item.topic,
        )
        for item in planned
    ]
    session.add_all(made)
    await session.flush()
    return made


async def add_session(session: AsyncSession, class_id: int, item: Session) -> ClassSession:
    made = ClassSession(
        class_id=class_id,
        day=item.placement.day,
        slot=item.placement.slot,
        starts_at=item.placement.starts_at,
        ends_at=item.placement.ends_at,
        hours=item.hours,
        topic=item.topic,
    )
    session.add(made)
    await session.flush()
    return made


def reschedule(item: ClassSession, placement: Placement) -> None:
    """The session moves to `placement` (its day, half day and times)."""
    item.day, item.slot = placement.day, placement.slot
    item.starts_at, item.ends_at = placement.starts_at, placement.ends_at


def move_times(item: ClassSession, starts_at: datetime, ends_at: datetime) -> None:
    item.starts_at, item.ends_at = starts_at, ends_at


def set_hours(item: ClassSession, hours: int) -> None:
    item.hours = hours


def set_topic(item: ClassSession, topic: str) -> None:
    item.topic = topic


async def remove_session(session: AsyncSession, removed: ClassSession) -> None:
    await session.delete(removed)
    await session.flush()
