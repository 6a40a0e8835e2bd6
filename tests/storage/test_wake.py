"""The scans' wake times (`storage.wake`, migration 0018's triggers), on both databases: any
change a scan computes from wakes the class for every scan; a scan's own settling never hides a
change made while it worked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.domain.checkin import Mark
from storage import attendance, wake
from storage.db import unit_of_work
from storage.models import ClassSession, ClassTeacher, Person, TrainingClass
from tests.scheduler.store import setup_class

NOW = datetime(2026, 5, 1, tzinfo=UTC)
LATER = NOW + timedelta(days=365)


async def _class(sessions) -> tuple[int, int, int]:
    """The class, a teacher of it and a trainee."""
    setup = await setup_class(sessions)
    return setup.made.id, setup.teachers[0], setup.trainees[0]


async def _sleep_all(sessions, class_id: int) -> None:
    """Every scan settles the class until far later, as after working on it."""
    async with unit_of_work(sessions) as session:
        for scan in wake.SCANS:
            woken = await wake.due(session, scan, NOW)
            assert class_id in woken, scan
            await wake.settle(session, scan, woken, {class_id: LATER})


async def _woken_by_every_scan(sessions, class_id: int) -> bool:
    async with unit_of_work(sessions) as session:
        return all([class_id in await wake.due(session, scan, NOW) for scan in wake.SCANS])


async def test_a_new_class_is_woken_and_sleeps_once_settled(sessions):
    class_id, _, _ = await _class(sessions)
    await _sleep_all(sessions, class_id)
    assert not await _woken_by_every_scan(sessions, class_id)
    async with unit_of_work(sessions) as session:
        assert set(await wake.due(session, "feedback", LATER)) == {class_id}


async def test_every_change_the_scans_compute_from_wakes_the_class(sessions):
    class_id, teacher, trainee = await _class(sessions)

    async def session_moved(session):
        first = (
            await session.exec(select(ClassSession).where(ClassSession.class_id == class_id))
        ).first()
        first.ends_at += timedelta(minutes=30)
        session.add(first)

    async def marked(session):
        first = (
            await session.exec(select(ClassSession).where(ClassSession.class_id == class_id))
        ).first()
        await attendance.set_mark(
            session, first.id, trainee, Mark.PRESENT, first.starts_at, marked_by=teacher
        )

    async def teacher_added(session):
        other = Person(tg_user_id=9_100, first_name="吴老师", locale="zh-CN")
        session.add(other)
        await session.flush()
        session.add(ClassTeacher(class_id=class_id, person_id=other.id, assigned_at=NOW))

    async def closed(session):
        training_class = await session.get(TrainingClass, class_id)
        training_class.status = "closed"
        session.add(training_class)

    for change in (session_moved, marked, teacher_added, closed):
        await _sleep_all(sessions, class_id)
        async with unit_of_work(sessions) as session:
            await change(session)
        assert await _woken_by_every_scan(sessions, class_id), change.__name__


async def test_a_change_made_while_a_scan_works_keeps_the_class_due(sessions):
    class_id, _, _ = await _class(sessions)
    async with unit_of_work(sessions) as session:
        read = await wake.due(session, "feedback", NOW)  # the scan reads the class...
    async with unit_of_work(sessions) as session:  # ...someone changes it meanwhile...
        first = (
            await session.exec(select(ClassSession).where(ClassSession.class_id == class_id))
        ).first()
        first.topic = "网店推广"
        session.add(first)
    async with unit_of_work(sessions) as session:  # ...and the scan settles what it read
        await wake.settle(session, "feedback", read, {class_id: LATER})
        assert class_id in await wake.due(session, "feedback", NOW)
