"""Store scans: each finds due work for `now` and queues keyed messages in one unit of work.

The keys make a scan safe to run again, late, or in two processes at once; nothing is kept in
memory between runs. Tests call these functions with a chosen `now` instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import LOCALES, Settings
from bot.domain.attendance import (
    SessionView,
    checkin_closes_at,
    close_due,
    day_over,
    local_day,
    reminder_due,
)
from bot.domain.checkin import Mark
from bot.domain.classes import ClassStatus
from bot.domain.wake import next_after
from bot.services import attendance as attendance_service
from bot.views.timetable import session_shown
from storage import attendance, people, wake
from storage.db import reading, unit_of_work
from storage.models import ClassSession, TrainingClass

BATCH = 500
"""Pushes queued per unit of work at most: a scan with much due commits as it goes."""
TEACHERS = 2
"""Teachers of a class: the pushes of one class day's summary."""
DAY_SUMMARY_SCAN = "daysum"
"""The day summary scan's name in `storage.wake`."""
SUMMARY_USEFUL = timedelta(hours=12)
"""An end-of-day summary more than this late (the bot was down) is not sent any more."""


Step = Callable[[AsyncSession], Awaitable[int]]
"""A piece of a scan's work: queues some pushes in the session given; returns how many."""


TURN = 100
"""Items a scan computes on (classes, sessions) between two turns of the event loop."""

T = TypeVar("T")


async def taking_turns(items: Iterable[T], every: int = TURN) -> AsyncIterator[T]:
    """The items, handing the event loop over every `every` of them: a scan computing windows
    or rendering texts for a province's classes in one go held every update in the same
    process back for a fifth of a second."""
    for i, item in enumerate(items):
        if i and i % every == 0:
            await asyncio.sleep(0)
        yield item


async def run_batched(sessions: async_sessionmaker, steps: Sequence[Step], most: int) -> int:
    """Run the steps in order, each unit of work taking steps while their pushes (`most` at
    most per step) stay within `BATCH`; returns how many pushes were queued."""
    queued, done = 0, 0
    while done < len(steps):
        async with unit_of_work(sessions) as session:
            held = 0
            while done < len(steps) and (held == 0 or held + most <= BATCH):
                held += await steps[done](session)
                done += 1
        queued += held
    return queued


async def _sessions_of_classes(
    session: AsyncSession, statuses: tuple[ClassStatus, ...], *conditions: object
) -> Sequence[tuple[ClassSession, TrainingClass]]:
    query = (
        select(ClassSession, TrainingClass)
        .join(TrainingClass, col(TrainingClass.id) == ClassSession.class_id)
        .where(col(TrainingClass.status).in_(statuses), *conditions)
        .order_by(ClassSession.starts_at, ClassSession.id)
    )
    return (await session.exec(query)).all()


