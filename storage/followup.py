"""Tracking surveys (T13) in the store: schedules, classes in follow-up, one survey row per
trainee and wave, and who stopped follow-ups.

Queries and writes only: which wave is due is decided by bot/domain/followup.py from the
class's end and the schedule in force, at each scan. The scan's queries are set-based: the
classes still in follow-up are one indexed read, the trainees owed a wave one query per
`CHUNK` of due classes (anti-joined to the surveys already made for that wave), the rows one
multi-row insert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    or_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import ClassStatus, Programme
from bot.domain.enrolment import PlaceStatus
from storage.models import (
    ClassSession,
    Enrollment,
    FollowupClass,
    FollowupSchedule,
    FollowupStop,
    FollowupSurvey,
    FormSubmission,
    OutboxMessage,
    Person,
    TrainingClass,
)
from storage.outbox import BLOCKED, FAILED, key_of
from storage.types import UtcDateTime

CHUNK = 500
"""Ids per IN list: well under both databases' limits on bound parameters."""
PUSH = "fu"
"""Outbox key prefix of a survey's push: `fu:{survey id}`; reminders `fur:{id}:{n}`."""


def _dialect(session: AsyncSession) -> Any:
    return postgresql if session.bind.dialect.name == "postgresql" else sqlite


# --- who stopped follow-ups ------------------------------------------------------------------


async def followup_stopped(session: AsyncSession, person_ids: Iterable[int]) -> set[int]:
    """Which of these people stopped follow-ups (/stop): no follow-up push may reach them.
    Any feature pushing to trainees after their class asks this."""
    ids = sorted(set(person_ids))
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        query = select(FollowupStop.person_id).where(
            col(FollowupStop.person_id).in_(ids[start : start + CHUNK])
        )
        found.update((await session.exec(query)).all())
    return found


async def stop(session: AsyncSession, person_id: int, now: datetime) -> bool:
    """Record the stop; False when already stopped."""
    insert = _dialect(session).insert(FollowupStop).values(person_id=person_id, stopped_at=now)
    return (await session.exec(insert.on_conflict_do_nothing())).rowcount == 1


async def resume(session: AsyncSession, person_id: int) -> bool:
    """Undo a stop; False when there was none."""
    result = await session.exec(delete(FollowupStop).where(FollowupStop.person_id == person_id))
    return result.rowcount == 1


# --- schedules -------------------------------------------------------------------------------


async def schedules(
    session: AsyncSession, institution_ids: Iterable[int]
) -> dict[tuple[int, int | None], list[int]]:
    """The schedules set for these institutions: (institution, None) for all its classes,
    (institution, class) for a class's own."""
    ids = sorted(set(institution_ids))
    found: dict[tuple[int, int | None], list[int]] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(FollowupSchedule).where(
            col(FollowupSchedule.institution_id).in_(ids[start : start + CHUNK])
        )
        for row in await session.exec(query):
            found[(row.institution_id, row.class_id)] = list(row.months)
    return found


async def set_schedule(
    session: AsyncSession,
    institution_id: int,
    class_id: int | None,
    months: Sequence[int],
    by: int,
    now: datetime,
) -> None:
    """Write the schedule of a class (or, with None, of all the institution's classes)."""
    query = select(FollowupSchedule).where(
        FollowupSchedule.institution_id == institution_id,
        FollowupSchedule.class_id == class_id
        if class_id is not None
        else col(FollowupSchedule.class_id).is_(None),
    )
    row = (await session.exec(query)).first()
    if row is None:
        row = FollowupSchedule(institution_id=institution_id, class_id=class_id)
    row.months, row.updated_by, row.updated_at = list(months), by, now
    session.add(row)
    await session.flush()


async def reopen(
    session: AsyncSession, institution_id: int, class_id: int | None, waves: int
) -> None:
    """After a schedule change: the classes it governs are done once `waves` have been sent
    (a longer schedule reopens a finished class), and the scan works their next wave's day out
    again. An institution's change leaves the classes with their own schedule alone."""
    condition: Any
    if class_id is not None:
        condition = FollowupClass.class_id == class_id
    else:
        own = select(FollowupSchedule.class_id).where(
            FollowupSchedule.institution_id == institution_id,
            col(FollowupSchedule.class_id).is_not(None),
        )
        condition = and_(
            FollowupClass.institution_id == institution_id,
            col(FollowupClass.class_id).not_in(own),
        )
    await session.exec(
        update(FollowupClass)
        .where(condition)
        .values(done=FollowupClass.waves_sent >= waves, next_wave_at=FollowupClass.ended_at)
        .execution_options(synchronize_session=False)
    )


