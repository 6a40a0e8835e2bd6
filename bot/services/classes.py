"""Preparing a class (S-7 to S-10, S-23, S-31): institution staff create it, edit its basic data,
assign two certified teachers, confirm the equipment checklist (T4) and submit it to the region's
supervisor. The timetable (T5) has its own use cases in bot/services/timetable.py.

Each use case takes an `Actor`, loads the class or raises (bot/services/targets.py), asks the
policy, applies the rules of bot/domain/classes.py, writes through storage, audits and tells the
others through bot/notifier.py. A chat button, a form hook or a web page call the same function;
tests/services/test_classes.py calls them with no bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.classes import (
    EDITABLE,
    REQUIREMENTS,
    ClassDetails,
    ClassEvent,
    ClassStatus,
    Found,
    Programme,
    TeacherStanding,
    may_teach,
    problems,
    standing,
)
from bot.domain.timetable import shifted
from bot.policy import Action, institutions, regions
from bot.services import recipients
from bot.services.actor import Actor
from bot.services.errors import Conflict, NotFound, Stale
from bot.services.targets import class_for, class_if_allowed, institution_for
from bot.views.classes import application, snapshot, summary
from bot.views.pages import PAGE_SIZE, page_window
from storage import classes, repo
from storage.models import Institution, Person, TrainingClass


async def audit(
    session: AsyncSession, actor: Actor, event: ClassEvent, found: TrainingClass, **details: Any
) -> None:
    await repo.audit(
        session,
        event,
        actor_id=actor.person_id,
        object_type="training_class",
        object_id=found.id,
        **details,
    )


async def preparing(
    session: AsyncSession, actor: Actor, action: Action, class_id: int
) -> TrainingClass:
    """The class, when the actor may do `action` to it and it may still be changed (being
    prepared, or returned); Stale naming its status otherwise."""
    found = await class_for(session, actor, action, class_id)
    if found.status not in EDITABLE:
        raise Stale("classes.not_editable", status=found.status)
    return found


async def preparing_or_none(
    session: AsyncSession, actor: Actor, action: Action, class_id: int | None
) -> TrainingClass | None:
    """`preparing` for the steps that answer in their own words (a typed answer, a form):
    None instead of a refusal."""
    found = await class_if_allowed(session, actor, action, class_id)
    return found if found is not None and found.status in EDITABLE else None


async def listed(
    session: AsyncSession, actor: Actor
) -> list[tuple[Institution, Sequence[TrainingClass]]]:
    """The classes of each institution the actor may see classes of."""
    sections = []
    for institution_id in institutions(actor, Action.CLASS_VIEW):
        institution = await session.get(Institution, institution_id)
        if institution is not None:
            sections.append(
                (institution, await classes.classes_of_institution(session, institution_id))
            )
    return sections


# --- basic data -----------------------------------------------------------------------------


async def create_class(
    session: AsyncSession,
    actor: Actor,
    institution_id: int,
    details: ClassDetails,
    *,
    timezone: str,
) -> TrainingClass:
    """A new class of the institution, being prepared."""
    institution = await institution_for(session, actor, Action.CLASS_CREATE, institution_id)
    found = await classes.create_class(
        session,
        details,
        institution_id=institution.id,
        region_id=institution.region_id,
        timezone=timezone,
        created_by=actor.person_id,
    )
    await audit(
        session,
        actor,
        ClassEvent.CREATED,
        found,
        programme=found.programme,
        capacity=found.capacity,
    )
    return found


async def edit_class(
    session: AsyncSession, actor: Actor, class_id: int, details: ClassDetails
) -> TrainingClass:
    """New basic data for a class being prepared; a new start date moves every session by the
    same number of days, at the same clock times."""
    found = await preparing(session, actor, Action.CLASS_EDIT, class_id)
    days = (details.start_date - found.start_date).days
    if days:
        for item in await classes.sessions_of(session, found.id):
            classes.move_times(item, *shifted(item, days, found.timezone))
    await classes.set_details(session, found, details)
    await audit(
        session,
        actor,
        ClassEvent.EDITED,
        found,
        programme=found.programme,
        capacity=found.capacity,
    )
    return found


async def details_to_edit(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """The class whose basic data the actor is about to change."""
    return await preparing(session, actor, Action.CLASS_EDIT, class_id)


# --- equipment checklist (T4) ----------------------------------------------------------------


async def equipment_to_confirm(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """The class whose checklist the actor is about to fill (it may be confirmed already)."""
    return await preparing(session, actor, Action.CLASS_EQUIPMENT, class_id)


async def confirm_equipment(
    session: AsyncSession, actor: Actor, class_id: int, submission_id: int | None = None
) -> TrainingClass:
    """The checklist is confirmed (every item answered yes), once; confirming again keeps the
    first confirmation."""
    found = await preparing(session, actor, Action.CLASS_EQUIPMENT, class_id)
    if found.equipment_confirmed_at is None:
        classes.confirm_equipment(found, by=actor.person_id, at=actor.now)
        await audit(
            session, actor, ClassEvent.EQUIPMENT_CONFIRMED, found, submission_id=submission_id
        )
    return found


# --- teachers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Someone who may be offered to teach the class, with how they stand."""

    person_id: int
    name: str
    standing: TeacherStanding


async def candidates(session: AsyncSession, found: TrainingClass) -> list[Candidate]:
    """The candidates (assigned first) and how their certificate of the needed kind stands."""
    kind = REQUIREMENTS[Programme(found.programme)].teacher_kind
    chosen = set(await classes.teacher_ids(session, found.id))
    listed = []
    for person in await classes.candidate_teachers(session, found):
        held = [
            c.status for c in await classes.certificates_of(session, person.id) if c.kind == kind
        ]
        name = await classes.teacher_name(session, person)
        listed.append(Candidate(person.id, name, standing(person.id in chosen, held)))
    return listed


