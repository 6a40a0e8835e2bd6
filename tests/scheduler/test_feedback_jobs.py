"""The feedback scan with a chosen `now`: who is asked, reminders, closing, evaluations,
timetable changes, two processes, and answers recorded once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.config import Settings
from bot.domain.checkin import Mark
from scheduler.feedback import scan_feedback
from storage import attendance, feedback
from storage.db import unit_of_work
from storage.models import ClassSession, FeedbackRequest, FormDraft, FormSubmission, LeaveRequest
from tests.scheduler.store import keys, outbox, setup_class

SETTINGS = Settings(_env_file=None)
DAY = timedelta(days=1)


async def mark_day(sessions, setup, day: int, marks: dict[int, tuple[Mark, Mark]]) -> None:
    """Marks of the day's two sessions for some trainees (the others stay unmarked)."""
    morning, afternoon = [s for s in setup.timetable if s.day == day]
    async with unit_of_work(sessions) as session:
        for person_id, (first, second) in marks.items():
            await attendance.set_mark(
                session, morning.id, person_id, first, morning.starts_at, marked_by=None
            )
            await attendance.set_mark(
                session, afternoon.id, person_id, second, afternoon.starts_at, marked_by=None
            )


def end_of(setup, day: int):
    return max(s.ends_at for s in setup.timetable if s.day == day)


async def requests(sessions) -> list[FeedbackRequest]:
    async with unit_of_work(sessions) as session:
        query = select(FeedbackRequest).order_by(FeedbackRequest.id)
        return list((await session.exec(query)).all())


async def answer(sessions, request: FeedbackRequest, now) -> bool:
    """A submission of the request's form, counted as its answer if in time."""
    async with unit_of_work(sessions) as session:
        draft = FormDraft(
            person_id=request.person_id,
            form_id=request.form_id,
            form_version=1,
            context={"request_id": request.id},
            status="submitted",
        )
        session.add(draft)
        await session.flush()
        submitted = FormSubmission(
            draft_id=draft.id,
            person_id=request.person_id,
            form_id=request.form_id,
            form_version=1,
            context=draft.context,
            answers={"overall": 5},
            submitted_by=request.person_id,
        )
        session.add(submitted)
        await session.flush()
        found = await feedback.request(session, request.id)
        return await feedback.record_answer(session, found, submitted.id, now)


async def test_the_days_attendees_get_the_form_once_when_the_day_ends(sessions):
    setup = await setup_class(sessions)
    a, b, c = setup.trainees
    await mark_day(
        sessions, setup, 1, {a: (Mark.PRESENT, Mark.PRESENT), b: (Mark.ABSENT, Mark.LATE)}
    )
    await mark_day(sessions, setup, 1, {c: (Mark.ABSENT, Mark.ABSENT)})
    end = end_of(setup, 1)
    assert await scan_feedback(sessions, end - timedelta(seconds=1), SETTINGS) == 0
    assert await scan_feedback(sessions, end, SETTINGS) == 2
    assert await scan_feedback(sessions, end + timedelta(minutes=5), SETTINGS) == 0
    made = setup.made.id
    assert await keys(sessions) == [f"fb:{made}:daily:1:{a}", f"fb:{made}:daily:1:{b}"]
    rows = await outbox(sessions)
    tomorrow = min(s.starts_at for s in setup.timetable if s.day == 2)
    assert all(row.expires_at == tomorrow for row in rows)
    text = rows[0].payload["text"]
    assert "第 1 天每日反馈" in text and "5月12日 09:00" in text and "匿名" in text
    assert rows[0].payload["reply_markup"]["inline_keyboard"][0][0]["text"] == "✍️ 填写"
    found = await requests(sessions)
    assert [(r.kind, r.day, r.person_id, r.form_id) for r in found] == [
        ("daily", 1, a, "daily_feedback"),
        ("daily", 1, b, "daily_feedback"),
    ]
    assert all(r.opens_at == end and r.closes_at == tomorrow for r in found)