async def ended_classes(
    session: AsyncSession, institution_id: int, offset: int, limit: int
) -> tuple[int, list[FollowupClass]]:
    """The institution's classes in follow-up (latest ended first), counted, one page."""
    base = select(FollowupClass).where(FollowupClass.institution_id == institution_id)
    total = (await session.exec(select(func.count()).select_from(base.subquery()))).one()
    rows = await session.exec(
        base.order_by(col(FollowupClass.ended_at).desc(), col(FollowupClass.class_id).desc())
        .offset(offset)
        .limit(limit)
    )
    return total, list(rows.all())


# --- the scan --------------------------------------------------------------------------------


async def register_ended(session: AsyncSession, now: datetime, class_ids: Sequence[int]) -> int:
    """Put each of these classes that is an approved trainee class whose last session has
    ended into follow-up (once), to be looked at by the scan at once (`next_wave_at`: its end).
    The scan passes the classes woken for it (`storage.wake`): changed, or come to their end."""
    klass = TrainingClass.__table__.c
    last = (
        select(func.max(ClassSession.ends_at))
        .where(ClassSession.class_id == klass.id)
        .scalar_subquery()
    )
    candidates = (
        select(klass.id, klass.institution_id, last.label("ended"), klass.timezone)
        .where(
            klass.id.in_(class_ids),
            klass.programme == Programme.TRAINEE,
            klass.status.in_((ClassStatus.APPROVED, ClassStatus.CLOSED)),
            ~exists(select(FollowupClass.class_id).where(FollowupClass.class_id == klass.id)),
        )
        .subquery("candidate")
    )
    source = select(
        candidates.c.id,
        candidates.c.institution_id,
        candidates.c.ended,
        candidates.c.timezone,
        literal_column("0"),
        literal_column("false"),
        candidates.c.ended,
    ).where(candidates.c.ended <= now)
    table = FollowupClass.__table__
    insert = (
        _dialect(session)
        .insert(table)
        .from_select(
            [
                "class_id",
                "institution_id",
                "ended_at",
                "timezone",
                "waves_sent",
                "done",
                "next_wave_at",
            ],
            source,
        )
        .on_conflict_do_nothing()
    )
    return (await session.exec(insert)).rowcount or 0


class Active(NamedTuple):
    """A class still in follow-up, as the scan reads it (plain columns, no ORM objects)."""

    class_id: int
    institution_id: int
    ended_at: datetime
    timezone: str
    waves_sent: int


@cache
def _active_classes() -> Any:
    """Built once (the scan runs it every interval): parameter `now`."""
    return select(
        FollowupClass.class_id,
        FollowupClass.institution_id,
        FollowupClass.ended_at,
        FollowupClass.timezone,
        FollowupClass.waves_sent,
    ).where(
        col(FollowupClass.done).is_(False),
        col(FollowupClass.next_wave_at) <= bindparam("now", type_=UtcDateTime),
    )


async def active_classes(session: AsyncSession, now: datetime) -> list[Active]:
    """The classes with waves still to send whose next wave's day has come (a partial index
    on `next_wave_at` holds only the classes not done)."""
    return [Active(*row) for row in await session.exec(_active_classes(), params={"now": now})]


async def next_waves(session: AsyncSession, next_at: dict[int, datetime]) -> None:
    """Each class is looked at again on its next wave's day."""
    if not next_at:
        return
    table = FollowupClass.__table__
    statement = (
        update(table)
        .where(table.c.class_id == bindparam("c"))
        .values(next_wave_at=bindparam("w", type_=table.c.next_wave_at.type))
    )
    params = [{"c": class_id, "w": when} for class_id, when in sorted(next_at.items())]
    await session.exec(statement, params=params)  # type: ignore[call-overload]


async def class_names(session: AsyncSession, class_ids: Sequence[int]) -> dict[int, str]:
    query = select(TrainingClass.id, TrainingClass.name).where(
        col(TrainingClass.id).in_(list(class_ids))
    )
    return dict((await session.exec(query)).all())


async def owed(session: AsyncSession, class_ids: Sequence[int]) -> dict[int, list[int]]:
    """For each of these classes, its trainees (enrolled at the end) with no survey yet of the
    class's next wave (`waves_sent + 1`)."""
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(class_ids), CHUNK):
        made = select(FollowupSurvey.id).where(
            FollowupSurvey.class_id == Enrollment.class_id,
            FollowupSurvey.person_id == Enrollment.person_id,
            FollowupSurvey.wave == FollowupClass.waves_sent + 1,
        )
        query = (
            select(Enrollment.class_id, Enrollment.person_id)
            .join(FollowupClass, col(FollowupClass.class_id) == Enrollment.class_id)
            .where(
                col(Enrollment.class_id).in_(class_ids[start : start + CHUNK]),
                Enrollment.status == PlaceStatus.ENROLLED,
                ~made.exists(),
            )
            .order_by(Enrollment.class_id, Enrollment.person_id)
        )
        for class_id, person_id in await session.exec(query):
            found[class_id].append(person_id)
    return found


