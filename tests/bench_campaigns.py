"""`make bench`: creating a campaign to 10,000 recipients (issue 14, target < 2 s).

The store (SQLite) is built by direct inserts: one institution's 400 classes of 25 enrolled
trainees (10,000 people), plus as many of another institution. Then, timed: confirming the
staff's draft "every trainee" campaign (`bot.services.campaigns.confirm`: its recipients chosen
with one INSERT ... SELECT) and the commit. Printed as `campaign_create_s` (best of 3, each on
a new draft), and `campaign_scan_s`: one scan pass pushing them all into the outbox (keyed
rows, 500 per unit of work). `BENCH_SCALE` (e.g. 0.1) shrinks the trainees; the names stay.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.config import Settings
from bot.domain.roles import Grant, Role
from bot.services import campaigns
from bot.services.actor import Actor
from scheduler.campaigns import scan_campaigns
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import Enrollment, Institution, Person, Region, TrainingClass

TRAINEES, PER_CLASS = 10_000, 25
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


async def _province(sessions, trainees: int) -> Actor:
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here = Institution(name="机构", region_id=region.id)
        there = Institution(name="别家", region_id=region.id)
        session.add_all([here, there])
        await session.flush()
        staff = Person(tg_user_id=1, first_name="staff")
        session.add(staff)
        await session.flush()
        connection = await session.connection()
        await connection.execute(
            insert(Person),
            [
                {"tg_user_id": 1_000 + n, "first_name": f"学员{n:05d}", "locale": "zh-CN"}
                for n in range(2 * trainees)
            ],
        )
        classes = -(-trainees // PER_CLASS)
        await connection.execute(
            insert(TrainingClass),
            [
                {
                    "programme": "trainee",
                    "name": f"班{n}",
                    "institution_id": here.id if n < classes else there.id,
                    "region_id": region.id,
                    "start_date": date(2026, 3, 2),
                    "status": "approved",
                }
                for n in range(2 * classes)
            ],
        )
        first_person, first_class = staff.id + 1, 1
        await connection.execute(
            insert(Enrollment),
            [
                {
                    "class_id": first_class + n // PER_CLASS
                    if n < trainees
                    else first_class + classes + (n - trainees) // PER_CLASS,
                    "person_id": first_person + n,
                    "status": "enrolled",
                    "source": "staff",
                }
                for n in range(2 * trainees)
            ],
        )
        return Actor.of(staff.id, (Grant(Role.INSTITUTION, region.id, here.id),), "zh-CN", NOW)


async def measure(runs: int = 3) -> list[str]:
    trainees = max(100, int(TRAINEES * float(os.environ.get("BENCH_SCALE", "1"))))
    with tempfile.TemporaryDirectory(prefix="bench-campaigns-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bot.db'}"
        engine = create_engine(url)
        await upgrade_database(engine)
        sessions = create_sessionmaker(engine)
        staff = await _province(sessions, trainees)
        best, made = float("inf"), 0
        for _ in range(runs):
            async with unit_of_work(sessions) as session:
                draft = await campaigns.begin(session, staff, "needs")
                await campaigns.choose(session, staff, draft.id, {"kind": "all"})
            started = time.perf_counter()
            async with unit_of_work(sessions) as session:
                done = await campaigns.confirm(session, staff, draft.id, TZ)
            best = min(best, time.perf_counter() - started)
            made = done.recipients
        assert made == trainees, f"{made} recipients of {trainees}"
        settings = Settings(_env_file=None, database_url=url)
        started = time.perf_counter()
        pushed = await scan_campaigns(sessions, NOW, settings)
        scan = time.perf_counter() - started
        assert pushed == runs * trainees, f"{pushed} pushed"
        await engine.dispose()
    print(
        f"# campaign to {trainees} recipients (of {2 * trainees} trainees): "
        f"best of {runs}; the scan pushed {pushed} (all {runs} campaigns)",
        file=sys.stderr,
    )
    return [
        f"campaign_create_s={best:.3f}",
        f"campaign_scan_s={scan:.2f}",
    ]


if __name__ == "__main__":
    for line in asyncio.run(measure()):
        print(line)
