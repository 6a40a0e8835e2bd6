"""Load an object, or raise NotFound, and the scope facts the access policy judges it by.

`class_for` and friends load, check with the policy and return the object in one call, so a
forged or foreign id ends in one polite alert and never in a traceback.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.policy import Action, Target, allowed, require
from bot.services.actor import Actor
from bot.services.errors import NotFound, found
from storage import attendance, intake
from storage import classes as class_store
from storage.enrolment import place_of
from storage.models import (
    Certificate,
    ClassSession,
    FeedbackRequest,
    Institution,
    LeaveRequest,
    ScreeningCase,
    TrainingClass,
)


async def class_target(
    session: AsyncSession, training_class: TrainingClass, *, learners: bool = False
) -> Target:
    """Where the class is, its programme (the kind), who teaches it (and, when asked, who is
    enrolled)."""
    return Target.at(
        training_class.institution_id,
        training_class.region_id,
        kind=training_class.programme,
        teachers=await class_store.teacher_ids(session, training_class.id),
        learners=await attendance.enrolled_ids(session, training_class.id) if learners else (),
    )


def institution_target(institution: Institution) -> Target:
    return Target.at(institution.id, institution.region_id)


def case_target(case: ScreeningCase) -> Target:
    return Target.at(case.institution_id)


def certificate_target(certificate: Certificate) -> Target:
    return Target.at(
        region=certificate.region_id, owner=certificate.person_id, kind=certificate.kind
    )


async def trainee_target(session: AsyncSession, trainee_id: int, viewer_id: int) -> Target:
    """The trainee's institutions, and the viewer as a teacher when they teach a class the
    trainee has a place in."""
    institutions = {cycle.institution_id for cycle in await intake.cycles_of(session, trainee_id)}
    teaches = False
    for taught in await class_store.classes_taught_by(session, viewer_id):
        if await place_of(session, taught.id, trainee_id) is not None:
            teaches = True
            break
    return Target(
        institutions=frozenset(i for i in institutions if i is not None),
        teachers=frozenset((viewer_id,) if teaches else ()),
        owner=trainee_id,
    )


async def class_for(
    session: AsyncSession, actor: Actor, action: Action, class_id: int, *, lock: bool = False
) -> TrainingClass:
    """The class, when the actor may do `action` to it; NotFound or NotAllowed otherwise."""
    training_class, _ = await class_and_target(session, actor, action, class_id, lock=lock)
    return training_class


async def class_and_target(
    session: AsyncSession,
    actor: Actor,
    action: Action,
    class_id: int,
    *,
    statuses: Collection[str] | None = None,
    lock: bool = False,
) -> tuple[TrainingClass, Target]:
    """`class_for` with the class's scope facts, for asking the policy more about it; a class
    outside `statuses` counts as not found."""
    training_class = found(await class_store.get_class(session, class_id, lock=lock))
    if statuses is not None and training_class.status not in statuses:
        raise NotFound
    target = await class_target(session, training_class)
    require(actor, action, target)
    return training_class, target


async def class_session_for(
    session: AsyncSession, actor: Actor, action: Action, session_id: int
) -> tuple[ClassSession, TrainingClass]:
    """A session of a class with the class, when the actor may do `action` to that class."""
    class_session = found(await session.get(ClassSession, session_id))
    return class_session, await class_for(session, actor, action, class_session.class_id)


async def institution_for(
    session: AsyncSession, actor: Actor, action: Action, institution_id: int
) -> Institution:
    institution = found(await session.get(Institution, institution_id))
    require(actor, action, institution_target(institution))
    return institution


async def case_for(session: AsyncSession, actor: Actor, case_id: int) -> ScreeningCase:
    case = found(await session.get(ScreeningCase, case_id))
    require(actor, Action.SCREENING_DECIDE, case_target(case))
    return case


async def certificate_for(session: AsyncSession, actor: Actor, certificate_id: int) -> Certificate:
    certificate = found(await class_store.certificate(session, certificate_id))
    require(actor, Action.CERTIFICATE_VERIFY, certificate_target(certificate))
    return certificate


async def leave_for(session: AsyncSession, actor: Actor, leave_id: int) -> LeaveRequest:
    leave = found(await session.get(LeaveRequest, leave_id))
    teachers = await attendance.teacher_ids(session, leave.class_id)
    require(actor, Action.LEAVE_DECIDE, Target.at(teachers=teachers, owner=leave.person_id))
    return leave


async def feedback_request_for(
    session: AsyncSession, actor: Actor, request_id: int
) -> FeedbackRequest:
    request = found(await session.get(FeedbackRequest, request_id))
    require(actor, Action.FEEDBACK_GIVE, Target.at(owner=request.person_id))
    return request


async def trainee_for(session: AsyncSession, actor: Actor, trainee_id: int) -> int:
    """The trainee's person id, when the actor may see their card."""
    target = await trainee_target(session, trainee_id, actor.person_id)
    require(actor, Action.TRAINEE_VIEW, target)
    return trainee_id


async def class_if_allowed(
    session: AsyncSession,
    actor: Actor,
    action: Action,
    class_id: int | None,
    *,
    lock: bool = False,
) -> TrainingClass | None:
    """The class when it exists and the actor may do `action` to it, else None: for the steps
    that must answer in their own words (a typed answer after the state was cleared, a form)."""
    training_class = await class_store.get_class(session, class_id, lock=lock) if class_id else None
    if training_class is None:
        return None
    target = await class_target(session, training_class)
    return training_class if allowed(actor, action, target) else None
