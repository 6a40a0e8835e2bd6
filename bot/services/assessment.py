"""Assessment use cases (S-12, S-13, S-25): a class's life, drawing non-teaching scorers,
scoring in chat, the final result, coaching, resubmissions and the supervisor's hand.

Scheduler scans (`scan`) and people (through handlers) call the same functions. Each loads or
raises, asks bot/policy.py, applies bot/domain/assessment.py, writes through
storage/assessment.py, audits and tells others through bot/notifier.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.assessment import (
    CLASS_MOVES,
    TRAINEE_MOVES,
    ClassStage,
    Review,
    Rubric,
    ScoreError,
    Scorer,
    Submission,
    TraineeStage,
    check_sheet,
    draw,
    eligible,
    load_rubric,
    score_problem,
    transition,
    verdict,
)
from bot.forms import registry
from bot.i18n import I18n
from bot.policy import RULES, Action, Reach, Target, allowed, require
from bot.services import recipients
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale, found
from bot.services.targets import class_target
from bot.views.assessment import assignment_view, attached_files, result_text, sheet_lines
from storage import assessment as store
from storage import repo
from storage.models import FormSubmission, Person, ScoringAssignment, TrainingClass


@dataclass(frozen=True)
class Config:
    """What the settings make of assessment (ASSESSMENT_SCORERS, SCORING_DEADLINE_HOURS,
    ASSESSMENT_ROUNDS)."""

    scorers: int = 1
    """Scorers drawn per submission."""
    deadline: timedelta = timedelta(days=3)
    """How long a scorer has."""
    rounds: int = 3
    """Scorings a trainee may have in one class: the first and the resubmissions after
    coaching."""

    @property
    def reminder(self) -> timedelta:
        """A scorer is reminded one day before the deadline (half-way for a shorter one)."""
        return min(timedelta(days=1), self.deadline / 2)

    @classmethod
    def of(cls, settings: Settings) -> Config:
        return cls(
            settings.assessment_scorers,
            timedelta(hours=settings.scoring_deadline_hours),
            settings.assessment_rounds,
        )


DEFAULT = Config()
DECLINE_REASON_LENGTH = (2, 200)
COMMENT_LENGTH = (2, 500)


def rubric_of(training_class: TrainingClass) -> Rubric:
    """The region's rubric (templates/rubrics/<region id>.yaml) or the default (T9)."""
    return load_rubric(str(training_class.region_id))


def class_zone(training_class: TrainingClass) -> ZoneInfo:
    return ZoneInfo(training_class.timezone)


_tz = class_zone


def window_closes(training_class: TrainingClass, last_end: datetime) -> datetime:
    """Practice results are handed in until the end of the last class day (「培训结束前提交」)."""
    zone = _tz(training_class)
    last_day: date = last_end.astimezone(zone).date()
    return datetime.combine(last_day + timedelta(days=1), time(0), zone)


def _derived_seed(seed: int, *salt: int) -> int:
    """A reproducible seed for a later draw of the same submission (next scorer, second)."""
    value = seed
    for part in salt:
        value = (value * 1_000_003 + part) % (1 << 62)
    return value


# --- the pool -----------------------------------------------------------------------------------


async def _pool(
    session: AsyncSession, training_class: TrainingClass, regions: Collection[int] = ()
) -> tuple[list[Scorer], frozenset[int] | None]:
    """The scorers to draw from: lecturers of the class's region (and named neighbours) with a
    verified lecturer certificate, or, for a lecturer or trainer class (S-25), its trainers."""
    teachers = await store.class_teachers(session, training_class.id)
    if training_class.programme != "trainee":
        return [Scorer(p, None) for p in teachers], frozenset(teachers)
    rows = await store.lecturer_pool(session, {training_class.region_id, *regions})
    region_of: dict[int, int] = {}
    for row in rows:
        if row.region_id == training_class.region_id or row.person_id not in region_of:
            region_of[row.person_id] = row.region_id
    institutions = await store.institutions_of(session, list(region_of))
    return [
        Scorer(p, region_of[p], frozenset(institutions.get(p, ()))) for p in sorted(region_of)
    ], None


