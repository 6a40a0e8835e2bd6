"""Check-in, hand marks, rosters and class summaries in the store. Repositories never commit.

Who may see or mark a class is decided by bot/policy.py; these are queries only.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.attendance import local_day
from bot.domain.checkin import (
    ATTENDED,
    Mark,
    PersonSummary,
    SessionFacts,
    SessionSummary,
    distance_m,
    location_due,
    outside_radius,
    self_mark,
    summarise,
)
from bot.domain.classes import ClassStatus
from bot.domain.enrolment import PlaceStatus
from storage import repo
from storage.attendance import enrolled_ids, on_leave
from storage.classes import sessions_of
from storage.models import (
    AttendanceMark,
    AuditEntry,
    ClassSession,
    ClassTeacher,
    Enrollment,
    TrainingClass,
)
from storage.people import names

RUNNING = (ClassStatus.APPROVED,)
"""Check-in happens in open classes only; rosters and summaries stay readable once closed."""
VISIBLE = (ClassStatus.APPROVED, ClassStatus.CLOSED)
WRONG_CODE = "checkin.wrong_code"


def _visible_where(person_id: int, institution_ids: Iterable[int]) -> ColumnElement[bool]:
    taught = select(ClassTeacher.class_id).where(ClassTeacher.person_id == person_id)
    return col(TrainingClass.status).in_(VISIBLE) & (
        col(TrainingClass.id).in_(taught)
        | col(TrainingClass.institution_id).in_(list(institution_ids))
    )


async def visible_classes(
    session: AsyncSession,
    person_id: int,
    institution_ids: Iterable[int],
    offset: int = 0,
    limit: int | None = None,
) -> Sequence[TrainingClass]:
    """The classes they teach or of their institutions, latest first (`limit` from `offset`)."""
    query = (
        select(TrainingClass)
        .where(_visible_where(person_id, institution_ids))
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def visible_class_count(
    session: AsyncSession, person_id: int, institution_ids: Iterable[int]
) -> int:
    query = (
        select(func.count())
        .select_from(TrainingClass)
        .where(_visible_where(person_id, institution_ids))
    )
    return (await session.exec(query)).one()


async def todays_sessions_taught(
    session: AsyncSession, person_id: int, now: datetime
) -> list[tuple[ClassSession, TrainingClass]]:
    """Sessions on today's date (in each class's time zone) of the open classes they teach."""
    query = (
        select(ClassSession, TrainingClass)
        .join(TrainingClass, col(TrainingClass.id) == ClassSession.class_id)
        .join(ClassTeacher, col(ClassTeacher.class_id) == TrainingClass.id)
        .where(ClassTeacher.person_id == person_id)
        .where(col(TrainingClass.status).in_(RUNNING))
        .where(col(ClassSession.starts_at) > now - timedelta(days=1))
        .where(col(ClassSession.starts_at) < now + timedelta(days=1))
        .order_by(col(ClassSession.starts_at), col(ClassSession.id))
    )
    rows = (await session.exec(query)).all()
    return [
        (class_session, training_class)
        for class_session, training_class in rows
        if local_day(class_session.starts_at, training_class.timezone)
        == local_day(now, training_class.timezone)
    ]


async def open_checkin(
    session: AsyncSession, class_session: ClassSession, actor_id: int, now: datetime
) -> bool:
    """Give the session its check-in secret; False when it was opened already."""
    opened = await session.exec(
        update(ClassSession)
        .where(col(ClassSession.id) == class_session.id)
        .where(col(ClassSession.checkin_opened_at).is_(None))
        .values(
            checkin_secret=secrets.token_hex(32),
            checkin_opened_at=now,
            checkin_opened_by=actor_id,
        )
    )
    await session.refresh(class_session)
    if opened.rowcount != 1:
        return False
    await repo.audit(
        session,
        "attendance.checkin_opened",
        actor_id=actor_id,
        object_type="class_session",
        object_id=class_session.id,
    )
    return True


def is_open(class_session: ClassSession) -> bool:
    return class_session.checkin_secret is not None and class_session.checkin_closed_at is None


async def open_sessions_of(
    session: AsyncSession, person_id: int
) -> list[tuple[ClassSession, TrainingClass]]:
    """Sessions with check-in open right now in the classes the person is enrolled in."""
    query = (
        select(ClassSession, TrainingClass)
        .join(TrainingClass, col(TrainingClass.id) == ClassSession.class_id)
        .join(Enrollment, col(Enrollment.class_id) == TrainingClass.id)
        .where(Enrollment.person_id == person_id, Enrollment.status == PlaceStatus.ENROLLED)
        .where(col(TrainingClass.status).in_(RUNNING))
        .where(col(ClassSession.checkin_opened_at).is_not(None))
        .where(col(ClassSession.checkin_closed_at).is_(None))
        .order_by(col(ClassSession.starts_at), col(ClassSession.id))
    )
    return [(row[0], row[1]) for row in (await session.exec(query)).all()]


async def is_enrolled(session: AsyncSession, person_id: int) -> bool:
    query = select(Enrollment.id).where(
        Enrollment.person_id == person_id, Enrollment.status == PlaceStatus.ENROLLED
    )
    return (await session.exec(query.limit(1))).first() is not None


async def mark_of(session: AsyncSession, session_id: int, person_id: int) -> AttendanceMark | None:
    query = select(AttendanceMark).where(
        AttendanceMark.session_id == session_id, AttendanceMark.person_id == person_id
    )
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def wrong_codes(session: AsyncSession, session_id: int, person_id: int) -> int:
    query = select(func.count()).where(
        AuditEntry.action == WRONG_CODE,
        AuditEntry.subject_id == person_id,
        AuditEntry.object_id == session_id,
    )
    return (await session.exec(query)).one()


async def record_wrong_code(session: AsyncSession, session_id: int, person_id: int) -> int:
    """Log a wrong code; returns how many this person has sent for this session."""
    await repo.audit(
        session,
        WRONG_CODE,
        actor_id=person_id,
        subject_id=person_id,
        object_type="class_session",
        object_id=session_id,
    )
    await session.flush()
    return await wrong_codes(session, session_id, person_id)


@dataclass(frozen=True)
class CheckIn:
    mark: AttendanceMark
    new: bool


async def self_check_in(
    session: AsyncSession,
    class_session: ClassSession,
    training_class: TrainingClass,
    person_id: int,
    now: datetime,
) -> CheckIn:
    """Mark the person present or late; an existing mark (an earlier check-in, or a
    teacher's) is kept as it is and returned with `new` False."""
    status = self_mark(class_session.starts_at, now, training_class.late_after_min)
    inserted = await repo.insert_ignore(
        session,
        AttendanceMark,
        session_id=class_session.id,
        person_id=person_id,
        status=status,
        checked_in_at=now,
        outside_radius=False,
        updated_at=now,
    )
    mark = await mark_of(session, class_session.id, person_id)
    if inserted:
        await repo.audit(
            session,
            "attendance.checked_in",
            actor_id=person_id,
            subject_id=person_id,
            object_type="class_session",
            object_id=class_session.id,
            status=status,
        )
    return CheckIn(mark, inserted)


async def awaiting_location(
    session: AsyncSession, person_id: int, now: datetime
) -> tuple[AttendanceMark, TrainingClass] | None:
    """The person's own check-in of the last few minutes that has no location yet."""
    query = (
        select(AttendanceMark, TrainingClass)
        .join(ClassSession, col(ClassSession.id) == AttendanceMark.session_id)
        .join(TrainingClass, col(TrainingClass.id) == ClassSession.class_id)
        .where(AttendanceMark.person_id == person_id)
        .where(col(AttendanceMark.marked_by).is_(None))
        .where(col(AttendanceMark.checked_in_at).is_not(None))
        .where(col(AttendanceMark.lat).is_(None))
        .where(col(TrainingClass.venue_lat).is_not(None))
        .order_by(col(AttendanceMark.checked_in_at).desc())
    )
    for mark, training_class in (await session.exec(query.limit(1))).all():
        if location_due(mark.checked_in_at, now):
            return mark, training_class
    return None


async def record_location(
    session: AsyncSession,
    mark: AttendanceMark,
    training_class: TrainingClass,
    lat: float,
    lon: float,
    now: datetime,
) -> AttendanceMark:
    """Keep the check-in wherever it was made; flag it when outside the venue's radius."""
    distance = distance_m(lat, lon, training_class.venue_lat, training_class.venue_lon)
    mark.lat, mark.lon, mark.distance_m = lat, lon, round(distance, 1)
    mark.outside_radius = outside_radius(distance, training_class.checkin_radius_m)
    mark.updated_at = now
    session.add(mark)
    await repo.audit(
        session,
        "attendance.location",
        actor_id=mark.person_id,
        subject_id=mark.person_id,
        object_type="class_session",
        object_id=mark.session_id,
        distance_m=mark.distance_m,
        outside_radius=mark.outside_radius,
    )
    return mark


def _snapshot(mark: AttendanceMark | None) -> dict[str, object] | None:
    if mark is None:
        return None
    return {"status": mark.status, "outside_radius": mark.outside_radius}


async def hand_mark(
    session: AsyncSession,
    class_session: ClassSession,
    person_id: int,
    status: Mark,
    actor_id: int,
    now: datetime,
) -> bool:
    """A teacher's mark for an enrolled person, audited with before and after; False when
    nothing changed (the same mark again, e.g. a double tap). A teacher's mark settles a
    location flag: it is cleared."""
    before = await mark_of(session, class_session.id, person_id)
    snapshot = _snapshot(before)
    if before is None and not await repo.insert_ignore(
        session,
        AttendanceMark,
        session_id=class_session.id,
        person_id=person_id,
        status=status,
        outside_radius=False,
        marked_by=actor_id,
        updated_at=now,
    ):
        before = await mark_of(session, class_session.id, person_id)  # marked meanwhile
        snapshot = _snapshot(before)
    if before is not None:
        if before.status == status and not before.outside_radius:
            return False
        before.status, before.outside_radius = status, False
        before.marked_by, before.updated_at = actor_id, now
        session.add(before)
    await repo.audit(
        session,
        "attendance.marked",
        actor_id=actor_id,
        subject_id=person_id,
        object_type="class_session",
        object_id=class_session.id,
        before=snapshot,
        after={"status": str(status), "outside_radius": False},
    )
    return True


async def markable(session: AsyncSession, class_session: ClassSession, person_id: int) -> bool:
    return person_id in await enrolled_ids(session, class_session.class_id)


@dataclass(frozen=True)
class RosterLine:
    person_id: int
    name: str
    status: str | None
    on_leave: bool
    time: str | None
    outside: bool
    distance_m: float | None


async def roster(
    session: AsyncSession, training_class: TrainingClass, class_session: ClassSession
) -> list[RosterLine]:
    """Every enrolled person with their mark for the session, by name."""
    person_ids = await enrolled_ids(session, training_class.id)
    named = await names(session, person_ids)
    query = select(AttendanceMark).where(AttendanceMark.session_id == class_session.id)
    marks = {mark.person_id: mark for mark in await session.exec(query)}
    leave = await on_leave(session, training_class.id, class_session.id)
    zone = ZoneInfo(training_class.timezone)
    lines = []
    for person_id in person_ids:
        mark = marks.get(person_id)
        checked = mark.checked_in_at if mark and mark.status in ATTENDED else None
        lines.append(
            RosterLine(
                person_id=person_id,
                name=named[person_id],
                status=mark.status if mark else None,
                on_leave=person_id in leave,
                time=checked and f"{checked.astimezone(zone):%H:%M}",
                outside=bool(mark and mark.outside_radius),
                distance_m=mark.distance_m if mark else None,
            )
        )
    return sorted(lines, key=lambda line: (line.name, line.person_id))


async def sessions_on(
    session: AsyncSession, training_class: TrainingClass, day: date
) -> list[ClassSession]:
    return [
        class_session
        for class_session in await sessions_of(session, training_class.id)
        if local_day(class_session.starts_at, training_class.timezone) == day
    ]


async def checked_in_count(session: AsyncSession, session_id: int) -> int:
    query = select(func.count()).where(
        AttendanceMark.session_id == session_id,
        col(AttendanceMark.status).in_([str(mark) for mark in ATTENDED]),
    )
    return (await session.exec(query)).one()


@dataclass(frozen=True)
class ClassSummary:
    sessions: list[tuple[ClassSession, SessionSummary]]
    people: list[tuple[str, PersonSummary]]


async def class_summary(
    session: AsyncSession, training_class: TrainingClass, now: datetime
) -> ClassSummary:
    timetable = await sessions_of(session, training_class.id)
    person_ids = await enrolled_ids(session, training_class.id)
    query = select(AttendanceMark).where(
        col(AttendanceMark.session_id).in_([s.id for s in timetable])
    )
    marks = {(mark.session_id, mark.person_id): mark.status for mark in await session.exec(query)}
    facts = [
        SessionFacts(s.id, s.starts_at, s.ends_at, s.checkin_opened_at is not None)
        for s in timetable
    ]
    per_session, per_person = summarise(facts, person_ids, marks, now)
    named = await names(session, person_ids)
    return ClassSummary(
        sessions=list(zip(timetable, per_session, strict=True)),
        people=sorted(
            ((named[row.person_id], row) for row in per_person),
            key=lambda pair: (pair[0], pair[1].person_id),
        ),
    )
