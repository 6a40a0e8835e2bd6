"""Feedback requests: who was asked for which form of which class day, and their one answer.

A request row is the claim of a push (unique per class, kind, day and person), so a scan run
twice, late, or in two processes asks each person once. An answer is recorded with a
conditional UPDATE: the first submission in time wins; a second one or a late one changes
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from types import ModuleType

from sqlalchemy import Row, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import Executable
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.checkin import ATTENDED
from bot.domain.enrolment import PlaceStatus
from bot.domain.feedback import Kind
from storage.models import (
    AttendanceMark,
    ClassSession,
    Enrollment,
    FeedbackRequest,
    FormSubmission,
    OutboxMessage,
)
from storage.outbox import key_of, not_queued
from storage.repo import insert_ignore


async def ask(
    session: AsyncSession,
    *,
    class_id: int,
    kind: str,
    day: int,
    person_id: int,
    form_id: str,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
) -> FeedbackRequest | None:
    """The new request, made at `now` (when its push is queued); None when this person was
    asked for this form already."""
    inserted = await insert_ignore(
        session,
        FeedbackRequest,
        class_id=class_id,
        kind=kind,
        day=day,
        person_id=person_id,
        form_id=form_id,
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now,
    )
    if not inserted:
        return None
    query = select(FeedbackRequest).where(
        FeedbackRequest.class_id == class_id,
        FeedbackRequest.kind == kind,
        FeedbackRequest.day == day,
        FeedbackRequest.person_id == person_id,
    )
    return (await session.exec(query)).one()


async def ask_many(
    session: AsyncSession,
    *,
    class_id: int,
    kind: str,
    day: int,
    person_ids: Sequence[int],
    form_id: str,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
) -> dict[int, Row]:
    """`ask` for many people at once: one INSERT ... RETURNING of the new rows (sent as
    multi-row inserts, compiled once); someone asked for this form already is left out. The
    new requests by person, as rows with every column (building thousands of ORM objects
    cost more than the insert)."""
    if not person_ids:
        return {}
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    fixed = dict(
        class_id=class_id,
        kind=kind,
        day=day,
        form_id=form_id,
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now,
    )
    result = await session.exec(
        _ask(dialect),
        params=[{**fixed, "person_id": person_id} for person_id in person_ids],
        execution_options={"insertmanyvalues_page_size": CHUNK},
    )
    return {row.person_id: row for row in result.all()}


@cache
def _ask(dialect: ModuleType) -> Executable:
    table = FeedbackRequest.__table__
    return dialect.insert(table).on_conflict_do_nothing().returning(*table.c)


async def request(session: AsyncSession, request_id: int) -> FeedbackRequest | None:
    return await session.get(FeedbackRequest, request_id)


async def requests_of(
    session: AsyncSession, class_id: int, kind: str, day: int
) -> Sequence[FeedbackRequest]:
    query = (
        select(FeedbackRequest)
        .where(
            FeedbackRequest.class_id == class_id,
            FeedbackRequest.kind == kind,
            FeedbackRequest.day == day,
        )
        .order_by(FeedbackRequest.person_id)
    )
    return (await session.exec(query)).all()


async def record_answer(
    session: AsyncSession, found: FeedbackRequest, submission_id: int, now: datetime
) -> bool:
    """Count the submission as the answer; False when already answered or closed at `now`."""
    result = await session.exec(
        update(FeedbackRequest)
        .where(
            col(FeedbackRequest.id) == found.id,
            col(FeedbackRequest.submission_id).is_(None),
            col(FeedbackRequest.closes_at) > now,
        )
        .values(submission_id=submission_id, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def answered_by(
    session: AsyncSession, person_id: int
) -> list[tuple[FeedbackRequest, FormSubmission]]:
    """The person's counted answers, latest first."""
    query = (
        select(FeedbackRequest, FormSubmission)
        .join(FormSubmission, col(FormSubmission.id) == FeedbackRequest.submission_id)
        .where(FeedbackRequest.person_id == person_id)
        .order_by(col(FeedbackRequest.answered_at).desc(), col(FeedbackRequest.id).desc())
    )
    return [(found, submitted) for found, submitted in (await session.exec(query)).all()]


