"""The feedback use cases called with an Actor on the real store, no bot: a learner opens only
their own request while it is open; the first submission in time is counted, once (audited); a
late one is not; teachers read the daily rounds of the classes they teach, institution staff
every round of their institution's classes, never one person's answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.feedback import Kind
from bot.domain.roles import Grant, Role
from bot.services import feedback
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale
from bot.services.feedback import Count
from storage import feedback as requests
from storage.classes import sessions_of
from storage.db import unit_of_work
from storage.models import (
    AuditEntry,
    FeedbackRequest,
    FormDraft,
    FormSubmission,
    Institution,
    Person,
    Region,
)
from tests.factories import make_class

START = date(2026, 6, 1)
OPENS = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # day 1, 17:30 in Shanghai
CLOSES = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # day 2, 09:00


class World:
    def __init__(self) -> None:
        self.people: dict[str, tuple[int, tuple[Grant, ...]]] = {}
        self.class_id = 0
        self.requests: dict[tuple[str, Kind], int] = {}

    def actor(self, name: str, now: datetime = OPENS + timedelta(hours=1)) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)


@pytest.fixture
async def world(sessions) -> World:
    made = World()
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here, there = (
            Institution(name="甲", region_id=region.id),
            Institution(name="乙", region_id=region.id),
        )
        session.add_all([here, there])
        await session.flush()
        grants = {
            "learner": (Grant(Role.TRAINEE),),
            "learner2": (Grant(Role.TRAINEE),),
            "teacher": (Grant(Role.LECTURER, region.id, here.id),),
            "other_teacher": (Grant(Role.LECTURER, region.id, there.id),),
            "staff": (Grant(Role.INSTITUTION, region.id, here.id),),
            "foreign_staff": (Grant(Role.INSTITUTION, region.id, there.id),),
        }
        for serial, (name, granted) in enumerate(grants.items(), 1):
            person = Person(tg_user_id=30_000 + serial, first_name=name)
            session.add(person)
            await session.flush()
            made.people[name] = (person.id, granted)
        ids = {name: person_id for name, (person_id, _) in made.people.items()}
        training_class = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=START,
            teacher_ids=(ids["teacher"],),
            trainee_ids=(ids["learner"], ids["learner2"]),
            programme="lecturer",
        )
        made.class_id = training_class.id
        for name in ("learner", "learner2"):
            for kind, form_id in ((Kind.DAILY, "daily_feedback"), (Kind.MIDTERM, "midterm_eval")):
                asked = await requests.ask(
                    session,
                    class_id=training_class.id,
                    kind=kind,
                    day=1,
                    person_id=ids[name],
                    form_id=form_id,
                    opens_at=OPENS,
                    closes_at=CLOSES,
                    now=OPENS,
                )
                made.requests[name, kind] = asked.id
    return made


async def _submit(session, actor: Actor, request_id: int, answers: dict) -> FormSubmission:
    """A submission of the request's form, as the runner records it."""
    draft = FormDraft(person_id=actor.person_id, form_id="daily_feedback", form_version=1)
    session.add(draft)
    await session.flush()
    submitted = FormSubmission(
        draft_id=draft.id,
        person_id=actor.person_id,
        form_id="daily_feedback",
        form_version=1,
        context={"request_id": request_id},
        answers=answers,
        submitted_by=actor.person_id,
    )
    session.add(submitted)
    await session.flush()
    return submitted


ANSWERS = {"overall": 5, "usefulness": 4, "teachers": 5, "pace": "right"}


async def test_a_learner_opens_their_own_request_with_the_class_in_its_context(sessions, world):
    async with unit_of_work(sessions) as session:
        opened = await feedback.open_request(
            session, world.actor("learner"), world.requests["learner", Kind.DAILY]
        )
        assert opened.form_id == "daily_feedback" and opened.draft is None
        assert opened.context["teachers"] == ["teacher"]
        assert opened.context["topics"] == ["第1天 morning", "第1天 afternoon"]
        assert opened.context["last_day"] is False
        midterm = await feedback.open_request(
            session, world.actor("learner"), world.requests["learner", Kind.MIDTERM]
        )
        assert "modules" in midterm.context and "topics" not in midterm.context
    for name in ("learner2", "teacher", "staff"):
        with pytest.raises(NotAllowed):
            async with unit_of_work(sessions) as session:
                await feedback.open_request(
                    session, world.actor(name), world.requests["learner", Kind.DAILY]
                )
    with pytest.raises(NotFound):
        async with unit_of_work(sessions) as session:
            await feedback.open_request(session, world.actor("learner"), 99_999)


async def test_the_last_days_daily_feedback_knows_it_is_the_last_T6(sessions, world):
    """T6: on the last class day the daily feedback's context says so (its question about
    tomorrow is not asked)."""
    learner, _ = world.people["learner"]
    async with unit_of_work(sessions) as session:
        last = max(item.day for item in await sessions_of(session, world.class_id))
        asked = await requests.ask(
            session,
            class_id=world.class_id,
            kind=Kind.DAILY,
            day=last,
            person_id=learner,
            form_id="daily_feedback",
            opens_at=OPENS,
            closes_at=CLOSES,
            now=OPENS,
        )
    async with unit_of_work(sessions) as session:
        opened = await feedback.open_request(session, world.actor("learner"), asked.id)
    assert opened.context["last_day"] is True


