"""A class's life and drawing non-teaching scorers (S-12, S-25)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.assessment import (
    CLASS_MOVES,
    TRAINEE_MOVES,
    ClassStage,
    Review,
    Submission,
    TraineeStage,
    draw,
    eligible,
    transition,
    verdict,
)
from bot.domain.wake import next_after
from bot.services.assessment.common import (
    DEFAULT,
    Config,
    _derived_seed,
    _tell_shortfall,
    load_submission,
    offer,
    rubric_of,
    scorer_pool,
    window_closes,
)
from storage import assessment as store
from storage import repo, wake
from storage.models import ScoringAssignment, TrainingClass

# --- the class's life ---------------------------------------------------------------------------


async def move_class(
    session: AsyncSession,
    training_class: TrainingClass,
    before: ClassStage | None,
    after: ClassStage,
    now: datetime,
    actor_id: int | None = None,
) -> bool:
    transition(CLASS_MOVES, before or ClassStage.OPEN, after)
    moved = await store.set_stage(session, training_class, before, after, now)
    if moved:
        await repo.audit(
            session,
            "class.stage",
            actor_id=actor_id,
            object_type="training_class",
            object_id=training_class.id,
            before=before,
            after=after,
        )
    return moved


@dataclass
class ScanResult:
    started: int = 0
    ended: int = 0
    drawn: int = 0
    reminded: int = 0
    expired: int = 0
    rescored: int = 0

    def __bool__(self) -> bool:
        return any(vars(self).values())


SCAN = "assess"
"""Classes moving on (open → in progress → ended): this scan's name in `storage.wake`."""


async def advance_classes(
    session: AsyncSession, now: datetime, result: ScanResult, config: Config = DEFAULT
) -> None:
    """Open classes whose first session started are in progress; classes in progress whose
    submission window closed (the end of the last day) have ended and their scorers drawn.

    Only classes woken for this (`storage.wake`) are looked at; each then sleeps until its
    first session starts or its window closes (a change to its sessions or status wakes it)."""
    woken = await wake.due(session, SCAN, now)
    if not woken:
        return
    ids = sorted(woken)
    for span in await store.classes_to_advance(session, now, (None, ClassStage.OPEN), ids):
        stage = span.training_class.stage
        if await move_class(
            session,
            span.training_class,
            ClassStage(stage) if stage else None,
            ClassStage.IN_PROGRESS,
            now,
        ):
            result.started += 1
    in_progress = (ClassStage.IN_PROGRESS,)
    for span in await store.classes_to_advance(session, now, in_progress, ids, ended=True):
        if window_closes(span.training_class, span.last_end) > now:
            continue
        if await move_class(
            session, span.training_class, ClassStage.IN_PROGRESS, ClassStage.ENDED, now
        ):
            result.ended += 1
            outcome = await draw_class(session, span.training_class, now, config=config)
            result.drawn += len(outcome.assigned)
            if not await store.handed_in(session, span.training_class.id):
                # Nothing to score: assessed at once, so staff can apply and close it (S-14).
                await move_class(
                    session, span.training_class, ClassStage.ENDED, ClassStage.ASSESSED, now
                )
    next_at: dict[int, datetime | None] = {}
    for span in await store.class_spans(session, ids):
        stage = span.training_class.stage
        if stage in (None, ClassStage.OPEN):
            next_at[span.training_class.id] = next_after([span.first_start], now)
        elif stage == ClassStage.IN_PROGRESS:
            closes = window_closes(span.training_class, span.last_end)
            next_at[span.training_class.id] = next_after([closes], now)
    await wake.settle(session, SCAN, woken, next_at)


# --- the draw -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawOutcome:
    draw_id: int | None
    seed: int
    assigned: list[int] = field(default_factory=list)
    shortfall: int = 0


async def draw_class(
    session: AsyncSession,
    training_class: TrainingClass,
    now: datetime,
    *,
    actor_id: int | None = None,
    regions: Collection[int] = (),
    seed: int | None = None,
    config: Config = DEFAULT,
) -> DrawOutcome:
    """Draw scorers for every trainee of the class who handed in practice results and still
    lacks them in their current round (S-12). The seed is recorded; the supervisor is told a
    shortfall."""
    seed = secrets.randbits(62) if seed is None else seed
    k = config.scorers
    pool, only = await scorer_pool(session, training_class, regions)
    pass_mark = rubric_of(training_class).pass_mark
    wanting: list[tuple[Submission, store.Handed, int, int, int]] = []
    for handed in await store.handed_in(session, training_class.id):
        stage = await store.ensure_trainee_stage(session, training_class.id, handed.trainee_id)
        if stage.stage not in (TraineeStage.TRAINING, TraineeStage.ASSESSMENT):
            continue
        round_ = max(stage.round, 1)
        held = await store.round_assignments(session, training_class.id, handed.trainee_id, round_)
        waiting = [a for a in held if a.status in store.OPEN]
        done = [a for a in held if a.status == "done"]
        missing = k - len(waiting) - len(done)
        if missing <= 0 and done and not waiting:
            # The final-score rule asked for another scorer and none was free then.
            reviews = [Review(a.total or 0, bool(a.plan_complete)) for a in done]
            missing = int(verdict(reviews, pass_mark).need_more)
        if missing <= 0:
            continue
        sub = await load_submission(
            session,
            training_class,
            handed.trainee_id,
            handed.submission_id,
            only,
            regions,
            [a.scorer_id for a in held],
        )
        wanting.append((sub, handed, round_, missing, len(waiting) + len(done)))
    if not wanting:
        return DrawOutcome(None, seed)
    loads = await store.open_loads(session, [s.person_id for s in pool])
    record = await store.add_draw(
        session,
        class_id=training_class.id,
        seed=seed,
        k=k,
        regions=sorted(regions),
        drawn_by=actor_id,
        created_at=now,
    )
    rows = []
    shortfall = 0
    for need in sorted({w[3] for w in wanting}):
        group = [w for w in wanting if w[3] == need]
        result = draw([w[0] for w in group], pool, k=need, seed=seed, loads=loads)
        loads = dict(result.loads)
        shortfall += result.shortfall
        for sub, handed, round_, _, already in group:
            for position, scorer_id in enumerate(result.assignments[sub.id], start=already + 1):
                rows.append(
                    dict(
                        draw_id=record.id,
                        class_id=training_class.id,
                        trainee_id=handed.trainee_id,
                        submission_id=handed.submission_id,
                        plan_submission_id=handed.plan_submission_id,
                        scorer_id=scorer_id,
                        round=round_,
                        position=position,
                        deadline=now + config.deadline,
                        seed=seed,
                        created_at=now,
                    )
                )
    record.shortfall = shortfall
    made = await store.add_assignments(session, rows)
    for handed in {w[1].trainee_id for w in wanting}:
        await trainee_to(session, training_class.id, handed, TraineeStage.ASSESSMENT, now)
    for assignment in made:
        await offer(session, assignment)
    await repo.audit(
        session,
        "assessment.drawn",
        actor_id=actor_id,
        object_type="training_class",
        object_id=training_class.id,
        seed=seed,
        k=k,
        regions=sorted(regions),
        assigned=len(made),
        shortfall=shortfall,
    )
    if shortfall:
        await _tell_shortfall(session, training_class, shortfall, f"shortfall:{record.id}")
    return DrawOutcome(record.id, seed, [a.id for a in made], shortfall)


