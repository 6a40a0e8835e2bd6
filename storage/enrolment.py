"""Places in classes: who is in, who waits for screening, and the class's invitation links.
Repositories never commit; the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import ClassStatus
from bot.domain.cycle import TraineeState
from bot.domain.enrolment import (
    ACTIVE,
    ENROLLED,
    PENDING,
    PLACED,
    WITHDRAWN,
    Admission,
    PlaceSource,
    PlaceStatus,
    Screening,
    Span,
    admission,
    is_open,
    overlaps,
    room_left,
    screening_of,
)
from bot.domain.invitations import new_code
from bot.domain.roles import Role
from storage import intake, repo
from storage.classes import get_class
from storage.models import (
    ClassSession,
    CycleTransition,
    Enrollment,
    FormAnswer,
    FormSubmission,
    Institution,
    Invitation,
    RoleGrant,
    TraineeCycle,
    TrainingClass,
)

READY = (TraineeState.SUITABLE_ONLINE, TraineeState.NEEDS_ANALYSED)
"""Cycle states that move on to enrolled when the trainee gets a place."""


async def span_of(session: AsyncSession, training_class: TrainingClass) -> Span:
    """First and last day of the timetable in the class's time zone (its start date if empty)."""
    query = select(func.min(ClassSession.starts_at), func.max(ClassSession.ends_at)).where(
        ClassSession.class_id == training_class.id
    )
    starts, ends = (await session.exec(query)).one()
    if starts is None:
        return Span(training_class.start_date, training_class.start_date)
    zone = ZoneInfo(training_class.timezone)
    return Span(starts.astimezone(zone).date(), ends.astimezone(zone).date())


def today_of(training_class: TrainingClass, now: datetime) -> date:
    return now.astimezone(ZoneInfo(training_class.timezone)).date()


def end_of(training_class: TrainingClass, span: Span) -> datetime:
    """When the class's last day is over: its links stop working then."""
    zone = ZoneInfo(training_class.timezone)
    return datetime.combine(span.last + timedelta(days=1), time(0), zone)


def _reserved(class_id: int, now: datetime) -> ColumnElement[bool]:
    """Unused personal invitations of the class: each holds a place for its person."""
    return (
        (col(Invitation.class_id) == class_id)
        & col(Invitation.max_uses).is_not(None)
        & (col(Invitation.uses) < col(Invitation.max_uses))
        & col(Invitation.revoked_at).is_(None)
        & (col(Invitation.expires_at).is_(None) | (col(Invitation.expires_at) > now))
    )


async def taken(session: AsyncSession, class_id: int, now: datetime) -> int:
    """Places taken: enrolled, pending, and held by unused personal invitations."""
    places = select(func.count()).where(
        Enrollment.class_id == class_id, col(Enrollment.status).in_(ACTIVE)
    )
    held = select(func.count()).select_from(Invitation).where(_reserved(class_id, now))
    return (await session.exec(places)).one() + (await session.exec(held)).one()


async def place_of(session: AsyncSession, class_id: int, person_id: int) -> Enrollment | None:
    query = select(Enrollment).where(
        Enrollment.class_id == class_id, Enrollment.person_id == person_id
    )
    return (await session.exec(query)).first()


async def held_by(session: AsyncSession, class_id: int, person_ids: list[int]) -> list[int]:
    """Which of these people hold a place (enrolled or pending) in the class."""
    query = select(Enrollment.person_id).where(
        Enrollment.class_id == class_id,
        col(Enrollment.person_id).in_(person_ids),
        col(Enrollment.status).in_(ACTIVE),
    )
    return list(await session.exec(query))


async def places_of(
    session: AsyncSession, person_id: int, statuses: Iterable[str] = ACTIVE
) -> Sequence[tuple[Enrollment, TrainingClass]]:
    """The person's places (enrolled or pending by default) with their classes."""
    query = (
        select(Enrollment, TrainingClass)
        .join(TrainingClass, col(TrainingClass.id) == Enrollment.class_id)
        .where(Enrollment.person_id == person_id, col(Enrollment.status).in_(tuple(statuses)))
        .order_by(TrainingClass.start_date, col(Enrollment.id))
    )
    return (await session.exec(query)).all()