async def add_surveys(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[tuple[int, int], int]:
    """Insert survey rows (one statement, batched by the driver); the new ids by (class, person).
    A row made before (another process, a rerun) is skipped."""
    table = FollowupSurvey.__table__
    defaults = {
        "stopped": False,
        "reminders": 0,
        "late": False,
        "via_phone": False,
        "undelivered": False,
        "sent_at": None,
    }
    made: dict[tuple[int, int], int] = {}
    if not rows:
        return made
    insert = (
        _dialect(session)
        .insert(table)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.class_id, table.c.person_id)
    )
    connection = await session.connection()  # one statement, executed for many rows
    result = await connection.execute(insert, [{**defaults, **row} for row in rows])
    made.update(((c, p), survey_id) for survey_id, c, p in result.all())
    return made


async def advance(
    session: AsyncSession, class_id: int, wave: int, waves: int, next_at: datetime | None
) -> None:
    """Record that `wave` went to every trainee of the class; the next is due at `next_at`."""
    await session.exec(
        update(FollowupClass)
        .where(FollowupClass.class_id == class_id, FollowupClass.waves_sent == wave - 1)
        .values(waves_sent=wave, done=wave >= waves, next_wave_at=next_at)
        .execution_options(synchronize_session=False)
    )


async def finish(session: AsyncSession, class_id: int) -> None:
    """The class's schedule has no wave left (a shorter schedule than the waves sent)."""
    await session.exec(
        update(FollowupClass)
        .where(FollowupClass.class_id == class_id)
        .values(done=True)
        .execution_options(synchronize_session=False)
    )


def _open() -> list[Any]:
    survey = FollowupSurvey
    return [
        col(survey.answered_at).is_(None),
        col(survey.closed_at).is_(None),
        col(survey.stopped).is_(False),
        col(survey.sent_at).is_not(None),
    ]


@cache
def _mark_undelivered() -> Any:
    """Built once (the scan runs it every interval)."""
    refused = select(OutboxMessage.id).where(
        OutboxMessage.key == key_of(PUSH, FollowupSurvey.id),
        col(OutboxMessage.status).in_((BLOCKED, FAILED)),
    )
    return (
        update(FollowupSurvey)
        .where(*_open(), col(FollowupSurvey.undelivered).is_(False), refused.exists())
        .values(undelivered=True)
        .execution_options(synchronize_session=False)
    )


async def mark_undelivered(session: AsyncSession) -> int:
    """Open surveys whose push was refused (blocked, chat not found) go on the phone list."""
    result = await session.exec(_mark_undelivered())
    return result.rowcount or 0


async def to_remind(
    session: AsyncSession, now: datetime, reminder_days: Sequence[int]
) -> list[tuple[FollowupSurvey, str]]:
    """Open, delivered surveys of people who did not stop whose next reminder is due, with
    their class's time zone."""
    if not reminder_days:
        return []
    sent_by = {f"sent_{i}": now - timedelta(days=days) for i, days in enumerate(reminder_days)}
    found = await session.exec(_to_remind(len(reminder_days)), params=sent_by)
    return [(survey, zone) for survey, zone in found.all()]


@cache
def _to_remind(reminders: int) -> Any:
    """Built once per number of reminders (the scan runs it every interval): parameters
    `sent_{i}`, the latest send time for which reminder i is due."""
    due = or_(
        *(
            and_(
                FollowupSurvey.reminders == index,
                col(FollowupSurvey.sent_at) <= bindparam(f"sent_{index}", type_=UtcDateTime),
            )
            for index in range(reminders)
        )
    )
    stopped = select(FollowupStop.person_id).where(
        FollowupStop.person_id == FollowupSurvey.person_id
    )
    return (
        select(FollowupSurvey, FollowupClass.timezone)
        .join(FollowupClass, col(FollowupClass.class_id) == FollowupSurvey.class_id)
        .where(*_open(), col(FollowupSurvey.undelivered).is_(False), due, ~stopped.exists())
        .order_by(FollowupSurvey.id)
    )


async def reminded(session: AsyncSession, survey_ids: Sequence[int]) -> None:
    for start in range(0, len(survey_ids), CHUNK):
        await session.exec(
            update(FollowupSurvey)
            .where(col(FollowupSurvey.id).in_(survey_ids[start : start + CHUNK]))
            .values(reminders=FollowupSurvey.reminders + 1)
            .execution_options(synchronize_session=False)
        )


