"""The scorer's side: open, accept or decline, score criterion by criterion, finish; settling
the final result (S-13)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.assessment import (
    ClassStage,
    Review,
    Rubric,
    ScoreError,
    TraineeStage,
    check_sheet,
    score_problem,
    verdict,
)
from bot.i18n import I18n
from bot.policy import Action, Target, require
from bot.services.actor import Actor
from bot.services.assessment.common import DEFAULT, Config, close_card, rubric_of
from bot.services.assessment.draw import Slot, move_class, next_scorer, trainee_to
from bot.services.errors import NotFound, Stale, found
from bot.views.assessment import attached_files, result_text, sheet_lines
from storage import assessment as store
from storage import repo
from storage.models import FormSubmission, Person, ScoringAssignment, TrainingClass

# --- the scorer ---------------------------------------------------------------------------------


async def assignment_for(
    session: AsyncSession, actor: Actor, assignment_id: int, *, lock: bool = False
) -> ScoringAssignment:
    """The assignment, when it is the actor's."""
    assignment = found(await store.assignment(session, assignment_id, lock=lock))
    require(actor, Action.ASSESSMENT_SCORE, Target.at(owner=assignment.scorer_id))
    return assignment


def stale_assignment(assignment: ScoringAssignment) -> Stale:
    return Stale("assessment.stale", status=assignment.status)


async def open_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, *, accepted: bool = False
) -> ScoringAssignment:
    """The actor's assignment while it waits for them (accepted only, when `accepted`)."""
    assignment = await assignment_for(session, actor, assignment_id)
    if assignment.status not in (("accepted",) if accepted else store.OPEN):
        raise stale_assignment(assignment)
    return assignment


async def files(session: AsyncSession, actor: Actor, assignment_id: int) -> list[tuple[str, str]]:
    """The screenshots and files of the assignment's practice results and plan, for its
    scorer: (photo | document, file_id)."""
    assignment = await assignment_for(session, actor, assignment_id)
    if assignment.status not in store.OPEN:
        raise stale_assignment(assignment)
    practice = await session.get(FormSubmission, assignment.submission_id)
    plan = (
        await session.get(FormSubmission, assignment.plan_submission_id)
        if assignment.plan_submission_id
        else None
    )
    return attached_files(practice.answers if practice else {}, plan.answers if plan else {})


async def accept(session: AsyncSession, actor: Actor, assignment_id: int) -> ScoringAssignment:
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if not await store.move_assignment(
        session, assignment, ("offered",), "accepted", decided_at=actor.now
    ):
        raise stale_assignment(assignment)
    await repo.audit(
        session,
        "assessment.accepted",
        actor_id=actor.person_id,
        object_type="scoring_assignment",
        object_id=assignment.id,
    )
    return assignment


async def decline(
    session: AsyncSession,
    actor: Actor,
    assignment_id: int,
    reason: str,
    *,
    conflict: bool = False,
    config: Config = DEFAULT,
) -> ScoringAssignment | None:
    """Decline with a reason (a declared conflict is remembered: never drawn for this trainee
    again); the next drawn scorer gets it. Returns the new assignment."""
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if not await store.move_assignment(
        session, assignment, store.OPEN, "declined", decided_at=actor.now, decline_reason=reason
    ):
        raise stale_assignment(assignment)
    if conflict:
        await store.add_conflict(session, actor.person_id, assignment.trainee_id, reason)
    await repo.audit(
        session,
        "assessment.declined",
        actor_id=actor.person_id,
        object_type="scoring_assignment",
        object_id=assignment.id,
        reason=reason,
        conflict=conflict,
    )
    await close_card(session, assignment)
    training_class = await session.get(TrainingClass, assignment.class_id)
    return await next_scorer(
        session, training_class, Slot.after(assignment), actor.now, config=config
    )


async def score(
    session: AsyncSession, actor: Actor, assignment_id: int, index: int, value: int
) -> tuple[ScoringAssignment, Rubric]:
    """Record one criterion's score (the running total follows)."""
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    rubric = rubric_of(await session.get(TrainingClass, assignment.class_id))
    if not 0 <= index < len(rubric.criteria):
        raise NotFound
    criterion = rubric.criteria[index]
    if score_problem(rubric, criterion.id, value) is not None:
        raise NotFound
    await store.save_scores(session, assignment, {**assignment.scores, criterion.id: value})
    return assignment, rubric


async def restart(session: AsyncSession, actor: Actor, assignment_id: int) -> ScoringAssignment:
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    await store.save_scores(session, assignment, {})
    assignment.plan_complete = None
    assignment.comment = None
    session.add(assignment)
    await session.flush()
    return assignment


async def set_plan(
    session: AsyncSession, actor: Actor, assignment_id: int, complete: bool
) -> tuple[ScoringAssignment, Rubric]:
    """The plan review: complete or incomplete (kept on the sheet until it is confirmed)."""
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    assignment.plan_complete = complete
    session.add(assignment)
    await session.flush()
    return assignment, rubric_of(await session.get(TrainingClass, assignment.class_id))