async def clash(
    session: AsyncSession, person_id: int, training_class: TrainingClass, span: Span
) -> TrainingClass | None:
    """Another class of the person's that shares a day with this one."""
    for _, other in await places_of(session, person_id):
        if other.id != training_class.id and overlaps(span, await span_of(session, other)):
            return other
    return None


async def screening(session: AsyncSession, person_id: int) -> tuple[Screening, str | None]:
    """The person's latest screening, as far as joining an online class is concerned."""
    case = await intake.latest_case(session, person_id)
    decided = case.decided if case else None
    return screening_of(decided), decided


@dataclass(frozen=True)
class Assessment:
    verdict: Admission
    current: Enrollment | None
    outcome: str | None
    other: TrainingClass | None


async def assess(
    session: AsyncSession,
    training_class: TrainingClass,
    span: Span,
    person_id: int,
    *,
    today: date,
    room: int,
) -> Assessment:
    current = await place_of(session, training_class.id, person_id)
    suitability, outcome = await screening(session, person_id)
    other = await clash(session, person_id, training_class, span)
    twins = [twin for twin, _ in await intake.same_id_number(session, person_id)]
    verdict = admission(
        duplicate=bool(twins) and bool(await held_by(session, training_class.id, twins)),
        current=current.status if current else None,
        open_=is_open(training_class.status, span, today),
        screening=suitability,
        clash=other is not None,
        room=room,
    )
    return Assessment(verdict, current, outcome, other)


async def place(
    session: AsyncSession,
    training_class: TrainingClass,
    person_id: int,
    assessment: Assessment,
    *,
    actor_id: int | None,
    source: PlaceSource | str,
) -> bool:
    """Record the place the assessment grants; True when something changed (and audited)."""
    if assessment.verdict not in PLACED:
        return False
    status = PlaceStatus(assessment.verdict)
    current = assessment.current
    previous = current.status if current else None
    if previous == status:
        return False
    if current is None:
        current = Enrollment(class_id=training_class.id, person_id=person_id)
        session.add(current)
    current.status, current.source, current.enrolled_by = status, source, actor_id
    await session.flush()
    await repo.audit(
        session,
        f"enrolment.{status}",
        actor_id=actor_id,
        subject_id=person_id,
        object_type="training_class",
        object_id=training_class.id,
        source=source,
        previous=previous,
    )
    if status == ENROLLED:
        await _enter_training(session, person_id, training_class, actor_id)
    return True


async def admit(
    session: AsyncSession,
    training_class: TrainingClass,
    person_id: int,
    *,
    actor_id: int | None,
    source: PlaceSource | str,
    now: datetime,
) -> Assessment:
    """Assess and, when granted, record one person's place in the (locked) class."""
    span = await span_of(session, training_class)
    room = room_left(await taken(session, training_class.id, now), training_class.capacity)
    found = await assess(
        session, training_class, span, person_id, today=today_of(training_class, now), room=room
    )
    await place(session, training_class, person_id, found, actor_id=actor_id, source=source)
    return found


async def _trainee_cycle(session: AsyncSession, person_id: int) -> TraineeCycle | None:
    """The cycle the person's screening belongs to."""
    case = await intake.latest_case(session, person_id)
    return await intake.cycle_of(session, person_id, case.institution_id if case else None)


async def _enter_training(
    session: AsyncSession, person_id: int, training_class: TrainingClass, actor_id: int | None
) -> None:
    cycle = await _trainee_cycle(session, person_id)
    if cycle is not None and cycle.state in READY:
        await intake.move(
            session,
            person_id,
            cycle.institution_id,
            TraineeState.ENROLLED,
            actor_id=actor_id,
            reason=f"class {training_class.id}",
        )