async def close_due(session: AsyncSession, now: datetime, close_days: int) -> int:
    """Close the open surveys sent `close_days` ago; returns how many."""
    params = {"now": now, "sent_by": now - timedelta(days=close_days)}
    result = await session.exec(_close_due(), params=params)
    return result.rowcount or 0


@cache
def _close_due() -> Any:
    """Built once (the scan runs it every interval): parameters `now` and `sent_by`."""
    return (
        update(FollowupSurvey)
        .where(*_open(), col(FollowupSurvey.sent_at) <= bindparam("sent_by", type_=UtcDateTime))
        .values(closed_at=bindparam("now", type_=UtcDateTime))
        .execution_options(synchronize_session=False)
    )


# --- answers and calls -----------------------------------------------------------------------


async def survey(session: AsyncSession, survey_id: int) -> FollowupSurvey | None:
    return await session.get(FollowupSurvey, survey_id)


async def record_answer(
    session: AsyncSession,
    found: FollowupSurvey,
    submission_id: int,
    now: datetime,
    *,
    late: bool,
    via_phone: bool,
    by: int | None = None,
) -> bool:
    """Count the submission as the survey's one answer; False when it was answered before."""
    values: dict[str, Any] = {
        "submission_id": submission_id,
        "answered_at": now,
        "late": late,
        "via_phone": via_phone,
    }
    if via_phone:
        values |= {"call_outcome": "by_phone", "called_at": now, "called_by": by}
    result = await session.exec(
        update(FollowupSurvey)
        .where(col(FollowupSurvey.id) == found.id, col(FollowupSurvey.answered_at).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def attribute(session: AsyncSession, submission: FormSubmission, person_id: int) -> None:
    """A survey staff took by phone is the trainee's answer: the submission is theirs (who
    typed it stays `submitted_by`), and the staff member's earlier one stays current."""
    if submission.supersedes_id is not None:
        earlier = await session.get(FormSubmission, submission.supersedes_id)
        if earlier is not None:
            earlier.current = True
            session.add(earlier)
    submission.person_id, submission.supersedes_id = person_id, None
    session.add(submission)
    await session.flush()


async def record_call(
    session: AsyncSession, found: FollowupSurvey, outcome: str, by: int, now: datetime
) -> bool:
    """Record a phone follow-up's outcome once; False when one was recorded already."""
    result = await session.exec(
        update(FollowupSurvey)
        .where(col(FollowupSurvey.id) == found.id, col(FollowupSurvey.call_outcome).is_(None))
        .values(call_outcome=outcome, called_at=now, called_by=by)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(found)
    return result.rowcount == 1


def to_call() -> list[Any]:
    """Conditions of a survey on the phone follow-up list (to be joined to its person): not
    answered, not stopped, no call recorded, and closed unanswered or not delivered."""
    survey, person = FollowupSurvey.__table__.c, Person.__table__.c
    stopped = select(FollowupStop.person_id).where(FollowupStop.person_id == survey.person_id)
    return [
        survey.answered_at.is_(None),
        survey.stopped.is_(False),
        survey.call_outcome.is_(None),
        survey.sent_at.is_not(None),
        or_(survey.closed_at.is_not(None), survey.undelivered.is_(True), person.unreachable),
        ~stopped.exists(),
    ]


async def mobiles(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's mobile number from their current registration."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    query = select(FormSubmission.person_id, FormSubmission.answers).where(
        col(FormSubmission.person_id).in_(ids),
        FormSubmission.form_id == "registration",
        col(FormSubmission.current),
    )
    found: dict[int, str] = {}
    for person_id, answers in await session.exec(query):
        mobile = (answers or {}).get("mobile")
        if isinstance(mobile, str) and mobile:
            found[person_id] = mobile
    return found


async def counts(session: AsyncSession, institution_id: int) -> dict[str, int]:
    """What follow-up has come to for an institution: surveys sent, answered (late, by phone),
    not sent because stopped, calls recorded; and trainees who stopped now."""
    survey = FollowupSurvey
    row = (
        await session.exec(
            select(
                func.count(survey.sent_at),
                func.count(survey.answered_at),
                func.sum(cast(survey.late, Integer)),
                func.sum(cast(survey.via_phone, Integer)),
                func.sum(cast(survey.stopped, Integer)),
                func.count(survey.call_outcome),
            ).where(survey.institution_id == institution_id)
        )
    ).one()
    stopping = (
        await session.exec(
            select(func.count(func.distinct(FollowupStop.person_id)))
            .join(FollowupSurvey, col(FollowupSurvey.person_id) == FollowupStop.person_id)
            .where(FollowupSurvey.institution_id == institution_id)
        )
    ).one()
    names = ("sent", "answered", "late", "by_phone", "not_sent_stopped", "calls")
    return {**{n: int(v or 0) for n, v in zip(names, row, strict=True)}, "stopped": stopping}
