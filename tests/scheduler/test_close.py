"""Closing a check-in and the eligibility notices, in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.domain.checkin import Mark
from bot.services.attendance import after_marks_changed, close_checkin
from storage import attendance
from storage.db import unit_of_work
from storage.models import AttendanceMark, AuditEntry, ClassSession, LeaveRequest, OutboxMessage
from tests.scheduler.store import keys, setup_class


async def close(sessions, session_id: int, now) -> list[int]:
    async with unit_of_work(sessions) as session:
        class_session = await session.get(ClassSession, session_id)
        return await close_checkin(session, class_session, now)


async def test_close_marks_absent_and_excused_once(sessions):
    setup = await setup_class(sessions)
    a, b, c = setup.trainees
    first = setup.timetable[0]
    async with unit_of_work(sessions) as session:
        await attendance.set_mark(
            session, first.id, a, Mark.PRESENT, first.starts_at, marked_by=None
        )
        session.add(
            LeaveRequest(
                class_id=setup.made.id,
                person_id=b,
                session_ids=[first.id],
                hours=4,
                reason="看病",
                status="approved",
            )
        )
    now = first.ends_at
    assert await close(sessions, first.id, now) == [c]
    assert await close(sessions, first.id, now + timedelta(minutes=1)) == []
    async with unit_of_work(sessions) as session:
        marks = {m.person_id: m.status for m in await session.exec(select(AttendanceMark))}
        closed = await session.get(ClassSession, first.id)
        audits = (await session.exec(select(AuditEntry.action))).all()
        absent = (await session.exec(select(OutboxMessage))).one()
    assert marks == {a: "present", b: "excused", c: "absent"}
    assert closed.checkin_closed_at == now
    assert audits.count("attendance.checkin_closed") == 1
    assert absent.key == f"absent:{first.id}:{c}" and absent.chat_id == 9_005
    assert "5月11日上午 09:00–12:30" in absent.payload["text"]
    assert "缺勤" in absent.payload["text"]


async def test_trainee_warned_at_the_margin_and_loss_told_once(sessions):
    setup = await setup_class(sessions)
    made, timetable, (t1, t2) = setup.made, setup.timetable, setup.teachers
    a = setup.trainees[0]
    for s in timetable[:2]:
        await close(sessions, s.id, s.ends_at)
    assert f"elig_warn:{made.id}:{a}" in await keys(sessions)
    assert f"elig_lost:{made.id}:{a}" not in await keys(sessions)
    for s in timetable[2:4]:
        await close(sessions, s.id, s.ends_at)
    async with unit_of_work(sessions) as session:
        await after_marks_changed(session, made, setup.trainees, timetable[4].starts_at)
    found = await keys(sessions)
    for person in setup.trainees:
        assert found.count(f"elig_warn:{made.id}:{person}") == 1
        assert found.count(f"elig_lost:{made.id}:{person}") == 1
        for teacher in (t1, t2):
            assert found.count(f"elig_lost:{made.id}:{person}:{teacher}") == 1
    async with unit_of_work(sessions) as session:
        lost = (
            await session.exec(
                select(AuditEntry).where(AuditEntry.action == "attendance.eligibility_lost")
            )
        ).all()
        to_teacher = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"elig_lost:{made.id}:{a}:{t1}")
            )
        ).one()
    assert len(lost) == 3
    assert "小王" in to_teacher.payload["text"] and "不能参加结业考核" in to_teacher.payload["text"]
    assert "缺勤 3 次" in to_teacher.payload["text"]


async def test_lecturer_class_loses_at_the_first_miss_without_warning(sessions):
    setup = await setup_class(sessions, programme="lecturer")
    await close(sessions, setup.timetable[0].id, setup.timetable[0].ends_at)
    found = await keys(sessions)
    assert not [k for k in found if k.startswith("elig_warn")]
    a, t2 = setup.trainees[0], setup.teachers[1]
    assert f"elig_lost:{setup.made.id}:{a}:{t2}" in found


async def test_approved_leave_ahead_counts_at_once(sessions):
    setup = await setup_class(sessions)
    a = setup.trainees[0]
    async with unit_of_work(sessions) as session:
        session.add(
            LeaveRequest(
                class_id=setup.made.id,
                person_id=a,
                session_ids=[s.id for s in setup.timetable[5:7]],
                hours=8,
                reason="家里有事",
                status="approved",
            )
        )
        session.add(
            LeaveRequest(
                class_id=setup.made.id,
                person_id=a,
                session_ids=[setup.timetable[8].id],
                hours=4,
                reason="还没批",
            )
        )
    async with unit_of_work(sessions) as session:
        record = await attendance.attendance_record(session, setup.made.id, a)
    assert (record.sessions, record.excused, record.absent, record.marked) == (14, 2, 0, 2)
