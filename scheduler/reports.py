"""The activity-report scan (T11): the teaching lecturers of a class that ended are asked for
their comments once; each class assessed lately is pushed, as PDF and XLSX, to
its institution's staff once (bot/services/activity_report: one query for the pushes not queued
yet)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services import activity_report
from storage.db import reading, unit_of_work


async def scan_reports(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Ask for comments; find the reports due (read without the write lock), print them
    (none: PDFs take CPU, not the store's lock), queue them."""
    async with reading(sessions) as session:
        asking = await activity_report.anyone_to_ask_for_comments(session, now)
        waiting = await activity_report.due(session, now)
    asked = 0
    if asking:
        async with unit_of_work(sessions) as session:
            asked = await activity_report.ask_comments(session, now)
    if not waiting.readers:
        return asked
    prints = await activity_report.printed(waiting)
    async with unit_of_work(sessions) as session:
        return asked + await activity_report.push(session, waiting, prints)
