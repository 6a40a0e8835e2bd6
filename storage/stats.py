"""Reading the figures of statistics (bot/services/stats.py): one grouped query per figure, each
returning per class how many people are behind it and what it adds up (`Part`), for the
classes of one scope (`scope`, a subquery of class ids). Never a person id or a name.

A new figure is one more function of this shape, named in `bot.services.stats.queries()`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, delete, func, literal, or_
from sqlalchemy import case as when
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.intake import SUPERSEDED
from storage.models import (
    AttendanceMark,
    ClassSession,
    Enrollment,
    FeedbackRequest,
    FollowupSurvey,
    FormAnswer,
    FormSubmission,
    Institution,
    IssuedCertificate,
    Region,
    ScreeningCase,
    StatsClass,
    TraineeAssessment,
    TrainingClass,
)

COUNTED = ("approved", "closed")
"""Classes statistics count: approved (running or to run) and closed ones."""
ATTENDED = ("present", "late", "left_early")


class Part(NamedTuple):
    """One figure of one class: its column, people behind it, numerator, denominator."""

    column: str
    class_id: int
    people: int
    num: float
    den: float


@dataclass(frozen=True)
class ClassRow:
    id: int
    name: str
    region_id: int
    institution_id: int
    start_date: date


def scope(
    *,
    everything: bool,
    region_ids: Collection[int] = (),
    institution_ids: Collection[int] = (),
    start: date | None = None,
    end: date | None = None,
    region_id: int | None = None,
    institution_id: int | None = None,
    programme: str | None = None,
) -> Select[Any]:
    """The ids of the counted classes in reach (everything, or these regions or institutions),
    whose first day is in [start, end), narrowed by the optional filters."""
    query = select(TrainingClass.id).where(col(TrainingClass.status).in_(COUNTED))
    if not everything:
        query = query.where(
            or_(
                col(TrainingClass.region_id).in_(sorted(region_ids) or [-1]),
                col(TrainingClass.institution_id).in_(sorted(institution_ids) or [-1]),
            )
        )
    if start is not None:
        query = query.where(TrainingClass.start_date >= start)
    if end is not None:
        query = query.where(TrainingClass.start_date < end)
    if region_id is not None:
        query = query.where(TrainingClass.region_id == region_id)
    if institution_id is not None:
        query = query.where(TrainingClass.institution_id == institution_id)
    if programme is not None:
        query = query.where(TrainingClass.programme == programme)
    return query


def only(ids: Collection[int]) -> Select[Any]:
    """The classes with these ids, as a scope."""
    return select(TrainingClass.id).where(col(TrainingClass.id).in_(sorted(ids)))


async def classes(session: AsyncSession, ids: Select[Any]) -> list[ClassRow]:
    query = select(
        TrainingClass.id,
        TrainingClass.name,
        TrainingClass.region_id,
        TrainingClass.institution_id,
        TrainingClass.start_date,
    ).where(col(TrainingClass.id).in_(ids))
    return [ClassRow(*row) for row in await session.exec(query)]


async def region_parents(session: AsyncSession) -> dict[int, int | None]:
    return dict((await session.exec(select(Region.id, Region.parent_id))).all())


async def names(
    session: AsyncSession, table: type[Region | Institution], ids: Collection[int]
) -> dict[int, str]:
    if not ids:
        return {}
    query = select(table.id, table.name).where(col(table.id).in_(sorted(ids)))
    return dict((await session.exec(query)).all())


async def _parts(
    session: AsyncSession, query: Select[Any], column: str | None = None
) -> list[Part]:
    """Rows (class, people, num, den) or, without `column`, (column, class, people, num, den)."""
    rows = await session.exec(query)
    if column is None:
        return [Part(c, k, p, float(n or 0), float(d or 0)) for c, k, p, n, d in rows]
    return [Part(column, k, p, float(n or 0), float(d or 0)) for k, p, n, d in rows]


async def enrolled(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    count = func.count()
    query = (
        select(Enrollment.class_id, count, count, literal(0))
        .where(Enrollment.status == "enrolled", col(Enrollment.class_id).in_(ids))
        .group_by(Enrollment.class_id)
    )
    return await _parts(session, query, "enrolled")


async def screened(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """People of each class screened by the class's institution, by outcome (the decision, or
    the recommendation while undecided; a superseded case does not count)."""
    outcome = func.coalesce(ScreeningCase.decided, ScreeningCase.recommended)
    people = func.count(func.distinct(ScreeningCase.person_id))
    query = (
        select(Enrollment.class_id, outcome, people)
        .join(TrainingClass, col(TrainingClass.id) == Enrollment.class_id)
        .join(
            ScreeningCase,
            and_(
                col(ScreeningCase.person_id) == Enrollment.person_id,
                col(ScreeningCase.institution_id) == TrainingClass.institution_id,
            ),
        )
        .where(
            col(Enrollment.class_id).in_(ids),
            func.coalesce(ScreeningCase.decided, "") != SUPERSEDED,
        )
        .group_by(Enrollment.class_id, outcome)
    )
    return [
        Part(f"screened_{outcome}", class_id, n, n, 0)
        for class_id, outcome, n in await session.exec(query)
    ]


async def attendance(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Marks of the class's sessions: attended (present, late, left early) over all marked."""
    attended = func.sum(when((col(AttendanceMark.status).in_(ATTENDED), 1), else_=0))
    query = (
        select(
            ClassSession.class_id,
            func.count(func.distinct(AttendanceMark.person_id)),
            attended,
            func.count(),
        )
        .join(ClassSession, col(ClassSession.id) == AttendanceMark.session_id)
        .where(col(ClassSession.class_id).in_(ids))
        .group_by(ClassSession.class_id)
    )
    return await _parts(session, query, "attendance")


