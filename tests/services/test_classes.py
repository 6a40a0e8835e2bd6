"""Preparing a class through its use cases, called with an Actor on the real store and no bot:
who may (NotAllowed, NotFound), what a class being prepared allows (Stale once submitted), what
each step writes, audits and tells (S-7 to S-10, S-23), and teachers declaring certificates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.classes import ClassDetails, ClassEvent, ClassStatus, Finding, Programme
from bot.domain.roles import Grant, Role
from bot.domain.timetable import Change, Refused, SessionField
from bot.policy import Action
from bot.services import classes as prepare
from bot.services import teachers, timetable
from bot.services.actor import Actor
from bot.services.errors import Conflict, NotAllowed, NotFound, Stale
from storage import classes, repo
from storage.db import unit_of_work
from storage.models import AuditEntry, Certificate, Institution, OutboxMessage, Person, Region
from tests.conftest import make_settings

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
START = date(2026, 6, 10)
DETAILS = ClassDetails(
    programme=Programme.TRAINEE,
    name="2026年第1期网络创业培训班",
    start_date=START,
    capacity=25,
    venue_address="杭州市西湖区文三路 90 号",
    venue_lat=30.2741,
    venue_lon=120.1551,
)


@dataclass
class World:
    institution_id: int
    people: dict[str, tuple[int, tuple[Grant, ...]]]

    def actor(self, name: str) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", NOW)

    def id(self, name: str) -> int:
        return self.people[name][0]


async def _person(session, name: str, serial: int, *grants: Grant) -> tuple[int, tuple]:
    person = Person(tg_user_id=20_000 + serial, first_name=name)
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
        here, there = (Institution(name=f"机构{r.id}", region_id=r.id) for r in regions)
        session.add_all([here, there])
        await session.flush()
        lecturer = Grant(Role.LECTURER, here.region_id, here.id)
        people = {
            "staff": await _person(
                session, "张", 1, Grant(Role.INSTITUTION, here.region_id, here.id)
            ),
            "foreign_staff": await _person(
                session, "赵", 2, Grant(Role.INSTITUTION, there.region_id, there.id)
            ),
            "supervisor": await _person(session, "周", 3, Grant(Role.SUPERVISOR, here.region_id)),
            "li": await _person(session, "李老师", 4, lecturer),
            "wang": await _person(session, "王老师", 5, lecturer),
            "qian": await _person(session, "钱老师", 6, lecturer),
            "sun": await _person(session, "孙老师", 7, lecturer),
            "trainee": await _person(session, "小明", 8, Grant(Role.TRAINEE)),
        }
        for name, status in (("li", "verified"), ("wang", "verified"), ("qian", "pending")):
            session.add(
                Certificate(
                    person_id=people[name][0],
                    kind="lecturer",
                    number=f"LC-{name.upper()}",
                    course="讲师培训",
                    issued_on=date(2024, 5, 1),
                    region_id=here.region_id,
                    status=status,
                )
            )
        session.add(
            Certificate(
                person_id=people["sun"][0],
                kind="lecturer",
                number="LC-SUN",
                course="讲师培训",
                issued_on=date(2024, 5, 1),
                region_id=here.region_id,
                status="verified",
            )
        )
        return World(here.id, people)


async def _create(sessions, world: World, who: str = "staff") -> int:
    async with unit_of_work(sessions) as session:
        made = await prepare.create_class(
            session, world.actor(who), world.institution_id, DETAILS, timezone="Asia/Shanghai"
        )
        return made.id


async def _audits(sessions) -> list[str]:
    async with unit_of_work(sessions) as session:
        rows = await session.exec(select(AuditEntry.action).order_by(AuditEntry.id))
        return list(rows.all())


async def _pushes(sessions, prefix: str = "") -> list[OutboxMessage]:
    async with unit_of_work(sessions) as session:
        rows = await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))
        return [row for row in rows.all() if (row.key or "").startswith(prefix)]


async def test_staff_create_a_class_of_their_institution_only(sessions, world):
    """S-7: a class is created by its institution's staff, being prepared (draft)."""
    for outsider, refusal in (("foreign_staff", NotAllowed), ("li", NotAllowed)):
        with pytest.raises(refusal):
            await _create(sessions, world, outsider)
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotFound):
            await prepare.create_class(
                session, world.actor("staff"), world.institution_id + 99, DETAILS, timezone="UTC"
            )
    class_id = await _create(sessions, world)
    async with unit_of_work(sessions) as session:
        found = await classes.get_class(session, class_id)
    assert found.status == ClassStatus.DRAFT and found.region_id is not None
    assert ClassDetails.of(found) == DETAILS
    assert found.created_by == world.id("staff")
    assert await _audits(sessions) == [ClassEvent.CREATED]


