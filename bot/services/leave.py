"""Leave (S-11): a learner asks for leave from some of their class's sessions, with a reason;
a teacher of the class approves or refuses it, the first decision counting."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.attendance import MAX_LEAVE_HOURS, LeaveStatus, eligibility, leave_problem
from bot.i18n import I18n
from bot.policy import Action, require
from bot.services.actor import Actor
from bot.services.attendance import after_marks_changed
from bot.services.errors import Stale
from bot.services.outcomes import Decided
from bot.services.targets import class_target, leave_for
from bot.views.leave import request_card, request_view
from storage import attendance, people, repo
from storage.models import ClassSession, LeaveRequest, Person, TrainingClass

LEAVE_REASON_LENGTH = (2, 200)
"""A leave reason may be as short as 生病 (ill); so may a teacher's reason for refusing it."""


async def choices(
    session: AsyncSession, training_class: TrainingClass, actor: Actor
) -> dict[int, ClassSession]:
    """The sessions the learner may still ask leave from, by id."""
    found = await attendance.leave_choices(session, training_class, actor.person_id, actor.now)
    return {s.id: s for s in found}


async def request_leave(
    session: AsyncSession, actor: Actor, class_id: int, session_ids: Sequence[int], reason: str
) -> Decided:
    """Record the learner's request and push it to the class's teachers. Stale when a chosen
    session can no longer be asked for, or the hours went above the limit meanwhile."""
    learning = {c.id: c for c in await attendance.learner_classes(session, actor.person_id)}
    training_class = learning.get(class_id)
    if training_class is None:
        raise Stale("leave.stale")
    require(actor, Action.LEAVE_REQUEST, await class_target(session, training_class, learners=True))
    offered = await choices(session, training_class, actor)
    chosen = [s for s in session_ids if s in offered]
    if not chosen or len(chosen) != len(session_ids):
        raise Stale("leave.stale")
    hours = sum(offered[s].hours for s in chosen)
    if leave_problem(hours) is not None:
        raise Stale("leave.problem_too_long", hours=hours, max=MAX_LEAVE_HOURS)
    leave = await attendance.add_leave(
        session,
        class_id=training_class.id,
        person_id=actor.person_id,
        session_ids=chosen,
        hours=hours,
        reason=reason,
        created_at=actor.now,
    )
    await repo.audit(
        session,
        "leave.requested",
        actor_id=actor.person_id,
        subject_id=actor.person_id,
        object_type="leave_request",
        object_id=leave.id,
        reason=reason,
        sessions=chosen,
        hours=hours,
    )
    learner = await session.get(Person, actor.person_id)
    record = await attendance.attendance_record(session, training_class.id, learner.id)
    current = eligibility(training_class.programme, record)
    sessions = [offered[s] for s in chosen]
    name = await people.name(session, learner)
    for teacher_id in await attendance.teacher_ids(session, training_class.id):
        await notifier.tell_person(
            session,
            teacher_id,
            lambda reader: request_view(reader, leave, name, training_class, sessions, current),
            key=f"leave:{leave.id}:{teacher_id}",
        )
    return Decided(leave.id, leave.status, hours=hours)


async def pending_leave(session: AsyncSession, actor: Actor, leave_id: int) -> LeaveRequest:
    """The request, when the actor may decide it and it still waits; Stale names the first
    decision and who took it."""
    leave = await leave_for(session, actor, leave_id)
    if leave.status != LeaveStatus.PENDING:
        raise await _already_decided(session, leave)
    return leave


async def _already_decided(session: AsyncSession, leave: LeaveRequest) -> Stale:
    decider = await session.get(Person, leave.decided_by) if leave.decided_by else None
    return Stale(
        "leave.already_decided", status=leave.status, by=await people.name(session, decider)
    )


async def decide_leave(
    session: AsyncSession,
    actor: Actor,
    leave_id: int,
    approve: bool,
    reason: str | None = None,
) -> Decided:
    """Approve, or refuse with a reason, once: sessions already closed are excused at once,
    the learner is told (a refusal with its reason) and the pushed cards close. Stale names
    the first decision and who took it."""
    leave = await leave_for(session, actor, leave_id)
    status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
    if status is LeaveStatus.REFUSED and reason is None:
        raise Stale  # a refusal is only ever sent with its reason
    if not await attendance.decide_leave(session, leave, status, actor.person_id, actor.now):
        raise await _already_decided(session, leave)
    training_class = await session.get(TrainingClass, leave.class_id)
    teacher = await session.get(Person, actor.person_id)
    excused = []
    if leave.status == LeaveStatus.APPROVED:
        excused = await attendance.excuse_closed_sessions(
            session, leave, actor.person_id, actor.now
        )
    await repo.audit(
        session,
        f"leave.{leave.status}",
        actor_id=actor.person_id,
        subject_id=leave.person_id,
        object_type="leave_request",
        object_id=leave.id,
        sessions=leave.session_ids,
        excused_now=excused,
        reason=reason,
    )
    learner = await session.get(Person, leave.person_id)

    async def closed(reader: I18n) -> str:
        return (await request_card(session, leave, reader, refusal=reason))[0]

    await notifier.close_copies(session, f"leave:{leave.id}:", closed)
    await notifier.tell(
        session,
        learner,
        "leave.decided",
        key=f"leave_decided:{leave.id}",
        status=leave.status,
        name=training_class.name,
        hours=leave.hours,
        teacher=await people.name(session, teacher),
        reason=reason,
    )
    if leave.status == LeaveStatus.APPROVED:
        await after_marks_changed(session, training_class, [learner.id], actor.now)
    return Decided(leave.id, leave.status, await people.name(session, learner))


async def learner_classes(session: AsyncSession, person_id: int) -> Sequence[TrainingClass]:
    """The classes the person learns in (to ask leave in)."""
    return await attendance.learner_classes(session, person_id)


async def status(session: AsyncSession, person_id: int) -> list[dict]:
    """Attendance so far and eligibility in each of the person's classes (for /status)."""
    classes = []
    for training_class in await attendance.learner_classes(session, person_id):
        record = await attendance.attendance_record(session, training_class.id, person_id)
        pending = await attendance.leaves_of(
            session, training_class.id, person_id, attendance.PENDING
        )
        classes.append(
            {
                "name": training_class.name,
                "programme": training_class.programme,
                "record": record,
                "e": eligibility(training_class.programme, record),
                "pending": len(pending),
            }
        )
    return classes
