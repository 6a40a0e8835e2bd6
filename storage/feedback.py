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
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Row, String, bindparam, cast, true, update
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
    Person,
)
from storage.outbox import in_locale, insert_from, key_of, not_queued, one_button_payload
from storage.repo import insert_ignore, param_table, table_params
from storage.types import utcnow


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


ASKED = ("class_id", "kind", "day", "person_id", "form_id", "opens_at", "closes_at", "created_at")


async def ask_attendees(
    session: AsyncSession,
    rounds: Sequence[dict[str, Any]],
    locales: tuple[str, ...],
    callback_head: str,
) -> list[int]:
    """Ask about each round everyone enrolled who attended one of its day's sessions and was
    not asked yet, and queue each new request's push; returns the class of each request made.

    Two INSERT ... SELECT statements: the requests of all the rounds at once (created at the
    rounds' `now`), then, once per round (the driver's executemany), the pushes of the requests
    created then, addressed and worded in SQL (`storage.outbox.insert_from`): key
    `fb:{class}:{kind}:{day}:{person}`, the text and button label in the reader's locale
    (parameters `t{i}` and `b{i}` for `locales[i]`, the first for any other), the button's
    callback data `callback_head` + the request's id, expiring at the close. A round's
    parameters: class_id, kind, day, form_id, opens_at, closes_at, now (the same for all) and
    the texts. Who attended is `bot.domain.checkin.ATTENDED` in one session of the day, and
    only people still enrolled are asked."""
    if not rounds:
        return []
    dialect = session.bind.dialect.name
    named = table_params([{name: item[name] for name in ROUND} for item in rounds])
    made = await session.exec(  # type: ignore[call-overload]
        _ask_attendees(dialect, len(rounds)), params={**named, "now": rounds[0]["now"]}
    )
    asked = [class_id for (class_id,) in made.all()]
    params = [{**item, "created_at": utcnow(), "head": callback_head} for item in rounds]
    await session.exec(_push_asked(dialect, locales), params=params)  # type: ignore[call-overload]
    return asked


ROUND = ("class_id", "kind", "day", "form_id", "opens_at", "closes_at")
"""A round's parameters that say whom to ask about what (the texts only word the push)."""


def _p(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


@lru_cache(maxsize=64)
def _ask_attendees(dialect: str, count: int) -> Executable:
    """The requests of `count` rounds in one INSERT ... SELECT ... RETURNING (so the new ones
    are counted however many processes ask at once): the rounds as a `param_table`, joined to
    the enrolled who attended."""
    request = FeedbackRequest.__table__
    enrollment = Enrollment.__table__
    mark, class_session = AttendanceMark.__table__, ClassSession.__table__
    rounds = param_table("round", [(name, request.c[name].type) for name in ROUND], count)
    attended = (
        select(mark.c.person_id)
        .join(class_session, class_session.c.id == mark.c.session_id)
        .where(
            class_session.c.class_id == enrollment.c.class_id,
            class_session.c.day == rounds.c.day,
            mark.c.person_id == enrollment.c.person_id,
            mark.c.status.in_(sorted(ATTENDED)),
        )
        .correlate(enrollment, rounds)
        .exists()
    )
    enrolled = (enrollment.c.status == PlaceStatus.ENROLLED, attended)
    if dialect == "postgresql":
        # Each round's class looked up by its index, as a lateral subquery the planner cannot
        # flatten (OFFSET 0): otherwise it may hash a whole small enrolment table instead.
        people: Any = (
            select(enrollment.c.class_id, enrollment.c.person_id)
            .where(enrollment.c.class_id == rounds.c.class_id, *enrolled)
            .offset(0)
            .lateral("asked")
        )
        joined, conditions = rounds.join(people, true()), ()
    else:  # SQLite walks the rounds and looks each class up by its index anyway
        people = enrollment
        joined = rounds.join(enrollment, enrollment.c.class_id == rounds.c.class_id)
        conditions = enrolled
    query = (
        select(
            people.c.class_id,
            rounds.c.kind,
            rounds.c.day,
            people.c.person_id,
            rounds.c.form_id,
            rounds.c.opens_at,
            rounds.c.closes_at,
            _p("now", request.c.created_at),
        )
        .select_from(joined)
        .where(*conditions)
    )
    module = postgresql if dialect == "postgresql" else sqlite
    insert = module.insert(request).from_select(list(ASKED), query).on_conflict_do_nothing()
    return insert.returning(request.c.class_id)


@cache
def _push_asked(dialect: str, locales: tuple[str, ...]) -> Executable:
    request, person = FeedbackRequest.__table__, Person.__table__
    texts, labels = (
        [bindparam(f"{name}{i}", type_=String) for i in range(len(locales))] for name in "tb"
    )
    text = in_locale(person.c.locale, locales, texts)
    label = in_locale(person.c.locale, locales, labels)
    callback = bindparam("head", type_=String) + cast(request.c.id, String)
    rows = (
        select(
            key_of(
                "fb", request.c.class_id, request.c.kind, request.c.day, request.c.person_id
            ).label("key"),
            person.c.tg_user_id.label("chat_id"),
            person.c.id.label("person_id"),
            one_button_payload(dialect, text, label, callback).label("payload"),
            request.c.closes_at.label("expires_at"),
        )
        .join(person, person.c.id == request.c.person_id)
        .where(
            request.c.class_id == _p("class_id", request.c.class_id),
            request.c.kind == _p("kind", request.c.kind),
            request.c.day == _p("day", request.c.day),
            request.c.created_at == _p("now", request.c.created_at),
        )
    )
    return insert_from(dialect, rows)


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
    read without the ORM (a province's scan reads tens of thousands). Sorted here, not in SQL,
    so the planner reads the classes' sessions by class, not the whole table in time order."""
    found: dict[int, list[Row]] = defaultdict(list)
    connection = await session.connection()
    for start in range(0, len(class_ids), CHUNK):
        query = select(
            ClassSession.id,
            ClassSession.class_id,
            ClassSession.day,
            ClassSession.starts_at,
            ClassSession.ends_at,
            ClassSession.topic,
        ).where(col(ClassSession.class_id).in_(class_ids[start : start + CHUNK]))
        for item in await connection.execute(query):
            found[item.class_id].append(item)
    for timetable in found.values():
        timetable.sort(key=lambda item: (item.starts_at, item.id))
    return found


async def rounds_to_remind(
    session: AsyncSession, class_ids: Sequence[int], opened_after: datetime, asked_by: datetime
) -> set[tuple[int, str, int]]:
    """(class id, kind, day) of these classes' rounds opened after `opened_after` with a
    request made by `asked_by`, still unanswered, whose reminder (`fbr:...`) is not queued."""
    if not class_ids:
        return set()
    query = (
        select(FeedbackRequest.class_id, FeedbackRequest.kind, FeedbackRequest.day)
        .where(
            col(FeedbackRequest.class_id).in_(class_ids),
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