async def test_editing_maps_every_field_and_moves_the_timetable(sessions, world):
    class_id = await _create(sessions, world)
    async with unit_of_work(sessions) as session:
        await timetable.generate(session, world.actor("staff"), class_id)
        before = [s.starts_at for s in await classes.sessions_of(session, class_id)]
    later = replace(
        DETAILS,
        name="改名后的班级",
        start_date=START + timedelta(days=3),
        capacity=20,
        venue_address="杭州市西湖区文三路 90 号 3 号楼",
        venue_lat=30.3,
        venue_lon=120.2,
    )
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await prepare.edit_class(session, world.actor("foreign_staff"), class_id, later)
    async with unit_of_work(sessions) as session:
        await prepare.edit_class(session, world.actor("staff"), class_id, later)
    async with unit_of_work(sessions) as session:
        found = await classes.get_class(session, class_id)
        after = [s.starts_at for s in await classes.sessions_of(session, class_id)]
    assert ClassDetails.of(found) == later
    assert after == [moment + timedelta(days=3) for moment in before]
    assert (await _audits(sessions))[-1] == ClassEvent.EDITED


async def _assign(sessions, world, class_id: int, name: str, assign: bool = True):
    async with unit_of_work(sessions) as session:
        return await prepare.set_teacher(
            session, world.actor("staff"), class_id, world.id(name), assign=assign
        )


async def test_two_verified_teachers_at_most_each_told(sessions, world):
    """S-8: only holders of a verified lecturer certificate teach a trainee class, two of them;
    a second press changes nothing; each assigned or removed teacher is told."""
    class_id = await _create(sessions, world)
    with pytest.raises(Conflict) as refused:
        await _assign(sessions, world, class_id, "qian")
    assert refused.value.key == "classes.not_certified"
    assert refused.value.context == {"name": "钱老师", "kind": "lecturer"}
    assert (await _assign(sessions, world, class_id, "li")).changed
    again = await _assign(sessions, world, class_id, "li")
    assert (again.changed, again.assigned, again.name) == (False, True, "李老师")
    assert (await _assign(sessions, world, class_id, "wang")).changed
    with pytest.raises(Conflict) as refused:
        await _assign(sessions, world, class_id, "sun")
    assert refused.value.key == "classes.two_already"
    with pytest.raises(NotFound):
        await _assign(sessions, world, class_id, "trainee")
    removed = await _assign(sessions, world, class_id, "wang", assign=False)
    assert removed.changed and not removed.assigned
    assert not (await _assign(sessions, world, class_id, "wang", assign=False)).changed
    async with unit_of_work(sessions) as session:
        assert await classes.teacher_ids(session, class_id) == [world.id("li")]
        offered = await prepare.candidates(session, await classes.get_class(session, class_id))
    assert [(c.name, c.standing) for c in offered] == [
        ("李老师", "chosen"),
        ("王老师", "verified"),
        ("钱老师", "pending"),
        ("孙老师", "verified"),
    ]
    told = [p.payload["text"] for p in await _pushes(sessions)]
    assert len(told) == 3 and all(DETAILS.name in text for text in told)
    assert (await _audits(sessions))[1:] == [
        ClassEvent.TEACHER_ASSIGNED,
        ClassEvent.TEACHER_ASSIGNED,
        ClassEvent.TEACHER_REMOVED,
    ]


