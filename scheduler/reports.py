"""The activity-report scan (T11): each class assessed lately is pushed, as PDF and XLSX, to
its institution's staff once (bot/services/activity_report: one query for the pushes not queued
yet)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services import activity_report
from storage.db import unit_of_work


async def scan_reports(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Find (one transaction), print (none: PDFs take CPU, not the store's lock), queue."""
    async with unit_of_work(sessions) as session:
        waiting = await activity_report.due(session, now)
    if not waiting.readers:
        return 0
    prints = await activity_report.printed(waiting)
    async with unit_of_work(sessions) as session:
        return await activity_report.push(session, waiting, prints)
