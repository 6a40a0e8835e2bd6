"""Follow-up use cases (S-16, T13): answering a tracking survey, stopping and resuming
follow-ups, the schedule staff set, and the phone follow-up list's calls.

The scan that pushes, reminds and closes is scheduler/followup.py; the rules are
bot/domain/followup.py. tests/services/test_followup.py calls these with no bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.followup import (
    Answer,
    CallOutcome,
    Problem,
    Schedule,
    answer_kind,
    parse_months,
    schedule_for,
)
from bot.forms import service as form_store
from bot.policy import Action, Target, allowed, institutions, require
from bot.services import people
from bot.services.actor import Actor
from bot.services.errors import NotFound, Stale, found
from bot.services.targets import class_for
from storage import followup, repo
from storage.models import FollowupSurvey, FormDraft, FormSubmission, TrainingClass

FORM = "tracking_survey"

# Any feature pushing to trainees after their class leaves out whom
# `storage.followup.followup_stopped(session, person_ids)` returns (those who sent /stop).


# --- the trainee -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The survey's form to fill: the draft already open for it, or the context to start it."""

    survey: FollowupSurvey
    context: dict[str, Any]
    draft: FormDraft | None = None


async def _own(session: AsyncSession, actor: Actor, survey_id: int) -> FollowupSurvey:
    survey = found(await followup.survey(session, survey_id))
    require(actor, Action.FOLLOWUP_ANSWER, Target.at(owner=survey.person_id))
    return survey


async def open_survey(session: AsyncSession, actor: Actor, survey_id: int) -> Opened:
    """The actor's own survey: Stale once answered. A closed one may still be answered: the
    answer is kept, marked late."""
    survey = await _own(session, actor, survey_id)
    if survey.answered_at is not None:
        raise Stale("followup.already")
    draft = await form_store.active_draft(session, actor.person_id)
    if draft is not None and draft.context.get("followup") == survey.id:
        return Opened(survey, draft.context, draft)
    return Opened(survey, {"followup": survey.id, "via_phone": False})


async def count_answer(
    session: AsyncSession, actor: Actor, submission: FormSubmission, first_time: bool
) -> Answer | None:
    """Count a submitted tracking survey as its survey's one answer (a late one is kept and
    marked late); None when the submission answers no survey of the actor's."""
    survey = await followup.survey(session, int(submission.context.get("followup") or 0))
    if survey is None or not first_time:
        return None
    if not allowed(actor, Action.FOLLOWUP_ANSWER, Target.at(owner=survey.person_id)):
        return None
    kind = answer_kind(survey.answered_at, survey.closed_at, actor.now)
    if kind is not Answer.ALREADY:
        late = kind is Answer.LATE
        if not await followup.record_answer(
            session, survey, submission.id, actor.now, late=late, via_phone=False
        ):
            return Answer.ALREADY
        await repo.audit(
            session,
            "followup.answered",
            actor_id=actor.person_id,
            subject_id=survey.person_id,
            object_type="followup_survey",
            object_id=survey.id,
            late=late,
        )
    return kind


async def stop(session: AsyncSession, actor: Actor) -> bool:
    """Stop follow-ups for the actor (audited, so stops are counted); False when stopped."""
    require(actor, Action.FOLLOWUP_ANSWER, Target.at(owner=actor.person_id))
    stopped = await followup.stop(session, actor.person_id, actor.now)
    if stopped:
        await repo.audit(session, "followup.stopped", actor_id=actor.person_id)
    return stopped


async def resume(session: AsyncSession, actor: Actor) -> bool:
    """Undo a stop (audited); False when follow-ups were not stopped."""
    resumed = await followup.resume(session, actor.person_id)
    if resumed:
        await repo.audit(session, "followup.resumed", actor_id=actor.person_id)
    return resumed


# --- the schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleView:
    """The schedule in force for a class (or, without one, for all the institution's)."""

    institution_id: int
    training_class: TrainingClass | None
    schedule: Schedule


def _institution(actor: Actor, institution_id: int | None) -> int:
    reachable = institutions(actor, Action.FOLLOWUP_SCHEDULE)
    if institution_id is None:
        if not reachable:
            require(actor, Action.FOLLOWUP_SCHEDULE, Target())
        return reachable[0]
    require(actor, Action.FOLLOWUP_SCHEDULE, Target.at(institution_id))
    return institution_id


async def schedule_of(
    session: AsyncSession, actor: Actor, class_id: int | None = None
) -> ScheduleView:
    """The schedule of one of the actor's institution's classes, or of all of them."""
    training_class = None
    if class_id is not None:
        training_class = await class_for(session, actor, Action.FOLLOWUP_SCHEDULE, class_id)
        institution_id = training_class.institution_id
    else:
        institution_id = _institution(actor, None)
    set_ = await followup.schedules(session, [institution_id])
    schedule = schedule_for(
        set_.get((institution_id, class_id)) if class_id is not None else None,
        set_.get((institution_id, None)),
    )
    return ScheduleView(institution_id, training_class, schedule)


