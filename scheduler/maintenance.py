"""Housekeeping jobs: the outbox pruned after `OUTBOX_KEEP_DAYS`, pictures no row sends any
more removed, and the planners' statistics refreshed. Each deletes in batches of
`storage.maintenance.PRUNE_BATCH` rows, one transaction each, so a prune never holds SQLite's
write lock for more than a moment and updates from people keep flowing meanwhile."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.notifier import CARDS
from storage import maintenance
from storage.db import unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    outbox: int
    media: int

    def __bool__(self) -> bool:
        return bool(self.outbox or self.media)


async def prune_outbox(sessions: async_sessionmaker, now: datetime, settings: Settings) -> Pruned:
    """Forget finished pushes older than `OUTBOX_KEEP_DAYS` (a decision card's sent copies
    stay while the decision is open), then the pictures only they sent."""
    before = now - timedelta(days=settings.outbox_keep_days)
    rows = media = 0
    after = None
    while True:
        async with unit_of_work(sessions) as session:
            done = await maintenance.prune_outbox(session, before, open_cards=CARDS, after=after)
        rows += done.deleted
        if done.after is None:
            break
        after = done.after
    while True:
        async with unit_of_work(sessions) as session:
            done = await maintenance.prune_media(session, before)
        media += done
        if done < maintenance.PRUNE_BATCH:
            break
    return Pruned(rows, media)


async def refresh_statistics(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> None:
    """ANALYZE, so plans follow the store as it grows (see storage.maintenance)."""
    async with sessions.kw["bind"].connect() as connection:
        await maintenance.refresh_statistics(connection)
        await connection.commit()
