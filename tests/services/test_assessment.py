"""Assessment use cases on the real store, no bot (S-12, S-13, S-25): the class's window
closes and non-teaching scorers are drawn, scorers accept, decline, miss deadlines and score;
the final-score rule asks for a second scorer; results, coaching and resubmissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.roles import Grant, Role
from bot.services import assessment
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, Stale
from storage import repo
from storage.db import unit_of_work
from storage.models import (
    AssessmentResult,
    Certificate,
    Enrollment,
    FormDraft,
    FormSubmission,
    Institution,
    OutboxMessage,
    Person,
    Region,
    ScorerConflict,
    ScorerDraw,
    ScoringAssignment,
    TraineeAssessment,
    TrainingClass,
)
from tests.factories import make_class

START = date(2026, 5, 11)
DURING = datetime(2026, 5, 12, 3, 0, tzinfo=UTC)
CLOSED = datetime(2026, 5, 17, 16, 0, tzinfo=UTC)
"""Midnight in Shanghai after the last (7th) class day: the submission window has closed."""
AFTER = CLOSED + timedelta(minutes=1)
PERFECT = [15, 25, 10, 20, 15, 10, 5]
FAIL = [5, 10, 5, 5, 5, 5, 0]  # 35


@dataclass
class World:
    people: dict[str, tuple[int, tuple[Grant, ...]]]
    class_id: int
    other_region: int
    trainees: list[int]

    def id(self, name: str) -> int:
        return self.people[name][0]

    def actor(self, name: str, now: datetime = AFTER) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)


async def _person(session, name: str, serial: int, *grants: Grant) -> tuple[int, tuple]:
    person = Person(tg_user_id=30_000 + serial, first_name=name)
    session.add(person)
    await session.flush()
    for grant in grants:
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return person.id, grants


async def _certify(session, person_id: int, region_id: int, serial: int, kind="lecturer"):
    session.add(
        Certificate(
            person_id=person_id,
            kind=kind,
            number=f"C{serial}",
            course="网络创业培训讲师",
            issued_on=date(2024, 1, 1),
            region_id=region_id,
            status="verified",
        )
    )


async def hand_in(session, person_id: int, form_id: str, answers: dict) -> int:
    draft = FormDraft(person_id=person_id, form_id=form_id, form_version=1, status="submitted")
    session.add(draft)
    await session.flush()
    submission = FormSubmission(
        draft_id=draft.id,
        person_id=person_id,
        form_id=form_id,
        form_version=1,
        answers=answers,
        submitted_by=person_id,
    )
    session.add(submission)
    await session.flush()
    return submission.id


@pytest.fixture
async def world(sessions) -> World:
    async with unit_of_work(sessions) as session:
        here, there = Region(name="西湖区"), Region(name="上城区")
        session.add_all([here, there])
        await session.flush()
        schools = [Institution(name=f"机构{i}", region_id=here.id) for i in range(3)]
        far = Institution(name="远方机构", region_id=there.id)
        session.add_all([*schools, far])
        await session.flush()
        own, second, third = schools
        people = {}
        serial = 0

        async def add(name, *grants, cert_region=None):
            nonlocal serial
            serial += 1
            people[name] = await _person(session, name, serial, *grants)
            if cert_region is not None:
                await _certify(session, people[name][0], cert_region, serial)

        def lecturer(region, school):
            return Grant(Role.LECTURER, region, school)

        await add("teacher1", lecturer(here.id, own.id), cert_region=here.id)
        await add("teacher2", lecturer(here.id, own.id), cert_region=here.id)
        await add("colleague", lecturer(here.id, own.id), cert_region=here.id)
        await add("l1", lecturer(here.id, second.id), cert_region=here.id)
        await add("l2", lecturer(here.id, second.id), cert_region=here.id)
        await add("l3", lecturer(here.id, third.id), cert_region=here.id)
        await add("uncertified", lecturer(here.id, third.id))
        await add("neighbour", lecturer(there.id, far.id), cert_region=there.id)
        await add("supervisor", Grant(Role.SUPERVISOR, here.id))
        await add("staff", Grant(Role.INSTITUTION, here.id, own.id))
        trainees = []
        for index in range(3):
            await add(f"trainee{index}", Grant(Role.TRAINEE, here.id, own.id))
            trainees.append(people[f"trainee{index}"][0])
        made = await make_class(
            session,
            institution_id=own.id,
            region_id=here.id,
            start=START,
            teacher_ids=(people["teacher1"][0], people["teacher2"][0]),
            trainee_ids=tuple(trainees),
        )
        for index, trainee in enumerate(trainees):
            await hand_in(
                session,
                trainee,
                "practice_results",
                {"name": f"学员{index}", "mall_store": f"店铺{index}", "orders": 12},
            )
            await hand_in(session, trainee, "business_plan", {"overview": "卖茶叶"})
        return World(people, made.id, there.id, trainees)


async def _scan(sessions, now: datetime) -> assessment.ScanResult:
    async with unit_of_work(sessions) as session:
        return await assessment.scan(session, now)


async def _open(sessions, world: World) -> list[ScoringAssignment]:
    async with unit_of_work(sessions) as session:
        rows = await session.exec(
            select(ScoringAssignment)
            .where(ScoringAssignment.class_id == world.class_id)
            .order_by(ScoringAssignment.id)
        )
        return list(rows.all())


async def _score(
    sessions,
    world: World,
    assignment: ScoringAssignment,
    values,
    plan=True,
    comment=None,
    now=AFTER,
):
    names = {v[0]: k for k, v in world.people.items()}
    actor = world.actor(names[assignment.scorer_id], now)
    async with unit_of_work(sessions) as session:
        current = await session.get(ScoringAssignment, assignment.id)
        if current.status == "offered":
            await assessment.accept(session, actor, assignment.id)
        for index, value in enumerate(values):
            await assessment.score(session, actor, assignment.id, index, value)
        await assessment.set_plan(session, actor, assignment.id, plan)
        if comment:
            await assessment.set_comment(session, actor, assignment.id, comment)
        await assessment.finish(session, actor, assignment.id)


async def test_s12_window_closes_and_non_teaching_scorers_of_the_region_are_drawn(sessions, world):
    assert (await _scan(sessions, DURING)).started == 1
    assert not (await _scan(sessions, CLOSED - timedelta(minutes=1))).ended
    result = await _scan(sessions, AFTER)
    assert result.ended == 1 and result.drawn == 3
    assigned = await _open(sessions, world)
    allowed = {world.id("l1"), world.id("l2"), world.id("l3")}
    assert {a.scorer_id for a in assigned} == allowed  # one each: spread 0
    async with unit_of_work(sessions) as session:
        training_class = await session.get(TrainingClass, world.class_id)
        assert training_class.stage == "ended"
        draw = (await session.exec(select(ScorerDraw))).one()
        assert draw.shortfall == 0 and all(a.seed == draw.seed for a in assigned)
        stages = (await session.exec(select(TraineeAssessment))).all()
        assert {(s.stage, s.round) for s in stages} == {("assessment", 1)}
        pushes = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key.like("score:%")))
        ).all()
        assert len(pushes) == 3
        text = pushes[0].payload["text"]
        assert "店铺0" in text and "学员0" not in text and "trainee0" not in text  # blind
    # Drawing again changes nothing: everyone has their scorer.
    assert not (await _scan(sessions, AFTER + timedelta(minutes=1))).drawn


async def test_s13_a_clear_pass_is_final_with_one_scorer_and_the_class_is_assessed(sessions, world):
    await _scan(sessions, AFTER)
    for assignment in await _open(sessions, world):
        await _score(sessions, world, assignment, PERFECT)
    async with unit_of_work(sessions) as session:
        results = (await session.exec(select(AssessmentResult))).all()
        assert len(results) == 3 and all(r.passed and r.final == 100 for r in results)
        assert (await session.get(TrainingClass, world.class_id)).stage == "assessed"
        told = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key.like("assessment_result:%"))
            )
        ).all()
        assert len(told) == 3 and "100.0" in told[0].payload["text"]


async def test_a_score_under_60_needs_a_comment_and_the_trainee_is_coached(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    with pytest.raises(Stale):
        await _score(sessions, world, first, FAIL, plan=False)
    await _score(sessions, world, first, FAIL, plan=False, comment="商品太少，详情页不完整")
    async with unit_of_work(sessions) as session:
        stage = (
            await session.exec(
                select(TraineeAssessment).where(TraineeAssessment.person_id == first.trainee_id)
            )
        ).one()
        assert stage.stage == "coaching"
        coach = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key.like("coach:%")))
        ).all()
        assert {c.person_id for c in coach} == {world.id("teacher1"), world.id("teacher2")}
        listed = await assessment.coaching_list(session, world.actor("teacher1"), world.class_id)
        assert [c.trainee_id for c in listed] == [first.trainee_id]
        with pytest.raises(NotAllowed):
            await assessment.coaching_list(session, world.actor("l1"), world.class_id)
        await assessment.record_coaching(
            session,
            world.actor("teacher1"),
            world.class_id,
            first.trainee_id,
            date(2026, 5, 19),
            "讲了商品标题和详情页",
        )
        await hand_in(session, first.trainee_id, "practice_results", {"mall_store": "新店铺"})
    assert (await _scan(sessions, AFTER + timedelta(days=2))).rescored == 1
    again = [a for a in await _open(sessions, world) if a.round == 2]
    assert len(again) == 1 and again[0].scorer_id == first.scorer_id  # the same scorer
    await _score(sessions, world, again[0], PERFECT, now=AFTER + timedelta(days=2))
    async with unit_of_work(sessions) as session:
        results = (
            await session.exec(
                select(AssessmentResult).where(AssessmentResult.trainee_id == first.trainee_id)
            )
        ).all()
        assert [(r.round, r.passed) for r in results] == [(1, False), (2, True)]


async def test_s13_a_resubmission_is_scored_again_whatever_others_had_scored_since(sessions, world):
    """Regression: the scan compared a resubmission with the newest scored practice results of
    anyone, so another trainee's later submission, once scored, hid it from the scan."""
    await _scan(sessions, AFTER)
    first, second, *_ = await _open(sessions, world)
    await _score(sessions, world, first, FAIL, plan=False, comment="商品太少，详情页不完整")
    async with unit_of_work(sessions) as session:
        await hand_in(session, first.trainee_id, "practice_results", {"mall_store": "新店铺"})
        # Another trainee's practice results, handed in later still, already scored.
        later = await hand_in(session, second.trainee_id, "practice_results", {"orders": 30})
        scored = await session.get(ScoringAssignment, second.id)
        scored.submission_id, scored.status = later, "done"
        session.add(scored)
    assert (await _scan(sessions, AFTER + timedelta(days=2))).rescored == 1
    again = [a for a in await _open(sessions, world) if a.round == 2]
    assert [a.trainee_id for a in again] == [first.trainee_id]


