"""People's actions besides scoring: the supervisor's draw and reassignment, coaching,
progress, and where a trainee stands."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.assessment import (
    ClassStage,
    TraineeStage,
    eligible,
)
from bot.policy import RULES, Action, Reach, Target, allowed, require
from bot.services.actor import Actor
from bot.services.assessment.common import (
    DEFAULT,
    Config,
    close_card,
    load_submission,
    offer,
    scorer_pool,
)
from bot.services.assessment.draw import DrawOutcome, draw_class, move_class
from bot.services.assessment.scoring import stale_assignment
from bot.services.errors import NotAllowed, Stale, found
from bot.services.targets import class_target
from storage import assessment as store
from storage import repo
from storage.classes import classes_taught_by
from storage.models import Person, ScoringAssignment, TrainingClass

# --- people's actions besides scoring ---------------------------------------------------------


async def _class_for(
    session: AsyncSession, actor: Actor, action: Action, class_id: int
) -> TrainingClass:
    training_class = found(await session.get(TrainingClass, class_id))
    require(actor, action, await class_target(session, training_class))
    return training_class


async def supervisor_draw(
    session: AsyncSession,
    actor: Actor,
    class_id: int,
    regions: Collection[int] = (),
    config: Config = DEFAULT,
) -> DrawOutcome:
    """The supervisor asks for a draw now (closing the window), or again with the pool widened
    to named neighbouring regions after a shortfall."""
    training_class = await _class_for(session, actor, Action.ASSESSMENT_MANAGE, class_id)
    if training_class.stage in (None, ClassStage.OPEN, ClassStage.IN_PROGRESS):
        before = ClassStage(training_class.stage) if training_class.stage else None
        if before in (None, ClassStage.OPEN):
            await move_class(
                session, training_class, before, ClassStage.IN_PROGRESS, actor.now, actor.person_id
            )
        await move_class(
            session,
            training_class,
            ClassStage.IN_PROGRESS,
            ClassStage.ENDED,
            actor.now,
            actor.person_id,
        )
    return await draw_class(
        session,
        training_class,
        actor.now,
        actor_id=actor.person_id,
        regions=regions,
        config=config,
    )


async def reassign(
    session: AsyncSession,
    actor: Actor,
    assignment_id: int,
    scorer_id: int,
    config: Config = DEFAULT,
) -> ScoringAssignment:
    """The supervisor gives an open assignment to a named eligible scorer by hand."""
    assignment = found(await store.assignment(session, assignment_id, lock=True))
    training_class = await _class_for(session, actor, Action.ASSESSMENT_MANAGE, assignment.class_id)
    regions = await _regions_of(session, scorer_id)
    pool, only = await scorer_pool(session, training_class, regions)
    sub = await load_submission(
        session,
        training_class,
        assignment.trainee_id,
        assignment.submission_id,
        only,
        regions,
        excluded={assignment.scorer_id},
    )
    target = next((s for s in pool if s.person_id == scorer_id), None)
    if target is None:
        raise NotAllowed("assessment.not_eligible")
    if not eligible(sub, target):
        raise NotAllowed("assessment.not_eligible")
    if not await store.move_assignment(
        session, assignment, store.OPEN, "withdrawn", decided_at=actor.now
    ):
        raise stale_assignment(assignment)
    await close_card(session, assignment)
    await notifier.tell_person(
        session,
        assignment.scorer_id,
        "assessment.withdrawn",
        key=f"score_withdrawn:{assignment.id}",
        code=assignment.id,
    )
    (made,) = await store.add_assignments(
        session,
        [
            dict(
                draw_id=assignment.draw_id,
                class_id=assignment.class_id,
                trainee_id=assignment.trainee_id,
                submission_id=assignment.submission_id,
                plan_submission_id=assignment.plan_submission_id,
                scorer_id=scorer_id,
                round=assignment.round,
                position=assignment.position,
                deadline=actor.now + config.deadline,
                seed=assignment.seed,
                created_at=actor.now,
            )
        ],
    )
    await offer(session, made)
    await repo.audit(
        session,
        "assessment.reassigned",
        actor_id=actor.person_id,
        object_type="scoring_assignment",
        object_id=made.id,
        after=assignment.id,
        scorer=scorer_id,
    )
    return made


async def _regions_of(session: AsyncSession, person_id: int) -> set[int]:
    return {row.region_id for row in await repo.roles_of(session, person_id) if row.region_id}


@dataclass(frozen=True)
class Coached:
    trainee_id: int
    name: str
    final: float | None
    plan_complete: bool | None
    sessions: int


async def coaching_list(session: AsyncSession, actor: Actor, class_id: int) -> list[Coached]:
    """Trainees of the class who did not pass, for its teaching lecturers (S-13)."""
    await _class_for(session, actor, Action.COACHING_RECORD, class_id)
    out = []
    for stage in await store.stages_of_class(session, class_id):
        if stage.stage != TraineeStage.COACHING:
            continue
        person = await session.get(Person, stage.person_id)
        results = await store.results_of(session, class_id, stage.person_id)
        last = results[-1] if results else None
        held = await store.coaching_of(session, class_id, stage.person_id)
        out.append(
            Coached(
                stage.person_id,
                person.first_name,
                last.final if last else None,
                last.plan_complete if last else None,
                len(held),
            )
        )
    return out


async def coaching_lists(
    session: AsyncSession, actor: Actor
) -> list[tuple[TrainingClass, list[Coached]]]:
    """Each class the actor teaches that has trainees in coaching, with them (S-13)."""
    out = []
    for training_class in await classes_taught_by(session, actor.person_id):
        trainees = await coaching_list(session, actor, training_class.id)
        if trainees:
            out.append((training_class, trainees))
    return out


async def coached(session: AsyncSession, actor: Actor, class_id: int, trainee_id: int) -> Coached:
    """One trainee of the actor's coaching list; Stale once they are not in coaching."""
    for trainee in await coaching_list(session, actor, class_id):
        if trainee.trainee_id == trainee_id:
            return trainee
    raise Stale("assessment.not_in_coaching")