async def marks_by_person(
    session: AsyncSession, session_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Each person's marks in these sessions (one class day)."""
    query = select(AttendanceMark.person_id, AttendanceMark.status).where(
        col(AttendanceMark.session_id).in_(list(session_ids))
    )
    found: dict[int, list[str]] = defaultdict(list)
    for person_id, status in await session.exec(query):
        found[person_id].append(status)
    return found


async def queued_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    """Which of these outbox keys were queued already, so a scan need not try them again."""
    wanted = list(keys)
    if not wanted:
        return set()
    query = select(OutboxMessage.key).where(col(OutboxMessage.key).in_(wanted))
    return set((await session.exec(query)).all())


CHUNK = 500
"""Ids per IN list: well under both databases' limits on bound parameters."""


async def timetables(session: AsyncSession, class_ids: Sequence[int]) -> dict[int, list[Row]]:
    """The sessions of each of these classes in order of their start, in one query per `CHUNK`
    classes: rows of what the scans compute windows and pushes from (id, day, times, topic),
    not ORM objects (a province's scan reads tens of thousands)."""
    found: dict[int, list[Row]] = defaultdict(list)
    for start in range(0, len(class_ids), CHUNK):
        query = (
            select(
                ClassSession.id,
                ClassSession.class_id,
                ClassSession.day,
                ClassSession.starts_at,
                ClassSession.ends_at,
                ClassSession.topic,
            )
            .where(col(ClassSession.class_id).in_(class_ids[start : start + CHUNK]))
            .order_by(col(ClassSession.starts_at), col(ClassSession.id))
        )
        for item in await session.exec(query):
            found[item.class_id].append(item)
    return found


async def days_to_ask(
    session: AsyncSession, kind: str, session_ids: Sequence[int]
) -> set[tuple[int, int]]:
    """(class id, day) of these sessions where an enrolled person who attended one of them has
    no request of `kind` for that day yet: the only days whose push of `kind` has work. (The
    ids bound both the sessions and the marks, so PostgreSQL reads each through its index.)"""
    found: set[tuple[int, int]] = set()
    for start in range(0, len(session_ids), CHUNK):
        chunk = session_ids[start : start + CHUNK]
        asked = (
            select(FeedbackRequest.id)
            .where(
                FeedbackRequest.class_id == ClassSession.class_id,
                FeedbackRequest.kind == kind,
                FeedbackRequest.day == ClassSession.day,
                FeedbackRequest.person_id == AttendanceMark.person_id,
            )
            .offset(0)
        )
        query = (
            select(ClassSession.class_id, ClassSession.day)
            .join(AttendanceMark, col(AttendanceMark.session_id) == ClassSession.id)
            .join(
                Enrollment,
                (col(Enrollment.class_id) == ClassSession.class_id)
                & (col(Enrollment.person_id) == AttendanceMark.person_id),
            )
            .where(
                col(ClassSession.id).in_(chunk),
                col(AttendanceMark.session_id).in_(chunk),
                col(AttendanceMark.status).in_(sorted(ATTENDED)),
                Enrollment.status == PlaceStatus.ENROLLED,
                ~asked.exists(),
            )
            .distinct()
        )
        found.update((class_id, day) for class_id, day in (await session.exec(query)).all())
    return found


async def rounds_to_remind(
    session: AsyncSession, opened_after: datetime, asked_by: datetime
) -> set[tuple[int, str, int]]:
    """(class id, kind, day) of the rounds opened after `opened_after` with a request made by
    `asked_by`, still unanswered, whose reminder (`fbr:...`) is not queued yet."""
    query = (
        select(FeedbackRequest.class_id, FeedbackRequest.kind, FeedbackRequest.day)
        .where(
            col(FeedbackRequest.kind).in_(sorted(Kind)),
            FeedbackRequest.opens_at > opened_after,
            FeedbackRequest.created_at <= asked_by,
            col(FeedbackRequest.answered_at).is_(None),
            not_queued(
                key_of(
                    "fbr",
                    FeedbackRequest.class_id,
                    FeedbackRequest.kind,
                    FeedbackRequest.day,
                    FeedbackRequest.person_id,
                )
            ),
        )
        .distinct()
    )
    return {(c, k, d) for c, k, d in (await session.exec(query)).all()}
