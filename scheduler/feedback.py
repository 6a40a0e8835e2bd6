"""The feedback scan: push each open form of a class day to its attendees, then remind once.

Windows are computed from the class's sessions as they are now, so a moved session moves its
pushes. A push is claimed by creating the person's FeedbackRequest in the same unit of work as
the keyed outbox row: a second run, a restart or a second process pushes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import LOCALES, Settings
from bot.domain.classes import MAX_CAPACITY, ClassStatus
from bot.domain.feedback import FORMS, Window, reminder_at, windows
from bot.domain.wake import next_after
from bot.feedback_callbacks import FeedbackFill
from bot.i18n import I18n
from bot.notifier import Keyboard, Notice, Reader, notice, one_button
from scheduler.jobs import BATCH, Step, run_batched, taking_turns
from storage import feedback, wake
from storage.db import reading, unit_of_work
from storage.models import FeedbackRequest, TrainingClass

SCAN = "feedback"
"""This scan's name in `storage.wake`."""
LOOKBACK = timedelta(days=14)
"""Longer than any break between two class days, so longer than any form stays open: rounds
opened within twice this are looked at for reminders."""


async def _classes(session: AsyncSession, class_ids: Sequence[int]) -> list[TrainingClass]:
    """The woken classes that are open or closed (a draft has nothing pushed yet)."""
    query = (
        select(TrainingClass)
        .where(
            col(TrainingClass.id).in_(class_ids),
            col(TrainingClass.status).in_((ClassStatus.APPROVED, ClassStatus.CLOSED)),
        )
        .order_by(TrainingClass.id)
    )
    return list((await session.exec(query)).all())


def _key(prefix: str, found: FeedbackRequest) -> str:
    return f"{prefix}:{found.class_id}:{found.kind}:{found.day}:{found.person_id}"


def _fill(request_id: int) -> Keyboard:
    def keyboard(i18n: I18n) -> dict[str, Any]:
        return one_button(i18n("feedback.fill"), FeedbackFill(r=request_id).pack())

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


@dataclass(frozen=True)
class Round:
    """One class day's form to push: the class, that day's sessions and the form's window."""

    training_class: TrainingClass
    day: list[Row]
    window: Window


FILL_HEAD = FeedbackFill(r=0).pack().removesuffix("0")
"""A fill button's callback data less the request id (the database appends it)."""


async def _push(session: AsyncSession, rounds: list[Round], now: datetime, asked: set[int]) -> int:
    """Ask everyone who attended these rounds' days and was not asked yet, and queue their
    pushes; returns how many were asked, and adds the classes where someone was to `asked`.
    The texts are rendered here, once per round and locale; the rows are made by the database
    (`storage.feedback.ask_attendees`)."""
    labels = notifier.in_every_locale("feedback.fill")
    wanted = []
    for item in rounds:
        window, training_class = item.window, item.training_class
        texts = notifier.in_every_locale(
            "feedback.push",
            name=training_class.name,
            topics=[s.topic for s in item.day if s.topic],
            closes=window.closes_at.astimezone(ZoneInfo(training_class.timezone)),
            kind=window.kind,
            day=window.day,
        )
        wanted.append(
            {
                "class_id": training_class.id,
                "kind": window.kind,
                "day": window.day,
                "form_id": FORMS[window.kind],
                "opens_at": window.opens_at,
                "closes_at": window.closes_at,
                "now": now,
                **{f"t{i}": text for i, text in enumerate(texts)},
                **{f"b{i}": label for i, label in enumerate(labels)},
            }
        )
    made = await feedback.ask_attendees(session, wanted, LOCALES, FILL_HEAD)
    asked.update(made)
    return len(made)


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

    Only the classes woken for this scan are read (`storage.wake`), without the write lock: their
    timetables at once, their windows computed. Each open window is pushed to whoever attended and
    was not asked yet (the database skips the others), in units of work of at most `BATCH` pushes (a
    window asks one class: `MAX_CAPACITY` people at most); one query finds the rounds with a
    reminder due and not queued. Each class then sleeps until its next window opens or reminder
    falls due (a push made now is reminded `delay` later); a mark, a moved session or the class's
    status wakes it sooner."""
    delay = timedelta(minutes=settings.feedback_reminder_minutes)
    async with reading(sessions) as session:
        woken = await wake.due(session, SCAN, now)
        if not woken:
            return 0
        classes = await _classes(session, sorted(woken))
        timetables = await feedback.timetables(session, [item.id for item in classes])
        plans = {
            item.id: windows(item.programme, timetables[item.id], item.timezone, delay)
            async for item in taking_turns(classes)
        }
        reminding = sorted(
            class_id
            for class_id, plan in plans.items()
            if any(window.remind_due(now) for window in plan)
        )
        to_remind = await feedback.rounds_to_remind(
            session, reminding, now - 2 * LOOKBACK, now - delay
        )
    steps: list[Step] = []
    rounds: list[Round] = []
    for training_class in classes:
        timetable = timetables[training_class.id]
        for window in plans[training_class.id]:
            if window.open_at(now):
                day = [item for item in timetable if item.day == window.day]
                rounds.append(Round(training_class, day, window))
            if window.remind_due(now) and (training_class.id, window.kind, window.day) in to_remind:
                steps.append(
                    partial(
                        _remind,
                        training_class=training_class,
                        window=window,
                        now=now,
                        delay=delay,
                    )
                )
    per_step = max(1, BATCH // MAX_CAPACITY)
    asked: set[int] = set()
    pushes: list[Step] = [
        partial(_push, rounds=rounds[start : start + per_step], now=now, asked=asked)
        for start in range(0, len(rounds), per_step)
    ]
    queued = await run_batched(sessions, pushes, BATCH)
    queued += await run_batched(sessions, steps, MAX_CAPACITY)
    next_at = {
        class_id: next_after(
            [t for window in plan for t in (window.opens_at, window.remind_at)]
            + [
                reminder_at(now, window.closes_at, delay)
                for window in plan
                if class_id in asked and window.open_at(now)
            ],
            now,
        )
        for class_id, plan in plans.items()
    }
    async with unit_of_work(sessions) as session:
        await wake.settle(session, SCAN, woken, next_at)
    return queued