async def scan_reminders(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Remind every enrolled learner of a session starting within the lead time, unless on
    leave or already marked. A reminder still unsent when the session starts is dropped.

    Set-based, read without the write lock: one query finds the sessions starting soon, one
    how many of each one's learners are still to remind; each such session's text is rendered
    once per language, and the database makes the rows (`storage.attendance.remind`), one
    INSERT ... SELECT per unit of work of at most `BATCH` reminders. A pass with every reminder
    queued renders nothing."""
    lead = timedelta(minutes=settings.reminder_lead_minutes)
    async with reading(sessions) as session:
        due = [
            (class_session, training_class)
            for class_session, training_class in await _sessions_of_classes(
                session,
                (ClassStatus.APPROVED,),
                ClassSession.starts_at > now,
                ClassSession.starts_at <= now + lead,
            )
            if reminder_due(class_session.starts_at, now, lead)
        ]
        waiting = await attendance.to_remind(session, [s.id for s, _ in due])
    groups: list[list[dict[str, Any]]] = [[]]
    held = 0
    async for class_session, training_class in taking_turns(due):
        if not (count := waiting.get(class_session.id)):
            continue
        if groups[-1] and held + count > BATCH:
            groups.append([])
            held = 0
        held += count
        texts = notifier.in_every_locale(
            "attendance.reminder",
            name=training_class.name,
            s=session_shown(class_session, training_class),
            venue=training_class.venue_address,
        )
        groups[-1].append(
            {
                "session_id": class_session.id,
                "expires_at": class_session.starts_at,
                **{f"t{i}": text for i, text in enumerate(texts)},
            }
        )
    steps: list[Step] = [
        partial(attendance.remind, due=group, locales=LOCALES) for group in groups if group
    ]
    return await run_batched(sessions, steps, BATCH)


async def scan_checkins(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> list[int]:
    """Close every opened check-in whose time is up; returns the closed sessions' ids.

    A session whose check-in was never opened is left alone: nobody could check in, so
    nobody is marked absent by the clock (a teacher can still mark by hand)."""
    window = settings.checkin_window_minutes
    window = timedelta(minutes=window) if window else None
    query = select(ClassSession).where(
        col(ClassSession.checkin_opened_at).is_not(None),
        col(ClassSession.checkin_closed_at).is_(None),
        ClassSession.starts_at <= now,
    )
    async with reading(sessions) as session:  # most passes close nothing: no write lock
        opened = (await session.exec(query)).all()
    due = [
        class_session.id
        for class_session in opened
        if close_due(
            class_session.checkin_opened_at,
            class_session.checkin_closed_at,
            checkin_closes_at(class_session.starts_at, class_session.ends_at, window),
            now,
        )
    ]
    if not due:
        return []
    closed = []
    async with unit_of_work(sessions) as session:
        for class_session in await session.exec(query.where(col(ClassSession.id).in_(due))):
            await attendance_service.close_checkin(session, class_session, now)
            if class_session.checkin_closed_at is not None:
                closed.append(class_session.id)
    return closed


@dataclass
class SummaryRow:
    s: SessionView
    held: bool
    present: int = 0
    late: list[str] = field(default_factory=list)
    left_early: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    excused: list[str] = field(default_factory=list)


async def _summary_rows(
    session: AsyncSession, training_class: TrainingClass, day: list[ClassSession]
) -> list[SummaryRow]:
    enrolled = await attendance.enrolled_ids(session, training_class.id)
    names = await people.names(session, enrolled)
    rows = []
    for class_session in day:
        marks = await attendance.marks_of(session, class_session.id)
        row = SummaryRow(
            session_shown(class_session, training_class),
            held=class_session.checkin_opened_at is not None or bool(marks),
        )
        for person_id in enrolled:
            match marks.get(person_id):
                case Mark.PRESENT:
                    row.present += 1
                case Mark.LATE:
                    row.late.append(names[person_id])
                case Mark.LEFT_EARLY:
                    row.left_early.append(names[person_id])
                case Mark.EXCUSED:
                    row.excused.append(names[person_id])
                case Mark.ABSENT:
                    row.absent.append(names[person_id])
        rows.append(row)
    return rows


async def _day_summary(
    session: AsyncSession,
    training_class: TrainingClass,
    day: int,
    day_sessions: list[ClassSession],
) -> int:
    """Queue one class day's summary to each of its teachers; returns how many were new."""
    rows = await _summary_rows(session, training_class, day_sessions)
    class_id = training_class.id
    teachers = await notifier.readers(session, await attendance.teacher_ids(session, class_id))
    last_end = max(s.ends_at for s in day_sessions)
    summaries = [
        notifier.notice(
            teacher,
            "attendance.day_summary",
            key=f"daysum:{class_id}:{day}:{teacher_id}",
            expires_at=last_end + SUMMARY_USEFUL,
            name=training_class.name,
            day=day,
            date=local_day(day_sessions[0].starts_at, training_class.timezone),
            rows=rows,
        )
        for teacher_id, teacher in teachers.items()
    ]
    return await notifier.tell_many(session, summaries)


async def scan_day_summaries(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> int:
    """Once a class day's last session has ended and its check-ins are closed, each teacher
    gets that day's attendance once (also for the last day of a class closed meanwhile).

    Only classes woken for this scan are read (`storage.wake`, without the write lock), and of
    those only the days with
    a teacher's summary not queued yet (one query); their summaries are then queued in units
    of work of at most `BATCH`. Each class then sleeps until its next class day ends; closing
    a check-in (or any change to its sessions) wakes it sooner."""
    since, until = now - SUMMARY_USEFUL - timedelta(days=1), now + timedelta(days=1)
    async with reading(sessions) as session:
        woken = await wake.due(session, DAY_SUMMARY_SCAN, now)
        if not woken:
            return 0
        class_ids = sorted(woken)
        waiting = await attendance.days_unsummarised(session, class_ids, since, until)
        recent = await _sessions_of_classes(
            session,
            (ClassStatus.APPROVED, ClassStatus.CLOSED),
            col(ClassSession.class_id).in_(class_ids),
            ClassSession.ends_at > since,
            ClassSession.ends_at <= until,
        )
        ends = await attendance.day_ends(session, class_ids)
    days: dict[tuple[int, int], list[ClassSession]] = defaultdict(list)
    classes: dict[int, TrainingClass] = {}
    for class_session, training_class in recent:
        if (training_class.id, class_session.day) not in waiting:
            continue
        days[training_class.id, class_session.day].append(class_session)
        classes[training_class.id] = training_class
    steps: list[Step] = []
    for (class_id, day), day_sessions in days.items():
        last_end = max(s.ends_at for s in day_sessions)
        still_open = any(s.checkin_opened_at and not s.checkin_closed_at for s in day_sessions)
        over = day_over((s.ends_at for s in day_sessions), now)
        if not over or last_end <= now - SUMMARY_USEFUL or still_open:
            continue
        steps.append(
            partial(
                _day_summary,
                training_class=classes[class_id],
                day=day,
                day_sessions=day_sessions,
            )
        )
    queued = await run_batched(sessions, steps, TEACHERS)
    next_at = {class_id: next_after(ends.get(class_id, ()), now) for class_id in woken}
    async with unit_of_work(sessions) as session:
        await wake.settle(session, DAY_SUMMARY_SCAN, woken, next_at)
    return queued


SCANS = (scan_checkins, scan_reminders, scan_day_summaries)