async def ratings(
    session: AsyncSession,
    ids: Select[Any],
    column: str,
    kinds: Collection[str],
    questions: Collection[str],
) -> list[Part]:
    """The mean of the answers to these rating questions (a repeated one, e.g. one per module,
    as `question.n`) in the class's feedback rounds of these kinds, with how many answered."""
    asked = or_(
        col(FormAnswer.question_id).in_(sorted(questions)),
        *(col(FormAnswer.question_id).like(f"{q}.%") for q in sorted(questions)),
    )
    query = (
        select(
            FeedbackRequest.class_id,
            func.count(func.distinct(FeedbackRequest.person_id)),
            func.sum(FormAnswer.number),
            func.count(FormAnswer.number),
        )
        .join(FormAnswer, col(FormAnswer.submission_id) == FeedbackRequest.submission_id)
        .where(
            col(FeedbackRequest.class_id).in_(ids),
            col(FeedbackRequest.kind).in_(sorted(kinds)),
            asked,
        )
        .group_by(FeedbackRequest.class_id)
    )
    return await _parts(session, query, column)


async def assessment(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Learners by assessment stage: handed in (any stage past training), passed, in coaching."""
    query = (
        select(TraineeAssessment.class_id, TraineeAssessment.stage, func.count())
        .where(col(TraineeAssessment.class_id).in_(ids))
        .group_by(TraineeAssessment.class_id, TraineeAssessment.stage)
    )
    found: dict[tuple[str, int], int] = {}
    for class_id, stage, n in await session.exec(query):
        if stage == "training":
            continue
        found[("submitted", class_id)] = found.get(("submitted", class_id), 0) + n
        if stage in ("passed", "coaching"):
            found[(stage, class_id)] = n
    return [Part(column, class_id, n, n, 0) for (column, class_id), n in found.items()]


async def certificates(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Certificates issued to the class's learners and not revoked (one per learner)."""
    count = func.count()
    query = (
        select(IssuedCertificate.class_id, count, count, literal(0))
        .where(
            col(IssuedCertificate.class_id).in_(ids), col(IssuedCertificate.revoked_at).is_(None)
        )
        .group_by(IssuedCertificate.class_id)
    )
    return await _parts(session, query, "certificates")


async def followup(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Tracking surveys' response rate in people: those who answered one (late or taken by
    phone too) over those sent one (a survey not sent, to someone who stopped, is not asked)."""
    answered = func.count(
        func.distinct(
            when((col(FollowupSurvey.answered_at).is_not(None), FollowupSurvey.person_id))
        )
    )
    sent = func.count(func.distinct(FollowupSurvey.person_id))
    query = (
        select(FollowupSurvey.class_id, sent, answered, sent)
        .where(col(FollowupSurvey.class_id).in_(ids), col(FollowupSurvey.sent_at).is_not(None))
        .group_by(FollowupSurvey.class_id)
    )
    return await _parts(session, query, "followup")


def _answers_of_enrolled(ids: Select[Any], forms: Collection[str], *columns: Any) -> Select[Any]:
    """`columns` over the current answers to these forms of the classes' enrolled learners."""
    return (
        select(Enrollment.class_id, *columns)
        .join(
            FormSubmission,
            and_(
                col(FormSubmission.person_id) == Enrollment.person_id,
                col(FormSubmission.form_id).in_(sorted(forms)),
            ),
        )
        .join(FormAnswer, col(FormAnswer.submission_id) == FormSubmission.id)
        .where(
            col(Enrollment.class_id).in_(ids),
            Enrollment.status == "enrolled",
            col(FormSubmission.current),
        )
    )


def _question(form: str, question: str) -> Any:
    """This question's answers, matched row by row (`|| ''` keeps the planners from starting at
    the answers' question index, which holds every learner's answer: the classes' learners are
    the few, their submissions and answers are found by theirs)."""
    return and_(
        FormAnswer.form_id.concat("") == form, FormAnswer.question_id.concat("") == question
    )


async def businesses(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Learners with a business or an online store, by their latest answers: a business
    (registration), a real store (practice results) or an operating store (appendix 3)."""
    people = func.count(func.distinct(Enrollment.person_id))
    forms = ("registration", "practice_results", "appendix3")
    query = _answers_of_enrolled(ids, forms, people, people, literal(0)).where(
        or_(
            and_(_question("registration", "has_business"), col(FormAnswer.flag).is_(True)),
            and_(_question("practice_results", "has_real_store"), col(FormAnswer.flag).is_(True)),
            and_(_question("appendix3", "store_status"), FormAnswer.choice == "operating"),
        )
    )
    return await _parts(session, query.group_by(Enrollment.class_id), "businesses")


async def jobs(session: AsyncSession, ids: Select[Any]) -> list[Part]:
    """Jobs in the learners' businesses (their registration's employees), with how many said."""
    query = _answers_of_enrolled(
        ids,
        ("registration",),
        func.count(func.distinct(Enrollment.person_id)),
        func.sum(FormAnswer.number),
        literal(0),
    ).where(_question("registration", "business_employees"), col(FormAnswer.number).is_not(None))
    return await _parts(session, query.group_by(Enrollment.class_id), "jobs")


async def turnover(
    session: AsyncSession, ids: Select[Any], bands: tuple[float, float]
) -> list[Part]:
    """Learners with a real store by turnover band (their latest practice results' sales)."""
    low, high = bands
    band = when(
        (FormAnswer.number < low, "turnover_low"),
        (FormAnswer.number < high, "turnover_mid"),
        else_="turnover_high",
    )
    people = func.count(func.distinct(Enrollment.person_id))
    query = (
        _answers_of_enrolled(ids, ("practice_results",), band, people)
        .where(_question("practice_results", "real_sales"), col(FormAnswer.number).is_not(None))
        .group_by(Enrollment.class_id, band)
    )
    return [Part(b, class_id, n, n, 0) for class_id, b, n in await session.exec(query)]


async def kept(session: AsyncSession, ids: Select[Any]) -> dict[int, dict[str, list[float]]]:
    """The kept tallies of these classes (closed ones the scheduler has counted)."""
    query = select(StatsClass.class_id, StatsClass.tallies).where(col(StatsClass.class_id).in_(ids))
    return dict((await session.exec(query)).all())


def not_kept(ids: Select[Any]) -> Select[Any]:
    """Of these classes, those without kept tallies (running ones, and closed ones not yet
    counted): their figures are read live."""
    return ids.where(col(TrainingClass.id).not_in(select(StatsClass.class_id)))


async def to_keep(session: AsyncSession, before: datetime, limit: int) -> list[int]:
    """Closed classes whose tallies are missing or were counted before `before`."""
    query = (
        select(TrainingClass.id)
        .outerjoin(StatsClass, col(StatsClass.class_id) == TrainingClass.id)
        .where(
            TrainingClass.status == "closed",
            or_(col(StatsClass.class_id).is_(None), col(StatsClass.computed_at) < before),
        )
        .order_by(TrainingClass.id)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def keep(
    session: AsyncSession, tallies: dict[int, dict[str, list[float]]], now: datetime
) -> None:
    """Store (replace) the tallies of these classes."""
    if not tallies:
        return
    await session.exec(delete(StatsClass).where(col(StatsClass.class_id).in_(sorted(tallies))))
    session.add_all(StatsClass(class_id=k, tallies=v, computed_at=now) for k, v in tallies.items())
    await session.flush()
