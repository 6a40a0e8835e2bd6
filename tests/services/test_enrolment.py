"""The enrolment use cases called directly with an Actor on the real store, no bot (S-5, S-7):
who may manage a class's places, what a place depends on (the screening), what is written and
who is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select
from stdnum.cn import ric

from bot.domain.enrolment import Admission, Column
from bot.domain.roles import Grant, Role
from bot.domain.screening import Outcome
from bot.services import enrolment, screening
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale
from storage import intake, repo
from storage.db import unit_of_work
from storage.models import (
    AuditEntry,
    Enrollment,
    FormDraft,
    FormSubmission,
    Institution,
    OutboxMessage,
    Person,
    Region,
)
from tests.factories import make_class

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
START = date(2026, 5, 11)


@dataclass
class Place:
    people: dict[str, tuple[int, tuple[Grant, ...]]]
    open_id: int
    submitted_id: int
    institution_id: int

    def actor(self, name: str) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", NOW)

    def id(self, name: str) -> int:
        return self.people[name][0]


async def _screened(session, person_id: int, institution_id: int, decided: str | None) -> int:
    """A registration and a screening case recommending online (decided as `decided`)."""
    draft = FormDraft(person_id=person_id, form_id="registration", form_version=1)
    session.add(draft)
    await session.flush()
    registration = FormSubmission(
        draft_id=draft.id,
        person_id=person_id,
        form_id="registration",
        form_version=1,
        context={"institution_id": institution_id},
        submitted_by=person_id,
    )
    session.add(registration)
    await session.flush()
    for state in ("registered", "screened"):
        await intake.move(session, person_id, institution_id, state, actor_id=None)
    case = await intake.add_case(
        session,
        person_id=person_id,
        institution_id=institution_id,
        registration_id=registration.id,
        recommended=Outcome.ONLINE,
        reasons=[],
    )
    if decided is not None:
        await intake.decide_case(session, case, decided, by=person_id, at=NOW, reason=None)
        await intake.move(session, person_id, institution_id, "suitable_online", actor_id=None)
    return case.id


@pytest.fixture
async def place(sessions) -> Place:
    async with unit_of_work(sessions) as session:
        regions = [Region(name="西湖区"), Region(name="上城区")]
        session.add_all(regions)
        await session.flush()
        here, there = (Institution(name=f"机构{r.id}", region_id=r.id) for r in regions)
        session.add_all([here, there])
        await session.flush()
        grants = {
            "staff": (Grant(Role.INSTITUTION, here.region_id, here.id),),
            "foreign_staff": (Grant(Role.INSTITUTION, there.region_id, there.id),),
            "suitable": (Grant(Role.TRAINEE, here.region_id, here.id),),
            "waiting": (Grant(Role.TRAINEE, here.region_id, here.id),),
            "stranger": (Grant(Role.TRAINEE, there.region_id, there.id),),
        }
        people = {}
        for serial, (name, held) in enumerate(grants.items()):
            person = Person(tg_user_id=20_000 + serial, first_name=name)
            session.add(person)
            await session.flush()
            for grant in held:
                await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
            people[name] = (person.id, held)
        await _screened(session, people["suitable"][0], here.id, Outcome.ONLINE)
        await _screened(session, people["waiting"][0], here.id, None)
        await _screened(session, people["stranger"][0], there.id, Outcome.ONLINE)
        opened = await make_class(
            session, institution_id=here.id, region_id=here.region_id, start=START
        )
        submitted = await make_class(
            session,
            institution_id=here.id,
            region_id=here.region_id,
            start=START,
            status="submitted",
        )
        return Place(people, opened.id, submitted.id, here.id)


async def _told(session, person_id: int) -> list[str]:
    person = await session.get(Person, person_id)
    rows = await session.exec(
        select(OutboxMessage).where(OutboxMessage.chat_id == person.tg_user_id)
    )
    return [row.payload["text"] for row in rows.all()]


async def test_staff_add_a_suitable_trainee_who_is_told(sessions, place):
    """S-5, S-7: a trainee found suitable is enrolled at once by their institution's staff,
    told, and the place counts."""
    async with unit_of_work(sessions) as session:
        placed = await enrolment.add_trainee(
            session, place.actor("staff"), place.open_id, place.id("suitable")
        )
        assert (placed.verdict, placed.taken, placed.trainee) == (Admission.ENROLLED, 1, "suitable")
    async with unit_of_work(sessions) as session:
        row = (await session.exec(select(Enrollment))).one()
        told = await _told(session, place.id("suitable"))
    assert (row.status, row.source, row.enrolled_by) == ("enrolled", "staff", place.id("staff"))
    assert len(told) == 1 and placed.facts["name"] in told[0]


async def test_who_may_add_and_to_which_class(sessions, place):
    """The access policy: another institution's staff, a trainee of another institution and a
    class not taking trainees are refused, and nothing is written."""
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await enrolment.add_trainee(
                session, place.actor("foreign_staff"), place.open_id, place.id("suitable")
            )
        with pytest.raises(NotAllowed) as foreign:
            await enrolment.add_trainee(
                session, place.actor("staff"), place.open_id, place.id("stranger")
            )
        assert foreign.value.key == "enrolment.not_yours"
        with pytest.raises(Stale) as closed:
            await enrolment.add_trainee(
                session, place.actor("staff"), place.submitted_id, place.id("suitable")
            )
        assert closed.value.key == "enrolment.not_open"
        with pytest.raises(NotFound):
            await enrolment.card(session, place.actor("staff"), place.open_id + 99)
        with pytest.raises(NotAllowed):
            await enrolment.card(session, place.actor("suitable"), place.open_id)
        assert (await session.exec(select(Enrollment))).all() == []


async def test_a_link_before_screening_holds_a_place_the_decision_settles(sessions, place):
    """S-5: joining by the class link before the screening is decided holds a pending place;
    the reviewer's confirmation turns it into enrolled (through the screening use case, no
    handler) and the trainee is told."""
    waiting = place.actor("waiting")
    async with unit_of_work(sessions) as session:
        joined = await enrolment.join_by_link(session, waiting, place.open_id)
        assert joined.verdict is Admission.PENDING
        card = await enrolment.card(session, place.actor("staff"), place.open_id)
        assert (card.pending, card.enrolled, card.taken) == (["waiting"], [], 1)
    async with unit_of_work(sessions) as session:
        case = await intake.latest_case(session, waiting.person_id)
        await screening.decide_screening(
            session, place.actor("staff"), case.id, Outcome.ONLINE, None
        )
    async with unit_of_work(sessions) as session:
        row = (await session.exec(select(Enrollment))).one()
        told = await _told(session, waiting.person_id)
        cycle = await intake.cycle_of(session, waiting.person_id, place.institution_id)
    assert row.status == "enrolled" and cycle.state == "enrolled"
    assert any("测试班" in text for text in told)


async def test_withdrawal_asks_first_then_takes_out_once(sessions, place):
    staff = place.actor("staff")
    trainee = place.id("suitable")
    async with unit_of_work(sessions) as session:
        await enrolment.add_trainee(session, staff, place.open_id, trainee)
    async with unit_of_work(sessions) as session:
        asked = await enrolment.withdrawal(session, staff, place.open_id, trainee, confirmed=False)
        assert asked.trainee == "suitable"
        assert (await session.exec(select(Enrollment))).one().status == "enrolled"
        done = await enrolment.withdrawal(session, staff, place.open_id, trainee, confirmed=True)
        assert done.facts["name"] == asked.facts["name"]
    async with unit_of_work(sessions) as session:
        assert (await session.exec(select(Enrollment))).one().status == "withdrawn"
        with pytest.raises(Stale) as again:
            await enrolment.withdrawal(session, staff, place.open_id, trainee, confirmed=True)
        assert again.value.context == {"trainee": "suitable"}
        audits = await session.exec(
            select(AuditEntry.action).where(AuditEntry.action.startswith("enrolment."))
        )
        assert list(audits.all()) == ["enrolment.enrolled", "enrolment.withdrawn"]
        assert len(await _told(session, trainee)) == 2


async def test_an_import_with_one_bad_row_writes_nothing(sessions, place):
    """S-7: a trainee list is imported all or nothing: one bad row and no row is written."""
    columns = {Column.NAME: 0, Column.MOBILE: 1, Column.ID_NUMBER: 2}
    base = "33010619950615001"
    valid_id = base + ric.calc_check_digit(base + "0")
    body = [(2, ("张三", "13800000001", valid_id)), (3, ("李", "123", ""))]
    async with unit_of_work(sessions) as session:
        imported = await enrolment.import_list(
            session, place.actor("staff"), place.open_id, columns, body
        )
        assert not imported.done and [row.number for row in imported.bad] == [3]
        assert imported.planned == []
        with pytest.raises(NotAllowed):
            await enrolment.import_list(
                session, place.actor("foreign_staff"), place.open_id, columns, body[:1]
            )
    async with unit_of_work(sessions) as session:
        assert (await session.exec(select(Enrollment))).all() == []
        imported = await enrolment.import_list(
            session, place.actor("staff"), place.open_id, columns, body[:1]
        )
        assert imported.done and [step.result for step in imported.planned] == ["invited"]
        assert imported.taken == 1


async def test_the_trainees_to_add_are_read_a_page_at_a_time(sessions, place):
    """Issue 11: 45 more suitable trainees are three pages of 20, counted and read a page at a
    time in the order they came; the enrolled and the undecided are never offered."""
    async with unit_of_work(sessions) as session:
        added = []
        for n in range(45):
            person = Person(tg_user_id=30_000 + n, first_name=f"学员{n:02d}")
            session.add(person)
            await session.flush()
            await _screened(session, person.id, place.institution_id, Outcome.ONLINE)
            added.append(person.id)
        await enrolment.add_trainee(
            session, place.actor("staff"), place.open_id, place.id("suitable")
        )
    seen = []
    for number in range(3):
        async with unit_of_work(sessions) as session:
            _, people, names = await enrolment.candidates(
                session, place.actor("staff"), place.open_id, number
            )
        assert (people.page, people.pages, people.total) == (number, 3, 45)
        assert set(names) == set(people.items)
        seen += people.items
    assert seen == added
