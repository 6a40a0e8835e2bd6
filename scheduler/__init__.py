"""APScheduler jobs. Jobs hold no per-person state: each finds due work in the store."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from storage.db import unit_of_work
from storage.maintenance import prune_processed_updates
from storage.types import utcnow

log = logging.getLogger(__name__)

UPDATE_MEMORY = timedelta(days=7)
"""Telegram re-delivers an update for at most 24 hours; a week is a generous margin."""


async def prune_updates(sessions: async_sessionmaker) -> None:
    async with unit_of_work(sessions) as session:
        removed = await prune_processed_updates(session, utcnow() - UPDATE_MEMORY)
    log.info("pruned %d processed update ids", removed)


def create_scheduler(settings: Settings, sessions: async_sessionmaker) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        prune_updates,
        "interval",
        hours=6,
        args=[sessions],
        id="prune_updates",
        next_run_time=utcnow(),
        misfire_grace_time=3600,
        coalesce=True,
        max_instances=1,
    )
    return scheduler
