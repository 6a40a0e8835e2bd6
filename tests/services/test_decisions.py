"""The four decision use cases called directly with an Actor on the real store, no bot: who may
decide (NotAllowed, NotFound), the first decision counting (Stale naming it), and what each
decision writes and tells (S-3, S-8, S-10, S-11)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.domain.classes import CertificateStatus, ClassStatus
from bot.domain.roles import Grant, Role
from bot.domain.screening import Flag, Outcome, Reason, Recommendation
from bot.services import applications, certificates, leave, screening
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Refusal, Stale
from storage import intake, repo
from storage.db import unit_of_work
from storage.models import (
    AuditEntry,
    Certificate,
    FormDraft,
    FormSubmission,
    Institution,
    LeaveRequest,
    OutboxMessage,
    Person,
    Region,
    ScreeningCase,
    TraineeCycle,
    TrainingClass,
)
from tests.factories import make_class

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
START = date(2026, 5, 11)


@dataclass
class World:
    """Two regions with one institution each; people with their grants; one pending item of
    each kind in the first region."""

    people: dict[str, tuple[int, tuple[Grant, ...]]]
    case_id: int
    certificate_id: int
    class_id: int
    leave_id: int
    running_class_id: int
    session_ids: list[int]

    def actor(self, name: str) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", NOW)


async def _person(session, name: str, serial: int, *grants: Grant) -> tuple[int, tuple]:
    person = Person(tg_user_id=10_000 + serial, first_name=name)
    session.add(person)
    await session.flush()
    for grant in grants:
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return person.id, grants


@pytest.fixture
async def world(sessions) -> World:
    async with unit_of_work(sessions) as session:
        regions = [Region(name="西湖区"), Region(name="上城区")]
        session.add_all(regions)
        await session.flush()
        places = [Institution(name=f"机构{r.id}", region_id=r.id) for r in regions]
        session.add_all(places)
        await session.flush()
        here, there = places
        people = {
            "staff": await _person(
                session, "张", 1, Grant(Role.INSTITUTION, here.region_id, here.id)
            ),
            "staff2": await _person(
                session, "钱", 2, Grant(Role.INSTITUTION, here.region_id, here.id)
            ),
            "foreign_staff": await _person(
                session, "赵", 3, Grant(Role.INSTITUTION, there.region_id, there.id)
            ),
            "supervisor": await _person(session, "周", 4, Grant(Role.SUPERVISOR, here.region_id)),
            "supervisor2": await _person(session, "吴", 5, Grant(Role.SUPERVISOR, here.region_id)),
            "foreign_supervisor": await _person(
                session, "郑", 6, Grant(Role.SUPERVISOR, there.region_id)
            ),
            "teacher": await _person(
                session, "李", 7, Grant(Role.LECTURER, here.region_id, here.id)
            ),
            "teacher2": await _person(
                session, "王", 8, Grant(Role.LECTURER, here.region_id, here.id)
            ),
            "trainee": await _person(session, "小明", 9, Grant(Role.TRAINEE)),
            "learner": await _person(session, "小红", 10, Grant(Role.TRAINEE)),
        }
        trainee_id = people["trainee"][0]
        draft = FormDraft(
            person_id=trainee_id, form_id="registration", form_version=1, status="submitted"
        )
        session.add(draft)
        await session.flush()
        registration = FormSubmission(
            draft_id=draft.id,
            person_id=trainee_id,
            form_id="registration",
            form_version=1,
            context={"institution_id": here.id},
            submitted_by=trainee_id,
        )
        session.add(registration)
        await session.flush()
        for state in ("registered", "screened"):
            await intake.move(session, trainee_id, here.id, state, actor_id=None)
        case = await intake.add_case(
            session,
            person_id=trainee_id,
            institution_id=here.id,
            registration_id=registration.id,
            recommended=Outcome.SIYB,
            reasons=[],
        )
        certificate = Certificate(
            person_id=people["teacher"][0],
            kind="lecturer",
            number="LC-1",
            course="讲师培训",
            issued_on=START,
            region_id=here.region_id,
        )
        session.add(certificate)
        submitted = await make_class(
            session,
            institution_id=here.id,
            region_id=here.region_id,
            start=START,
            status="submitted",
            teacher_ids=(people["teacher"][0],),
        )
        running = await make_class(
            session,
            institution_id=here.id,
            region_id=here.region_id,
            start=START,
            teacher_ids=(people["teacher"][0], people["teacher2"][0]),
            trainee_ids=(people["learner"][0],),
        )
        timetable = await intake_sessions(session, running.id)
        request = LeaveRequest(
            class_id=running.id,
            person_id=people["learner"][0],
            session_ids=[timetable[2]],
            hours=4,
            reason="生病",
        )
        session.add(request)
        await session.flush()
        return World(
            people, case.id, certificate.id, submitted.id, request.id, running.id, timetable
        )


async def intake_sessions(session, class_id: int) -> list[int]:
    from storage.classes import sessions_of

    return [s.id for s in await sessions_of(session, class_id)]


Decide = Callable[[Any, Actor], Awaitable[Any]]


def deciders(world: World) -> dict[str, Decide]:
    """Each use case, deciding its item of the world (the reason given where one is needed)."""
    return {
        "screening": lambda s, a: screening.decide_screening(
            s, a, world.case_id, Outcome.ONLINE, "面谈后确认可以开网店"
        ),
        "certificate": lambda s, a: certificates.decide_certificate(
            s, a, world.certificate_id, CertificateStatus.VERIFIED, None
        ),
        "application": lambda s, a: applications.decide_application(
            s, a, world.class_id, ClassStatus.RETURNED, "课程表需要调整"
        ),
        "leave": lambda s, a: leave.decide_leave(s, a, world.leave_id, approve=True),
    }


DECIDERS = {
    "screening": ("staff", "staff2", "foreign_staff"),
    "certificate": ("supervisor", "supervisor2", "foreign_supervisor"),
    "application": ("supervisor", "supervisor2", "foreign_supervisor"),
    "leave": ("teacher", "teacher2", "staff"),
}
"""Per use case: who may decide, a second who may too, and someone outside its scope."""


async def _decide(sessions, world: World, kind: str, who: str) -> Any:
    async with unit_of_work(sessions) as session:
        return await deciders(world)[kind](session, world.actor(who))


async def _audits(sessions, prefix: str) -> list[AuditEntry]:
    async with unit_of_work(sessions) as session:
        rows = await session.exec(select(AuditEntry).where(AuditEntry.action.startswith(prefix)))
        return list(rows.all())


@pytest.mark.parametrize("kind", list(DECIDERS))
async def test_outsiders_are_refused_and_change_nothing(sessions, world, kind):
    """The access policy is asked by each use case: someone outside the item's scope gets
    NotAllowed, and nothing is written."""
    outsider = DECIDERS[kind][2]
    before = await _audits(sessions, "")
    with pytest.raises(NotAllowed):
        await _decide(sessions, world, kind, outsider)
    assert await _audits(sessions, "") == before
    decided = await _decide(sessions, world, kind, DECIDERS[kind][0])
    assert decided.status in ("online", "verified", "returned", "approved")


@pytest.mark.parametrize("kind", list(DECIDERS))
async def test_the_second_decision_is_stale_and_names_the_first(sessions, world, kind):
    """S-10, S-11: the first decision counts; a later one is refused with what was decided,
    and writes nothing."""
    first, second, _ = DECIDERS[kind]
    decided = await _decide(sessions, world, kind, first)
    with pytest.raises(Stale) as refused:
        await _decide(sessions, world, kind, second)
    assert refused.value.key.endswith("already_decided")
    assert decided.status in refused.value.context.values()
    if kind == "leave":
        assert refused.value.context["by"] == "李"
    action = {"screening": "screening.decided", "application": "class."}.get(kind, kind)
    audits = [a for a in await _audits(sessions, action) if a.action != "class.submitted"]
    assert len(audits) == 1 and audits[0].actor_id == world.people[first][0]


async def test_a_missing_item_is_not_found(sessions, world):
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotFound):
            await screening.decide_screening(
                session, world.actor("staff"), world.case_id + 99, Outcome.SIYB, None
            )
        with pytest.raises(NotFound):
            await leave.decide_leave(session, world.actor("teacher"), world.leave_id + 9, True)


async def test_an_override_writes_the_cycle_the_audit_and_tells_the_trainee(sessions, world):
    """S-3, S-5: an override records the reason, moves the trainee's cycle, and queues the
    result for the trainee (with the needs questionnaire button) and the card's closing."""
    decided = await _decide(sessions, world, "screening", "staff")
    assert decided.status == Outcome.ONLINE
    async with unit_of_work(sessions) as session:
        case = await session.get(ScreeningCase, world.case_id)
        cycle = (await session.exec(select(TraineeCycle))).one()
        told = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"case-decided:{case.id}")
            )
        ).one()
    assert (case.decided, case.decided_by, case.decided_at) == (
        "online",
        world.people["staff"][0],
        NOW,
    )
    assert case.override_reason == "面谈后确认可以开网店"
    assert cycle.state == "suitable_online"
    assert "适合参加网络创业培训" in told.payload["text"] and "sf:needs" in str(told.payload)
    assert "面谈后确认可以开网店" in told.payload["text"], "S-5: the result comes with its reason"