async def test_borderline_score_asks_a_second_scorer_and_the_mean_is_final(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    await _score(sessions, world, first, [10, 15, 6, 12, 9, 6, 4])  # 62
    second = [a for a in await _open(sessions, world) if a.position == 2]
    assert len(second) == 1 and second[0].scorer_id != first.scorer_id
    assert second[0].trainee_id == first.trainee_id
    await _score(sessions, world, second[0], [10, 15, 6, 12, 9, 6, 0], comment="没有真实店铺")
    async with unit_of_work(sessions) as session:
        result = (
            await session.exec(
                select(AssessmentResult).where(AssessmentResult.trainee_id == first.trainee_id)
            )
        ).one()
        assert result.final == 60.0 and result.passed


async def test_decline_with_a_conflict_moves_it_on_and_is_remembered(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    names = {v[0]: k for k, v in world.people.items()}
    async with unit_of_work(sessions) as session:
        made = await assessment.decline(
            session, world.actor(names[first.scorer_id]), first.id, "是我的亲戚", conflict=True
        )
        assert made is not None and made.scorer_id != first.scorer_id
        assert (await session.exec(select(ScorerConflict))).one().scorer_id == first.scorer_id
    with pytest.raises(Stale):
        async with unit_of_work(sessions) as session:
            await assessment.accept(session, world.actor(names[first.scorer_id]), first.id)


async def test_missed_deadline_moves_to_the_next_scorer_and_both_are_told(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    reminded = await _scan(sessions, first.deadline - timedelta(hours=23))
    assert reminded.reminded == 3
    expired = await _scan(sessions, first.deadline + timedelta(minutes=1))
    assert expired.expired == 3
    async with unit_of_work(sessions) as session:
        keys = {m.key for m in (await session.exec(select(OutboxMessage))).all()}
        assert f"score_expired:{first.id}" in keys and f"score_reminder:{first.id}" in keys
    fresh = [a for a in await _open(sessions, world) if a.status == "offered"]
    assert len(fresh) == 3
    assert all(
        a.scorer_id != old.scorer_id
        for a in fresh
        for old in [first]
        if a.trainee_id == old.trainee_id
    )


async def test_only_the_drawn_scorer_may_score(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    with pytest.raises(NotAllowed):
        async with unit_of_work(sessions) as session:
            await assessment.accept(session, world.actor("teacher1"), first.id)


async def test_shortfall_tells_the_supervisor_who_widens_the_pool(sessions, world):
    async with unit_of_work(sessions) as session:
        for name in ("l1", "l2", "l3"):
            for cert in (
                await session.exec(
                    select(Certificate).where(Certificate.person_id == world.id(name))
                )
            ).all():
                cert.status = "rejected"
                session.add(cert)
    await _scan(sessions, AFTER)
    async with unit_of_work(sessions) as session:
        assert (await session.exec(select(ScorerDraw))).one().shortfall == 3
        told = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key.like("shortfall:%")))
        ).all()
        assert [m.person_id for m in told] == [world.id("supervisor")]
        with pytest.raises(NotAllowed):
            await assessment.supervisor_draw(session, world.actor("staff"), world.class_id)
        outcome = await assessment.supervisor_draw(
            session, world.actor("supervisor"), world.class_id, regions=[world.other_region]
        )
        assert len(outcome.assigned) == 3 and outcome.shortfall == 0
    assert {a.scorer_id for a in await _open(sessions, world)} == {world.id("neighbour")}


async def test_supervisor_reassigns_by_hand_to_an_eligible_lecturer_only(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await assessment.reassign(
                session, world.actor("supervisor"), first.id, world.id("teacher1")
            )
    async with unit_of_work(sessions) as session:
        made = await assessment.reassign(
            session, world.actor("supervisor"), first.id, world.id("neighbour")
        )
        assert made.scorer_id == world.id("neighbour")
        assert (await session.get(ScoringAssignment, first.id)).status == "withdrawn"


async def test_progress_per_class(sessions, world):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    await _score(sessions, world, first, PERFECT)
    async with unit_of_work(sessions) as session:
        training_class = await session.get(TrainingClass, world.class_id)
        late = first.deadline + timedelta(hours=5)
        actor = Actor.of(world.id("staff"), world.people["staff"][1], "zh-CN", late)
        ((shown, p),) = await assessment.progress(session, actor, [training_class])
        assert (p.trainees, p.submitted, p.scored, p.passed, p.overdue) == (3, 3, 1, 1, 2)
        assert p.oldest_overdue == first.deadline
        with pytest.raises(NotAllowed):
            await assessment.progress(session, world.actor("l1"), [training_class])


async def test_s25_a_lecturer_class_is_scored_by_its_trainers(sessions, world):
    async with unit_of_work(sessions) as session:
        trainer1 = await _person(session, "trainer1", 901, Grant(Role.TRAINER))
        trainer2 = await _person(session, "trainer2", 902, Grant(Role.TRAINER))
        learner = await _person(session, "learner", 903, Grant(Role.LECTURER, 1, None))
        made = await make_class(
            session,
            institution_id=(await session.get(TrainingClass, world.class_id)).institution_id,
            region_id=(await session.get(TrainingClass, world.class_id)).region_id,
            start=START,
            programme="lecturer",
            teacher_ids=(trainer1[0], trainer2[0]),
            trainee_ids=(learner[0],),
        )
        await hand_in(session, learner[0], "practice_results", {"mall_store": "讲师店铺"})
        class_id = made.id
    await _scan(sessions, datetime(2026, 5, 21, 16, 1, tzinfo=UTC))
    async with unit_of_work(sessions) as session:
        rows = (
            await session.exec(
                select(ScoringAssignment).where(ScoringAssignment.class_id == class_id)
            )
        ).all()
        assert [r.scorer_id for r in rows] in ([trainer1[0]], [trainer2[0]])


async def test_settings_two_scorers_each_a_shorter_deadline_and_one_round(sessions, world):
    config = assessment.Config(scorers=2, deadline=timedelta(hours=12), rounds=1)
    async with unit_of_work(sessions) as session:
        await assessment.scan(session, AFTER, config)
    drawn = await _open(sessions, world)
    by_trainee: dict[int, set[int]] = {}
    for a in drawn:
        by_trainee.setdefault(a.trainee_id, set()).add(a.scorer_id)
        assert a.deadline == AFTER + timedelta(hours=12)
    assert all(len(scorers) == 2 for scorers in by_trainee.values())
    assert config.reminder == timedelta(hours=6)
    # With one round, a failed trainee's resubmission is not scored again.
    first = drawn[0]
    for a in [a for a in drawn if a.trainee_id == first.trainee_id]:
        await _score(sessions, world, a, FAIL, plan=False, comment="商品太少")
    async with unit_of_work(sessions) as session:
        await hand_in(session, first.trainee_id, "practice_results", {"mall_store": "新店"})
        assert not (await assessment.scan(session, AFTER + timedelta(hours=1), config)).rescored


async def test_a_second_scorer_nobody_could_take_is_drawn_when_the_supervisor_draws_again(
    sessions, world
):
    """Borderline with nobody else eligible: the supervisor is told; once a lecturer is
    available, drawing again gives the second scorer (and only that)."""
    async with unit_of_work(sessions) as session:
        for name in ("l2", "l3"):
            for cert in (
                await session.exec(
                    select(Certificate).where(Certificate.person_id == world.id(name))
                )
            ).all():
                cert.status = "rejected"
                session.add(cert)
    await _scan(sessions, AFTER)
    drawn = await _open(sessions, world)
    assert {a.scorer_id for a in drawn} == {world.id("l1")}
    await _score(sessions, world, drawn[0], [10, 15, 6, 12, 9, 6, 4])  # 62: borderline
    assert len(await _open(sessions, world)) == 3  # no second scorer free
    async with unit_of_work(sessions) as session:
        cert = (
            await session.exec(select(Certificate).where(Certificate.person_id == world.id("l2")))
        ).one()
        cert.status = "verified"
        session.add(cert)
    async with unit_of_work(sessions) as session:
        outcome = await assessment.supervisor_draw(
            session, world.actor("supervisor"), world.class_id
        )
    assert len(outcome.assigned) == 1
    added = (await _open(sessions, world))[-1]
    assert (added.trainee_id, added.position, added.scorer_id) == (
        drawn[0].trainee_id,
        2,
        world.id("l2"),
    )


async def test_an_incomplete_plan_needs_a_comment_and_a_disagreement_asks_a_second_scorer(
    sessions, world
):
    await _scan(sessions, AFTER)
    first, *_ = await _open(sessions, world)
    with pytest.raises(Stale):
        await _score(sessions, world, first, PERFECT, plan=False)
    await _score(sessions, world, first, PERFECT, plan=False, comment="缺少财务预测")
    second = [a for a in await _open(sessions, world) if a.position == 2]
    assert len(second) == 1 and second[0].trainee_id == first.trainee_id


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_scorers_finishing_at_once_settle_the_round_once(sessions, world):
    """On PostgreSQL two sheets of one round confirmed concurrently are settled one after the
    other (the trainee's row is locked): exactly one result. (The interleaving that would lose
    the result without the lock is not forced here; this guards the outcome.)"""
    import asyncio

    config = assessment.Config(scorers=2)
    async with unit_of_work(sessions) as session:
        await assessment.scan(session, AFTER, config)
    first = (await _open(sessions, world))[0]
    pair = [a for a in await _open(sessions, world) if a.trainee_id == first.trainee_id]
    names = {v[0]: k for k, v in world.people.items()}
    for a in pair:
        actor = world.actor(names[a.scorer_id])
        async with unit_of_work(sessions) as session:
            await assessment.accept(session, actor, a.id)
            for index, value in enumerate(PERFECT):
                await assessment.score(session, actor, a.id, index, value)
            await assessment.set_plan(session, actor, a.id, True)

    async def confirm(a):
        async with unit_of_work(sessions) as session:
            await assessment.finish(session, world.actor(names[a.scorer_id]), a.id, config)

    await asyncio.gather(*(confirm(a) for a in pair))
    async with unit_of_work(sessions) as session:
        results = (
            await session.exec(
                select(AssessmentResult).where(AssessmentResult.trainee_id == first.trainee_id)
            )
        ).all()
    assert [(r.final, r.passed) for r in results] == [(100.0, True)]


async def test_late_work_with_an_extended_deadline_is_drawn_by_the_next_scan(sessions, world):
    async with unit_of_work(sessions) as session:
        late = await _person(session, "late", 950, Grant(Role.TRAINEE))
        session.add(Enrollment(class_id=world.class_id, person_id=late[0], status="enrolled"))
    assert (await _scan(sessions, AFTER)).drawn == 3
    assert not (await _scan(sessions, AFTER + timedelta(minutes=1))).drawn
    async with unit_of_work(sessions) as session:  # with a later deadline (SubmissionExtension)
        await hand_in(session, late[0], "practice_results", {"mall_store": "迟交的店"})
    assert (await _scan(sessions, AFTER + timedelta(days=1))).drawn == 1
    assert late[0] in {a.trainee_id for a in await _open(sessions, world)}
    assert not (await _scan(sessions, AFTER + timedelta(days=1, minutes=1))).drawn
