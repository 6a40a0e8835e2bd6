"""The store half of `make bench` (issue 11): a province-scale store (tests/province.py: 1,000
classes running with 25 trainees each, 3,000 past classes, 100,000 trainees) built by direct
inserts on SQLite and, when `TEST_POSTGRES_URL` (or `BENCH_POSTGRES_URL`) is set, PostgreSQL;
then, on each:

- `scan_idle_s`: one scheduler pass (every scan of scheduler/) at `province.NOW`, when nothing
  is due, after two passes that settle the freshly built store and after the prune; the median
  of 7 passes (a pass that queued anything is reported on stderr);
- `prune_s`: the outbox prune job (OUTBOX_KEEP_DAYS=7) over the store's history;
- `bytes_per_trainee`: the store's size after that prune, over its trainees: SQLite's pages in
  use (page_count - freelist_count), PostgreSQL's tables with their indexes and TOAST after
  VACUUM;
- `scan_feedback_push_s`: the feedback scan at `NOW` when the running classes' last class day
  has just ended (its requests and pushes deleted first): every attendee asked at once, in
  units of work of at most 500 pushes (measured last, once);
- `scan_reminders_s`: the reminder scan at 08:45 class-local on day 4, when every running
  class's first session starts within the lead time (25,000 reminders at full scale; in units
  of work of at most 500);
- `update_p99_ms_during_scan`: the p99 latency of form steps run every 20 ms in the same
  process while a full feedback push runs (as when the scheduler and the bot share one
  process; the start-up heap frozen as `python -m bot` freezes it): each step is what a form
  answer does in the store — claim the update, read the person's draft, write the answer,
  commit — in its own unit of work; a "database is locked" would fail the run;
- `outbox_claim_ms_*_100k_pending`: the median of 20 claims of 32 rows (after 3 to warm up;
  each rolled back, so every claim faces the same backlog) with 100,000 pushes due, queued by
  direct insert; the wall time of `storage.outbox.claim`, statements and Python together.

`BENCH_SCALE` (e.g. 0.1) shrinks the province for a quick run; the figures' names stay.
Lines are `name=value` (the SQLite figure unsuffixed, PostgreSQL's with `_pg`).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.app import freeze_startup_heap
from bot.config import Settings
from scheduler import STORE_SCANS
from scheduler.feedback import scan_feedback
from scheduler.jobs import scan_reminders
from scheduler.maintenance import prune_outbox
from storage import outbox, repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import FormDraft, Person
from storage.types import UtcDateTime
from tests import province

PENDING = 100_000
CLAIMS, WARMUP = 20, 3
IDLE_PASSES = 7


def _shape() -> province.Shape:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    shape = province.PROVINCE
    if scale == 1:
        return shape
    return replace(
        shape, running=max(1, int(shape.running * scale)), past=max(1, int(shape.past * scale))
    )


def _count(result: object) -> int:
    """What a scan reports as done: a list of ids, a number, or a dataclass of numbers (the
    assessment scan's `ScanResult`)."""
    if isinstance(result, list):
        return len(result)
    if result is None or isinstance(result, int):
        return int(result or 0)
    return sum(vars(result).values())


async def _scan_pass(sessions: object, settings: Settings) -> tuple[float, int, str]:
    """One pass of every scan at NOW: seconds, how many pushes it made, seconds per scan."""
    started = time.perf_counter()
    queued, each = 0, []
    for scan in STORE_SCANS:
        begun = time.perf_counter()
        result = await scan(sessions, province.NOW, settings)
        each.append(f"{scan.__name__} {time.perf_counter() - begun:.3f}")
        queued += _count(result)
    return time.perf_counter() - started, queued, ", ".join(each)


async def _claim_ms(engine: AsyncEngine) -> float:
    sessions = create_sessionmaker(engine)
    times = []
    for _ in range(WARMUP + CLAIMS):
        async with sessions() as session:
            await session.begin()
            started = time.perf_counter()
            claimed = await outbox.claim(
                session, worker="bench", now=province.NOW, lease=timedelta(seconds=60), limit=32
            )
            times.append(time.perf_counter() - started)
            await session.rollback()
        assert len(claimed) == 32, f"claimed {len(claimed)}"
    return statistics.median(times[WARMUP:]) * 1000


DAY_3_ENDED = province.NOW - timedelta(hours=8, minutes=30)
"""17:30 class-local on day 3: the running classes' last session of the day ends."""


async def _push_s(
    engine: AsyncEngine, sessions: object, settings: Settings, measured: bool = True
) -> float:
    """Seconds the feedback scan takes to ask everyone about the running classes' day 3 (with
    `measured` false: only undo that push, so it is due again)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM feedback_request WHERE kind = 'daily' AND day = 3 AND opens_at > :t"),
            {"t": province.NOW - timedelta(days=1)},
        )
        await conn.execute(
            text("DELETE FROM outbox WHERE key LIKE 'fb:%:daily:3:%' OR key LIKE 'fbr:%:daily:3:%'")
        )
        # The running classes' day-3 forms open at the day's end: their wake time, come by NOW.
        await conn.execute(
            text(
                "UPDATE scan_wake SET wake_at = :opened, touched = touched + 1"
                " WHERE scan = 'feedback'"
                " AND class_id IN (SELECT id FROM training_class WHERE status = 'approved')"
            ).bindparams(bindparam("opened", DAY_3_ENDED, type_=UtcDateTime)),
        )
    if not measured:
        return 0.0
    started = time.perf_counter()
    pushed = await scan_feedback(sessions, province.NOW, settings)
    seconds = time.perf_counter() - started
    print(f"# {engine.dialect.name}: the feedback push queued {pushed}", file=sys.stderr)
    return seconds


REMINDERS_DUE = province.NOW + timedelta(hours=6, minutes=45)
"""08:45 class-local on day 4: every running class's first session starts within the lead."""


async def _reminders_s(engine: AsyncEngine, sessions: object, settings: Settings) -> float:
    """Seconds the reminder scan takes when every running class's day-4 sessions are due."""
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM outbox WHERE key LIKE 'remind:%'"))
    started = time.perf_counter()
    queued = await scan_reminders(sessions, REMINDERS_DUE, settings)
    seconds = time.perf_counter() - started
    print(f"# {engine.dialect.name}: the reminder pass queued {queued}", file=sys.stderr)
    return seconds


STEP_EVERY = 0.02
"""Seconds between two form steps while the pass runs: 50 updates a second."""


async def _form_step(sessions: Any, draft_id: int, update_id: int) -> float:
    """One form answer's store work, in its own unit of work; its latency in ms."""
    started = time.perf_counter()
    async with unit_of_work(sessions) as session:
        assert await repo.claim_update(session, BOT_ID, update_id)
        draft = await session.get(FormDraft, draft_id)
        draft.answers = {**draft.answers, f"q{update_id % 7}": f"答案 {update_id}"}
        draft.position = f"q{update_id % 7 + 1}"
        draft.updated_at = province.NOW
        session.add(draft)
    return (time.perf_counter() - started) * 1000


BOT_ID = 42


async def _update_p99_ms(engine: AsyncEngine, sessions: Any, settings: Settings) -> float:
    """The p99 latency of form steps while a full feedback push runs in the same loop."""
    async with unit_of_work(sessions) as session:
        person_id = (await session.exec(select(Person.id).limit(1))).one()
        draft = FormDraft(person_id=person_id, form_id="daily_feedback", form_version=1)
        session.add(draft)
        await session.flush()
        draft_id = draft.id
    await _push_s(engine, sessions, settings, measured=False)
    scan = asyncio.create_task(scan_feedback(sessions, province.NOW, settings))
    latencies: list[float] = []
    update_id = 0
    while not scan.done():
        update_id += 1
        latencies.append(await _form_step(sessions, draft_id, update_id))
        await asyncio.sleep(STEP_EVERY)
    await scan
    latencies.sort()
    print(
        f"# {engine.dialect.name}: {len(latencies)} form steps during the push, "
        f"max {latencies[-1]:.0f} ms",
        file=sys.stderr,
    )
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


async def _size(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.commit()
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE")
            found = await auto.exec_driver_sql(
                "SELECT sum(pg_total_relation_size(relid)) FROM pg_stat_user_tables"
            )
            return int(found.scalar_one())
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
        free = (await conn.exec_driver_sql("PRAGMA freelist_count")).scalar_one()
        size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
        return (pages - free) * size


async def measure_store(url: str, suffix: str) -> list[str]:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        built = await province.build(engine, _shape())
        print(
            f"# {engine.dialect.name}: built {built.trainees} trainees, "
            f"{sum(built.rows.values())} rows in {built.seconds:.1f} s",
            file=sys.stderr,
        )
        sessions = create_sessionmaker(engine)
        settings = Settings(_env_file=None, database_url=url)
        freeze_startup_heap()  # what `python -m bot` does once started (the loop's pauses)
        # The built store's classes were all woken by its inserts (the triggers): the first
        # passes look at each once and settle it, as after the upgrade that added the wake.
        first = [await _scan_pass(sessions, settings) for _ in range(2)]
        print(f"# {engine.dialect.name}: first passes {first}", file=sys.stderr)
        started = time.perf_counter()
        pruned = await prune_outbox(sessions, province.NOW, settings)
        prune_s = time.perf_counter() - started
        print(f"# {engine.dialect.name}: pruned {pruned}", file=sys.stderr)
        size = await _size(engine)
        # Idle passes on the settled store (after the prune and, on PostgreSQL, the VACUUM
        # ANALYZE of `_size`): right after the bulk load, autovacuum competes with them.
        passes = [await _scan_pass(sessions, settings) for _ in range(IDLE_PASSES)]
        if any(queued for _, queued, _ in passes):
            print(f"# {engine.dialect.name}: an idle pass queued {passes}", file=sys.stderr)
        print(f"# {engine.dialect.name}: idle pass, s: {passes[-1][2]}", file=sys.stderr)
        await province.add_pending(engine, built, PENDING)
        claim = await _claim_ms(engine)
        push_s = await _push_s(engine, sessions, settings)
        reminders_s = await _reminders_s(engine, sessions, settings)
        update_p99 = await _update_p99_ms(engine, sessions, settings)
        name = "pg" if engine.dialect.name == "postgresql" else "sqlite"
        return [
            f"scan_idle_s{suffix}={statistics.median(p[0] for p in passes):.3f}",
            f"prune_s{suffix}={prune_s:.2f}",
            f"bytes_per_trainee{suffix}={size / built.trainees:.0f}",
            f"outbox_claim_ms_{name}_100k_pending={claim:.2f}",
            f"scan_feedback_push_s{suffix}={push_s:.2f}",
            f"scan_reminders_s{suffix}={reminders_s:.2f}",
            f"update_p99_ms_during_scan{suffix}={update_p99:.0f}",
        ]
    finally:
        await engine.dispose()


async def measure() -> list[str]:
    """This benchmark's result lines for stdout, on SQLite and PostgreSQL."""
    return await province.on_both_stores(measure_store, "bench-store")


if __name__ == "__main__":
    print("\n".join(asyncio.run(measure())))
