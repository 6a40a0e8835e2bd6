"""The check-in use cases called directly with an Actor on the real store, no bot (S-11, S-24,
S-44): who may open, close and mark; codes right, wrong and guessed; hand marks audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.domain.checkin import MAX_WRONG_CODES, CheckinState, Mark, current_code
from bot.domain.roles import Grant, Role
from bot.services import checkin
from bot.services.actor import Actor
from bot.services.checkin import CheckInResult
from bot.services.errors import NotAllowed, NotFound, Stale
from storage import repo
from storage.classes import sessions_of
from storage.db import unit_of_work
from storage.models import AttendanceMark, AuditEntry, Institution, OutboxMessage, Person, Region
from tests.factories import make_class

START = date(2026, 5, 11)
NOW = datetime(2026, 5, 11, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai: the first session began


@dataclass
class Room:
    people: dict[str, tuple[int, tuple[Grant, ...]]]
    class_id: int
    session_ids: list[int]

    def actor(self, name: str, now: datetime = NOW) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)

    def id(self, name: str) -> int:
        return self.people[name][0]


@pytest.fixture
async def room(sessions) -> Room:
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here = Institution(name="机构", region_id=region.id)
        session.add(here)
        await session.flush()
        grants = {
            "teacher": (Grant(Role.LECTURER, region.id, here.id),),
            "other_teacher": (Grant(Role.LECTURER, region.id, here.id),),
            "staff": (Grant(Role.INSTITUTION, region.id, here.id),),
            "wang": (Grant(Role.TRAINEE, region.id, here.id),),
            "li": (Grant(Role.TRAINEE, region.id, here.id),),
            "outsider": (Grant(Role.TRAINEE, region.id, here.id),),
        }
        people = {}
        for serial, (name, held) in enumerate(grants.items()):
            person = Person(tg_user_id=30_000 + serial, first_name=name)
            session.add(person)
            await session.flush()
            for grant in held:
                await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
            people[name] = (person.id, held)
        made = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=START,
            teacher_ids=(people["teacher"][0],),
            trainee_ids=(people["wang"][0], people["li"][0]),
        )
        timetable = [s.id for s in await sessions_of(session, made.id)]
        return Room(people, made.id, timetable)


async def _open(sessions, room: Room, who: str = "teacher") -> checkin.Panel:
    async with unit_of_work(sessions) as session:
        return await checkin.open_checkin(session, room.actor(who), room.session_ids[0])


async def test_only_a_teacher_of_the_class_opens_it_and_only_today(sessions, room):
    """S-11: check-in is opened by a teacher of the class, on the session's day; once."""
    for who in ("other_teacher", "staff", "wang"):
        with pytest.raises(NotAllowed):
            await _open(sessions, room, who)
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale) as later:
            await checkin.open_checkin(session, room.actor("teacher"), room.session_ids[2])
        assert later.value.key == "checkin.not_today"
        with pytest.raises(NotFound):
            await checkin.open_checkin(session, room.actor("teacher"), room.session_ids[-1] + 9)
    opened = await _open(sessions, room)
    assert (opened.phase, opened.checked_in, opened.enrolled) == (CheckinState.OPEN, 0, 2)
    again = await _open(sessions, room)
    assert again.class_session.checkin_secret == opened.class_session.checkin_secret
    async with unit_of_work(sessions) as session:
        audits = await session.exec(
            select(AuditEntry).where(AuditEntry.action == "attendance.checkin_opened")
        )
        assert len(audits.all()) == 1


async def test_codes_right_late_again_and_from_outside_the_class(sessions, room):
    """S-44: the current code checks an enrolled learner in (late after 10 minutes); a second
    time says so; someone not in the class has nothing open."""
    opened = await _open(sessions, room)
    code = current_code(opened.class_session.checkin_secret, NOW)
    async with unit_of_work(sessions) as session:
        done = await checkin.check_in(session, room.actor("wang"), code)
        assert done.result is CheckInResult.CHECKED_IN and not done.late and done.asks_location
        late = room.actor("li", NOW + timedelta(minutes=10))
        code_then = current_code(opened.class_session.checkin_secret, late.now)
        assert (await checkin.check_in(session, late, code_then)).late
        again = await checkin.check_in(session, room.actor("wang"), code)
        assert again.result is CheckInResult.ALREADY and checkin.checked_in_at(again) == NOW
        nothing = await checkin.check_in(session, room.actor("outsider"), code)
        assert nothing.result is CheckInResult.NONE_OPEN
    async with unit_of_work(sessions) as session:
        panel = await checkin.panel(session, room.actor("teacher"), room.session_ids[0])
        assert panel.checked_in == 2


