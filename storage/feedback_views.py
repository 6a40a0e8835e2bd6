"""Reading feedback for the summaries: who was asked and what was answered, never by whom.

`FeedbackRequest` rows (written by the collection side) are the people asked; the answers are
those of the submissions they point to. Nothing here returns a person id or a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import feedback_summary
from bot.domain.attendance import local_day
from bot.domain.feedback import Kind, Timed
from storage.classes import sessions_of
from storage.models import (
    ClassTeacher,
    FeedbackRequest,
    FormSubmission,
    TrainingClass,
)
from storage.outbox import key_of, not_queued

KINDS = tuple(Kind)
"""The rounds in the order menus list them: daily ones, then the evaluations."""


@dataclass(frozen=True)
class Round:
    """One (kind, day) of a class that people were asked about, with its response count."""

    kind: str
    day: int
    asked: int
    answered: int


@dataclass
class Answers:
    asked: int
    answers: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


async def rounds(session: AsyncSession, class_id: int) -> list[Round]:
    """Every round of the class, daily ones by day first, then the evaluations."""
    answered = func.count(col(FeedbackRequest.submission_id))
    query = (
        select(FeedbackRequest.kind, FeedbackRequest.day, func.count(), answered)
        .where(FeedbackRequest.class_id == class_id)
        .group_by(FeedbackRequest.kind, FeedbackRequest.day)
    )
    found = [Round(kind, day, asked, done) for kind, day, asked, done in await session.exec(query)]
    return sorted(found, key=lambda r: (KINDS.index(r.kind) if r.kind in KINDS else 9, r.day))


async def answers_of(session: AsyncSession, class_id: int, kind: str, day: int) -> Answers:
    """The number asked and the answers given in one round, in submission-id order (callers
    must not show them one by one)."""
    requests = select(FeedbackRequest).where(
        FeedbackRequest.class_id == class_id,
        FeedbackRequest.kind == kind,
        FeedbackRequest.day == day,
    )
    asked = list((await session.exec(requests)).all())
    ids = [r.submission_id for r in asked if r.submission_id is not None]
    result = Answers(len(asked))
    if ids:
        query = select(FormSubmission).where(col(FormSubmission.id).in_(ids))
        for submission in (await session.exec(query.order_by(FormSubmission.id))).all():
            result.answers.append(dict(submission.answers))
            result.context = result.context or dict(submission.context)
    return result


@dataclass(frozen=True)
class RoundView:
    """What a summary message shows of one round: the aggregate, the day's date, the names of
    an evaluation's modules and teachers."""

    summary: feedback_summary.Summary
    date: date | None
    names: dict[str, str]


def dates_of(timetable: Iterable[Timed], timezone: str) -> dict[int, date]:
    """The local date of each class day of a timetable (sessions in order of their start)."""
    found: dict[int, date] = {}
    for class_session in timetable:
        found.setdefault(class_session.day, local_day(class_session.starts_at, timezone))
    return found


async def day_dates(session: AsyncSession, training_class: TrainingClass) -> dict[int, date]:
    """The local date of each class day, from its current timetable."""
    return dates_of(await sessions_of(session, training_class.id), training_class.timezone)


async def classes(session: AsyncSession, class_ids: Iterable[int]) -> dict[int, TrainingClass]:
    """These classes by id, in one query."""
    wanted = sorted(set(class_ids))
    if not wanted:
        return {}
    query = select(TrainingClass).where(col(TrainingClass.id).in_(wanted))
    return {item.id: item for item in (await session.exec(query)).all()}


async def round_view(
    session: AsyncSession, training_class: TrainingClass, kind: str, day: int
) -> RoundView:
    got = await answers_of(session, training_class.id, kind, day)
    if kind == Kind.DAILY:
        summary = feedback_summary.daily(got.answers, got.asked)
    else:
        summary = feedback_summary.evaluation(got.answers, got.asked, got.context)
    dates = await day_dates(session, training_class)
    return RoundView(summary, dates.get(day), feedback_summary.names(got.context))


async def daily_answers(session: AsyncSession, class_id: int) -> dict[int, list[dict[str, Any]]]:
    """Every day's daily-feedback answers of the class (for the trend), by day."""
    query = (
        select(FeedbackRequest.day, FormSubmission.answers)
        .join(FormSubmission, col(FormSubmission.id) == FeedbackRequest.submission_id)
        .where(FeedbackRequest.class_id == class_id, FeedbackRequest.kind == Kind.DAILY)
        .order_by(FeedbackRequest.day, FormSubmission.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for day, answers in await session.exec(query):
        found.setdefault(day, []).append(dict(answers))
    return found


async def daily_rounds_since(session: AsyncSession, since: datetime) -> Sequence[tuple[int, int]]:
    """(class id, day) of the daily rounds pushed since `since`, for the morning summaries."""
    query = (
        select(FeedbackRequest.class_id, FeedbackRequest.day)
        .where(FeedbackRequest.kind == Kind.DAILY, FeedbackRequest.opens_at >= since)
        .distinct()
        .order_by(FeedbackRequest.class_id, FeedbackRequest.day)
    )
    return (await session.exec(query)).all()


async def daily_rounds_unsummarised(
    session: AsyncSession, class_ids: Sequence[int], since: datetime
) -> Sequence[tuple[int, int]]:
    """These classes' `daily_rounds_since`, less the rounds whose every teacher's morning summary
    (`fbsum:{class}:{day}:{teacher}`) is queued already: the only ones the scan need look at.

    The rounds are found first (a few per class), then each teacher's key is looked up in the
    outbox's unique index."""
    rounds = (
        select(FeedbackRequest.class_id, FeedbackRequest.day)
        .where(
            col(FeedbackRequest.class_id).in_(class_ids),
            FeedbackRequest.kind == Kind.DAILY,
            FeedbackRequest.opens_at >= since,
        )
        .distinct()
        .subquery()
    )
    query = (
        select(rounds.c.class_id, rounds.c.day)
        .join(ClassTeacher, col(ClassTeacher.class_id) == rounds.c.class_id)
        .where(not_queued(key_of("fbsum", rounds.c.class_id, rounds.c.day, ClassTeacher.person_id)))
        .distinct()
        .order_by(rounds.c.class_id, rounds.c.day)
    )
    return (await session.exec(query)).all()