async def change_schedule(
    session: AsyncSession, actor: Actor, class_id: int | None, text: str
) -> ScheduleView | Problem:
    """Set the months of a class's (or all the institution's classes') surveys from typed text;
    a change applies to every survey not yet sent. Audited. The problem when the text is
    not a schedule."""
    view = await schedule_of(session, actor, class_id)
    months = parse_months(text)
    if isinstance(months, Problem):
        return months
    await followup.set_schedule(
        session, view.institution_id, class_id, months, actor.person_id, actor.now
    )
    await followup.reopen(session, view.institution_id, class_id, len(months))
    await repo.audit(
        session,
        "followup.schedule",
        actor_id=actor.person_id,
        object_type="training_class" if class_id is not None else "institution",
        object_id=class_id if class_id is not None else view.institution_id,
        months=list(months),
    )
    return await schedule_of(session, actor, class_id)


async def classes_page(
    session: AsyncSession, actor: Actor, offset: int, limit: int
) -> tuple[int, list[TrainingClass]]:
    """The institution's classes in follow-up, latest ended first, one page."""
    institution_id = _institution(actor, None)
    total, rows = await followup.ended_classes(session, institution_id, offset, limit)
    classes = [await session.get(TrainingClass, row.class_id) for row in rows]
    return total, [item for item in classes if item is not None]


async def summary(session: AsyncSession, actor: Actor) -> dict[str, int]:
    """What the institution's follow-up has come to (counted: sent, answered, stopped...)."""
    return await followup.counts(session, _institution(actor, None))


# --- phone follow-up -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A phone follow-up card: whom to call, their mobile (in full only for those whose role
    may see it), which class and wave, and why they are on the list."""

    survey: FollowupSurvey
    name: str
    mobile: str
    full: bool
    class_name: str


async def _callable(session: AsyncSession, actor: Actor, survey_id: int) -> FollowupSurvey:
    survey = found(await followup.survey(session, survey_id))
    require(actor, Action.FOLLOWUP_CALL, Target.at(survey.institution_id))
    return survey


async def call(session: AsyncSession, actor: Actor, survey_id: int) -> Call:
    survey = await _callable(session, actor, survey_id)
    full = allowed(actor, Action.FOLLOWUP_MOBILE, Target.at(survey.institution_id))
    mobile = (await followup.mobiles(session, [survey.person_id])).get(survey.person_id, "")
    training_class = await session.get(TrainingClass, survey.class_id)
    name = await people.name_of(session, survey.person_id)
    return Call(survey, name, mobile, full, training_class.name if training_class else "")


async def record_call(
    session: AsyncSession, actor: Actor, survey_id: int, outcome: CallOutcome
) -> FollowupSurvey:
    """Record reached / not reached (audited). Answered by phone is recorded when staff submit
    the form for the trainee (`start_phone_answer`, `phone_answer`)."""
    survey = await _callable(session, actor, survey_id)
    if survey.answered_at is not None or survey.call_outcome is not None:
        raise Stale("followup.call_done")
    if outcome is CallOutcome.BY_PHONE:
        raise NotFound
    await followup.record_call(session, survey, outcome, actor.person_id, actor.now)
    await repo.audit(
        session,
        "followup.call",
        actor_id=actor.person_id,
        subject_id=survey.person_id,
        object_type="followup_survey",
        object_id=survey.id,
        outcome=str(outcome),
    )
    return survey


async def start_phone_answer(session: AsyncSession, actor: Actor, survey_id: int) -> dict:
    """The context of the tracking form staff fill for the trainee during the call."""
    survey = await _callable(session, actor, survey_id)
    if survey.answered_at is not None or survey.call_outcome is not None:
        raise Stale("followup.call_done")
    return {"followup": survey.id, "via_phone": True}


async def phone_answer(
    session: AsyncSession, actor: Actor, submission: FormSubmission, first_time: bool
) -> FollowupSurvey | None:
    """A tracking form staff filled during a call: stored as the trainee's answer, marked as
    taken by phone; None when the survey was answered meanwhile (the submission stays the
    staff member's)."""
    survey = await _callable(session, actor, int(submission.context.get("followup") or 0))
    if not first_time or survey.answered_at is not None:
        return None
    await followup.attribute(session, submission, survey.person_id)
    await followup.record_answer(
        session, survey, submission.id, actor.now, late=False, via_phone=True, by=actor.person_id
    )
    await repo.audit(
        session,
        "followup.call",
        actor_id=actor.person_id,
        subject_id=survey.person_id,
        object_type="followup_survey",
        object_id=survey.id,
        outcome=str(CallOutcome.BY_PHONE),
    )
    return survey
