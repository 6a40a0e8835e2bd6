"""Assessment in the store: queries and writes only (who may, and what follows, is decided in
bot/services/assessment/). Every scan is one query for the due rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AssessmentResult,
    Certificate,
    ClassSession,
    ClassTeacher,
    CoachingSession,
    Enrollment,
    FormSubmission,
    Person,
    RoleGrant,
    ScorerConflict,
    ScorerDraw,
    ScoringAssignment,
    TraineeAssessment,
    TrainingClass,
)

PRACTICE_FORM = "practice_results"
PLAN_FORM = "business_plan"
OPEN = ("offered", "accepted")
"""Assignments still waiting for their scorer."""


# --- the class's life ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClassSpan:
    training_class: TrainingClass
    first_start: datetime
    last_end: datetime


async def classes_to_advance(
    session: AsyncSession,
    now: datetime,
    stages: Collection[str | None],
    class_ids: Sequence[int],
    *,
    ended: bool = False,
) -> list[ClassSpan]:
    """Of these classes, the approved ones in one of `stages` whose first session has started
    (`ended`: whose last session has ended), with their span."""
    named = [s for s in stages if s is not None]
    where = col(TrainingClass.stage).in_(named)
    if None in stages:
        where = where | col(TrainingClass.stage).is_(None)
    candidates = select(TrainingClass.id).where(
        col(TrainingClass.id).in_(class_ids), TrainingClass.status == "approved", where
    )
    return await _spans(session, candidates, where, by=now, ended=ended)


async def class_spans(session: AsyncSession, class_ids: Sequence[int]) -> list[ClassSpan]:
    """Of these classes, the approved ones with sessions, with their span."""
    return await _spans(session, class_ids)


async def _spans(
    session: AsyncSession,
    of: Any,
    *where: Any,
    by: datetime | None = None,
    ended: bool = False,
) -> list[ClassSpan]:
    """The approved classes among `of` (ids or a query of them) meeting `where`, with their
    span; with `by`, only those whose first session started by then (`ended`: last ended)."""
    span = (  # the sessions of those classes only, not of every class ever held
        select(
            ClassSession.class_id,
            func.min(ClassSession.starts_at).label("first"),
            func.max(ClassSession.ends_at).label("last"),
        )
        .where(col(ClassSession.class_id).in_(of))
        .group_by(ClassSession.class_id)
        .subquery()
    )
    if by is not None:
        where = (*where, (span.c.last if ended else span.c.first) <= by)
    query = (
        select(TrainingClass, span.c.first, span.c.last)
        .join(span, span.c.class_id == TrainingClass.id)
        .where(TrainingClass.status == "approved", *where)
        .order_by(TrainingClass.id)
    )
    rows = (await session.exec(query)).all()
    return [ClassSpan(c, _aware(first), _aware(last)) for c, first, last in rows]


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def set_stage(
    session: AsyncSession,
    training_class: TrainingClass,
    before: str | None,
    after: str,
    at: datetime,
) -> bool:
    """Move the class's stage when it is still `before`; False when someone moved it first."""
    stage = col(TrainingClass.stage)
    result = await session.exec(
        update(TrainingClass)
        .where(
            col(TrainingClass.id) == training_class.id,
            stage.is_(None) if before is None else stage == before,
        )
        .values(stage=after, stage_at=at)
    )
    await session.refresh(training_class)
    return result.rowcount == 1


async def class_span(session: AsyncSession, class_id: int) -> tuple[datetime, datetime] | None:
    query = select(func.min(ClassSession.starts_at), func.max(ClassSession.ends_at)).where(
        ClassSession.class_id == class_id
    )
    first, last = (await session.exec(query)).one()
    return None if first is None else (_aware(first), _aware(last))


# --- submissions and the pool ---------------------------------------------------------------


@dataclass(frozen=True)
class Handed:
    """What a trainee of the class handed in: the current practice results and plan."""

    trainee_id: int
    submission_id: int
    plan_submission_id: int | None


async def latest_submissions(
    session: AsyncSession, form_id: str, person_ids: Collection[int], class_id: int | None = None
) -> dict[int, FormSubmission]:
    """Each person's latest current submission of `form_id` (for `class_id`: one handed in
    for that class, by its context, or with no class named)."""
    if not person_ids:
        return {}
    query = (
        select(FormSubmission)
        .where(
            FormSubmission.form_id == form_id,
            col(FormSubmission.current).is_(True),
            col(FormSubmission.person_id).in_(sorted(person_ids)),
        )
        .order_by(FormSubmission.person_id, FormSubmission.id)
    )
    found: dict[int, FormSubmission] = {}
    for row in (await session.exec(query)).all():
        named = (row.context or {}).get("class_id")
        if class_id is None or not isinstance(named, int) or named == class_id:
            found[row.person_id] = row
    return found


