"""Handing in the assessment (S-11, S-12): practice results (T8) and the business plan (T10).

A learner of a class may submit while they are still eligible (S-11) from the first class day
until the end of the last (「培训结束前提交」); the institution's staff may extend one learner's
deadline. Both forms are run by the generic form runner; each submission is a `form_submission`
row (context `class_id`), a resubmission a new row superseding the earlier, which is kept. The
scoring (issue 12, the assessment helper) reads those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.attendance import ALLOWED_MISSES, Eligibility, eligibility
from bot.domain.classes import Programme
from bot.domain.submissions import (
    PLAN,
    PRACTICE,
    Closed,
    Window,
    closed_reason,
    extended_deadline,
    extension_problem,
    window,
)
from bot.forms import service as form_store
from bot.policy import Action, Target, institutions, require
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale, found
from bot.services.targets import class_for, class_target
from storage import attendance, people, repo
from storage import enrolment as enrolment_store
from storage import submissions as store
from storage.enrolment import span_of, today_of
from storage.models import FormSubmission, Person, TrainingClass


@dataclass(frozen=True)
class Opening:
    """Where a learner stands for one form in one class."""

    training_class: TrainingClass
    form_id: str
    window: Window
    eligibility: Eligibility
    versions: int
    """How many times the form was handed in for this class so far."""

    @property
    def deadline(self) -> datetime:
        """The last moment shown to people (the minute before the window closes), local."""
        zone = ZoneInfo(self.training_class.timezone)
        return (self.window.closes_at - timedelta(minutes=1)).astimezone(zone)

    @property
    def opens(self) -> datetime:
        return self.window.opens_at.astimezone(ZoneInfo(self.training_class.timezone))


@dataclass(frozen=True)
class Extended:
    """An extension granted: whose, in which class, and the new deadline (local)."""

    learner: str
    class_name: str
    deadline: datetime


def _current_class(classes: list[TrainingClass], actor: Actor) -> TrainingClass:
    """The latest class that has started, else the next one to start."""
    started = [c for c in classes if c.start_date <= today_of(c, actor.now)]
    return started[0] if started else classes[-1]


async def opening(
    session: AsyncSession, training_class: TrainingClass, person_id: int, form_id: str
) -> Opening:
    span = await span_of(session, training_class)
    until = await store.extended_until(session, training_class.id, person_id)
    record = await attendance.attendance_record(session, training_class.id, person_id)
    return Opening(
        training_class,
        form_id,
        window(span.first, span.last, training_class.timezone, until),
        eligibility(training_class.programme, record),
        len(await store.versions(session, person_id, form_id, training_class.id)),
    )


def refuse_when_closed(found_opening: Opening, now: datetime) -> None:
    """Raise the refusal that tells the learner why they cannot submit now (the reason they
    are not eligible, when the window opens, or the deadline they missed)."""
    o = found_opening
    reason = closed_reason(o.eligibility, o.window, now)
    if reason is Closed.NOT_ELIGIBLE:
        raise NotAllowed(
            "submissions.not_eligible",
            absences=o.eligibility.absences,
            leaves=o.eligibility.leaves,
            allowed=ALLOWED_MISSES[Programme(o.training_class.programme)],
        )
    if reason is Closed.NOT_YET:
        raise NotAllowed("submissions.not_yet", opens=o.opens, name=o.training_class.name)
    if reason is Closed.LATE:
        raise NotAllowed("submissions.late", deadline=o.deadline, name=o.training_class.name)


async def open_for(session: AsyncSession, actor: Actor, form_id: str) -> Opening:
    """The learner's current class and their standing for `form_id`, when they may submit it
    now; NotFound when they are in no class, NotAllowed with the reason otherwise."""
    classes = list(await store.learner_classes(session, actor.person_id))
    if not classes:
        raise NotFound("submissions.no_class")
    training_class = _current_class(classes, actor)
    require(
        actor,
        Action.SUBMISSION_HAND_IN,
        await class_target(session, training_class, learners=True),
    )
    found_opening = await opening(session, training_class, actor.person_id, form_id)
    refuse_when_closed(found_opening, actor.now)
    return found_opening


async def handed_in(session: AsyncSession, actor: Actor, submission: FormSubmission) -> Opening:
    """Checked again when the form is submitted (the deadline may have passed, or eligibility
    been lost, while it was being filled): raising rolls the submission back."""
    class_id = submission.context.get("class_id")
    training_class = found(
        await session.get(TrainingClass, class_id) if isinstance(class_id, int) else None
    )
    require(
        actor,
        Action.SUBMISSION_HAND_IN,
        await class_target(session, training_class, learners=True),
    )
    found_opening = await opening(session, training_class, actor.person_id, submission.form_id)
    refuse_when_closed(found_opening, actor.now)
    await repo.audit(
        session,
        "submission.handed_in",
        actor_id=actor.person_id,
        subject_id=actor.person_id,
        object_type="form_submission",
        object_id=submission.id,
        form=submission.form_id,
        class_id=training_class.id,
        version=found_opening.versions,
    )
    return found_opening


async def extend(
    session: AsyncSession, actor: Actor, class_id: int, person_id: int, days: int
) -> Extended:
    """Give one learner of the class a later deadline (institution staff; audited; the learner
    is told). Stale when the learner left the class or the length is not offered."""
    training_class = await class_for(session, actor, Action.SUBMISSION_EXTEND, class_id)
    if person_id not in await attendance.enrolled_ids(session, class_id):
        raise Stale("submissions.not_in_class")
    span = await span_of(session, training_class)
    today = today_of(training_class, actor.now)
    if extension_problem(span.last, today, days) is not None:
        raise Stale("submissions.extension_refused")
    until = extended_deadline(span.last, today, days, training_class.timezone)
    row = await store.add_extension(session, class_id, person_id, until, actor.person_id, actor.now)
    await repo.audit(
        session,
        "submission.extended",
        actor_id=actor.person_id,
        subject_id=person_id,
        object_type="training_class",
        object_id=class_id,
        until=until.isoformat(),
        days=days,
    )
    learner = await session.get(Person, person_id)
    local = (until - timedelta(minutes=1)).astimezone(ZoneInfo(training_class.timezone))
    await notifier.tell(
        session,
        learner,
        "submissions.extended",
        key=f"extension:{row.id}",
        name=training_class.name,
        deadline=local,
    )
    return Extended(await people.name(session, learner), training_class.name, local)


@dataclass(frozen=True)
class PlanCopy:
    """A business plan to print: its answers, when they were last changed, and whether it is
    handed in (False: a draft being filled)."""

    answers: dict[str, Any]
    context: dict[str, Any]
    changed_at: datetime
    submitted: bool


async def plan_to_print(session: AsyncSession, actor: Actor) -> PlanCopy:
    """The learner's own business plan as last changed, a draft being filled included ("at any
    time", 「学员打印《网络创业规划书》」). NotFound when there is none filled in chat."""
    require(actor, Action.PLAN_PRINT, Target.at(owner=actor.person_id))
    copies = []
    submitted = await store.latest(session, actor.person_id, PLAN)
    if submitted is not None:
        copies.append(PlanCopy(submitted.answers, submitted.context, submitted.submitted_at, True))
    drafts = [await form_store.active_draft(session, actor.person_id)]
    drafts += await form_store.paused_drafts(session, actor.person_id)
    for draft in drafts:
        if draft is not None and draft.form_id == PLAN:
            copies.append(PlanCopy(draft.answers, draft.context, draft.updated_at, False))
    in_chat = [copy for copy in copies if copy.answers.get("mode") == "chat"]
    if not in_chat:
        raise NotFound("submissions.no_plan")
    return max(in_chat, key=lambda copy: copy.changed_at)