async def test_wrong_codes_run_out_and_are_kept(sessions, room):
    """S-44: four digits must not be guessed: after MAX_WRONG_CODES wrong ones even the right
    code is refused; the wrong ones are recorded (committed with the reply)."""
    opened = await _open(sessions, room)
    wang = room.actor("wang")
    for left in range(MAX_WRONG_CODES - 1, 0, -1):
        async with unit_of_work(sessions) as session:
            wrong = await checkin.check_in(session, wang, "0000")
        assert (wrong.result, wrong.left) == (CheckInResult.WRONG_CODE, left)
    async with unit_of_work(sessions) as session:
        assert (await checkin.check_in(session, wang, "0000")).result is CheckInResult.TOO_MANY
        code = current_code(opened.class_session.checkin_secret, NOW)
        assert (await checkin.check_in(session, wang, code)).result is CheckInResult.TOO_MANY
        assert (await session.exec(select(AttendanceMark))).all() == []


async def test_hand_marks_are_a_teachers_audited_and_said_once(sessions, room):
    """S-11: a teacher of the class marks an enrolled learner by hand; the same mark again
    changes nothing; staff read the roster but do not mark; a future session cannot be
    marked; someone not enrolled cannot be."""
    teacher, first = room.actor("teacher"), room.session_ids[0]
    async with unit_of_work(sessions) as session:
        _, _, changed = await checkin.hand_mark(session, teacher, first, room.id("wang"), Mark.LATE)
        assert changed
        _, _, changed = await checkin.hand_mark(session, teacher, first, room.id("wang"), Mark.LATE)
        assert not changed
        with pytest.raises(NotAllowed):
            await checkin.hand_mark(session, room.actor("staff"), first, room.id("li"), Mark.LATE)
        with pytest.raises(Stale) as future:
            await checkin.hand_mark(
                session, teacher, room.session_ids[3], room.id("li"), Mark.ABSENT
            )
        assert future.value.key == "checkin.not_started"
        with pytest.raises(Stale) as stranger:
            await checkin.hand_mark(session, teacher, first, room.id("outsider"), Mark.ABSENT)
        assert stranger.value.key == "checkin.not_enrolled"
        training_class, may_mark = await checkin.roster_class(
            session, room.actor("staff"), room.class_id
        )
        assert training_class.id == room.class_id and not may_mark
        assert (await checkin.roster_class(session, teacher, room.class_id))[1]
    async with unit_of_work(sessions) as session:
        audits = await session.exec(
            select(AuditEntry).where(AuditEntry.action == "attendance.marked")
        )
        [audit] = audits.all()
        assert (audit.actor_id, audit.details["after"]["status"]) == (room.id("teacher"), "late")


async def test_closing_marks_the_unmarked_absent_and_tells_them_once(sessions, room):
    """S-11: closing the check-in marks whoever has not checked in absent and tells them;
    closing it again changes nothing."""
    opened = await _open(sessions, room)
    async with unit_of_work(sessions) as session:
        code = current_code(opened.class_session.checkin_secret, NOW)
        await checkin.check_in(session, room.actor("wang"), code)
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await checkin.close_checkin(session, room.actor("staff"), room.session_ids[0])
        closed = await checkin.close_checkin(session, room.actor("teacher"), room.session_ids[0])
        assert closed.phase is CheckinState.CLOSED
    async with unit_of_work(sessions) as session:
        again = await checkin.close_checkin(session, room.actor("teacher"), room.session_ids[0])
        assert again.phase is CheckinState.CLOSED
        marks = {m.person_id: m.status for m in (await session.exec(select(AttendanceMark)))}
        told = (await session.exec(select(OutboxMessage))).all()
    assert marks == {room.id("wang"): "present", room.id("li"): "absent"}
    assert [row.key for row in told] == [f"absent:{room.session_ids[0]}:{room.id('li')}"]
