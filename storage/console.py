"""The web console in the store: sign-in links and sessions (kept hashed), and the paged,
filtered lists of classes and trainees within a scope of plain ids.

Queries take plain ids (`Scope`), never grants: which grants reach which institutions and
regions is decided outside storage (bot/services/console.py). A list is counted, then one page
is read (offset and limit), then the page's names and numbers are looked up for its rows only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, text, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ConsoleLink,
    ConsoleSession,
    CycleTransition,
    Enrollment,
    FormAnswer,
    FormSubmission,
    Institution,
    Person,
    TraineeCycle,
    TrainingClass,
)

REGISTRATION = "registration"
NUMBERS = ("id_number", "mobile")
TOUCH_EVERY_S = 60
"""A session's `last_seen_at` is written at most once a minute (not on every page)."""


# --- sign-in --------------------------------------------------------------------------------


async def add_link(
    session: AsyncSession, person_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        ConsoleLink(
            token_hash=token_hash, person_id=person_id, created_at=now, expires_at=expires_at
        )
    )


async def link(session: AsyncSession, token_hash: str) -> ConsoleLink | None:
    query = select(ConsoleLink).where(ConsoleLink.token_hash == token_hash)
    return (await session.exec(query)).first()


async def use_link(session: AsyncSession, link_id: int, now: datetime) -> bool:
    """Mark the link used, once: False when another request used it first."""
    result = await session.exec(
        update(ConsoleLink)
        .where(col(ConsoleLink.id) == link_id, col(ConsoleLink.used_at).is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


async def add_session(
    session: AsyncSession, person_id: int, id_hash: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        ConsoleSession(
            id_hash=id_hash,
            person_id=person_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )


async def console_session(session: AsyncSession, id_hash: str) -> ConsoleSession | None:
    query = select(ConsoleSession).where(ConsoleSession.id_hash == id_hash)
    return (await session.exec(query)).first()


def touch(row: ConsoleSession, now: datetime) -> None:
    if (now - row.last_seen_at).total_seconds() >= TOUCH_EVERY_S:
        row.last_seen_at = now


async def end_session(session: AsyncSession, id_hash: str, now: datetime) -> None:
    await session.exec(
        update(ConsoleSession)
        .where(col(ConsoleSession.id_hash) == id_hash, col(ConsoleSession.ended_at).is_(None))
        .values(ended_at=now)
    )


# --- scope ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a console user reaches: classes and trainees of `institution_ids`, of the
    institutions of `region_ids`, or everything."""

    institution_ids: frozenset[int] = field(default_factory=frozenset)
    region_ids: frozenset[int] = field(default_factory=frozenset)
    everything: bool = False


def _classes_in(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    parts = []
    if scope.institution_ids:
        parts.append(col(TrainingClass.institution_id).in_(sorted(scope.institution_ids)))
    if scope.region_ids:
        parts.append(col(TrainingClass.region_id).in_(sorted(scope.region_ids)))
    return or_(*parts) if parts else false()


def _cycles_in(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()  # the join to the institution leaves out a cycle without one
    parts = []
    if scope.institution_ids:
        parts.append(col(TraineeCycle.institution_id).in_(sorted(scope.institution_ids)))
    if scope.region_ids:
        in_regions = select(Institution.id).where(
            col(Institution.region_id).in_(sorted(scope.region_ids))
        )
        parts.append(col(TraineeCycle.institution_id).in_(in_regions))
    return or_(*parts) if parts else false()


async def institutions(session: AsyncSession, scope: Scope) -> list[tuple[int, str]]:
    """The institutions the scope reaches (for the classes filter), by name."""
    query = select(Institution.id, Institution.name).order_by(Institution.name, Institution.id)
    if not scope.everything:
        query = query.where(
            or_(
                col(Institution.id).in_(sorted(scope.institution_ids)),
                col(Institution.region_id).in_(sorted(scope.region_ids)),
            )
        )
    return [(i, name) for i, name in (await session.exec(query)).all()]


# --- classes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassFilter:
    phase: str | None = None
    """A status (draft, submitted, ...) or an approved class's stage (open, in_progress, ...)."""
    institution_id: int | None = None
    start_from: date | None = None
    start_to: date | None = None


@dataclass(frozen=True)
class ClassRow:
    training_class: TrainingClass
    institution: str
    enrolled: int


def _class_where(scope: Scope, chosen: ClassFilter) -> list[ColumnElement[bool]]:
    where = [_classes_in(scope)]
    if chosen.phase:
        where.append(or_(TrainingClass.stage == chosen.phase, TrainingClass.status == chosen.phase))
    if chosen.institution_id is not None:
        where.append(TrainingClass.institution_id == chosen.institution_id)
    if chosen.start_from is not None:
        where.append(TrainingClass.start_date >= chosen.start_from)
    if chosen.start_to is not None:
        where.append(TrainingClass.start_date <= chosen.start_to)
    return where


async def class_count(session: AsyncSession, scope: Scope, chosen: ClassFilter) -> int:
    query = select(func.count()).select_from(TrainingClass).where(*_class_where(scope, chosen))
    return (await session.exec(query)).one()


async def class_rows(
    session: AsyncSession, scope: Scope, chosen: ClassFilter, offset: int, limit: int
) -> list[ClassRow]:
    """A page of the classes (latest start first), each with its institution's name and how
    many are enrolled (looked up for the page's rows only)."""
    page = (
        select(TrainingClass)
        .where(*_class_where(scope, chosen))
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
        .offset(offset)
        .limit(limit)
    )
    found = list((await session.exec(page)).all())
    if not found:
        return []
    ids = [c.id for c in found]
    counts = dict(
        (
            await session.exec(
                select(Enrollment.class_id, func.count())
                .where(col(Enrollment.class_id).in_(ids), Enrollment.status == "enrolled")
                .group_by(Enrollment.class_id)
            )
        ).all()
    )
    names = dict(
        (
            await session.exec(
                select(Institution.id, Institution.name).where(
                    col(Institution.id).in_({c.institution_id for c in found})
                )
            )
        ).all()
    )
    return [ClassRow(c, names.get(c.institution_id, ""), counts.get(c.id, 0)) for c in found]


async def phase_counts(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """How many classes are in each phase (an approved class's stage, else its status)."""
    phase = func.coalesce(TrainingClass.stage, TrainingClass.status)
    query = select(phase, func.count()).where(_classes_in(scope)).group_by(phase)
    return {name: number for name, number in (await session.exec(query)).all()}


# --- trainees -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraineeRow:
    cycle_id: int
    person_id: int
    programme: str
    state: str
    institution_id: int
    institution: str
    updated_at: datetime
    region_id: int


LOOKUP = text("form_answer.question_id IN ('name', 'id_number', 'mobile')")
"""Spelled as the partial index `ix_form_answer_person_lookup` is, so both planners use it."""


def _registration_answers(questions: Iterable[str]) -> Any:
    return (
        select(FormSubmission.person_id)
        .join(FormAnswer, col(FormAnswer.submission_id) == col(FormSubmission.id))
        .where(
            LOOKUP,
            FormAnswer.form_id == REGISTRATION,
            col(FormAnswer.question_id).in_(list(questions)),
            FormSubmission.form_id == REGISTRATION,
            col(FormSubmission.current),
        )
    )


def _trainee_where(scope: Scope, search: str | None) -> list[ColumnElement[bool]]:
    where = [_cycles_in(scope)]
    if search:
        if search.isdigit():  # the last digits of an ID or mobile number
            matching = _registration_answers(NUMBERS).where(
                col(FormAnswer.text).endswith(search, autoescape=True)
            )
            where.append(col(TraineeCycle.person_id).in_(matching))
        else:
            named = _registration_answers(("name",)).where(
                col(FormAnswer.text).contains(search, autoescape=True)
            )
            chat_named = select(Person.id).where(
                col(Person.first_name).contains(search, autoescape=True)
            )
            where.append(
                or_(
                    col(TraineeCycle.person_id).in_(named),
                    col(TraineeCycle.person_id).in_(chat_named),
                )
            )
    return where


async def trainee_count(session: AsyncSession, scope: Scope, search: str | None) -> int:
    query = select(func.count()).select_from(TraineeCycle).where(*_trainee_where(scope, search))
    return (await session.exec(query)).one()


async def trainee_rows(
    session: AsyncSession, scope: Scope, search: str | None, offset: int, limit: int
) -> list[TraineeRow]:
    """A page of trainees' cycles (latest registered first) with their institution's name."""
    query = (
        select(
            TraineeCycle.id,
            TraineeCycle.person_id,
            TraineeCycle.programme,
            TraineeCycle.state,
            TraineeCycle.institution_id,
            Institution.name,
            TraineeCycle.updated_at,
            Institution.region_id,
        )
        .join(Institution, col(Institution.id) == col(TraineeCycle.institution_id))
        .where(*_trainee_where(scope, search))
        .order_by(col(TraineeCycle.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [TraineeRow(*row) for row in (await session.exec(query)).all()]


async def numbers(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The ID and mobile numbers on each person's current registration."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    query = (
        select(FormSubmission.person_id, FormAnswer.question_id, FormAnswer.text)
        .join(FormAnswer, col(FormAnswer.submission_id) == col(FormSubmission.id))
        .where(
            col(FormSubmission.person_id).in_(ids),
            FormSubmission.form_id == REGISTRATION,
            col(FormSubmission.current),
            col(FormAnswer.question_id).in_(NUMBERS),
        )
    )
    found: dict[int, dict[str, str]] = {}
    for person_id, question, value in (await session.exec(query)).all():
        if value:
            found.setdefault(person_id, {})[question] = value
    return found


@dataclass(frozen=True)
class CycleHistory:
    cycle: TraineeCycle
    institution: str
    region_id: int | None
    transitions: list[CycleTransition]


async def cycle_history(session: AsyncSession, person_id: int) -> list[CycleHistory]:
    """The person's cycles (programme, institution, state) with every transition, oldest
    first: two queries."""
    cycles = (
        await session.exec(
            select(TraineeCycle, Institution)
            .join(
                Institution,
                col(Institution.id) == col(TraineeCycle.institution_id),
                isouter=True,
            )
            .where(TraineeCycle.person_id == person_id)
            .order_by(col(TraineeCycle.id))
        )
    ).all()
    if not cycles:
        return []
    moves = (
        await session.exec(
            select(CycleTransition)
            .where(col(CycleTransition.cycle_id).in_([c.id for c, _ in cycles]))
            .order_by(col(CycleTransition.at), col(CycleTransition.id))
        )
    ).all()
    by_cycle: dict[int, list[CycleTransition]] = {}
    for move in moves:
        by_cycle.setdefault(move.cycle_id, []).append(move)
    return [
        CycleHistory(
            cycle,
            institution.name if institution else "",
            institution.region_id if institution else None,
            by_cycle.get(cycle.id, []),
        )
        for cycle, institution in cycles
    ]
