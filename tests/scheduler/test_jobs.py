"""The store scans with a chosen `now`: reminders, closing check-ins, end-of-day summaries.

Two scans run at once stand for two bot processes; keys make every push happen once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.config import Settings
from bot.domain.checkin import Mark
from scheduler.jobs import SUMMARY_USEFUL, scan_checkins, scan_day_summaries, scan_reminders
from storage import attendance
from storage.db import unit_of_work
from storage.models import AttendanceMark, ClassSession, LeaveRequest, Person
from tests.scheduler.store import keys, outbox, setup_class

SETTINGS = Settings(_env_file=None)


async def test_reminders_within_the_lead_time_once(sessions):
    setup = await setup_class(sessions)
    first = setup.timetable[0]
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=40), SETTINGS) == 0
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=25), SETTINGS) == 3
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=24), SETTINGS) == 0
    rows = await outbox(sessions)
    assert [row.key for row in rows] == [f"remind:{first.id}:{p}" for p in setup.trainees]
    assert all(row.expires_at == first.starts_at for row in rows)
    text = rows[0].payload["text"]
    assert "上课提醒" in text and "5月11日上午 09:00–12:30" in text and "文三路" in text


async def test_sessions_reminded_in_one_pass_each_get_their_own_text(sessions):
    """A pass queues many sessions' reminders in one insert: each learner still reads the time
    of the session they are reminded of."""
    setup = await setup_class(sessions)
    morning, afternoon = setup.timetable[0], setup.timetable[1]
    all_day = Settings(_env_file=None, reminder_lead_minutes=10 * 60)
    assert await scan_reminders(sessions, morning.starts_at - timedelta(minutes=1), all_day) == 6
    texts = {row.key: row.payload["text"] for row in await outbox(sessions)}
    for person in setup.trainees:
        assert "09:00–12:30" in texts[f"remind:{morning.id}:{person}"]
        assert "09:00–12:30" not in texts[f"remind:{afternoon.id}:{person}"]


async def test_lead_time_is_a_setting_and_times_are_in_the_class_time_zone(sessions):
    setup = await setup_class(sessions)
    first = setup.timetable[0]
    longer = Settings(_env_file=None, reminder_lead_minutes=60, timezone="UTC")
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=50), longer) == 3
    assert "09:00" in (await outbox(sessions))[0].payload["text"]  # the class's time zone


async def test_no_reminder_on_approved_leave_or_once_checked_in(sessions):
    setup = await setup_class(sessions)
    a, b, c = setup.trainees
    first = setup.timetable[0]
    async with unit_of_work(sessions) as session:
        for person, status in ((a, "approved"), (b, "pending")):
            session.add(
                LeaveRequest(
                    class_id=setup.made.id,
                    person_id=person,
                    session_ids=[first.id],
                    hours=4,
                    reason="看病",
                    status=status,
                )
            )
        await attendance.set_mark(
            session, first.id, c, Mark.PRESENT, first.starts_at, marked_by=None
        )
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=10), SETTINGS) == 1
    assert await keys(sessions) == [f"remind:{first.id}:{b}"]


async def test_leave_for_another_session_does_not_stop_a_reminder_and_each_reads_their_language(
    sessions,
):
    """The database decides who is on leave for which session and words each reminder: leave
    for the afternoon leaves the morning's reminder, and an English reader gets English."""
    setup = await setup_class(sessions)
    a, b, _ = setup.trainees
    first, second = setup.timetable[0], setup.timetable[1]
    async with unit_of_work(sessions) as session:
        session.add(
            LeaveRequest(
                class_id=setup.made.id,
                person_id=a,
                session_ids=[second.id, first.id + 10],
                hours=4,
                reason="看病",
                status="approved",
            )
        )
        english = await session.get(Person, b)
        english.locale = "en"
        session.add(english)
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=10), SETTINGS) == 3
    texts = {row.key: row.payload["text"] for row in await outbox(sessions)}
    assert "上课提醒" in texts[f"remind:{first.id}:{a}"]
    assert "Class reminder" in texts[f"remind:{first.id}:{b}"]
    assert "上课提醒" not in texts[f"remind:{first.id}:{b}"]


async def test_a_reminder_missed_while_down_is_queued_until_the_start_only(sessions):
    setup = await setup_class(sessions)
    first, second = setup.timetable[0], setup.timetable[1]
    assert await scan_reminders(sessions, first.starts_at + timedelta(minutes=1), SETTINGS) == 0
    assert await scan_reminders(sessions, second.starts_at - timedelta(minutes=2), SETTINGS) == 3
    assert {key.split(":")[1] for key in await keys(sessions)} == {str(second.id)}


async def test_classes_not_open_get_no_reminders(sessions):
    setup = await setup_class(sessions, status="submitted")
    first = setup.timetable[0]
    assert await scan_reminders(sessions, first.starts_at - timedelta(minutes=5), SETTINGS) == 0


