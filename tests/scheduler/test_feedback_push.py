"""The feedback push made by the database (`storage.feedback.ask_attendees`): who is asked, in
which language, and that the button opens the request it was made for."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.config import Settings
from bot.domain.checkin import Mark
from bot.domain.enrolment import PlaceStatus
from bot.feedback_callbacks import FeedbackFill
from scheduler.feedback import scan_feedback
from storage import attendance, repo
from storage.db import unit_of_work
from storage.models import Enrollment, FeedbackRequest, OutboxMessage
from tests.factories import make_class
from tests.scheduler.store import START, people

SETTINGS = Settings(_env_file=None)

DAY_MARKS = {
    "present all day": ((Mark.PRESENT, Mark.PRESENT), True),
    "late, then absent": ((Mark.LATE, Mark.ABSENT), True),
    "absent all day": ((Mark.ABSENT, Mark.ABSENT), False),
    "on leave all day": ((Mark.EXCUSED, Mark.EXCUSED), False),
    "on leave, then present": ((Mark.EXCUSED, Mark.PRESENT), True),
    "left early, then absent": ((Mark.LEFT_EARLY, Mark.ABSENT), True),
    "unmarked": (None, False),
    "present but withdrawn": ((Mark.PRESENT, Mark.PRESENT), False),
}


async def _class_of(sessions, names, locale="zh-CN"):
    async with unit_of_work(sessions) as session:
        region = await repo.add_region(session, "杭州市")
        institution = await repo.add_institution(session, "西湖培训学校", region.id)
        teacher, *trainees = await people(session, "Li", *names, locale=locale)
        made = await make_class(
            session,
            institution_id=institution.id,
            region_id=region.id,
            start=START,
            teacher_ids=(teacher,),
            trainee_ids=tuple(trainees),
        )
        timetable = list(await attendance.sessions_of(session, made.id))
    return made, timetable, dict(zip(names, trainees, strict=True))


async def test_the_days_attendees_are_those_enrolled_who_attended_one_session(sessions):
    """Asked: enrolled and present, late or left early in at least one of the day's sessions;
    not: absent or on leave all day, unmarked, or withdrawn (T6 daily feedback)."""
    made, timetable, by_name = await _class_of(sessions, list(DAY_MARKS))
    morning, afternoon = [s for s in timetable if s.day == 1]
    async with unit_of_work(sessions) as session:
        for name, (marks, _) in DAY_MARKS.items():
            for class_session, mark in zip((morning, afternoon), marks or (), strict=False):
                await attendance.set_mark(
                    session,
                    class_session.id,
                    by_name[name],
                    mark,
                    class_session.starts_at,
                    marked_by=None,
                )
        withdrawn = await session.exec(
            select(Enrollment).where(Enrollment.person_id == by_name["present but withdrawn"])
        )
        place = withdrawn.one()
        place.status = PlaceStatus.WITHDRAWN
        session.add(place)
    assert await scan_feedback(sessions, afternoon.ends_at, SETTINGS) == 4
    async with unit_of_work(sessions) as session:
        asked = set((await session.exec(select(FeedbackRequest.person_id))).all())
    assert asked == {by_name[name] for name, (_, expected) in DAY_MARKS.items() if expected}


async def test_each_reader_gets_their_language_and_a_button_for_their_own_request(sessions):
    made, timetable, by_name = await _class_of(sessions, ["Ann", "Bob"], locale="en")
    day = [s for s in timetable if s.day == 1]
    async with unit_of_work(sessions) as session:
        for person_id in by_name.values():
            for class_session in day:
                await attendance.set_mark(
                    session,
                    class_session.id,
                    person_id,
                    Mark.PRESENT,
                    class_session.starts_at,
                    marked_by=None,
                )
    end = max(s.ends_at for s in day)
    assert await scan_feedback(sessions, end, SETTINGS) == 2
    assert await scan_feedback(sessions, end + timedelta(minutes=1), SETTINGS) == 0
    async with unit_of_work(sessions) as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        requests = {r.id: r for r in (await session.exec(select(FeedbackRequest))).all()}
    assert len(rows) == 2
    for row in rows:
        assert "Day 1" in row.payload["text"] and made.name in row.payload["text"]
        (button,) = row.payload["reply_markup"]["inline_keyboard"][0]
        assert button["text"] == "✍️ Fill in"
        request = requests[FeedbackFill.unpack(button["callback_data"]).r]
        assert row.person_id == request.person_id
        assert row.key == f"fb:{made.id}:daily:1:{request.person_id}"
        assert row.expires_at == request.closes_at and row.status == "pending"
