"""Feedback use cases: giving the daily feedback and the evaluations (T6, T7, mid-term), reading
one's own answers, and the summaries teachers and institution staff read.

Giving: the pushed button opens the request's form (or the draft already open for it); the
form's submit hook counts the answer once, only while the request is open. Reading: every
summary is an aggregate (`bot.domain.feedback_summary`), never a name nor one person's answers;
teachers see the daily rounds of the classes they teach, institution staff every round of their
institution's classes. tests/services/test_feedback.py calls these with no bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import policy
from bot.domain import feedback_summary
from bot.domain.classes import Programme
from bot.domain.feedback import Answerable, Kind, answerable, class_day_number
from bot.forms import service as form_store
from bot.forms.registry import form
from bot.forms.runner import FormRun
from bot.policy import Action, Target, allowed
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.targets import class_and_target, feedback_request_for
from bot.timetables import standard
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import checkin, feedback, feedback_views, repo
from storage.classes import sessions_of, teacher_ids, teacher_name
from storage.feedback_views import Round, RoundView
from storage.models import (
    ClassSession,
    FeedbackRequest,
    FormDraft,
    FormSubmission,
    Person,
    TrainingClass,
)

SHOWN_ANSWERS = 5
"""/myfeedback shows the latest answers only: a phone screen, not an archive."""


# --- giving feedback ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The request's form to fill: the draft already open for it (`draft`), or the form and
    the context to start it with."""

    request: FeedbackRequest
    form_id: str
    context: dict[str, Any]
    draft: FormDraft | None = None


async def open_request(session: AsyncSession, actor: Actor, request_id: int) -> Opened:
    """The actor's own request, while it may be answered: Stale once answered or closed."""
    request = await feedback_request_for(session, actor, request_id)
    match answerable(request.closes_at, request.answered_at, actor.now):
        case Answerable.ANSWERED:
            raise Stale("feedback.already")
        case Answerable.CLOSED:
            raise Stale("feedback.closed")
    draft = await form_store.active_draft(session, actor.person_id)
    if draft is not None and draft.context.get("request_id") == request.id:
        return Opened(request, request.form_id, draft.context, draft)
    context = await form_context(session, request, actor.locale)
    return Opened(request, request.form_id, context)


async def form_context(
    session: AsyncSession, request: FeedbackRequest, locale: str
) -> dict[str, Any]:
    """What the form needs from the class: its teachers, and the modules of its programme's
    standard timetable taught so far (the evaluations: the mid-term those begun by its class
    day, the final all) or the day's topics and whether it is the last class day (the daily
    feedback: no question about tomorrow then)."""
    timetable = await sessions_of(session, request.class_id)
    teachers = [
        await teacher_name(session, await session.get(Person, person_id))
        for person_id in await teacher_ids(session, request.class_id)
    ]
    context: dict[str, Any] = {
        "class_id": request.class_id,
        "kind": request.kind,
        "day": request.day,
        "request_id": request.id,
        "teachers": teachers,
    }
    if request.kind == Kind.DAILY:
        context["topics"] = [item.topic for item in timetable if item.day == request.day]
        context["last_day"] = request.day >= max((item.day for item in timetable), default=0)
    else:
        training_class = await session.get(TrainingClass, request.class_id)
        class_day = class_day_number(request.day, (item.day for item in timetable))
        through = None if request.kind == Kind.FINAL else class_day
        template = standard(Programme(training_class.programme))
        context["modules"] = template.module_titles(locale, through)
    return context


class Count(StrEnum):
    """What became of a submitted feedback form."""

    COUNTED = "counted"
    LATE = "late"
    """Submitted after the request closed: not counted."""
    NOT_COUNTED = "not_counted"
    """The request was answered already (by an earlier submission)."""


@dataclass(frozen=True)
class Counted:
    """A submission's count, with what the person is told next: the class, and its next
    session after the request's day (None after the last)."""

    count: Count
    request: FeedbackRequest
    training_class: TrainingClass | None = None
    next_session: ClassSession | None = None


async def count_answer(
    session: AsyncSession, actor: Actor, submission: FormSubmission, first_time: bool
) -> Counted | None:
    """Count a submitted feedback form as its request's one answer, if it is the first
    submission and the request is still open (audited). None when the submission answers no
    request of the actor's (nothing to say)."""
    request = await feedback.request(session, submission.context.get("request_id", 0))
    if request is None or not first_time:
        return None
    if not allowed(actor, Action.FEEDBACK_GIVE, Target.at(owner=request.person_id)):
        return None
    if not await feedback.record_answer(session, request, submission.id, actor.now):
        late = request.submission_id is None
        return Counted(Count.LATE if late else Count.NOT_COUNTED, request)
    await repo.audit(
        session,
        "feedback.answered",
        actor_id=actor.person_id,
        subject_id=actor.person_id,
        object_type="feedback_request",
        object_id=request.id,
        kind=request.kind,
        day=request.day,
        submission=submission.id,
    )
    training_class = await session.get(TrainingClass, request.class_id)
    following = [s for s in await sessions_of(session, request.class_id) if s.day > request.day]
    return Counted(Count.COUNTED, request, training_class, following[0] if following else None)


