"""Attendance in the store: records, closing check-ins, leave.

Queries and writes only: who is told what is decided in `bot/services/attendance.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import String, func, update
from sqlalchemy.sql.base import Executable
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.attendance import (
    AttendanceRecord,
    LeaveStatus,
    local_day,
)
from bot.domain.checkin import Mark
from bot.domain.classes import ClassStatus
from bot.domain.enrolment import PlaceStatus
from storage import repo
from storage.classes import sessions_of
from storage.models import (
    AttendanceMark,
    ClassSession,
    ClassTeacher,
    Enrollment,
    LeaveRequest,
    OutboxMessage,
    Person,
    TrainingClass,
)
from storage.outbox import in_locale, insert_from, key_of, not_queued, text_payload
from storage.repo import param_table, table_params
from storage.types import utcnow

APPROVED = LeaveStatus.APPROVED
PENDING = LeaveStatus.PENDING
REFUSED = LeaveStatus.REFUSED


async def enrolled_ids(session: AsyncSession, class_id: int) -> list[int]:
    query = (
        select(Enrollment.person_id)
        .where(Enrollment.class_id == class_id, Enrollment.status == PlaceStatus.ENROLLED)
        .order_by(Enrollment.person_id)
    )
    return list((await session.exec(query)).all())


async def teacher_ids(session: AsyncSession, class_id: int) -> list[int]:
    query = (
        select(ClassTeacher.person_id)
        .where(ClassTeacher.class_id == class_id)
        .order_by(ClassTeacher.person_id)
    )
    return list((await session.exec(query)).all())


async def days_unsummarised(
    session: AsyncSession, class_ids: Sequence[int], ended_after: datetime, ended_by: datetime
) -> set[tuple[int, int]]:
    """(class id, day) of these classes' days with a session ending in (`ended_after`, `ended_by`]
    for which some teacher's day summary (`daysum:{class}:{day}:{teacher}`) is not queued yet:
    the only days the summary scan need compute."""
    query = (
        select(ClassSession.class_id, ClassSession.day)
        .join(ClassTeacher, col(ClassTeacher.class_id) == ClassSession.class_id)
        .where(
            col(ClassSession.class_id).in_(class_ids),
            ClassSession.ends_at > ended_after,
            ClassSession.ends_at <= ended_by,
            not_queued(
                key_of("daysum", ClassSession.class_id, ClassSession.day, ClassTeacher.person_id)
            ),
        )
        .distinct()
    )
    return {(class_id, day) for class_id, day in (await session.exec(query)).all()}


async def day_ends(session: AsyncSession, class_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """When each class day of these classes ends (its last session's end), by class."""
    query = (
        select(ClassSession.class_id, func.max(ClassSession.ends_at))
        .where(col(ClassSession.class_id).in_(class_ids))
        .group_by(ClassSession.class_id, ClassSession.day)
    )
    found: dict[int, list[datetime]] = defaultdict(list)
    for class_id, ends_at in await session.exec(query):
        found[class_id].append(ends_at)
    return found


def _to_remind(dialect: str) -> tuple[Any, ...]:
    """Who of a session's class is still to remind of it (conditions on `class_session` and
    `enrollment`): enrolled, not marked, not on approved leave for it, and their reminder
    (`remind:{session}:{person}`) not queued."""
    cs, enrollment = _SESSION, _ENROLLMENT
    mark, leave = AttendanceMark.__table__, LeaveRequest.__table__
    if dialect == "postgresql":
        for_session: Any = leave.c.session_ids.op("@>")(func.to_jsonb(cs.c.id))
    else:
        listed = func.json_each(leave.c.session_ids).table_valued("value")
        for_session = select(listed.c.value).where(listed.c.value == cs.c.id).correlate(cs).exists()
    return (
        enrollment.c.class_id == cs.c.class_id,
        enrollment.c.status == PlaceStatus.ENROLLED,
        ~select(mark.c.status)
        .where(mark.c.session_id == cs.c.id, mark.c.person_id == enrollment.c.person_id)
        .exists(),
        ~select(leave.c.id)
        .where(
            leave.c.class_id == cs.c.class_id,
            leave.c.person_id == enrollment.c.person_id,
            leave.c.status == APPROVED,
            for_session,
        )
        .exists(),
        not_queued(key_of("remind", cs.c.id, enrollment.c.person_id)),
    )


_SESSION, _ENROLLMENT = ClassSession.__table__, Enrollment.__table__


async def to_remind(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, int]:
    """How many learners of each of these sessions are still to remind (sessions with none
    left out): one query for the whole pass, so a pass with every reminder queued renders
    nothing."""
    if not session_ids:
        return {}
    cs, enrollment = _SESSION, _ENROLLMENT
    query = (
        select(cs.c.id, func.count())
        .select_from(cs.join(enrollment, enrollment.c.class_id == cs.c.class_id))
        .where(cs.c.id.in_(session_ids), *_to_remind(session.bind.dialect.name))
        .group_by(cs.c.id)
    )
    return {session_id: count for session_id, count in (await session.exec(query)).all()}


REMINDED = ("session_id", "expires_at")
"""A reminded session's parameters besides its texts: which session, and when its reminders
expire (when it starts: a reminder not sent by then is dropped)."""


async def remind(
    session: AsyncSession, due: Sequence[dict[str, Any]], locales: tuple[str, ...]
) -> int:
    """Queue the reminders of these sessions for everyone still to remind of them, in one
    INSERT ... SELECT; returns how many were queued (a key queued before, by another process
    too, is skipped). An item: `REMINDED` and its text in each of `locales` (`t{i}`), the
    first for a reader of any other language."""
    if not due:
        return 0
    dialect = session.bind.dialect.name
    rows = [{name: item[name] for name in (*REMINDED, *_texts(locales))} for item in due]
    made = await session.exec(  # type: ignore[call-overload]
        _remind(dialect, len(due), locales), params={**table_params(rows), "created_at": utcnow()}
    )
    return len(made.all())


def _texts(locales: tuple[str, ...]) -> list[str]:
    return [f"t{i}" for i in range(len(locales))]


@lru_cache(maxsize=64)
def _remind(dialect: str, count: int, locales: tuple[str, ...]) -> Executable:
    cs, enrollment, person = _SESSION, _ENROLLMENT, Person.__table__
    columns = [("session_id", cs.c.id.type), ("expires_at", cs.c.starts_at.type)]
    due = param_table("due", columns + [(t, String()) for t in _texts(locales)], count)
    texts = [due.c[t] for t in _texts(locales)]
    rows = (
        select(
            key_of("remind", cs.c.id, enrollment.c.person_id).label("key"),
            person.c.tg_user_id.label("chat_id"),
            person.c.id.label("person_id"),
            text_payload(dialect, in_locale(person.c.locale, locales, texts)).label("payload"),
            due.c.expires_at.label("expires_at"),
        )
        .select_from(
            due.join(cs, cs.c.id == due.c.session_id)
            .join(enrollment, enrollment.c.class_id == cs.c.class_id)
            .join(person, person.c.id == enrollment.c.person_id)
        )
        .where(*_to_remind(dialect))
    )
    return insert_from(dialect, rows).returning(OutboxMessage.__table__.c.id)


async def leaves_of(
    session: AsyncSession, class_id: int, person_id: int | None = None, *statuses: LeaveStatus
) -> Sequence[LeaveRequest]:
    query = select(LeaveRequest).where(LeaveRequest.class_id == class_id)
    if person_id is not None:
        query = query.where(LeaveRequest.person_id == person_id)
    if statuses:
        query = query.where(col(LeaveRequest.status).in_(statuses))
    return (await session.exec(query.order_by(LeaveRequest.id))).all()


async def on_leave(session: AsyncSession, class_id: int, session_id: int) -> set[int]:
    """Who has approved leave for this session."""
    return {
        leave.person_id
        for leave in await leaves_of(session, class_id, None, APPROVED)
        if session_id in leave.session_ids
    }


async def marks_of(session: AsyncSession, session_id: int) -> dict[int, str]:
    query = select(AttendanceMark).where(AttendanceMark.session_id == session_id)
    return {mark.person_id: mark.status for mark in await session.exec(query)}


async def attendance_record(
    session: AsyncSession, class_id: int, person_id: int
) -> AttendanceRecord:
    """Marks of every session of the class and the approved leave requests (their sessions of
    this class), counted by `AttendanceRecord.of`."""
    session_ids = {s.id for s in await sessions_of(session, class_id)}
    query = select(AttendanceMark).where(
        AttendanceMark.person_id == person_id, col(AttendanceMark.session_id).in_(session_ids)
    )
    marks = {mark.session_id: mark.status for mark in await session.exec(query)}
    leaves = [
        {session_id for session_id in leave.session_ids if session_id in session_ids}
        for leave in await leaves_of(session, class_id, person_id, APPROVED)
    ]
    return AttendanceRecord.of(len(session_ids), marks, leaves)


async def set_mark(
    session: AsyncSession,
    session_id: int,
    person_id: int,
    status: Mark,
    now: datetime,
    *,
    marked_by: int | None,
) -> bool:
    """Record a mark where there is none yet; False when the person was already marked."""
    return await repo.insert_ignore(
        session,
        AttendanceMark,
        session_id=session_id,
        person_id=person_id,
        status=status,
        outside_radius=False,
        marked_by=marked_by,
        updated_at=now,
    )


class Closed(NamedTuple):
    """Who a closed check-in marked: absent (unmarked) and excused (on approved leave)."""

    absent: list[int]
    excused: list[int]


async def close_checkin(
    session: AsyncSession,
    class_session: ClassSession,
    now: datetime,
    *,
    actor_id: int | None = None,
) -> Closed | None:
    """Close the session's check-in: every enrolled learner still unmarked is absent, or
    excused when on approved leave. None when it was closed already (by a teacher, an earlier
    job run or another process), in which case `class_session` is left as it was loaded."""
    closed = await session.exec(
        update(ClassSession)
        .where(col(ClassSession.id) == class_session.id)
        .where(col(ClassSession.checkin_closed_at).is_(None))
        .values(checkin_closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        return None
    class_session.checkin_closed_at = now
    leave = await on_leave(session, class_session.class_id, class_session.id)
    absent, excused = [], []
    for person_id in await enrolled_ids(session, class_session.class_id):
        status = Mark.EXCUSED if person_id in leave else Mark.ABSENT
        if await set_mark(session, class_session.id, person_id, status, now, marked_by=None):
            (excused if status is Mark.EXCUSED else absent).append(person_id)
    await repo.audit(
        session,
        "attendance.checkin_closed",
        actor_id=actor_id,
        object_type="class_session",
        object_id=class_session.id,
        absent=absent,
        excused=excused,
    )
    return Closed(absent, excused)


async def learner_classes(session: AsyncSession, person_id: int) -> Sequence[TrainingClass]:
    """Open classes the person is enrolled in as a learner."""
    query = (
        select(TrainingClass)
        .join(Enrollment, col(Enrollment.class_id) == TrainingClass.id)
        .where(
            Enrollment.person_id == person_id,
            Enrollment.status == PlaceStatus.ENROLLED,
            TrainingClass.status == ClassStatus.APPROVED,
        )
        .order_by(TrainingClass.start_date, TrainingClass.id)
    )
    return (await session.exec(query)).all()


async def leave_choices(
    session: AsyncSession, training_class: TrainingClass, person_id: int, now: datetime
) -> list[ClassSession]:
    """Sessions leave can still be asked for: today's (in the class's time zone) and later
    ones, not attended, not excused, not in another pending or approved request."""
    today = local_day(now, training_class.timezone)
    asked = {
        session_id
        for leave in await leaves_of(session, training_class.id, person_id, PENDING, APPROVED)
        for session_id in leave.session_ids
    }
    query = select(AttendanceMark).where(AttendanceMark.person_id == person_id)
    marked = {m.session_id for m in await session.exec(query) if m.status != Mark.ABSENT}
    return [
        s
        for s in await sessions_of(session, training_class.id)
        if local_day(s.starts_at, training_class.timezone) >= today
        and s.id not in asked
        and s.id not in marked
    ]


async def add_leave(session: AsyncSession, **values: object) -> LeaveRequest:
    """Record a leave request, with its id."""
    leave = LeaveRequest(**values)
    session.add(leave)
    await session.flush()
    return leave


async def decide_leave(
    session: AsyncSession, leave: LeaveRequest, status: LeaveStatus, teacher_id: int, now: datetime
) -> bool:
    """Record the decision unless someone decided first; False then (first decision wins,
    also between two processes)."""
    decided = await session.exec(
        update(LeaveRequest)
        .where(col(LeaveRequest.id) == leave.id, col(LeaveRequest.status) == PENDING)
        .values(status=status, decided_by=teacher_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(leave)
    return decided.rowcount == 1


async def excuse_closed_sessions(
    session: AsyncSession, leave: LeaveRequest, teacher_id: int, now: datetime
) -> list[int]:
    """Approved leave: sessions whose check-in already closed become excused for the learner
    (unless they attended); the others are excused when their check-in closes."""
    changed = []
    for session_id in leave.session_ids:
        class_session = await session.get(ClassSession, session_id)
        if class_session is None or class_session.checkin_closed_at is None:
            continue
        mark = await session.get(AttendanceMark, (session_id, leave.person_id))
        if mark is None:
            await set_mark(
                session, session_id, leave.person_id, Mark.EXCUSED, now, marked_by=teacher_id
            )
        elif mark.status == Mark.ABSENT:
            mark.status, mark.marked_by, mark.updated_at = Mark.EXCUSED, teacher_id, now
        else:
            continue
        changed.append(session_id)
    return changed
