"""`make bench`: /trainees for an institution with 5,000 trainees (issue 11, target < 100 ms):
the store built by direct inserts (5,000 people and their cycles, plus 5,000 of another
institution), then the page read and drawn as the handler does (`screening.trainees_page` +
`trainees_view`), the first, a middle and the last page, median of 5 each; prints the slowest
median as `trainees_page_ms`."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import screening
from bot.services.actor import Actor
from bot.views.intake import trainees_view
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import Institution, Person, Region, TraineeCycle

TRAINEES = 5_000
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


async def measure(runs: int = 5) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-trainees-") as directory:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bot.db'}")
        await upgrade_database(engine)
        sessions = create_sessionmaker(engine)
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
            people = [
                {"tg_user_id": 1_000 + n, "first_name": f"学员{n:05d}", "locale": "zh-CN"}
                for n in range(2 * TRAINEES)
            ]
            await connection.execute(insert(Person), people)
            first = staff.id + 1
            cycles = [
                {
                    "person_id": first + n,
                    "programme": "trainee",
                    "institution_id": here.id if n < TRAINEES else there.id,
                    "state": "registered",
                    "step": "registration",
                    "updated_at": NOW,
                }
                for n in range(2 * TRAINEES)
            ]
            await connection.execute(insert(TraineeCycle), cycles)
            actor = Actor.of(staff.id, (Grant(Role.INSTITUTION, region.id, here.id),), "zh-CN", NOW)
        i18n = I18n("zh-CN")
        slowest = 0.0
        for page in (0, TRAINEES // 40, TRAINEES // 20):
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                async with unit_of_work(sessions) as session:
                    found = await screening.trainees_page(session, actor, page)
                    trainees_view(i18n, found.lines, found.page, found.pages, found.count)
                timings.append(time.perf_counter() - started)
            assert found.count == TRAINEES and len(found.lines) == 20
            slowest = max(slowest, statistics.median(timings))
        await engine.dispose()
    return [f"trainees_page_ms={slowest * 1000:.1f}"]


if __name__ == "__main__":
    for line in asyncio.run(measure()):
        print(line)
