"""The morning summary (T6): each teacher of a class gets yesterday's feedback once.

A store scan like the others (`scheduler.jobs`): it finds the daily rounds pushed in the last
days, and from `feedback_summary_time` (class-local) the morning after the class day queues the
summary for each teacher under the key `fbsum:{class}:{day}:{teacher}`, so a second run, a
restart or a second process sends nothing twice. The push is the text summary, with a button to
the same view in /feedback, followed by its chart (key `...:chart`) when the small-class rule
allows one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import charts, notifier
from bot.config import Settings
from bot.domain.feedback import Kind
from bot.domain.feedback_summary import summary_due, summary_sendable
from bot.domain.wake import next_after
from bot.feedback_view_callbacks import FeedbackRound
from bot.i18n import I18n
from bot.notifier import Keyboard, Rendered
from storage import feedback, feedback_views, wake
from storage.classes import teacher_ids
from storage.db import reading, unit_of_work
from storage.models import OutboxMessage, TrainingClass

SCAN = "fbsum"
"""This scan's name in `storage.wake`."""
USEFUL = timedelta(hours=12)
"""A morning summary more than this late (the bot was down) is not sent any more."""
LOOK_BACK = timedelta(days=3)
"""Daily rounds pushed longer ago than this are past their summary's useful time anyway."""


async def _queued(session: AsyncSession, key: str) -> bool:
    found = await session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key))
    return found.first() is not None


def _details(class_id: int, day: int) -> Keyboard:
    """The button under a summary that opens the same round in /feedback."""

    def keyboard(i18n: I18n) -> InlineKeyboardMarkup:
        details = InlineKeyboardBuilder()
        details.button(
            text=i18n("feedback_views.details_button"),
            callback_data=FeedbackRound(c=class_id, k=Kind.DAILY, d=day),
        )
        return details.as_markup()

    return keyboard


def _picture(_: I18n) -> Rendered:
    """A chart goes without a caption: the summary above it says what it shows."""
    return "", None


async def _round(
    sessions: async_sessionmaker,
    training_class: TrainingClass,
    day: int,
    due: datetime,
) -> int:
    """Queue one class day's summary to each teacher without it yet. Read without the write
    lock, charts drawn off the event loop, then one short unit of work writes the pushes (a key
    queued meanwhile by another process is skipped there)."""
    class_id = training_class.id
    async with reading(sessions) as session:
        keys = {
            teacher: f"fbsum:{class_id}:{day}:{teacher}"
            for teacher in await teacher_ids(session, class_id)
        }
        waiting = [t for t, key in keys.items() if not await _queued(session, key)]
        if not waiting:
            return 0
        shown = await feedback_views.round_view(session, training_class, Kind.DAILY, day)
        teachers = await notifier.readers(session, waiting)
    until = due + USEFUL
    summaries, pictures = [], []
    for teacher_id, teacher in teachers.items():
        summaries.append(
            notifier.notice(
                teacher,
                "feedback_views.summary",
                key=keys[teacher_id],
                keyboard=_details(class_id, day),
                expires_at=until,
                name=training_class.name,
                kind=Kind.DAILY,
                day=day,
                date=shown.date,
                s=shown.summary,
                names=shown.names,
                morning=True,
            )
        )
        chart = await asyncio.to_thread(
            charts.round_chart, shown, Kind.DAILY, day, I18n(teacher.locale)
        )
        if chart is not None:
            key = f"{keys[teacher_id]}:chart"
            pictures.append(
                notifier.notice(teacher, _picture, key=key, photo=chart, expires_at=until)
            )
    async with unit_of_work(sessions) as session:
        queued = await notifier.tell_many(session, summaries)
        await notifier.tell_many(session, pictures)
    return queued


async def scan_feedback_summaries(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> int:
    """Queue the due morning summaries; returns how many were queued.

    Only classes woken for this scan are read (`storage.wake`), without the write lock; each
    due class day is then summarised in its own short unit of work (`_round`), so a morning
    with a province's classes due never holds back people's updates. Each class then sleeps
    until its next class day's summary falls due."""
    async with reading(sessions) as session:
        woken = await wake.due(session, SCAN, now)
        if not woken:
            return 0
        all_classes = await feedback_views.classes(session, woken)
        timetables = await feedback.timetables(session, sorted(woken))
        rounds = await feedback_views.daily_rounds_unsummarised(
            session, sorted(woken), now - LOOK_BACK
        )
    next_at = {
        class_id: next_after(
            (
                summary_due(day, item.timezone, settings.feedback_summary_time)
                for day in feedback_views.dates_of(timetables[class_id], item.timezone).values()
            ),
            now,
        )
        for class_id, item in all_classes.items()
    }
    queued = 0
    for class_id, day in rounds:
        training_class = all_classes[class_id]
        class_day = feedback_views.dates_of(timetables[class_id], training_class.timezone).get(day)
        if class_day is None:
            continue
        due = summary_due(class_day, training_class.timezone, settings.feedback_summary_time)
        if summary_sendable(due, now, USEFUL):
            queued += await _round(sessions, training_class, day, due)
    async with unit_of_work(sessions) as session:
        await wake.settle(session, SCAN, woken, next_at)
    return queued