@dataclass(frozen=True)
class TeacherSet:
    """What assigning or removing a teacher of `found` did: `changed` is False when it already
    was so."""

    found: TrainingClass
    name: str
    assigned: bool
    changed: bool


async def set_teacher(
    session: AsyncSession,
    actor: Actor,
    class_id: int,
    teacher_id: int,
    *,
    assign: bool,
    action: Action = Action.CLASS_TEACHERS,
) -> TeacherSet:
    """Assign a candidate holding a verified certificate of the kind the class needs (two at
    most), or take them off; the teacher is told. Pressing twice changes nothing. With
    `Action.CLASS_DISPATCH` the region's supervisor dispatches them (S-8): the teacher is told
    who sent them and the institution's staff are told too."""
    found = await preparing(session, actor, action, class_id)
    dispatched = action is Action.CLASS_DISPATCH
    teacher = await session.get(Person, teacher_id)
    offered = {p.id for p in await classes.candidate_teachers(session, found)}
    if teacher is None or teacher.id not in offered:
        raise NotFound("classes.not_found")
    name = await classes.teacher_name(session, teacher)
    chosen = await classes.teacher_ids(session, found.id)
    programme = Programme(found.programme)
    if not assign:
        if not await classes.unassign_teacher(session, found.id, teacher.id):
            return TeacherSet(found, name, assigned=False, changed=False)
        event, notice = ClassEvent.TEACHER_REMOVED, "classes.teacher_removed_notice"
        if dispatched:
            notice = "classes.dispatch_removed_notice"
    elif teacher.id in chosen:
        return TeacherSet(found, name, assigned=True, changed=False)
    elif not may_teach(programme, await classes.verified_kinds(session, teacher.id)):
        kind = REQUIREMENTS[programme].teacher_kind
        raise Conflict("classes.not_certified", name=name, kind=kind)
    elif len(chosen) >= 2:
        raise Conflict("classes.two_already")
    else:
        await classes.assign_teacher(session, found.id, teacher.id, by=actor.person_id)
        event, notice = ClassEvent.TEACHER_ASSIGNED, "classes.teacher_assigned_notice"
        if dispatched:
            notice = "classes.dispatched_notice"
    classes.touch(found)
    await repo.audit(
        session,
        event,
        actor_id=actor.person_id,
        subject_id=teacher.id,
        object_type="training_class",
        object_id=found.id,
        dispatched=dispatched,
    )
    await notifier.tell(session, teacher, notice, **summary(await snapshot(session, found)))
    if dispatched:
        await notifier.tell_many(
            session,
            [
                notifier.notice(
                    reader,
                    "classes.dispatch_staff_notice",
                    cls=found,
                    name=name,
                    assigned=assign,
                )
                for reader in await recipients.staff(session, found.institution_id)
            ],
        )
    return TeacherSet(found, name, assigned=assign, changed=True)


@dataclass(frozen=True)
class DispatchPage:
    """A page of the trainee classes being prepared in the actor's regions (S-8)."""

    shown: Sequence[TrainingClass]
    page: int
    pages: int
    total: int


async def dispatchable(session: AsyncSession, actor: Actor, page: int) -> DispatchPage:
    """The trainee classes of the supervisor's regions still being prepared, 20 a page: those
    they may dispatch teachers to."""
    region_ids = regions(actor, Action.CLASS_DISPATCH)
    _, total = await classes.classes_in_regions(
        session, region_ids, EDITABLE, Programme.TRAINEE, limit=0
    )
    page, pages, offset = page_window(total, page)
    shown, total = await classes.classes_in_regions(
        session, region_ids, EDITABLE, Programme.TRAINEE, offset=offset, limit=PAGE_SIZE
    )
    return DispatchPage(shown, page, pages, total)


async def to_dispatch(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """A class the actor may dispatch teachers to now (Stale once it is no longer prepared)."""
    return await preparing(session, actor, Action.CLASS_DISPATCH, class_id)


# --- submitting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What Submit did to `found`: `blocking` lists what keeps the class from being submitted
    (nothing was written then); else it went to `reviewers` people."""

    found: TrainingClass
    blocking: tuple[Found, ...] = ()
    reviewers: int = 0


async def submit_class(
    session: AsyncSession, actor: Actor, class_id: int, settings: Settings
) -> Submission:
    """Submit (or resubmit) the class for approval once the rules hold (S-9, S-10); the
    region's supervisors (the admins while it has none) get the application."""
    found = await preparing(session, actor, Action.CLASS_SUBMIT, class_id)
    snap = await snapshot(session, found)
    blocking = problems(snap.findings(actor.now))
    if blocking:
        return Submission(found, blocking=tuple(blocking))
    again = found.status == ClassStatus.RETURNED
    moved = await classes.move_class(
        session, found, EDITABLE, ClassStatus.SUBMITTED, submitted_at=actor.now
    )
    if not moved:
        raise Stale("classes.not_editable", status=found.status)
    await audit(session, actor, ClassEvent.SUBMITTED, found, resubmitted=again)
    sent_to = await recipients.class_reviewers(session, settings, found)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                reviewer,
                lambda reader: application(session, found, reader),
                key=f"class:{found.id}:{actor.now.isoformat()}:{reviewer.chat_id}",
            )
            for reviewer in sent_to
        ],
    )
    return Submission(found, reviewers=len(sent_to))