async def _submission(
    session: AsyncSession,
    training_class: TrainingClass,
    trainee_id: int,
    submission_id: int,
    pool: frozenset[int] | None,
    regions: Collection[int] = (),
    excluded: Collection[int] = (),
) -> Submission:
    teachers = frozenset(await store.class_teachers(session, training_class.id))
    conflicts = (await store.conflicts_of(session, [trainee_id])).get(trainee_id, set())
    return Submission(
        submission_id,
        training_class.region_id,
        training_class.institution_id,
        teachers,
        frozenset(conflicts),
        frozenset(excluded),
        frozenset(regions),
        pool,
    )


# --- telling ------------------------------------------------------------------------------------


def _card_key(assignment: ScoringAssignment) -> str:
    return f"score:{assignment.id}:{assignment.scorer_id}"


async def assignment_card(
    session: AsyncSession, assignment: ScoringAssignment, i18n: I18n
) -> tuple[str, object]:
    """The scorer's card for this assignment (pushed, from /todo, or redrawn in place)."""
    training_class = await session.get(TrainingClass, assignment.class_id)
    practice = await session.get(FormSubmission, assignment.submission_id)
    plan = (
        await session.get(FormSubmission, assignment.plan_submission_id)
        if assignment.plan_submission_id
        else None
    )
    labels = question_labels(i18n.locale, store.PRACTICE_FORM, store.PLAN_FORM)
    return assignment_view(
        i18n,
        labels=labels,
        assignment_id=assignment.id,
        status=assignment.status,
        deadline=assignment.deadline,
        round_=assignment.round,
        practice=practice.answers if practice else {},
        plan=plan.answers if plan else None,
        tz=_tz(training_class),
    )


def question_labels(locale: str, *form_ids: str) -> dict[str, str]:
    """Question id → label of these forms (the ones that are defined), for showing answers."""
    labels: dict[str, str] = {}
    defined = registry.forms()
    for form_id in form_ids:
        if form_id not in defined:
            continue
        for question in defined[form_id].questions():
            labels[question.id] = question.label(locale)
            for child in question.questions or ():
                labels[child.id] = child.label(locale)
    return labels


async def _offer(session: AsyncSession, assignment: ScoringAssignment) -> None:
    await notifier.tell_person(
        session,
        assignment.scorer_id,
        lambda reader: assignment_card(session, assignment, reader),
        key=_card_key(assignment),
    )


async def _close_card(session: AsyncSession, assignment: ScoringAssignment) -> None:
    await notifier.close_copies(
        session,
        f"score:{assignment.id}:",
        lambda reader: reader(
            "assessment.card_closed", code=assignment.id, status=assignment.status
        ),
    )


async def _tell_shortfall(
    session: AsyncSession, training_class: TrainingClass, missing: int, key: str
) -> None:
    for reader in await recipients.supervisors(session, training_class.region_id):
        await notifier.tell(
            session,
            reader,
            "assessment.shortfall",
            key=f"{key}:{reader.chat_id}",
            name=training_class.name,
            missing=missing,
            class_id=training_class.id,
        )


# --- the class's life ---------------------------------------------------------------------------


