"""APScheduler jobs. Jobs hold no per-person state: each finds due work in the store."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from scheduler.assessment import scan_assessment
from scheduler.campaigns import scan_campaigns
from scheduler.feedback import scan_feedback
from scheduler.feedback_summary import scan_feedback_summaries
from scheduler.followup import scan_followup
from scheduler.issuing import send_certificates
from scheduler.jobs import SCANS
from scheduler.maintenance import prune_outbox, refresh_statistics
from scheduler.reports import scan_reports
from scheduler.stats import keep_stats
from scheduler.support import scan_support_needs
from storage.db import unit_of_work
from storage.maintenance import prune_processed_updates
from storage.presses import prune_presses
from storage.types import utcnow

log = logging.getLogger(__name__)

STORE_SCANS = (
    *SCANS,
    scan_feedback,
    scan_feedback_summaries,
    scan_assessment,
    scan_reports,
    scan_support_needs,
    scan_campaigns,
    scan_followup,
    send_certificates,
)
"""Every scan that finds due work in the store, each run every `SCAN_INTERVAL_SECONDS`: the
one list the scheduler, the query-plan test and the benchmark's idle pass share."""

STATISTICS_EVERY = timedelta(hours=6)
"""How often the planners' statistics are refreshed (ANALYZE)."""

UPDATE_MEMORY = timedelta(days=7)
"""Telegram re-delivers an update for at most 24 hours; a week is a generous margin."""
PRESS_MEMORY = timedelta(days=1)
"""Handled presses are kept a day, far longer than the double-tap window (`bot.presses`)."""


async def prune_updates(sessions: async_sessionmaker) -> None:
    async with unit_of_work(sessions) as session:
        removed = await prune_processed_updates(session, utcnow() - UPDATE_MEMORY)
        presses = await prune_presses(session, utcnow() - PRESS_MEMORY)
    log.info("pruned %d processed update ids and %d button presses", removed, presses)


async def run_scan(
    scan: Callable[[async_sessionmaker, datetime, Settings], Awaitable[object]],
    sessions: async_sessionmaker,
    clock: Clock,
    settings: Settings,
) -> None:
    result = await scan(sessions, clock.now(), settings)
    if result:
        log.info("%s: %s", scan.__name__, result)


def create_scheduler(
    settings: Settings, sessions: async_sessionmaker, clock: Clock
) -> AsyncIOScheduler:
    """The store scans (reminders, closing check-ins, day summaries, feedback forms, morning
    feedback summaries, assessment) and housekeeping: forgetting old update ids, pruning the
    outbox (hourly) and refreshing the planners' statistics (every 6 hours; migrations do it too).

    A scan that missed its turn (the loop was busy) still runs within one interval, and runs
    never overlap or pile up; anything missed while the bot was down is found by the next run.
    """
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    for scan in STORE_SCANS:
        scheduler.add_job(
            run_scan,
            "interval",
            seconds=settings.scan_interval_seconds,
            args=[scan, sessions, clock, settings],
            id=scan.__name__,
            next_run_time=utcnow(),
            misfire_grace_time=settings.scan_interval_seconds,
            coalesce=True,
            max_instances=1,
        )
    for job, every, first in (
        (prune_outbox, timedelta(hours=1), utcnow()),
        (keep_stats, timedelta(minutes=10), utcnow()),
        (refresh_statistics, STATISTICS_EVERY, utcnow() + STATISTICS_EVERY),
    ):
        scheduler.add_job(
            run_scan,
            "interval",
            seconds=every.total_seconds(),
            args=[job, sessions, clock, settings],
            id=job.__name__,
            next_run_time=first,
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
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
