"""The assessment scan: classes move on (open → in progress → ended, and scorers are drawn
when the submission window closes), scorers are reminded a day before their deadline, missed
deadlines move to the next drawn scorer, and resubmissions after coaching are scored again.
Every part is a set-based query for the due rows (bot/services/assessment.scan)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services import assessment
from storage.db import unit_of_work


async def scan_assessment(
    sessions: async_sessionmaker, now: datetime, settings: Settings
) -> assessment.ScanResult:
    async with unit_of_work(sessions) as session:
        return await assessment.scan(session, now, assessment.Config.of(settings))