async def _move_class(
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


async def advance_classes(
    session: AsyncSession, now: datetime, result: ScanResult, config: Config = DEFAULT
) -> None:
    """Open classes whose first session started are in progress; classes in progress whose
    submission window closed (the end of the last day) have ended and their scorers drawn."""
    for span in await store.classes_to_advance(session, now, (None, ClassStage.OPEN)):
        stage = span.training_class.stage
        if await _move_class(
            session,
            span.training_class,
            ClassStage(stage) if stage else None,
            ClassStage.IN_PROGRESS,
            now,
        ):
            result.started += 1
    in_progress = (ClassStage.IN_PROGRESS,)
    for span in await store.classes_to_advance(session, now, in_progress, ended=True):
        if window_closes(span.training_class, span.last_end) > now:
            continue
        if await _move_class(
            session, span.training_class, ClassStage.IN_PROGRESS, ClassStage.ENDED, now
        ):
            result.ended += 1
            outcome = await draw_class(session, span.training_class, now, config=config)
            result.drawn += len(outcome.assigned)


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
    pool, only = await _pool(session, training_class, regions)
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
        sub = await _submission(
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
        await _trainee_to(session, training_class.id, handed, TraineeStage.ASSESSMENT, now)
    for assignment in made:
        await _offer(session, assignment)
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


async def _trainee_to(
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


async def _next_scorer(
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
    pool, only = await _pool(session, training_class)
    sub = await _submission(
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
    await _offer(session, made)
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


# --- the scorer ---------------------------------------------------------------------------------


async def assignment_for(
    session: AsyncSession, actor: Actor, assignment_id: int, *, lock: bool = False
) -> ScoringAssignment:
    """The assignment, when it is the actor's."""
    assignment = found(await store.assignment(session, assignment_id, lock=lock))
    require(actor, Action.ASSESSMENT_SCORE, Target.at(owner=assignment.scorer_id))
    return assignment


def _stale(assignment: ScoringAssignment) -> Stale:
    return Stale("assessment.stale", status=assignment.status)


async def open_assignment(
    session: AsyncSession, actor: Actor, assignment_id: int, *, accepted: bool = False
) -> ScoringAssignment:
    """The actor's assignment while it waits for them (accepted only, when `accepted`)."""
    assignment = await assignment_for(session, actor, assignment_id)
    if assignment.status not in (("accepted",) if accepted else store.OPEN):
        raise _stale(assignment)
    return assignment


async def files(session: AsyncSession, actor: Actor, assignment_id: int) -> list[tuple[str, str]]:
    """The screenshots and files of the assignment's practice results and plan, for its
    scorer: (photo | document, file_id)."""
    assignment = await assignment_for(session, actor, assignment_id)
    if assignment.status not in store.OPEN:
        raise _stale(assignment)
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
        raise _stale(assignment)
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
        raise _stale(assignment)
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
    await _close_card(session, assignment)
    training_class = await session.get(TrainingClass, assignment.class_id)
    return await _next_scorer(
        session, training_class, Slot.after(assignment), actor.now, config=config
    )


async def score(
    session: AsyncSession, actor: Actor, assignment_id: int, index: int, value: int
) -> tuple[ScoringAssignment, Rubric]:
    """Record one criterion's score (the running total follows)."""
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise _stale(assignment)
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
        raise _stale(assignment)
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
        raise _stale(assignment)
    assignment.plan_complete = complete
    session.add(assignment)
    await session.flush()
    return assignment, rubric_of(await session.get(TrainingClass, assignment.class_id))


async def set_comment(
    session: AsyncSession, actor: Actor, assignment_id: int, comment: str
) -> tuple[ScoringAssignment, Rubric]:
    assignment = await assignment_for(session, actor, assignment_id, lock=True)
    if assignment.status != "accepted":
        raise _stale(assignment)
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
        raise _stale(assignment)
    await store.lock_trainee_stage(session, assignment.class_id, assignment.trainee_id)
    await session.refresh(assignment)
    if assignment.status != "accepted":
        raise _stale(assignment)
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
    await _close_card(session, assignment)
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
        await _next_scorer(
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
    await _trainee_to(session, training_class.id, trainee_id, target, now)
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
        await _move_class(session, training_class, ClassStage.ENDED, ClassStage.ASSESSED, now)


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
            deadline=a.deadline.astimezone(_tz(await session.get(TrainingClass, a.class_id))),
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
        await _close_card(session, assignment)
        await notifier.tell_person(
            session,
            assignment.scorer_id,
            "assessment.expired",
            key=f"score_expired:{assignment.id}",
            code=assignment.id,
        )
        training_class = await session.get(TrainingClass, assignment.class_id)
        await _next_scorer(session, training_class, Slot.after(assignment), now, config=config)


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
        if not await _trainee_to(
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
        if await _next_scorer(
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
            await _move_class(
                session, training_class, before, ClassStage.IN_PROGRESS, actor.now, actor.person_id
            )
        await _move_class(
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
    pool, only = await _pool(session, training_class, regions)
    sub = await _submission(
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
        raise _stale(assignment)
    await _close_card(session, assignment)
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
    await _offer(session, made)
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
        raise _stale(assignment)
    everywhere = [r.id for r in await repo.regions(session)]
    pool, only = await _pool(session, training_class, everywhere)
    held = await store.round_assignments(
        session, training_class.id, assignment.trainee_id, assignment.round
    )
    sub = await _submission(
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