@dataclass(frozen=True)
class Given:
    """One of the actor's counted answers, with its form run for showing the answers."""

    request: FeedbackRequest
    class_name: str
    run: FormRun


async def my_answers(session: AsyncSession, actor: Actor, today: date) -> list[Given]:
    """The actor's own counted answers, latest first (the last `SHOWN_ANSWERS`)."""
    given = []
    for request, submitted in (await feedback.answered_by(session, actor.person_id))[
        :SHOWN_ANSWERS
    ]:
        training_class = await session.get(TrainingClass, request.class_id)
        run = FormRun(form(submitted.form_id), submitted.answers, today, submitted.context)
        given.append(Given(request, training_class.name, run))
    return given


# --- reading summaries -------------------------------------------------------------------------


async def visible_classes(session: AsyncSession, actor: Actor) -> list[TrainingClass]:
    """The classes whose feedback the actor may read: taught ones, their institution's."""
    institutions = policy.institutions(actor, Action.FEEDBACK_DAILY)
    return list(await checkin.visible_classes(session, actor.person_id, institutions))


async def class_page(session: AsyncSession, actor: Actor, page: int) -> Page[TrainingClass]:
    """A page of `visible_classes`, latest first: counted, then one query for the page."""
    institution_ids = policy.institutions(actor, Action.FEEDBACK_DAILY)
    total = await checkin.visible_class_count(session, actor.person_id, institution_ids)
    page, pages, offset = page_window(total, page)
    shown = await checkin.visible_classes(
        session, actor.person_id, institution_ids, offset, PAGE_SIZE
    )
    return Page(list(shown), page, pages, total)


async def _visible(
    session: AsyncSession, actor: Actor, class_id: int, action: Action = Action.FEEDBACK_DAILY
) -> tuple[TrainingClass, bool]:
    """The class and whether the actor sees it as institution staff (every round), else as its
    teacher (the daily rounds only)."""
    training_class, target = await class_and_target(
        session, actor, action, class_id, statuses=checkin.VISIBLE
    )
    return training_class, allowed(actor, Action.FEEDBACK_EVALUATIONS, target)


@dataclass(frozen=True)
class Menu:
    """A class's rounds the actor may read, with their response counts."""

    training_class: TrainingClass
    rounds: list[Round]

    @property
    def has_daily(self) -> bool:
        return any(r.kind == Kind.DAILY for r in self.rounds)


async def class_menu(session: AsyncSession, actor: Actor, class_id: int) -> Menu:
    training_class, staff = await _visible(session, actor, class_id)
    rounds = [
        r for r in await feedback_views.rounds(session, class_id) if staff or r.kind == Kind.DAILY
    ]
    return Menu(training_class, rounds)


@dataclass(frozen=True)
class RoundSummary:
    training_class: TrainingClass
    kind: Kind
    day: int
    shown: RoundView


async def round_summary(
    session: AsyncSession, actor: Actor, class_id: int, kind: Kind, day: int
) -> RoundSummary:
    """One round's aggregate: daily rounds for the class's teachers and staff, evaluations for
    the staff only. Stale when nobody was asked in that round."""
    action = Action.FEEDBACK_DAILY if kind == Kind.DAILY else Action.FEEDBACK_EVALUATIONS
    training_class, _ = await _visible(session, actor, class_id, action)
    shown = await feedback_views.round_view(session, training_class, kind, day)
    if not shown.summary.asked:
        raise Stale("feedback_views.stale")
    return RoundSummary(training_class, kind, day, shown)


@dataclass(frozen=True)
class Trend:
    """Each class day's overall average (None under the small-class rule)."""

    training_class: TrainingClass
    points: list[tuple[int, float | None]]


async def trend(session: AsyncSession, actor: Actor, class_id: int) -> Trend:
    """The daily trend; Stale ("no trend") with fewer than two days to draw."""
    training_class, _ = await _visible(session, actor, class_id)
    by_day = await feedback_views.daily_answers(session, class_id)
    days = [r.day for r in await feedback_views.rounds(session, class_id) if r.kind == Kind.DAILY]
    points = [(day, feedback_summary.trend_point(by_day.get(day, []))) for day in days]
    if sum(value is not None for _, value in points) < 2:
        raise Stale("feedback_views.no_trend")
    return Trend(training_class, points)