async def enrolled(session: AsyncSession, class_id: int) -> list[int]:
    query = (
        select(Enrollment.person_id)
        .where(Enrollment.class_id == class_id, Enrollment.status == "enrolled")
        .order_by(Enrollment.person_id)
    )
    return list((await session.exec(query)).all())


async def handed_in(session: AsyncSession, class_id: int) -> list[Handed]:
    trainees = await enrolled(session, class_id)
    practice = await latest_submissions(session, PRACTICE_FORM, trainees, class_id)
    plans = await latest_submissions(session, PLAN_FORM, trainees, class_id)
    return [
        Handed(t, practice[t].id, plans[t].id if t in plans else None)
        for t in trainees
        if t in practice
    ]


@dataclass(frozen=True)
class PoolRow:
    person_id: int
    region_id: int
    institution_id: int | None


async def lecturer_pool(session: AsyncSession, region_ids: Collection[int]) -> list[PoolRow]:
    """Lecturers with a grant in these regions who hold a verified lecturer certificate, one
    row per grant (its region, and its institution when it has one)."""
    if not region_ids:
        return []
    verified = select(Certificate.person_id).where(
        Certificate.kind == "lecturer", Certificate.status == "verified"
    )
    query = (
        select(RoleGrant.person_id, RoleGrant.region_id, RoleGrant.institution_id)
        .where(
            RoleGrant.role == "lecturer",
            col(RoleGrant.region_id).in_(sorted(region_ids)),
            col(RoleGrant.person_id).in_(verified),
        )
        .order_by(RoleGrant.person_id, RoleGrant.id)
    )
    return [PoolRow(*row) for row in (await session.exec(query)).all()]


async def institutions_of(
    session: AsyncSession, person_ids: Collection[int]
) -> dict[int, set[int]]:
    """The institutions each person holds any grant in."""
    found: dict[int, set[int]] = defaultdict(set)
    if not person_ids:
        return found
    query = select(RoleGrant.person_id, RoleGrant.institution_id).where(
        col(RoleGrant.person_id).in_(sorted(person_ids)), col(RoleGrant.institution_id).isnot(None)
    )
    for person_id, institution_id in (await session.exec(query)).all():
        found[person_id].add(institution_id)
    return found


async def open_loads(session: AsyncSession, person_ids: Collection[int]) -> dict[int, int]:
    """Open assignments per scorer, every class counted."""
    if not person_ids:
        return {}
    query = (
        select(ScoringAssignment.scorer_id, func.count())
        .where(
            col(ScoringAssignment.status).in_(OPEN),
            col(ScoringAssignment.scorer_id).in_(sorted(person_ids)),
        )
        .group_by(ScoringAssignment.scorer_id)
    )
    return dict((await session.exec(query)).all())