async def record_coaching(
    session: AsyncSession, actor: Actor, class_id: int, trainee_id: int, on: date, notes: str
) -> int:
    """A teaching lecturer records a coaching session with a trainee in coaching."""
    await _class_for(session, actor, Action.COACHING_RECORD, class_id)
    stage = await store.trainee_stage(session, class_id, trainee_id)
    if stage is None or stage.stage != TraineeStage.COACHING:
        raise Stale("assessment.not_in_coaching")
    made = await store.add_coaching(
        session,
        class_id=class_id,
        trainee_id=trainee_id,
        teacher_id=actor.person_id,
        held_on=on,
        notes=notes,
        created_at=actor.now,
    )
    await repo.audit(
        session,
        "assessment.coached",
        actor_id=actor.person_id,
        subject_id=trainee_id,
        object_type="coaching_session",
        object_id=made.id,
    )
    return made.id


async def progress(
    session: AsyncSession, actor: Actor, classes: Sequence[TrainingClass]
) -> list[tuple[TrainingClass, store.Progress]]:
    """Per class the actor may follow: submitted, scored, passed, in coaching, overdue."""
    shown = []
    for training_class in classes:
        require(actor, Action.ASSESSMENT_PROGRESS, await class_target(session, training_class))
        shown.append(training_class)
    rows = await store.progress(session, shown, actor.now)
    return list(zip(shown, rows, strict=True))


async def followed_classes(
    session: AsyncSession, actor: Actor, offset: int = 0, limit: int = 20
) -> tuple[int, list[TrainingClass]]:
    """How many approved classes the actor may follow the assessment of (the policy's reaches
    of ASSESSMENT_PROGRESS: taught, institution, region, all), and one page of them."""
    rules = RULES[Action.ASSESSMENT_PROGRESS]
    reaches = {
        reach: [g for g in actor.grants if reach in getattr(rules.get(g.role), "reaches", ())]
        for reach in Reach
    }
    return await store.classes_followed(
        session,
        taught_by=actor.person_id if reaches[Reach.TAUGHT] else None,
        institution_ids={g.institution_id for g in reaches[Reach.INSTITUTION] if g.institution_id},
        region_ids={g.region_id for g in reaches[Reach.REGION] if g.region_id},
        everything=bool(reaches[Reach.ALL]),
        offset=offset,
        limit=limit,
    )


@dataclass(frozen=True)
class Managed:
    """A class as its supervisor manages it: progress, its open assignments, the regions the
    pool may be widened to."""

    training_class: TrainingClass
    progress: store.Progress
    open: list[ScoringAssignment]
    regions: list[tuple[int, str]]


async def manage(session: AsyncSession, actor: Actor, class_id: int) -> Managed:
    training_class = await _class_for(session, actor, Action.ASSESSMENT_MANAGE, class_id)
    (row,) = await store.progress(session, [training_class], actor.now)
    held = await store.open_of_class(session, class_id)
    regions = [
        (r.id, r.name) for r in await repo.regions(session) if r.id != training_class.region_id
    ]
    return Managed(training_class, row, held, regions)


@dataclass(frozen=True)
class Candidate:
    person_id: int
    name: str
    load: int


async def candidates(
    session: AsyncSession, actor: Actor, assignment_id: int, limit: int = 20
) -> tuple[ScoringAssignment, list[Candidate]]:
    """Whom the supervisor may give an open assignment to by hand: eligible lecturers of any
    region (the least loaded first), never one who already had it this round."""
    assignment = found(await store.assignment(session, assignment_id))
    training_class = await _class_for(session, actor, Action.ASSESSMENT_MANAGE, assignment.class_id)
    if assignment.status not in store.OPEN:
        raise stale_assignment(assignment)
    everywhere = [r.id for r in await repo.regions(session)]
    pool, only = await scorer_pool(session, training_class, everywhere)
    held = await store.round_assignments(
        session, training_class.id, assignment.trainee_id, assignment.round
    )
    sub = await load_submission(
        session,
        training_class,
        assignment.trainee_id,
        assignment.submission_id,
        only,
        everywhere,
        excluded={a.scorer_id for a in held},
    )
    fitting = [s.person_id for s in pool if eligible(sub, s)]
    loads = await store.open_loads(session, fitting)
    ordered = sorted(fitting, key=lambda p: (loads.get(p, 0), p))[:limit]
    people = {p.id: p for p in await store.people(session, ordered)}
    return assignment, [Candidate(p, people[p].first_name, loads.get(p, 0)) for p in ordered]


@dataclass(frozen=True)
class Standing:
    class_name: str
    stage: str
    round: int
    final: float | None
    passed: bool | None


async def standing(session: AsyncSession, actor: Actor) -> list[Standing]:
    """Where the actor stands in the assessment of each of their classes (for /status)."""
    if not allowed(actor, Action.ASSESSMENT_RESULT, Target.at(owner=actor.person_id)):
        return []
    shown = []
    for stage in await store.stages_of_person(session, actor.person_id):
        training_class = await session.get(TrainingClass, stage.class_id)
        results = await store.results_of(session, stage.class_id, actor.person_id)
        last = results[-1] if results else None
        shown.append(
            Standing(
                training_class.name,
                stage.stage,
                stage.round,
                last.final if last else None,
                last.passed if last else None,
            )
        )
    return shown