async def latest_version(
    session: AsyncSession, actor: Actor, form_id: str, class_id: int
) -> FormSubmission | None:
    """The learner's last version of `form_id` for the class, to start the next from."""
    found_versions = await store.versions(session, actor.person_id, form_id, class_id)
    return found_versions[-1] if found_versions else None


async def standing_of(
    session: AsyncSession, training_class: TrainingClass, person_id: int
) -> Opening:
    """A learner's window in the class (for staff deciding an extension)."""
    if person_id not in await attendance.enrolled_ids(session, training_class.id):
        raise Stale("submissions.not_in_class")
    return await opening(session, training_class, person_id, PRACTICE)


async def class_of(session: AsyncSession, class_id: object) -> TrainingClass | None:
    return await session.get(TrainingClass, class_id) if isinstance(class_id, int) else None


async def extendable_classes(session: AsyncSession, actor: Actor) -> list[TrainingClass]:
    """The approved classes of the institutions where the actor may extend deadlines."""
    return await enrolment_store.classes_of(session, institutions(actor, Action.SUBMISSION_EXTEND))


async def learners_of(
    session: AsyncSession, training_class: TrainingClass
) -> list[tuple[int, str]]:
    """The class's enrolled learners (id, name), by name."""
    ids = await attendance.enrolled_ids(session, training_class.id)
    named = await people.names(session, ids)
    return sorted(((i, named.get(i, str(i))) for i in ids), key=lambda item: item[1])