async def trainee_to(
    session: AsyncSession, class_id: int, trainee_id: int, target: TraineeStage, now: datetime
) -> bool:
    """Move the trainee's stage (a checked transition); False when it was already there or
    another process moved it first (the caller then leaves it alone)."""
    stage = await store.ensure_trainee_stage(session, class_id, trainee_id)
    current = TraineeStage(stage.stage)
    if current == target:
        return False
    transition(TRAINEE_MOVES, current, target)
    rounds = stage.round + (1 if target == TraineeStage.ASSESSMENT else 0)
    if not await store.move_trainee_stage(session, stage, current, target, rounds, now):
        return False
    await repo.audit(
        session,
        "assessment.trainee_stage",
        actor_id=None,
        subject_id=trainee_id,
        object_type="training_class",
        object_id=class_id,
        before=current,
        after=target,
        round=stage.round,
    )
    return True


@dataclass(frozen=True)
class Slot:
    """A place on a trainee's round waiting for a scorer: the submission, which scorer it is
    (1st, 2nd, 3rd), and the assignment it follows (whose seed the next draw derives from)."""

    trainee_id: int
    submission_id: int
    plan_submission_id: int | None
    round: int
    position: int
    after_id: int
    seed: int
    draw_id: int | None

    @classmethod
    def after(cls, previous: ScoringAssignment, **changes: object) -> Slot:
        slot = cls(
            previous.trainee_id,
            previous.submission_id,
            previous.plan_submission_id,
            previous.round,
            previous.position,
            previous.id,
            previous.seed,
            previous.draw_id,
        )
        return replace(slot, **changes)


async def next_scorer(
    session: AsyncSession,
    training_class: TrainingClass,
    previous: Slot,
    now: datetime,
    *,
    prefer: Sequence[int] = (),
    config: Config = DEFAULT,
) -> ScoringAssignment | None:
    """Give the submission to the next drawn scorer (never one who already had it this round);
    `prefer` names scorers to take first when still eligible (the same scorer on a
    resubmission). None, and the supervisor told, when nobody is left."""
    held = await store.round_assignments(
        session, training_class.id, previous.trainee_id, previous.round
    )
    excluded = {a.scorer_id for a in held}
    pool, only = await scorer_pool(session, training_class)
    sub = await load_submission(
        session,
        training_class,
        previous.trainee_id,
        previous.submission_id,
        only,
        excluded=excluded,
    )
    position = previous.position
    chosen = None
    by_id = {s.person_id: s for s in pool}
    for person in prefer:
        if person in by_id and eligible(sub, by_id[person]):
            chosen = person
            break
    seed = _derived_seed(previous.seed, previous.after_id, position)
    if chosen is None:
        loads = await store.open_loads(session, list(by_id))
        result = draw([sub], pool, k=1, seed=seed, loads=loads)
        picked = result.assignments[sub.id]
        chosen = picked[0] if picked else None
    if chosen is None:
        await _tell_shortfall(
            session,
            training_class,
            1,
            f"shortfall:a{previous.after_id}:{position}:{previous.round}",
        )
        return None
    (made,) = await store.add_assignments(
        session,
        [
            dict(
                draw_id=previous.draw_id,
                class_id=training_class.id,
                trainee_id=previous.trainee_id,
                submission_id=previous.submission_id,
                plan_submission_id=previous.plan_submission_id,
                scorer_id=chosen,
                round=previous.round,
                position=position,
                deadline=now + config.deadline,
                seed=seed,
                created_at=now,
            )
        ],
    )
    await offer(session, made)
    await repo.audit(
        session,
        "assessment.assigned",
        actor_id=None,
        object_type="scoring_assignment",
        object_id=made.id,
        after=previous.after_id,
        scorer=chosen,
        seed=seed,
    )
    return made