async def test_a_flagged_case_shows_the_reviewer_the_inconsistency_and_the_trainee_reasons(
    sessions, world
):
    """S-4, S-5: business going online without a business is shown to the reviewers as an
    inconsistency; the trainee is told the confirmed result with its reasons, never the flag."""
    trainee_id = world.people["trainee"][0]
    async with unit_of_work(sessions) as session:
        old = await session.get(ScreeningCase, world.case_id)
        trainee = await session.get(Person, trainee_id)
        recommendation = Recommendation(
            Outcome.ONLINE, (Reason.BRINGS_BUSINESS_ONLINE,), (Flag.BUSINESS_WITHOUT_BUSINESS,)
        )
        assert await screening.reopen(session, trainee_id, old.institution_id, "revised")
        case, reviewed = await screening.recommend(
            session, trainee, old.institution_id, old.registration_id, None, recommendation
        )
        case_id = case.id
    assert reviewed
    async with unit_of_work(sessions) as session:
        cards = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key.startswith(f"case:{case_id}:"))
            )
        ).all()
    assert cards and all("⚠️ 不一致" in card.payload["text"] for card in cards)
    assert all("希望已有企业互联网化" in card.payload["text"] for card in cards)
    async with unit_of_work(sessions) as session:
        await screening.decide_screening(
            session, world.actor("staff"), case_id, Outcome.ONLINE, None
        )
    async with unit_of_work(sessions) as session:
        told = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"case-decided:{case_id}")
            )
        ).one()
    assert "原因" in told.payload["text"] and "希望已有企业互联网化" in told.payload["text"]
    assert "不一致" not in told.payload["text"]


