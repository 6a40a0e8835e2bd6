"""What the scheduler's assessment scan does: reminders, expiry, resubmissions (one query each)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.assessment import (
    TraineeStage,
)
from bot.services.assessment.common import DEFAULT, Config, class_zone, close_card
from bot.services.assessment.draw import (
    ScanResult,
    Slot,
    advance_classes,
    draw_class,
    next_scorer,
    trainee_to,
)
from storage import assessment as store
from storage import repo
from storage.models import TrainingClass

# --- deadlines and resubmissions (scans) ------------------------------------------------------


async def remind_and_expire(
    session: AsyncSession, now: datetime, result: ScanResult, config: Config = DEFAULT
) -> None:
    """Remind a scorer one day before the deadline; a missed deadline moves the assignment to
    the next drawn scorer and both are told."""
    due = await store.reminders_due(session, now, config.reminder)
    readers = await notifier.readers(session, [a.scorer_id for a in due])
    notices = [
        notifier.notice(
            readers[a.scorer_id],
            "assessment.reminder",
            key=f"score_reminder:{a.id}",
            code=a.id,
            deadline=a.deadline.astimezone(
                class_zone(await session.get(TrainingClass, a.class_id))
            ),
        )
        for a in due
        if a.scorer_id in readers
    ]
    await notifier.tell_many(session, notices)
    await store.mark_reminded(session, [a.id for a in due], now)
    result.reminded += len(due)
    for assignment in await store.overdue(session, now):
        if not await store.move_assignment(
            session, assignment, store.OPEN, "expired", decided_at=now
        ):
            continue
        result.expired += 1
        await repo.audit(
            session,
            "assessment.expired",
            actor_id=None,
            object_type="scoring_assignment",
            object_id=assignment.id,
        )
        await close_card(session, assignment)
        await notifier.tell_person(
            session,
            assignment.scorer_id,
            "assessment.expired",
            key=f"score_expired:{assignment.id}",
            code=assignment.id,
        )
        training_class = await session.get(TrainingClass, assignment.class_id)
        await next_scorer(session, training_class, Slot.after(assignment), now, config=config)


async def rescore_resubmissions(
    session: AsyncSession, now: datetime, result: ScanResult, config: Config = DEFAULT
) -> None:
    """A trainee in coaching who handed in new practice results is scored again (S-13): a new
    round, by the same scorer when still available."""
    coaching = await store.resubmitted(session, config.rounds)
    if not coaching:
        return
    for stage in coaching:
        latest = await store.latest_submissions(
            session, store.PRACTICE_FORM, [stage.person_id], stage.class_id
        )
        plans = await store.latest_submissions(
            session, store.PLAN_FORM, [stage.person_id], stage.class_id
        )
        if stage.round >= config.rounds or stage.person_id not in latest:
            continue
        held = await store.round_assignments(session, stage.class_id, stage.person_id, stage.round)
        done = [a for a in held if a.status == "done"]
        newest = latest[stage.person_id]
        if not done or newest.id <= max(a.submission_id for a in done):
            continue
        training_class = await session.get(TrainingClass, stage.class_id)
        if not await trainee_to(
            session, stage.class_id, stage.person_id, TraineeStage.ASSESSMENT, now
        ):
            continue
        plan = plans.get(stage.person_id)
        slot = Slot.after(
            done[0],
            submission_id=newest.id,
            plan_submission_id=plan.id if plan else None,
            round=stage.round,
            position=1,
        )
        if await next_scorer(
            session,
            training_class,
            slot,
            now,
            prefer=[a.scorer_id for a in done],
            config=config,
        ):
            result.rescored += 1


async def scan(session: AsyncSession, now: datetime, config: Config = DEFAULT) -> ScanResult:
    """Everything assessment does on its own: classes move on (and are drawn), practice
    results handed in late with an extended deadline are drawn, reminders, missed deadlines,
    resubmissions."""
    result = ScanResult()
    await advance_classes(session, now, result, config)
    for training_class in await store.classes_with_late_work(session):
        outcome = await draw_class(session, training_class, now, config=config)
        result.drawn += len(outcome.assigned)
    await remind_and_expire(session, now, result, config)
    await rescore_resubmissions(session, now, result, config)
    return result
