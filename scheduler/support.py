"""The support-needs scan (T12, S-16): once a class is assessed, each of its trainees is asked
what follow-up support they need, once. Set-based: one query finds the enrolled trainees of
assessed classes with no `support_request` yet; each is claimed with its keyed push in one unit
of work, so a rerun, a restart or a second process asks nobody twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services import support
from bot.views.support import fill_keyboard
from storage.db import reading, unit_of_work


async def scan_support_needs(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> int:
    """Ask every trainee of an assessed class not asked yet; returns how many pushes were
    queued (`support.BATCH` trainees per unit of work)."""
    async with reading(sessions) as session:
        if not await support.anyone_to_ask(session, now):
            return 0
    queued = 0
    while True:
        async with unit_of_work(sessions) as session:
            claimed, pushed = await support.ask_assessed(session, now, fill_keyboard)
        queued += pushed
        if claimed < support.BATCH:
            return queued
