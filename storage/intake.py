"""Trainee cycle and screening cases in the store. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.domain.cycle import STEP_OF, TraineeState, check_move
from bot.domain.enrolment import ACTIVE
from storage.models import (
    CycleTransition,
    Enrollment,
    FormAnswer,
    FormSubmission,
    Person,
    RoleGrant,
    ScreeningCase,
    TraineeCycle,
)
from storage.types import utcnow

TRAINEE_PROGRAMME = "trainee"


async def cycle_of(
    session: AsyncSession, person_id: int, institution_id: int | None
) -> TraineeCycle | None:
    query = select(TraineeCycle).where(
        TraineeCycle.person_id == person_id,
        TraineeCycle.programme == TRAINEE_PROGRAMME,
        TraineeCycle.institution_id == institution_id,
    )
    return (await session.exec(query)).first()


async def cycles_of(session: AsyncSession, person_id: int) -> Sequence[TraineeCycle]:
    query = (
        select(TraineeCycle).where(TraineeCycle.person_id == person_id).order_by(TraineeCycle.id)
    )
    return (await session.exec(query)).all()


async def move(
    session: AsyncSession,
    person_id: int,
    institution_id: int | None,
    target: TraineeState,
    *,
    actor_id: int | None,
    reason: str | None = None,
) -> TraineeCycle:
    """Move the trainee's cycle, refusing moves the cycle does not allow, and log it."""
    cycle = await cycle_of(session, person_id, institution_id)
    current = TraineeState(cycle.state) if cycle else None
    check_move(current, target)
    if cycle is None:
        cycle = TraineeCycle(
            person_id=person_id,
            programme=TRAINEE_PROGRAMME,
            institution_id=institution_id,
            state=target,
            step=STEP_OF[target],
        )
        session.add(cycle)
        await session.flush()
    cycle.state, cycle.step, cycle.updated_at = target, STEP_OF[target], utcnow()
    session.add(
        CycleTransition(
            cycle_id=cycle.id,
            from_state=current,
            to_state=target,
            actor_id=actor_id,
            reason=reason,
        )
    )
    return cycle


async def latest_case(session: AsyncSession, person_id: int) -> ScreeningCase | None:
    query = (
        select(ScreeningCase)
        .where(ScreeningCase.person_id == person_id)
        .order_by(col(ScreeningCase.id).desc())
    )
    return (await session.exec(query)).first()


SUPERSEDED = "superseded"


async def supersede_open_cases(session: AsyncSession, person_id: int) -> list[ScreeningCase]:
    """Close undecided earlier cases when a revised form is screened again; returns them."""
    query = select(ScreeningCase).where(
        ScreeningCase.person_id == person_id, col(ScreeningCase.decided).is_(None)
    )
    closed = list((await session.exec(query)).all())
    for case in closed:
        case.decided, case.decided_at = SUPERSEDED, utcnow()
    return closed


async def add_case(session: AsyncSession, **values: object) -> ScreeningCase:
    """Record a screening case (its recommendation), with its id."""
    case = ScreeningCase(**values)
    session.add(case)
    await session.flush()
    return case


