"""The feedback scan: push each open form of a class day to its attendees, then remind once.

Windows are computed from the class's sessions as they are now, so a moved session moves its
pushes. A push is claimed by creating the person's FeedbackRequest in the same unit of work as
the keyed outbox row: a second run, a restart or a second process pushes nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.classes import MAX_CAPACITY, ClassStatus
from bot.domain.feedback import FORMS, Window, attendees, windows
from bot.feedback_callbacks import FeedbackFill
from bot.i18n import I18n
from bot.notifier import Keyboard, Notice, Reader, notice
from scheduler.jobs import Step, run_batched
from storage import attendance, feedback
from storage.db import unit_of_work
from storage.models import ClassSession, FeedbackRequest, TrainingClass

LOOKBACK = timedelta(days=14)
"""Classes with a session ended this recently are looked at: longer than any break between
two class days, so a form stays pushable for as long as it is open."""


async def _classes(session: AsyncSession, now: datetime) -> list[TrainingClass]:
    query = (
        select(TrainingClass)
        .where(
            col(TrainingClass.status).in_((ClassStatus.APPROVED, ClassStatus.CLOSED)),
            col(TrainingClass.id).in_(
                select(ClassSession.class_id).where(
                    ClassSession.ends_at <= now, ClassSession.ends_at > now - LOOKBACK
                )
            ),
        )
        .order_by(TrainingClass.id)
    )
    return list((await session.exec(query)).all())


def _key(prefix: str, found: FeedbackRequest) -> str:
    return f"{prefix}:{found.class_id}:{found.kind}:{found.day}:{found.person_id}"


def _fill(request_id: int) -> Keyboard:
    def keyboard(i18n: I18n) -> InlineKeyboardMarkup:
        fill = InlineKeyboardButton(
            text=i18n("feedback.fill"), callback_data=FeedbackFill(r=request_id).pack()
        )
        return InlineKeyboardMarkup(inline_keyboard=[[fill]])

    return keyboard


def _notice(
    reader: Reader, found: FeedbackRequest, key: str, message: str, **context: Any
) -> Notice:
    """The push of a form to fill (or its reminder), with the button that opens it."""
    return notice(
        reader,
        message,
        key=key,
        keyboard=_fill(found.id),
        expires_at=found.closes_at,
        kind=found.kind,
        day=found.day,
        **context,
    )


async def _push(
    session: AsyncSession,
    training_class: TrainingClass,
    timetable: list[Row],
    window: Window,
    now: datetime,
) -> int:
    """Ask everyone who attended the day and was not asked yet; returns how many were."""
    day = [item for item in timetable if item.day == window.day]
    marks = await feedback.marks_by_person(session, [item.id for item in day])
    enrolled = await attendance.enrolled_ids(session, training_class.id)
    closes = window.closes_at.astimezone(ZoneInfo(training_class.timezone))
    asked = await feedback.ask_many(
        session,
        class_id=training_class.id,
        kind=window.kind,
        day=window.day,
        person_ids=attendees(marks, enrolled),
        form_id=FORMS[window.kind],
        opens_at=window.opens_at,
        closes_at=window.closes_at,
        now=now,
    )
    readers = await notifier.readers(session, asked)
    topics = [item.topic for item in day if item.topic]
    pushes = [
        _notice(
            reader,
            asked[person_id],
            _key("fb", asked[person_id]),
            "feedback.push",
            name=training_class.name,
            topics=topics,
            closes=closes,
        )
        for person_id, reader in readers.items()
        if person_id in asked
    ]
    await notifier.tell_many(session, pushes)
    return len(pushes)


async def _remind(
    session: AsyncSession,
    training_class: TrainingClass,
    window: Window,
    now: datetime,
    delay: timedelta,
) -> int:
    """Remind who has not answered, `delay` after their own push (a push made late, after a
    restart, is not followed by its reminder at once)."""
    closes = window.closes_at.astimezone(ZoneInfo(training_class.timezone))
    requests = await feedback.requests_of(session, training_class.id, window.kind, window.day)
    due = {
        _key("fbr", found): found
        for found in requests
        if found.answered_at is None and found.created_at + delay <= now
    }
    queued_before = await feedback.queued_keys(session, due)
    waiting = {key: found for key, found in due.items() if key not in queued_before}
    readers = await notifier.readers(session, (found.person_id for found in waiting.values()))
    reminders = [
        _notice(
            readers[found.person_id],
            found,
            key,
            "feedback.reminder",
            name=training_class.name,
            closes=closes,
        )
        for key, found in waiting.items()
    ]
    return await notifier.tell_many(session, reminders)


async def scan_feedback(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Queue the pushes and reminders due at `now`; returns how many were queued.

    Set-based: the recent classes' timetables are read at once and their windows computed;
    then one query per kind finds the open days with someone attended and not yet asked, and
    one the rounds with a reminder due and not queued. Only those windows are worked on, so a
    pass with nothing due reads no class on its own. The work is then done in units of work
    of at most `BATCH` pushes (a window asks one class: `MAX_CAPACITY` people at most)."""
    delay = timedelta(minutes=settings.feedback_reminder_minutes)
    async with unit_of_work(sessions) as session:
        classes = await _classes(session, now)
        timetables = await feedback.timetables(session, [item.id for item in classes])
        plans = {
            item.id: windows(item.programme, timetables[item.id], item.timezone, delay)
            for item in classes
        }
        opened: dict[str, list[int]] = defaultdict(list)
        for class_id, plan in plans.items():
            for window in plan:
                if window.open_at(now):
                    opened[window.kind].extend(
                        s.id for s in timetables[class_id] if s.day == window.day
                    )
        to_ask = {
            (class_id, kind, day)
            for kind, session_ids in opened.items()
            for class_id, day in await feedback.days_to_ask(session, kind, session_ids)
        }
        to_remind = await feedback.rounds_to_remind(session, now - 2 * LOOKBACK, now - delay)
        steps: list[Step] = []
        for training_class in classes:
            timetable = timetables[training_class.id]
            for window in plans[training_class.id]:
                work = (training_class.id, window.kind, window.day)
                if window.open_at(now) and work in to_ask:
                    steps.append(
                        partial(
                            _push,
                            training_class=training_class,
                            timetable=timetable,
                            window=window,
                            now=now,
                        )
                    )
                if window.remind_due(now) and work in to_remind:
                    steps.append(
                        partial(
                            _remind,
                            training_class=training_class,
                            window=window,
                            now=now,
                            delay=delay,
                        )
                    )
    return await run_batched(sessions, steps, MAX_CAPACITY)