async def test_someone_marked_present_later_that_evening_is_asked_then(sessions):
    setup = await setup_class(sessions)
    a, b, _ = setup.trainees
    await mark_day(sessions, setup, 1, {a: (Mark.PRESENT, Mark.PRESENT)})
    end = end_of(setup, 1)
    assert await scan_feedback(sessions, end, SETTINGS) == 1
    await mark_day(sessions, setup, 1, {b: (Mark.LATE, Mark.PRESENT)})
    assert await scan_feedback(sessions, end + timedelta(hours=1), SETTINGS) == 1
    assert len(await keys(sessions)) == 2


async def test_leave_for_the_whole_day_means_no_form(sessions):
    setup = await setup_class(sessions)
    a, b, c = setup.trainees
    day1 = [s.id for s in setup.timetable if s.day == 1]
    async with unit_of_work(sessions) as session:
        session.add(
            LeaveRequest(
                class_id=setup.made.id,
                person_id=a,
                session_ids=day1,
                hours=8,
                reason="看病",
                status="approved",
            )
        )
    await mark_day(sessions, setup, 1, {a: (Mark.EXCUSED, Mark.EXCUSED)})
    await mark_day(
        sessions, setup, 1, {b: (Mark.EXCUSED, Mark.PRESENT), c: (Mark.PRESENT, Mark.PRESENT)}
    )
    assert await scan_feedback(sessions, end_of(setup, 1), SETTINGS) == 2
    assert {r.person_id for r in await requests(sessions)} == {b, c}


async def test_one_reminder_to_those_who_did_not_answer_before_the_close(sessions):
    setup = await setup_class(sessions)
    a, b, c = setup.trainees
    everyone = dict.fromkeys(setup.trainees, (Mark.PRESENT, Mark.PRESENT))
    await mark_day(sessions, setup, 1, everyone)
    end = end_of(setup, 1)
    await scan_feedback(sessions, end, SETTINGS)
    first = {r.person_id: r for r in await requests(sessions)}
    assert await answer(sessions, first[a], end + timedelta(minutes=30))
    assert await scan_feedback(sessions, end + timedelta(minutes=119), SETTINGS) == 0
    assert await scan_feedback(sessions, end + timedelta(minutes=120), SETTINGS) == 2
    assert await scan_feedback(sessions, end + timedelta(hours=5), SETTINGS) == 0
    reminders = [row for row in await outbox(sessions) if row.key.startswith("fbr:")]
    assert [row.key for row in reminders] == [
        f"fbr:{setup.made.id}:daily:1:{b}",
        f"fbr:{setup.made.id}:daily:1:{c}",
    ]
    assert "还没填写" in reminders[0].payload["text"]
    assert all(row.expires_at == first[b].closes_at for row in reminders)


async def test_the_reminder_delay_is_a_setting_and_never_falls_after_the_close(sessions):
    setup = await setup_class(sessions)
    await mark_day(sessions, setup, 1, dict.fromkeys(setup.trainees, (Mark.PRESENT, Mark.LATE)))
    end = end_of(setup, 1)
    sooner = Settings(_env_file=None, feedback_reminder_minutes=30)
    await scan_feedback(sessions, end, sooner)
    assert await scan_feedback(sessions, end + timedelta(minutes=30), sooner) == 3