async def set_comment(
    session: AsyncSession, actor: Actor, assignment_id: int, comment: str
) -> tuple[ScoringAssignment, Rubric]:
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    assignment.comment = comment
    session.add(assignment)
    await session.flush()
    return assignment, rubric_of(await session.get(TrainingClass, assignment.class_id))


async def finish(
    session: AsyncSession, actor: Actor, assignment_id: int, config: Config = DEFAULT
) -> ScoringAssignment:
    """Make the sheet final (every criterion scored, the plan reviewed, a comment under the
    pass mark), then settle the trainee's round: a result, or the next scorer the final-score
    rule asks for."""
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    await store.lock_trainee_stage(session, assignment.class_id, assignment.trainee_id)
    await session.refresh(assignment)
    if assignment.status != "accepted":
        raise stale_assignment(assignment)
    comment, plan_complete = assignment.comment, assignment.plan_complete
    training_class = await session.get(TrainingClass, assignment.class_id)
    rubric = rubric_of(training_class)
    try:
        if plan_complete is None:
            raise ScoreError("plan not reviewed")
        if not plan_complete and not (comment or "").strip():
            raise ScoreError("say what the plan lacks")
        sheet_total = check_sheet(rubric, assignment.scores, comment)
    except ScoreError:
        raise Stale("assessment.sheet_incomplete", pass_mark=rubric.pass_mark) from None
    await store.move_assignment(
        session,
        assignment,
        ("accepted",),
        "done",
        done_at=actor.now,
        total=sheet_total,
        comment=comment,
        plan_complete=plan_complete,
    )
    await repo.audit(
        session,
        "assessment.scored",
        actor_id=actor.person_id,
        object_type="scoring_assignment",
        object_id=assignment.id,
        total=sheet_total,
        plan_complete=plan_complete,
    )
    await close_card(session, assignment)
    await settle(
        session, training_class, assignment.trainee_id, assignment.round, actor.now, config
    )
    return assignment


async def settle(
    session: AsyncSession,
    training_class: TrainingClass,
    trainee_id: int,
    round_: int,
    now: datetime,
    config: Config = DEFAULT,
) -> bool | None:
    """Apply the final-score rule to the round's finished sheets: draw the next scorer it asks
    for, or record the result, move the trainee on and tell them (and, when they did not pass,
    the class's teachers). Returns passed, or None while the round is still open."""
    held = await store.round_assignments(session, training_class.id, trainee_id, round_)
    if any(a.status in store.OPEN for a in held):
        return None
    done = [a for a in held if a.status == "done"]
    if not done:
        return None
    rubric = rubric_of(training_class)
    result = verdict([Review(a.total or 0, bool(a.plan_complete)) for a in done], rubric.pass_mark)
    if result.need_more:
        await next_scorer(
            session,
            training_class,
            Slot.after(done[-1], position=len(done) + 1),
            now,
            config=config,
        )
        return None
    await store.add_result(
        session,
        class_id=training_class.id,
        trainee_id=trainee_id,
        round=round_,
        submission_id=done[-1].submission_id,
        final=result.final,
        plan_complete=bool(result.plan_complete),
        passed=bool(result.passed),
        created_at=now,
    )
    target = TraineeStage.PASSED if result.passed else TraineeStage.COACHING
    await trainee_to(session, training_class.id, trainee_id, target, now)
    await repo.audit(
        session,
        "assessment.result",
        actor_id=None,
        subject_id=trainee_id,
        object_type="training_class",
        object_id=training_class.id,
        round=round_,
        final=result.final,
        plan_complete=result.plan_complete,
        passed=result.passed,
    )

    def told(reader: I18n) -> tuple[str, None]:
        sheets = [
            (sheet_lines(reader, rubric, a.scores), a.total or 0, a.comment or "") for a in done
        ]
        return (
            result_text(
                reader,
                class_name=training_class.name,
                passed=bool(result.passed),
                final=result.final or 0.0,
                plan_complete=bool(result.plan_complete),
                sheets=sheets,
                pass_mark=rubric.pass_mark,
            ),
            None,
        )

    await notifier.tell_person(
        session,
        trainee_id,
        told,
        key=f"assessment_result:{training_class.id}:{trainee_id}:{round_}",
    )
    if not result.passed:
        trainee = await session.get(Person, trainee_id)
        for teacher_id in await store.class_teachers(session, training_class.id):
            await notifier.tell_person(
                session,
                teacher_id,
                "assessment.coach_needed",
                key=f"coach:{training_class.id}:{trainee_id}:{round_}:{teacher_id}",
                trainee=trainee.first_name,
                name=training_class.name,
                final=result.final,
                plan_complete=result.plan_complete,
            )
    await _maybe_assessed(session, training_class, now)
    return bool(result.passed)


async def _maybe_assessed(
    session: AsyncSession, training_class: TrainingClass, now: datetime
) -> None:
    """A class whose every trainee who handed in has a result for their round is assessed."""
    if training_class.stage != ClassStage.ENDED:
        return
    stages = await store.stages_of_class(session, training_class.id)
    if stages and all(s.stage != TraineeStage.ASSESSMENT for s in stages if s.round):
        await move_class(session, training_class, ClassStage.ENDED, ClassStage.ASSESSED, now)