async def conflicts_of(session: AsyncSession, trainee_ids: Collection[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if not trainee_ids:
        return found
    query = select(ScorerConflict.trainee_id, ScorerConflict.scorer_id).where(
        col(ScorerConflict.trainee_id).in_(sorted(trainee_ids))
    )
    for trainee_id, scorer_id in (await session.exec(query)).all():
        found[trainee_id].add(scorer_id)
    return found


async def add_conflict(session: AsyncSession, scorer_id: int, trainee_id: int, reason: str) -> None:
    exists = await session.exec(
        select(ScorerConflict.id).where(
            ScorerConflict.scorer_id == scorer_id, ScorerConflict.trainee_id == trainee_id
        )
    )
    if exists.first() is None:
        session.add(ScorerConflict(scorer_id=scorer_id, trainee_id=trainee_id, reason=reason))
        await session.flush()


# --- assignments ----------------------------------------------------------------------------


async def add_draw(session: AsyncSession, **values: Any) -> ScorerDraw:
    made = ScorerDraw(**values)
    session.add(made)
    await session.flush()
    return made


async def add_assignments(
    session: AsyncSession, rows: Iterable[dict[str, Any]]
) -> list[ScoringAssignment]:
    made = [ScoringAssignment(**row) for row in rows]
    session.add_all(made)
    await session.flush()
    return made


async def assignment(
    session: AsyncSession, assignment_id: int, *, lock: bool = False
) -> ScoringAssignment | None:
    if not lock or session.bind.dialect.name != "postgresql":
        return await session.get(ScoringAssignment, assignment_id)
    query = select(ScoringAssignment).where(ScoringAssignment.id == assignment_id).with_for_update()
    return (await session.exec(query)).first()


async def move_assignment(
    session: AsyncSession,
    found: ScoringAssignment,
    allowed_from: Collection[str],
    to: str,
    **values: Any,
) -> bool:
    """Change the assignment's status if it is in `allowed_from`; False when it moved first."""
    result = await session.exec(
        update(ScoringAssignment)
        .where(
            col(ScoringAssignment.id) == found.id,
            col(ScoringAssignment.status).in_(list(allowed_from)),
        )
        .values(status=to, **values)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def save_scores(
    session: AsyncSession, found: ScoringAssignment, scores: dict[str, int]
) -> None:
    found.scores = dict(scores)
    session.add(found)
    await session.flush()


async def round_assignments(
    session: AsyncSession, class_id: int, trainee_id: int, round_: int
) -> list[ScoringAssignment]:
    query = (
        select(ScoringAssignment)
        .where(
            ScoringAssignment.class_id == class_id,
            ScoringAssignment.trainee_id == trainee_id,
            ScoringAssignment.round == round_,
        )
        .order_by(ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


async def trainee_assignments(
    session: AsyncSession, class_id: int, trainee_id: int
) -> list[ScoringAssignment]:
    query = (
        select(ScoringAssignment)
        .where(ScoringAssignment.class_id == class_id, ScoringAssignment.trainee_id == trainee_id)
        .order_by(ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


async def reminders_due(session: AsyncSession, now: datetime, lead: Any) -> list[ScoringAssignment]:
    """Open assignments within `lead` of their deadline, not reminded yet."""
    query = (
        select(ScoringAssignment)
        .where(
            col(ScoringAssignment.status).in_(OPEN),
            col(ScoringAssignment.reminded_at).is_(None),
            ScoringAssignment.deadline > now,
            ScoringAssignment.deadline <= now + lead,
        )
        .order_by(ScoringAssignment.deadline, ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


async def mark_reminded(session: AsyncSession, ids: Collection[int], at: datetime) -> None:
    if ids:
        await session.exec(
            update(ScoringAssignment)
            .where(col(ScoringAssignment.id).in_(sorted(ids)))
            .values(reminded_at=at)
        )


async def overdue(session: AsyncSession, now: datetime) -> list[ScoringAssignment]:
    query = (
        select(ScoringAssignment)
        .where(col(ScoringAssignment.status).in_(OPEN), ScoringAssignment.deadline <= now)
        .order_by(ScoringAssignment.deadline, ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


async def open_of_scorer(session: AsyncSession, scorer_id: int) -> list[ScoringAssignment]:
    query = (
        select(ScoringAssignment)
        .where(ScoringAssignment.scorer_id == scorer_id, col(ScoringAssignment.status).in_(OPEN))
        .order_by(ScoringAssignment.deadline, ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


# --- trainees' stages, results, coaching ----------------------------------------------------


async def trainee_stage(
    session: AsyncSession, class_id: int, person_id: int
) -> TraineeAssessment | None:
    query = select(TraineeAssessment).where(
        TraineeAssessment.class_id == class_id, TraineeAssessment.person_id == person_id
    )
    return (await session.exec(query)).first()


async def lock_trainee_stage(session: AsyncSession, class_id: int, person_id: int) -> None:
    """Hold the trainee's assessment row until the update ends (PostgreSQL), so two scorers
    finishing the same round at once settle it one after the other (SQLite's write lock
    already serialises every transaction)."""
    if session.bind.dialect.name != "postgresql":
        return
    query = (
        select(TraineeAssessment.id)
        .where(TraineeAssessment.class_id == class_id, TraineeAssessment.person_id == person_id)
        .with_for_update()
    )
    await session.exec(query)


async def ensure_trainee_stage(
    session: AsyncSession, class_id: int, person_id: int
) -> TraineeAssessment:
    found = await trainee_stage(session, class_id, person_id)
    if found is None:
        found = TraineeAssessment(class_id=class_id, person_id=person_id)
        session.add(found)
        await session.flush()
    return found


async def move_trainee_stage(
    session: AsyncSession,
    found: TraineeAssessment,
    before: str,
    after: str,
    round_: int,
    at: datetime,
) -> bool:
    """Move the stage when it is still `before`; False when someone moved it first."""
    result = await session.exec(
        update(TraineeAssessment)
        .where(col(TraineeAssessment.id) == found.id, TraineeAssessment.stage == before)
        .values(stage=after, round=round_, updated_at=at)
    )
    await session.refresh(found)
    return result.rowcount == 1


async def stages_of_class(session: AsyncSession, class_id: int) -> list[TraineeAssessment]:
    query = (
        select(TraineeAssessment)
        .where(TraineeAssessment.class_id == class_id)
        .order_by(TraineeAssessment.person_id)
    )
    return list((await session.exec(query)).all())


async def stages_of_person(session: AsyncSession, person_id: int) -> list[TraineeAssessment]:
    query = (
        select(TraineeAssessment)
        .where(TraineeAssessment.person_id == person_id)
        .order_by(TraineeAssessment.class_id)
    )
    return list((await session.exec(query)).all())


async def resubmitted(session: AsyncSession, rounds: int) -> list[TraineeAssessment]:
    """Trainees in coaching, with rounds left, whose current practice results are newer than
    what their last round scored (one query)."""
    return list((await session.exec(_resubmitted(rounds))).all())


@cache
def _resubmitted(rounds: int) -> Any:
    """Built once per number of rounds (the scan runs it every interval)."""
    # Correlated by hand: the trainee is two levels up, where SQLAlchemy does not look (left
    # to itself it compared with the newest scored practice results of anyone).
    scored = (
        select(func.max(ScoringAssignment.submission_id))
        .where(
            ScoringAssignment.class_id == TraineeAssessment.class_id,
            ScoringAssignment.trainee_id == TraineeAssessment.person_id,
            ScoringAssignment.round == TraineeAssessment.round,
            ScoringAssignment.status == "done",
        )
        .correlate(TraineeAssessment)
        .scalar_subquery()
    )
    newer = (
        select(FormSubmission.id)
        .where(
            FormSubmission.person_id == TraineeAssessment.person_id,
            FormSubmission.form_id == PRACTICE_FORM,
            col(FormSubmission.current).is_(True),
            FormSubmission.id > scored,
        )
        .offset(0)  # looked up per trainee in coaching, not merged with all practice results
        .exists()
    )
    return (
        select(TraineeAssessment)
        .where(TraineeAssessment.stage == "coaching", TraineeAssessment.round < rounds, newer)
        .order_by(TraineeAssessment.class_id, TraineeAssessment.person_id)
    )


async def add_result(session: AsyncSession, **values: Any) -> AssessmentResult:
    made = AssessmentResult(**values)
    session.add(made)
    await session.flush()
    return made


async def results_of(
    session: AsyncSession, class_id: int, trainee_id: int | None = None
) -> list[AssessmentResult]:
    query = select(AssessmentResult).where(AssessmentResult.class_id == class_id)
    if trainee_id is not None:
        query = query.where(AssessmentResult.trainee_id == trainee_id)
    return list((await session.exec(query.order_by(AssessmentResult.id))).all())


async def add_coaching(session: AsyncSession, **values: Any) -> CoachingSession:
    made = CoachingSession(**values)
    session.add(made)
    await session.flush()
    return made


async def coaching_of(
    session: AsyncSession, class_id: int, trainee_id: int
) -> list[CoachingSession]:
    query = (
        select(CoachingSession)
        .where(CoachingSession.class_id == class_id, CoachingSession.trainee_id == trainee_id)
        .order_by(CoachingSession.held_on, CoachingSession.id)
    )
    return list((await session.exec(query)).all())


async def class_teachers(session: AsyncSession, class_id: int) -> list[int]:
    query = select(ClassTeacher.person_id).where(ClassTeacher.class_id == class_id)
    return sorted((await session.exec(query)).all())


# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    class_id: int
    trainees: int
    submitted: int
    scored: int
    passed: int
    coaching: int
    overdue: int
    oldest_overdue: datetime | None


async def progress(
    session: AsyncSession, classes: Sequence[TrainingClass], now: datetime
) -> list[Progress]:
    """Per class: trainees, handed in, with a result, passed, in coaching, overdue assignments
    and the oldest overdue deadline (four grouped queries for all the classes)."""
    ids = [c.id for c in classes]
    if not ids:
        return []
    counts: dict[int, dict[str, int]] = {i: defaultdict(int) for i in ids}
    stage_rows = await session.exec(
        select(TraineeAssessment.class_id, TraineeAssessment.stage, func.count())
        .where(col(TraineeAssessment.class_id).in_(ids))
        .group_by(TraineeAssessment.class_id, TraineeAssessment.stage)
    )
    for class_id, stage, number in stage_rows.all():
        counts[class_id][stage] += number
    scored_rows = await session.exec(
        select(AssessmentResult.class_id, func.count(func.distinct(AssessmentResult.trainee_id)))
        .where(col(AssessmentResult.class_id).in_(ids))
        .group_by(AssessmentResult.class_id)
    )
    scored = dict(scored_rows.all())
    late_rows = await session.exec(
        select(ScoringAssignment.class_id, func.count(), func.min(ScoringAssignment.deadline))
        .where(
            col(ScoringAssignment.class_id).in_(ids),
            col(ScoringAssignment.status).in_(OPEN),
            ScoringAssignment.deadline <= now,
        )
        .group_by(ScoringAssignment.class_id)
    )
    late = {c: (n, _aware(oldest)) for c, n, oldest in late_rows.all()}
    people = await session.exec(
        select(Enrollment.class_id, func.count())
        .where(col(Enrollment.class_id).in_(ids), Enrollment.status == "enrolled")
        .group_by(Enrollment.class_id)
    )
    enrolled_counts = dict(people.all())
    out = []
    for class_id in ids:
        stage = counts[class_id]
        submitted = sum(n for s, n in stage.items() if s != "training")
        number, oldest = late.get(class_id, (0, None))
        out.append(
            Progress(
                class_id,
                enrolled_counts.get(class_id, 0),
                submitted,
                scored.get(class_id, 0),
                stage.get("passed", 0),
                stage.get("coaching", 0),
                number,
                oldest,
            )
        )
    return out


async def classes_followed(
    session: AsyncSession,
    *,
    taught_by: int | None,
    institution_ids: Collection[int],
    region_ids: Collection[int],
    everything: bool,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[TrainingClass]]:
    """How many approved classes are taught by the person, of these institutions or regions
    (or all), and one page of them, the most recent first."""
    where = [TrainingClass.status == "approved"]
    if not everything:
        taught = select(ClassTeacher.class_id).where(ClassTeacher.person_id == (taught_by or -1))
        where.append(
            col(TrainingClass.id).in_(taught)
            | col(TrainingClass.institution_id).in_(sorted(institution_ids))
            | col(TrainingClass.region_id).in_(sorted(region_ids))
        )
    count = (
        await session.exec(select(func.count()).select_from(TrainingClass).where(*where))
    ).one()
    query = (
        select(TrainingClass)
        .where(*where)
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return count, list((await session.exec(query)).all())


async def open_of_class(session: AsyncSession, class_id: int) -> list[ScoringAssignment]:
    query = (
        select(ScoringAssignment)
        .where(ScoringAssignment.class_id == class_id, col(ScoringAssignment.status).in_(OPEN))
        .order_by(ScoringAssignment.deadline, ScoringAssignment.id)
    )
    return list((await session.exec(query)).all())


async def people(session: AsyncSession, person_ids: Collection[int]) -> list[Person]:
    if not person_ids:
        return []
    query = select(Person).where(col(Person.id).in_(sorted(person_ids)))
    return list((await session.exec(query)).all())


async def classes_with_late_work(session: AsyncSession) -> list[TrainingClass]:
    """Ended classes with a trainee who handed in practice results after the draw (with an
    extended deadline) and has no scorer yet (one query)."""
    return list((await session.exec(_classes_with_late_work())).all())


@cache
def _classes_with_late_work() -> Any:
    """Built once (the scan runs it every interval)."""
    drawn = select(TraineeAssessment.id).where(
        TraineeAssessment.class_id == Enrollment.class_id,
        TraineeAssessment.person_id == Enrollment.person_id,
        TraineeAssessment.stage != "training",
    )
    handed = select(FormSubmission.id).where(
        FormSubmission.person_id == Enrollment.person_id,
        FormSubmission.form_id == PRACTICE_FORM,
        col(FormSubmission.current).is_(True),
    )
    waiting = select(Enrollment.id).where(  # per ended class: its roster, not every enrolment
        Enrollment.class_id == TrainingClass.id,
        Enrollment.status == "enrolled",
        handed.exists(),
        ~drawn.exists(),
    )
    return (
        select(TrainingClass)
        .where(col(TrainingClass.stage).in_(("ended", "assessed")), waiting.exists())
        .order_by(TrainingClass.id)
    )