async def test_a_reminder_that_would_fall_after_the_close_is_never_sent(sessions):
    setup = await setup_class(sessions)
    never = Settings(_env_file=None, feedback_reminder_minutes=16 * 60)
    await mark_day(sessions, setup, 1, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    closes = min(s.starts_at for s in setup.timetable if s.day == 2)
    assert await scan_feedback(sessions, closes - timedelta(minutes=1), never) == 3  # pushes
    assert await scan_feedback(sessions, closes, never) == 0
    assert not [key for key in await keys(sessions) if key.startswith("fbr:")]


async def test_after_the_close_nothing_is_pushed(sessions):
    setup = await setup_class(sessions)
    a, b, _ = setup.trainees
    await mark_day(sessions, setup, 1, {a: (Mark.PRESENT,) * 2, b: (Mark.PRESENT,) * 2})
    closes = min(s.starts_at for s in setup.timetable if s.day == 2)
    assert await scan_feedback(sessions, closes, SETTINGS) == 0  # the bot was down all night
    assert await requests(sessions) == []


async def test_answers_after_the_close_are_refused(sessions):
    setup = await setup_class(sessions)
    a, b, _ = setup.trainees
    await mark_day(sessions, setup, 1, {a: (Mark.PRESENT,) * 2, b: (Mark.PRESENT,) * 2})
    await mark_day(sessions, setup, 2, {a: (Mark.PRESENT,) * 2})
    closes = min(s.starts_at for s in setup.timetable if s.day == 2)
    await scan_feedback(sessions, end_of(setup, 1), SETTINGS)
    found = {r.person_id: r for r in await requests(sessions)}
    assert not await answer(sessions, found[a], closes)
    assert await answer(sessions, found[b], closes - timedelta(seconds=1))
    assert not await answer(sessions, found[b], closes - timedelta(seconds=1))  # once
    async with unit_of_work(sessions) as session:
        stored = {
            r.person_id: r for r in await feedback.requests_of(session, setup.made.id, "daily", 1)
        }
    assert stored[a].submission_id is None and stored[b].answered_at is not None


async def test_a_lecturer_class_gets_the_midterm_after_day_5_and_the_final(sessions):
    setup = await setup_class(sessions, programme="lecturer")
    for day in (4, 5, 10):
        await mark_day(sessions, setup, day, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    await scan_feedback(sessions, end_of(setup, 4), SETTINGS)
    await scan_feedback(sessions, end_of(setup, 5), SETTINGS)
    await scan_feedback(sessions, end_of(setup, 10), SETTINGS)
    kinds = sorted({(r.kind, r.day, r.form_id) for r in await requests(sessions)})
    assert kinds == [
        ("daily", 4, "daily_feedback"),
        ("daily", 5, "daily_feedback"),
        ("daily", 10, "daily_feedback"),
        ("final", 10, "final_eval"),
        ("midterm", 5, "midterm_eval"),
    ]
    finals = [r for r in await requests(sessions) if r.kind == "final"]
    last_first = min(s.starts_at for s in setup.timetable if s.day == 10)
    assert all(r.closes_at == last_first + DAY for r in finals)
    texts = [row.payload["text"] for row in await outbox(sessions)]
    assert sum("期中评估" in text for text in texts) == 3
    assert sum("期末评估" in text for text in texts) == 3


async def test_a_trainee_class_has_no_midterm(sessions):
    setup = await setup_class(sessions)
    await mark_day(sessions, setup, 5, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    await scan_feedback(sessions, end_of(setup, 5), SETTINGS)
    assert {r.kind for r in await requests(sessions)} == {"daily"}


async def test_a_moved_session_moves_the_push(sessions):
    setup = await setup_class(sessions)
    await mark_day(sessions, setup, 1, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    end = end_of(setup, 1)
    afternoon = [s for s in setup.timetable if s.day == 1][1]
    async with unit_of_work(sessions) as session:
        moved = await session.get(ClassSession, afternoon.id)
        moved.starts_at += timedelta(hours=2)
        moved.ends_at += timedelta(hours=2)
    assert await scan_feedback(sessions, end, SETTINGS) == 0
    assert await scan_feedback(sessions, end + timedelta(hours=2), SETTINGS) == 3
    assert all(r.opens_at == end + timedelta(hours=2) for r in await requests(sessions))


async def test_two_processes_scanning_at_once_push_each_form_once(sessions):
    setup = await setup_class(sessions)
    await mark_day(sessions, setup, 1, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    now = end_of(setup, 1) + timedelta(hours=2)
    results = await asyncio.gather(*(scan_feedback(sessions, now, SETTINGS) for _ in range(2)))
    assert sorted(results) == [0, 3]
    found = await keys(sessions)
    assert len(found) == len(set(found)) == 3
    assert len(await requests(sessions)) == 3


async def test_classes_not_open_get_no_forms(sessions):
    setup = await setup_class(sessions, status="submitted")
    await mark_day(sessions, setup, 1, dict.fromkeys(setup.trainees, (Mark.PRESENT,) * 2))
    assert await scan_feedback(sessions, end_of(setup, 1), SETTINGS) == 0
