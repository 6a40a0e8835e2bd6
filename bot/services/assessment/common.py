"""Shared pieces of the assessment use cases: settings, the rubric and time zone of a class,
the scorer pool, and the cards told to scorers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.assessment import (
    Rubric,
    Scorer,
    Submission,
    load_rubric,
)
from bot.forms import registry
from bot.i18n import I18n
from bot.services import recipients
from bot.views.assessment import assignment_view
from storage import assessment as store
from storage.models import FormSubmission, ScoringAssignment, TrainingClass


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


def window_closes(training_class: TrainingClass, last_end: datetime) -> datetime:
    """Practice results are handed in until the end of the last class day (「培训结束前提交」)."""
    zone = class_zone(training_class)
    last_day: date = last_end.astimezone(zone).date()
    return datetime.combine(last_day + timedelta(days=1), time(0), zone)


def _derived_seed(seed: int, *salt: int) -> int:
    """A reproducible seed for a later draw of the same submission (next scorer, second)."""
    value = seed
    for part in salt:
        value = (value * 1_000_003 + part) % (1 << 62)
    return value


# --- the pool -----------------------------------------------------------------------------------


async def scorer_pool(
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


async def load_submission(
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
        tz=class_zone(training_class),
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


async def offer(session: AsyncSession, assignment: ScoringAssignment) -> None:
    await notifier.tell_person(
        session,
        assignment.scorer_id,
        lambda reader: assignment_card(session, assignment, reader),
        key=_card_key(assignment),
    )


async def close_card(session: AsyncSession, assignment: ScoringAssignment) -> None:
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