async def test_a_request_is_answered_once_and_only_while_open(sessions, world):
    """T6, S-51: the first submission in time counts (audited); a second, or a late one, does
    not, and another person's submission never answers it."""
    learner, request_id = world.actor("learner"), world.requests["learner", Kind.DAILY]
    async with unit_of_work(sessions) as session:
        first = await _submit(session, learner, request_id, ANSWERS)
        counted = await feedback.count_answer(session, learner, first, True)
        assert counted.count is Count.COUNTED and counted.next_session.day == 2
        assert counted.training_class.id == world.class_id
        assert await feedback.count_answer(session, learner, first, False) is None
        second = await _submit(session, learner, request_id, ANSWERS)
        again = await feedback.count_answer(session, learner, second, True)
        assert again.count is Count.NOT_COUNTED
    with pytest.raises(Stale) as refused:
        async with unit_of_work(sessions) as session:
            await feedback.open_request(session, learner, request_id)
    assert refused.value.key == "feedback.already"

    late = world.actor("learner2", CLOSES)
    other_request = world.requests["learner2", Kind.DAILY]
    with pytest.raises(Stale) as closed:
        async with unit_of_work(sessions) as session:
            await feedback.open_request(session, late, other_request)
    assert closed.value.key == "feedback.closed"
    async with unit_of_work(sessions) as session:
        submitted = await _submit(session, late, other_request, ANSWERS)
        assert (await feedback.count_answer(session, late, submitted, True)).count is Count.LATE
        stolen = await _submit(session, learner, other_request, ANSWERS)
        assert await feedback.count_answer(session, learner, stolen, True) is None
    async with unit_of_work(sessions) as session:
        rows = {r.id: r for r in (await session.exec(select(FeedbackRequest))).all()}
        assert rows[request_id].submission_id == first.id
        assert rows[other_request].submission_id is None
        audit = (await session.exec(select(AuditEntry))).all()
        assert [(a.action, a.object_id) for a in audit] == [("feedback.answered", request_id)]
        mine = await feedback.my_answers(session, learner, START)
        assert [(g.request.id, g.class_name) for g in mine] == [
            (request_id, f"测试班 {START.isoformat()}")
        ]
        assert await feedback.my_answers(session, world.actor("learner2"), START) == []


async def test_teachers_read_daily_rounds_of_their_classes_staff_every_round(sessions, world):
    """T6, T7 (S-33): teachers read the daily rounds of the classes they teach, the institution's
    staff the evaluations too; others nothing."""
    async with unit_of_work(sessions) as session:
        for name in ("learner", "learner2"):
            learner = world.actor(name)
            submitted = await _submit(session, learner, world.requests[name, Kind.DAILY], ANSWERS)
            await feedback.count_answer(session, learner, submitted, True)
    async with unit_of_work(sessions) as session:
        teacher, staff = world.actor("teacher"), world.actor("staff")
        assert [c.id for c in await feedback.visible_classes(session, teacher)] == [world.class_id]
        assert await feedback.visible_classes(session, world.actor("foreign_staff")) == []
        menu = await feedback.class_menu(session, teacher, world.class_id)
        assert [(r.kind, r.day, r.asked, r.answered) for r in menu.rounds] == [("daily", 1, 2, 2)]
        assert menu.has_daily
        menu = await feedback.class_menu(session, staff, world.class_id)
        assert [(r.kind, r.answered) for r in menu.rounds] == [("daily", 2), ("midterm", 0)]
        summary = await feedback.round_summary(session, teacher, world.class_id, Kind.DAILY, 1)
        assert summary.shown.summary.asked == 2 and summary.shown.summary.responses == 2
        assert summary.shown.date == START
        evaluation = await feedback.round_summary(session, staff, world.class_id, Kind.MIDTERM, 1)
        assert evaluation.shown.summary.responses == 0
    refusals = [
        (
            NotAllowed,
            lambda s: feedback.class_menu(s, world.actor("other_teacher"), world.class_id),
        ),
        (
            NotAllowed,
            lambda s: feedback.class_menu(s, world.actor("foreign_staff"), world.class_id),
        ),
        (
            NotAllowed,
            lambda s: feedback.round_summary(
                s, world.actor("teacher"), world.class_id, Kind.MIDTERM, 1
            ),
        ),
        (
            Stale,
            lambda s: feedback.round_summary(
                s, world.actor("staff"), world.class_id, Kind.DAILY, 2
            ),
        ),
        (Stale, lambda s: feedback.trend(s, world.actor("teacher"), world.class_id)),
        (NotFound, lambda s: feedback.class_menu(s, world.actor("staff"), 99_999)),
    ]
    for refusal, attempt in refusals:
        with pytest.raises(refusal):
            async with unit_of_work(sessions) as session:
                await attempt(session)