async def test_the_timetable_is_generated_and_each_change_checked(sessions, world):
    """S-9: the standard timetable gives 7 days and 56 class hours; changes that break a half
    day or the hours are refused with their reason and write nothing."""
    class_id = await _create(sessions, world)
    staff = world.actor("staff")
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await timetable.generate(session, world.actor("foreign_staff"), class_id)
    async with unit_of_work(sessions) as session:
        _, made = await timetable.generate(session, staff, class_id)
    assert sum(item.hours for item in made) == 56
    first, second = made[0], made[1]
    async with unit_of_work(sessions) as session:
        with pytest.raises(Refused) as refused:
            await timetable.change_session(
                session, staff, second.id, SessionField.TIME, "8:00-12:00"
            )
        assert refused.value.refusal.code is Change.SLOT_TAKEN
        with pytest.raises(Refused):
            await timetable.change_session(session, staff, first.id, SessionField.HOURS, "9")
        changed = await timetable.change_session(
            session, staff, first.id, SessionField.TOPIC, "开班仪式与破冰"
        )
    assert changed.day == 1
    async with unit_of_work(sessions) as session:
        removed = await timetable.remove_session(session, staff, second.id)
        planned = await timetable.plan_time(session, staff, class_id, None, "第1天 14:00-17:00")
        hours = await timetable.plan_hours(session, staff, class_id, planned, "4")
        added = await timetable.add_session(session, staff, class_id, planned, hours, "网店运营")
    assert removed.day == added.day == 1
    async with unit_of_work(sessions) as session:
        day_one = [s for s in await classes.sessions_of(session, class_id) if s.day == 1]
    assert [(s.topic, s.hours) for s in day_one][0][0] == "开班仪式与破冰"
    assert day_one[-1].topic == "网店运营" and day_one[-1].hours == 4
    assert (await _audits(sessions))[1:] == [
        ClassEvent.TIMETABLE_GENERATED,
        ClassEvent.SESSION_TOPIC,
        ClassEvent.SESSION_REMOVED,
        ClassEvent.SESSION_ADDED,
    ]


async def test_submit_lists_what_blocks_then_asks_the_supervisor_once(sessions, world, tmp_path):
    """S-9, S-10: Submit is refused with every reason until the rules hold; then the region's
    supervisor gets the application, and the class can no longer be changed."""
    settings = make_settings(tmp_path, "sqlite+aiosqlite://")
    class_id = await _create(sessions, world)
    staff = world.actor("staff")
    async with unit_of_work(sessions) as session:
        blocked = await prepare.submit_class(session, staff, class_id, settings)
    assert {item.code for item in blocked.blocking} == {
        Finding.TEACHERS_MISSING,
        Finding.NO_TIMETABLE,
        Finding.EQUIPMENT_NOT_CONFIRMED,
    }
    for name in ("li", "wang"):
        await _assign(sessions, world, class_id, name)
    async with unit_of_work(sessions) as session:
        await timetable.generate(session, staff, class_id)
        with pytest.raises(NotAllowed):
            await prepare.confirm_equipment(session, world.actor("foreign_staff"), class_id)
    for _ in range(2):
        async with unit_of_work(sessions) as session:
            await prepare.confirm_equipment(session, staff, class_id)
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await prepare.submit_class(session, world.actor("foreign_staff"), class_id, settings)
    async with unit_of_work(sessions) as session:
        done = await prepare.submit_class(session, staff, class_id, settings)
    assert done.blocking == () and done.reviewers == 1
    asked = await _pushes(sessions, f"class:{class_id}:")
    assert len(asked) == 1 and "开班申请" in asked[0].payload["text"]
    async with unit_of_work(sessions) as session:
        found = await classes.get_class(session, class_id)
        assert found.status == ClassStatus.SUBMITTED and found.submitted_at == NOW
        for late in (
            prepare.submit_class(session, staff, class_id, settings),
            prepare.edit_class(session, staff, class_id, DETAILS),
            prepare.confirm_equipment(session, staff, class_id),
            timetable.generate(session, staff, class_id),
            prepare.set_teacher(session, staff, class_id, world.id("sun"), assign=True),
        ):
            with pytest.raises(Stale) as refused:
                await late
            assert refused.value.key == "classes.not_editable"
            assert refused.value.context == {"status": "submitted"}
        assert await prepare.preparing_or_none(session, staff, Action.CLASS_EDIT, class_id) is None
    audits = await _audits(sessions)
    assert audits.count(ClassEvent.EQUIPMENT_CONFIRMED) == 1
    assert audits[-1] == ClassEvent.SUBMITTED


