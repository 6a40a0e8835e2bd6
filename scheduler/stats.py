"""Statistics' job: count the closed classes whose tallies are missing or a day old and keep
them (bot.services.stats.keep_closed), a batch per unit of work, so /stats reads only running
classes live."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services.stats import KEEP_BATCH, keep_closed
from storage.db import unit_of_work


async def keep_stats(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """How many closed classes were counted."""
    counted = 0
    while True:
        async with unit_of_work(sessions) as session:
            done = await keep_closed(session, now)
        counted += done
        if done < KEEP_BATCH:
            return counted