async def test_two_processes_scanning_at_once_queue_each_push_once(sessions):
    setup = await setup_class(sessions)
    first = setup.timetable[0]
    now = first.starts_at - timedelta(minutes=20)
    results = await asyncio.gather(*(scan_reminders(sessions, now, SETTINGS) for _ in range(2)))
    assert sorted(results) == [0, 3]
    async with unit_of_work(sessions) as session:
        (await session.get(ClassSession, first.id)).checkin_opened_at = first.starts_at
    closing = await asyncio.gather(
        *(scan_checkins(sessions, first.ends_at, SETTINGS) for _ in range(2))
    )
    assert sorted(closing) == [[], [first.id]]
    found = await keys(sessions)
    assert len(found) == len(set(found)) == 6
    assert sum(key.startswith("absent:") for key in found) == 3


async def test_only_opened_checkins_are_closed_when_due(sessions):
    setup = await setup_class(sessions)
    first, second = setup.timetable[0], setup.timetable[1]
    async with unit_of_work(sessions) as session:
        (await session.get(ClassSession, first.id)).checkin_opened_at = first.starts_at
        await attendance.set_mark(
            session, first.id, setup.trainees[0], Mark.LATE, first.starts_at, marked_by=None
        )
    assert await scan_checkins(sessions, first.ends_at - timedelta(seconds=1), SETTINGS) == []
    assert await scan_checkins(sessions, first.ends_at, SETTINGS) == [first.id]
    assert await scan_checkins(sessions, second.ends_at + timedelta(hours=1), SETTINGS) == []
    async with unit_of_work(sessions) as session:
        marks = (await session.exec(select(AttendanceMark))).all()
        never_opened = await session.get(ClassSession, second.id)
    assert sorted((m.session_id, m.status) for m in marks) == [
        (first.id, "absent"),
        (first.id, "absent"),
        (first.id, "late"),
    ]
    assert never_opened.checkin_closed_at is None


async def test_checkin_window_closes_before_the_end(sessions):
    setup = await setup_class(sessions)
    first = setup.timetable[0]
    async with unit_of_work(sessions) as session:
        (await session.get(ClassSession, first.id)).checkin_opened_at = first.starts_at
    window = Settings(_env_file=None, checkin_window_minutes=45)
    assert await scan_checkins(sessions, first.starts_at + timedelta(minutes=44), window) == []
    assert await scan_checkins(sessions, first.starts_at + timedelta(minutes=45), window) == [
        first.id
    ]


async def test_each_teacher_gets_the_day_summary_once_after_the_last_session(sessions):
    setup = await setup_class(sessions)
    morning, afternoon = setup.timetable[0], setup.timetable[1]
    a, b, c = setup.trainees
    async with unit_of_work(sessions) as session:
        for s in (morning, afternoon):
            (await session.get(ClassSession, s.id)).checkin_opened_at = s.starts_at
            await attendance.set_mark(session, s.id, a, Mark.PRESENT, s.starts_at, marked_by=None)
        await attendance.set_mark(
            session, afternoon.id, b, Mark.LATE, afternoon.starts_at, marked_by=None
        )
    assert await scan_checkins(sessions, morning.ends_at, SETTINGS) == [morning.id]
    assert await scan_day_summaries(sessions, morning.ends_at + timedelta(hours=1), SETTINGS) == 0
    assert await scan_day_summaries(sessions, afternoon.ends_at, SETTINGS) == 0  # still open
    assert await scan_checkins(sessions, afternoon.ends_at, SETTINGS) == [afternoon.id]
    twice = await asyncio.gather(
        *(scan_day_summaries(sessions, afternoon.ends_at, SETTINGS) for _ in range(2))
    )
    assert sorted(twice) == [0, 2]
    assert await scan_day_summaries(sessions, afternoon.ends_at + timedelta(hours=2), SETTINGS) == 0
    day = setup.made.id
    summaries = [row for row in await outbox(sessions) if row.key.startswith("daysum:")]
    assert [row.key for row in summaries] == [
        f"daysum:{day}:1:{teacher}" for teacher in setup.teachers
    ]
    text = summaries[0].payload["text"]
    assert "第 1 天（5月11日）考勤汇总" in text
    assert "出勤 1 · 迟到 0 · 缺勤 2" in text and "缺勤：小张、小陈" in text
    assert "迟到：小张" in text and "缺勤：小陈" in text
    assert summaries[0].expires_at == afternoon.ends_at + SUMMARY_USEFUL


async def test_a_day_without_checkin_is_summed_up_as_not_held_and_old_days_are_not(sessions):
    setup = await setup_class(sessions)
    day1_end = setup.timetable[1].ends_at
    assert await scan_day_summaries(sessions, day1_end + timedelta(minutes=1), SETTINGS) == 2
    text = (await outbox(sessions))[0].payload["text"]
    assert text.count("未开启签到") == 2
    late = setup.timetable[3].ends_at + SUMMARY_USEFUL + timedelta(minutes=1)
    assert await scan_day_summaries(sessions, late, SETTINGS) == 0
