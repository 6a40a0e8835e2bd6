"""Scans in the running product: pushes reach people through the outbox once, across restarts,
and a reminder that could only arrive after the session started is dropped."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Role
from scheduler.jobs import SCANS, scan_reminders
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.models import OutboxMessage
from tests.bot.attendance_people import member, open_class
from tests.chat import body

START = date(2026, 5, 11)


@asynccontextmanager
async def offline(app):
    """The product stopped; yields a session factory on its store, then starts it again."""
    await app.stop()
    engine = create_engine(app.settings.database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
    await app.start()


def reminders(messages: list[dict]) -> list[str]:
    return [body(m) for m in messages if "上课提醒" in body(m)]


async def setup(app_factory, http, **overrides):
    clock = ManualClock(datetime(2026, 5, 11, 0, 20, tzinfo=UTC))  # 08:20, 40 min before
    app = await app_factory(clock=clock, **overrides)
    _, teacher = await member(app, http, "李老师", Role.LECTURER)
    trainee, person = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (teacher,), (person,))
    return app, clock, trainee, timetable[0]


async def test_a_reminder_queued_before_a_restart_is_delivered_once(app_factory, http):
    app, clock, trainee, first = await setup(app_factory, http)
    assert await scan_reminders(app.product.sessions, clock.now(), app.settings) == 0
    clock.set(first.starts_at - timedelta(minutes=25))
    async with offline(app) as sessions:
        assert await scan_reminders(sessions, clock.now(), app.settings) == 1
    reminder = await trainee.expect(lambda m: "上课提醒" in body(m))
    assert "5月11日上午 09:00–12:30" in body(reminder) and "文三路" in body(reminder)
    await app.restart()
    assert await scan_reminders(app.product.sessions, clock.now(), app.settings) == 0
    assert reminders(await trainee.quiet()) == []
    async with app.store() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.status == "sent" and row.key.startswith("remind:")


async def test_a_reminder_still_unsent_at_the_start_is_dropped(app_factory, http):
    app, clock, trainee, first = await setup(app_factory, http)
    clock.set(first.starts_at - timedelta(minutes=10))
    async with offline(app) as sessions:
        assert await scan_reminders(sessions, clock.now(), app.settings) == 1
        clock.set(first.starts_at + timedelta(minutes=1))
    assert reminders(await trainee.quiet()) == []
    async with app.store() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.status == "expired"


async def test_the_scheduler_runs_the_scans_with_the_product_clock(app_factory, http):
    app, clock, trainee, first = await setup(app_factory, http, scan_interval_seconds=1)
    for scan in SCANS:
        job = app.product.scheduler.get_job(scan.__name__)
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (1, True, 1)
    clock.set(first.starts_at - timedelta(minutes=29))
    await trainee.expect(lambda m: "上课提醒" in body(m))
    async with unit_of_work(app.product.sessions) as session:
        assert len((await session.exec(select(OutboxMessage))).all()) == 1