async def _leave_training(session: AsyncSession, person_id: int, actor_id: int | None) -> None:
    """Without any class left, the cycle goes back to where it was before enrolment."""
    if await places_of(session, person_id, (ENROLLED,)):
        return
    cycle = await _trainee_cycle(session, person_id)
    if cycle is None or cycle.state != TraineeState.ENROLLED:
        return
    query = (
        select(CycleTransition.from_state)
        .where(
            CycleTransition.cycle_id == cycle.id, CycleTransition.to_state == TraineeState.ENROLLED
        )
        .order_by(col(CycleTransition.id).desc())
    )
    before = (await session.exec(query)).first()
    await intake.move(
        session,
        person_id,
        cycle.institution_id,
        TraineeState(before) if before in READY else TraineeState.SUITABLE_ONLINE,
        actor_id=actor_id,
        reason="withdrawn from class",
    )


async def withdraw(
    session: AsyncSession,
    enrolment: Enrollment,
    *,
    actor_id: int | None,
    action: str = "enrolment.withdrawn",
    reason: str | None = None,
) -> bool:
    """Give up the place; False when it was not held. `action` names why in the audit log."""
    if enrolment.status not in ACTIVE:
        return False
    previous = enrolment.status
    enrolment.status = WITHDRAWN
    await session.flush()
    await repo.audit(
        session,
        action,
        actor_id=actor_id,
        subject_id=enrolment.person_id,
        object_type="training_class",
        object_id=enrolment.class_id,
        reason=reason,
        previous=previous,
    )
    if previous == ENROLLED:
        await _leave_training(session, enrolment.person_id, actor_id)
    return True


async def settle(
    session: AsyncSession, person_id: int, *, actor_id: int | None, now: datetime
) -> list[tuple[TrainingClass, Assessment]]:
    """After a screening decision: each pending place becomes enrolled or is given up."""
    settled = []
    for enrolment, _ in await places_of(session, person_id, (PENDING,)):
        training_class = await get_class(session, enrolment.class_id, lock=True)
        found = await admit(
            session, training_class, person_id, actor_id=actor_id, source=enrolment.source, now=now
        )
        if found.verdict is not Admission.ENROLLED:
            await withdraw(
                session,
                enrolment,
                actor_id=actor_id,
                action="enrolment.refused",
                reason=found.outcome if found.verdict is Admission.UNSUITABLE else found.verdict,
            )
        settled.append((training_class, found))
    return settled


async def roster(session: AsyncSession, class_id: int) -> Sequence[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.class_id == class_id, col(Enrollment.status).in_(ACTIVE))
        .order_by(col(Enrollment.id))
    )
    return (await session.exec(query)).all()


async def candidates(session: AsyncSession, institution_id: int, class_id: int) -> list[int]:
    """The institution's trainees found suitable for online training and not in the class."""
    states = (*READY, TraineeState.ENROLLED)
    query = select(TraineeCycle.person_id).where(
        TraineeCycle.institution_id == institution_id, col(TraineeCycle.state).in_(states)
    )
    present = {enrolment.person_id for enrolment in await roster(session, class_id)}
    return sorted(set((await session.exec(query)).all()) - present)


def _candidate_query(institution_id: int, class_id: int, what: Any) -> Any:
    present = select(Enrollment.person_id).where(
        Enrollment.class_id == class_id, col(Enrollment.status).in_(ACTIVE)
    )
    return select(what).where(
        TraineeCycle.institution_id == institution_id,
        col(TraineeCycle.state).in_((*READY, TraineeState.ENROLLED)),
        col(TraineeCycle.person_id).not_in(present),
    )


async def candidate_count(session: AsyncSession, institution_id: int, class_id: int) -> int:
    """How many `candidates` there are (one count)."""
    query = _candidate_query(
        institution_id, class_id, func.count(TraineeCycle.person_id.distinct())
    )
    return (await session.exec(query)).one()