async def test_teachers_declare_their_own_certificates_only(sessions, world, tmp_path):
    """S-8: a lecturer's declared certificate waits for the region's supervisor, who is asked;
    a number someone else holds is refused; someone without a teaching role declares nothing."""
    settings = make_settings(tmp_path, "sqlite+aiosqlite://")
    answers = {
        "certificate_count": 2,
        "certificates.1.kind": "lecturer",
        "certificates.1.number": "lc-new",
        "certificates.1.course": "讲师培训",
        "certificates.1.issued_on": "2024-05-01",
        "certificates.2.kind": "lecturer",
        "certificates.2.number": "lc-li",
        "certificates.2.course": "讲师培训",
        "certificates.2.issued_on": "2024-05-01",
    }
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await teachers.declare_certificates(
                session,
                world.actor("staff"),
                answers,
                region_id=None,
                submission_id=None,
                settings=settings,
            )
    qian = world.actor("qian")
    async with unit_of_work(sessions) as session:
        outcomes = await teachers.declare_certificates(
            session,
            qian,
            answers,
            region_id=teachers.profile_context(qian.grants)["region_id"],
            submission_id=None,
            settings=settings,
        )
    assert [(o.number, o.outcome) for o in outcomes] == [
        ("LC-NEW", "pending"),
        ("LC-LI", teachers.NUMBER_TAKEN),
    ]
    asked = await _pushes(sessions, "cert:")
    assert len(asked) == 1 and "LC-NEW" in asked[0].payload["text"]
    async with unit_of_work(sessions) as session:
        held = await teachers.my_certificates(session, qian)
    assert sorted(c.number for c in held) == ["LC-NEW", "LC-QIAN"]


async def test_the_supervisor_dispatches_and_only_to_the_regions_trainee_classes(sessions, world):
    """S-8: the region's supervisor dispatches a verified lecturer of the region (the teacher and
    the institution's staff are told); staff cannot dispatch, an unverified lecturer is refused,
    a submitted class is no longer changed, and the list has only classes being prepared."""
    class_id = await _create(sessions, world)
    supervisor = world.actor("supervisor")
    async with unit_of_work(sessions) as session:
        listed = await prepare.dispatchable(session, supervisor, 0)
        assert [item.id for item in listed.shown] == [class_id] and listed.total == 1
        with pytest.raises(NotAllowed):
            await prepare.set_teacher(
                session,
                world.actor("staff"),
                class_id,
                world.id("li"),
                assign=True,
                action=Action.CLASS_DISPATCH,
            )
    async with unit_of_work(sessions) as session:
        with pytest.raises(Conflict):
            await prepare.set_teacher(
                session,
                supervisor,
                class_id,
                world.id("qian"),
                assign=True,
                action=Action.CLASS_DISPATCH,
            )
    async with unit_of_work(sessions) as session:
        done = await prepare.set_teacher(
            session, supervisor, class_id, world.id("li"), assign=True, action=Action.CLASS_DISPATCH
        )
        assert done.changed and done.assigned
    async with unit_of_work(sessions) as session:
        assert await classes.teacher_ids(session, class_id) == [world.id("li")]
        texts = [m.payload["text"] for m in (await session.exec(select(OutboxMessage))).all()]
    assert any("主管部门选派你" in text for text in texts)
    assert any("主管部门选派 李老师" in text for text in texts)
    async with unit_of_work(sessions) as session:
        found = await classes.get_class(session, class_id)
        found.status = ClassStatus.SUBMITTED
        session.add(found)
    async with unit_of_work(sessions) as session:
        assert (await prepare.dispatchable(session, supervisor, 0)).total == 0
        with pytest.raises(Stale):
            await prepare.set_teacher(
                session,
                supervisor,
                class_id,
                world.id("wang"),
                assign=True,
                action=Action.CLASS_DISPATCH,
            )