async def decide_case(
    session: AsyncSession,
    case: ScreeningCase,
    outcome: str,
    *,
    by: int,
    at: datetime,
    reason: str | None,
) -> bool:
    """Record the reviewer's decision unless the case was decided first; False then (the first
    decision wins, also between two processes)."""
    result = await session.exec(
        update(ScreeningCase)
        .where(col(ScreeningCase.id) == case.id, col(ScreeningCase.decided).is_(None))
        .values(decided=outcome, decided_by=by, decided_at=at, override_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(case)
    return result.rowcount == 1


async def reviewers(session: AsyncSession, institution_id: int | None) -> list[int]:
    """Person ids of the institution's staff and lecturers: they confirm screenings."""
    if institution_id is None:
        return []
    query = select(RoleGrant.person_id).where(
        RoleGrant.institution_id == institution_id,
        col(RoleGrant.role).in_(("institution", "lecturer")),
    )
    return sorted(set((await session.exec(query)).all()))


async def trainees_of(session: AsyncSession, institution_id: int) -> Sequence[TraineeCycle]:
    query = (
        select(TraineeCycle)
        .where(TraineeCycle.institution_id == institution_id)
        .order_by(TraineeCycle.id)
    )
    return (await session.exec(query)).all()


@dataclass(frozen=True)
class TraineeGroup:
    """A heading of /trainees: a class taught (its id and name) or an institution (`name`
    None), and how many trainees are under it."""

    class_id: int | None
    institution_id: int | None
    name: str | None
    count: int = 0


@dataclass(frozen=True)
class TraineeRow:
    """One trainee of a page of /trainees, under group number `group`."""

    group: int
    person_id: int
    name: str
    state: str
    unreachable: bool


async def trainee_groups(
    session: AsyncSession,
    classes: Sequence[tuple[int, str]],
    institution_ids: Sequence[int],
) -> list[TraineeGroup]:
    """The groups of /trainees in order (the classes, then the institutions) with how many
    trainees each has: two grouped counts."""
    class_counts: dict[int, int] = {}
    if classes:
        query = (
            select(Enrollment.class_id, func.count())
            .where(
                col(Enrollment.class_id).in_([class_id for class_id, _ in classes]),
                col(Enrollment.status).in_(ACTIVE),
            )
            .group_by(Enrollment.class_id)
        )
        class_counts = dict((await session.exec(query)).all())
    institution_counts: dict[int, int] = {}
    if institution_ids:
        query = (
            select(TraineeCycle.institution_id, func.count())
            .where(col(TraineeCycle.institution_id).in_(institution_ids))
            .group_by(TraineeCycle.institution_id)
        )
        institution_counts = dict((await session.exec(query)).all())
    return [
        TraineeGroup(class_id, None, name, class_counts.get(class_id, 0))
        for class_id, name in classes
    ] + [
        TraineeGroup(None, institution_id, None, institution_counts.get(institution_id, 0))
        for institution_id in institution_ids
    ]


async def trainee_rows(
    session: AsyncSession, groups: Sequence[TraineeGroup], offset: int, limit: int
) -> list[TraineeRow]:
    """Trainees `offset` to `offset + limit` of `groups` taken in order (a class's in the
    order they joined, an institution's in the order they registered): one query, each with
    their name, reachability and the state of their first cycle."""
    class_rank = {g.class_id: n for n, g in enumerate(groups) if g.class_id is not None}
    institution_rank = {
        g.institution_id: n for n, g in enumerate(groups) if g.institution_id is not None
    }
    parts = []
    if class_rank:
        parts.append(
            select(
                when(class_rank, value=Enrollment.class_id).label("grp"),
                col(Enrollment.id).label("pos"),
                col(Enrollment.person_id).label("person_id"),
            ).where(
                col(Enrollment.class_id).in_(class_rank),
                col(Enrollment.status).in_(ACTIVE),
            )
        )
    if institution_rank:
        parts.append(
            select(
                when(institution_rank, value=TraineeCycle.institution_id).label("grp"),
                col(TraineeCycle.id).label("pos"),
                col(TraineeCycle.person_id).label("person_id"),
            ).where(col(TraineeCycle.institution_id).in_(institution_rank))
        )
    if not parts or limit <= 0:
        return []
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    page = (  # the page first: the names and states are looked up for its rows only
        select(both.c.grp, both.c.pos, both.c.person_id)
        .order_by(both.c.grp, both.c.pos)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    first_cycle = aliased(TraineeCycle)
    state = (
        select(first_cycle.state)
        .where(first_cycle.person_id == page.c.person_id)
        .order_by(first_cycle.id)
        .limit(1)
        .scalar_subquery()
    )

    def person(column: Any) -> Any:  # a primary-key look-up per row, whatever the sizes
        return select(column).where(col(Person.id) == page.c.person_id).scalar_subquery()

    query = select(
        page.c.grp,
        page.c.person_id,
        person(Person.first_name),
        state,
        person(Person.unreachable),
    ).order_by(page.c.grp, page.c.pos)
    return [
        TraineeRow(group, person_id, name, state or "", bool(unreachable))
        for group, person_id, name, state, unreachable in (await session.exec(query)).all()
    ]


def _registration_numbers() -> Select:
    """(person, ID number, submitted at) of every current registration."""
    return (
        select(FormSubmission.person_id, FormAnswer.text, FormSubmission.submitted_at)
        .join(FormAnswer, col(FormAnswer.submission_id) == FormSubmission.id)
        .where(
            FormSubmission.form_id == "registration",
            col(FormSubmission.current),
            FormAnswer.question_id == "id_number",
        )
    )


async def same_id_number(session: AsyncSession, person_id: int) -> list[tuple[int, datetime]]:
    """Other people whose current registration gives the same ID number as this person's,
    with when they registered, earliest first (possible duplicate registrations)."""
    mine = _registration_numbers().where(FormSubmission.person_id == person_id).subquery()
    query = (
        _registration_numbers()
        .where(FormSubmission.person_id != person_id, col(FormAnswer.text).in_(select(mine.c.text)))
        .order_by(col(FormSubmission.submitted_at), col(FormSubmission.id))
    )
    found: dict[int, datetime] = {}
    for other, _, submitted_at in await session.exec(query):
        found.setdefault(other, submitted_at)
    return list(found.items())