async def candidates_page(
    session: AsyncSession, institution_id: int, class_id: int, offset: int, limit: int
) -> list[int]:
    """`candidates` `offset` to `offset + limit`, in the order they came (person id): one query."""
    query = (
        _candidate_query(institution_id, class_id, TraineeCycle.person_id)
        .distinct()
        .order_by(TraineeCycle.person_id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def is_trainee_of(session: AsyncSession, person_id: int, institution_id: int) -> bool:
    query = select(RoleGrant.id).where(
        RoleGrant.person_id == person_id,
        RoleGrant.role == Role.TRAINEE,
        RoleGrant.institution_id == institution_id,
    )
    return (await session.exec(query)).first() is not None


async def classes_of(session: AsyncSession, institution_ids: Iterable[int]) -> list[TrainingClass]:
    """The institutions' approved classes, soonest first."""
    query = (
        select(TrainingClass)
        .where(
            col(TrainingClass.institution_id).in_(tuple(institution_ids)),
            TrainingClass.status == ClassStatus.APPROVED,
        )
        .order_by(TrainingClass.start_date, col(TrainingClass.id))
    )
    return list((await session.exec(query)).all())


async def registered(
    session: AsyncSession, institution_id: int, id_numbers: Iterable[str], mobiles: Iterable[str]
) -> dict[str, set[int]]:
    """Trainees of the institution whose current registration gives these numbers, keyed
    "id:<number>" and "mobile:<number>". Other institutions' trainees are not searched."""
    wanted = {"id_number": set(id_numbers), "mobile": set(mobiles)}
    found: dict[str, set[int]] = {}
    for question, values in wanted.items():
        if not values:
            continue
        query = (
            select(FormAnswer.text, FormSubmission.person_id)
            .join(FormSubmission, col(FormSubmission.id) == FormAnswer.submission_id)
            .join(RoleGrant, col(RoleGrant.person_id) == FormSubmission.person_id)
            .where(
                FormSubmission.form_id == "registration",
                col(FormSubmission.current),
                FormAnswer.question_id == question,
                col(FormAnswer.text).in_(values),
                RoleGrant.role == Role.TRAINEE,
                RoleGrant.institution_id == institution_id,
            )
        )
        prefix = "id" if question == "id_number" else "mobile"
        for value, person_id in await session.exec(query):
            found.setdefault(f"{prefix}:{value}", set()).add(person_id)
    return found


async def class_link(
    session: AsyncSession, training_class: TrainingClass, span: Span, *, created_by: int
) -> Invitation:
    """The class's one multi-use trainee invitation, made on first request and valid until
    the class's last day (moved along if the timetable changed). Its code is kept in
    `TrainingClass.invite_code`."""
    code = training_class.invite_code
    existing = await repo.invitation_by_code(session, code) if code else None
    if existing is not None and existing.class_id == training_class.id and not existing.revoked_at:
        existing.expires_at = end_of(training_class, span)
        return existing
    invitation = await _class_invitation(
        session,
        training_class,
        code if code and existing is None else new_code(),
        span,
        created_by=created_by,
        max_uses=None,
        label=None,
    )
    training_class.invite_code = invitation.code
    return invitation


async def open_personal(
    session: AsyncSession, class_id: int, now: datetime
) -> Sequence[Invitation]:
    """Personal invitations of the class nobody has used yet, oldest first."""
    query = select(Invitation).where(_reserved(class_id, now)).order_by(col(Invitation.id))
    return (await session.exec(query)).all()


async def personal_invitation(
    session: AsyncSession,
    training_class: TrainingClass,
    span: Span,
    name: str,
    *,
    created_by: int,
) -> Invitation:
    """A single-use class invitation for one named person (who has not registered yet)."""
    return await _class_invitation(
        session,
        training_class,
        new_code(),
        span,
        created_by=created_by,
        max_uses=1,
        label=name[:100],
    )


async def _class_invitation(
    session: AsyncSession,
    training_class: TrainingClass,
    code: str,
    span: Span,
    *,
    created_by: int,
    max_uses: int | None,
    label: str | None,
) -> Invitation:
    institution = await session.get(Institution, training_class.institution_id)
    invitation = Invitation(
        code=code,
        role=Role.TRAINEE,
        region_id=institution.region_id,
        institution_id=training_class.institution_id,
        class_id=training_class.id,
        label=label,
        created_by=created_by,
        max_uses=max_uses,
        expires_at=end_of(training_class, span),
    )
    session.add(invitation)
    await session.flush()
    await repo.audit(
        session,
        "invitation.created",
        actor_id=created_by,
        object_type="invitation",
        object_id=invitation.id,
        role=Role.TRAINEE,
        class_id=training_class.id,
        max_uses=max_uses,
    )
    return invitation