async def test_an_override_without_a_reason_is_refused(sessions, world):
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):
            await screening.decide_screening(
                session, world.actor("staff"), world.case_id, Outcome.ONLINE, None
            )
        case = await session.get(ScreeningCase, world.case_id)
        assert case.decided is None


async def test_a_learner_asks_leave_and_the_teachers_are_asked(sessions, world):
    """S-11: the request is stored by the use case and pushed to each teacher of the class."""
    learner = world.actor("learner")
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):
            await leave.request_leave(
                session, learner, world.running_class_id, [world.session_ids[0]] * 2, "家里有事"
            )
    async with unit_of_work(sessions) as session:
        decided = await leave.request_leave(
            session, learner, world.running_class_id, [world.session_ids[4]], "家里有事"
        )
    async with unit_of_work(sessions) as session:
        stored = await session.get(LeaveRequest, decided.item_id)
        pushes = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key.startswith(f"leave:{stored.id}:"))
            )
        ).all()
    assert (stored.person_id, stored.hours, stored.reason) == (learner.person_id, 4, "家里有事")
    assert len(pushes) == 2 and all("家里有事" in p.payload["text"] for p in pushes)
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):
            await leave.request_leave(
                session, world.actor("trainee"), world.running_class_id, [world.session_ids[4]], "x"
            )


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("kind", list(DECIDERS))
async def test_two_reviewers_deciding_at_once_one_counts(sessions, world, kind):
    """Two reviewers press at the same moment, each in their own transaction: the first
    decision counts, the second is told it was already decided (PostgreSQL only: on SQLite
    BEGIN IMMEDIATE already runs the two one after the other)."""
    loaded = asyncio.Barrier(2)

    async def decide(who: str) -> Any:
        async with unit_of_work(sessions) as session:
            # both transactions have read the item as pending before either writes
            await session.get(
                {
                    "screening": ScreeningCase,
                    "certificate": Certificate,
                    "application": TrainingClass,
                    "leave": LeaveRequest,
                }[kind],
                {
                    "screening": world.case_id,
                    "certificate": world.certificate_id,
                    "application": world.class_id,
                    "leave": world.leave_id,
                }[kind],
            )
            await loaded.wait()
            return await deciders(world)[kind](session, world.actor(who))

    first, second, _ = DECIDERS[kind]
    results = await asyncio.gather(decide(first), decide(second), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Refusal)]
    counted = [r for r in results if not isinstance(r, BaseException)]
    assert len(counted) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Stale) and refused[0].key.endswith("already_decided")


async def test_a_leave_is_refused_only_with_a_reason_the_learner_is_told(sessions, world):
    """S-11: refusing a leave request takes a reason (none: Stale, nothing written); the
    learner is told it and the audit keeps it; a later decision is Stale naming the first."""
    teacher = world.actor("teacher")
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):
            await leave.decide_leave(session, teacher, world.leave_id, approve=False)
        stored = await session.get(LeaveRequest, world.leave_id)
        assert stored.status == "pending"
        await leave.request_leave(
            session, world.actor("learner"), world.running_class_id, [world.session_ids[4]], "家事"
        )
    async with unit_of_work(sessions) as session:
        pushed = (await session.exec(select(LeaveRequest).order_by(LeaveRequest.id))).all()[-1]
    async with unit_of_work(sessions) as session:
        decided = await leave.decide_leave(
            session, teacher, pushed.id, approve=False, reason="这节课要做结业项目"
        )
    assert decided.status == "refused"
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale) as late:
            await leave.pending_leave(session, world.actor("teacher2"), pushed.id)
        told = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"leave_decided:{pushed.id}")
            )
        ).one()
    assert late.value.context == {"status": "refused", "by": "李"}
    assert "未获 李 批准，理由：这节课要做结业项目" in told.payload["text"]
    [audit] = await _audits(sessions, "leave.refused")
    assert audit.reason == "这节课要做结业项目" and audit.actor_id == teacher.person_id
