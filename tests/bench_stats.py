"""`make bench`: /stats on a province (issue 15, target < 1,000 ms each).

The store is tests/province.py's, built by direct inserts (executemany on SQLite, COPY on
PostgreSQL) on the migrated schema: 4,000 classes (1,000 running, 3,000 past) of 200
institutions in 20 districts of 5 cities, 100,000 trainees with their registration, screening
case, enrolment, attendance marks, daily feedback and final evaluations, assessment stages and
(every 5th of a past class) practice results: about 1.2 million attendance marks and well over
1,000,000 form answers. On SQLite and, when `TEST_POSTGRES_URL` (or `BENCH_POSTGRES_URL`) is
set, PostgreSQL.

First the scheduler's statistics job keeps the 3,000 closed classes' tallies, as it would have
when they closed (`stats_keep_s`: counting them all at once). Then for each dimension (class,
region, institution, month, quarter), the view as the handler makes it for an admin (the whole
province, the most work): `stats.figures` over all time (the 1,000 running classes read live,
the closed ones from their kept tallies), the first page of the table (`table_view`) and the
chart; `RUNS` times after one to warm up; printed as `stats_p95_ms_<dimension>` (PostgreSQL's
with `_pg`). A city supervisor's figures go to stderr.
`BENCH_SCALE` (e.g. 0.1) shrinks the province for a quick run; the figures' names stay.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

from bot.domain.roles import Grant, Role
from bot.domain.stats import Dimension, Period
from bot.i18n import I18n
from bot.services import stats
from bot.services.actor import Actor
from bot.views.stats import chart, table_view
from scheduler.stats import keep_stats
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from tests import province
from tests.bench_store import _shape

RUNS = int(os.environ.get("BENCH_STATS_RUNS", "20"))
CITY = 2
"""The first city's region id (the province is 1)."""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def _view(sessions, actor: Actor, dimension: Dimension, i18n: I18n) -> int:
    async with unit_of_work(sessions) as session:
        table = await stats.figures(session, actor, dimension, Period.ALL)
    table_view(i18n, table, dimension, Period.ALL, 0)
    chart(i18n, table, dimension, Period.ALL)
    return len(table.rows)


async def measure_stats(url: str, suffix: str) -> list[str]:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        built = await province.build(engine, _shape())
        print(
            f"# stats {engine.dialect.name}: built {built.trainees} trainees, "
            f"{built.rows['form_answer']} form answers, {built.rows['attendance_mark']} marks "
            f"in {built.seconds:.1f} s",
            file=sys.stderr,
        )
        sessions = create_sessionmaker(engine)
        started = time.perf_counter()
        kept = await keep_stats(sessions, province.NOW, None)
        keep_s = time.perf_counter() - started
        print(f"# stats {engine.dialect.name}: kept {kept} closed classes", file=sys.stderr)
        i18n = I18n("zh-CN")
        admin = Actor.of(1, (Grant(Role.ADMIN),), "zh-CN", province.NOW)
        city = Actor.of(1, (Grant(Role.SUPERVISOR, CITY),), "zh-CN", province.NOW)
        lines = [f"stats_keep_s{suffix}={keep_s:.1f}"]
        for dimension in Dimension:
            for actor, name in ((admin, "admin"), (city, "city")):
                rows = await _view(sessions, actor, dimension, i18n)
                timings = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    await _view(sessions, actor, dimension, i18n)
                    timings.append((time.perf_counter() - started) * 1000)
                figure = f"stats_p95_ms_{dimension.value}{suffix}={p95(timings):.0f}"
                if name == "admin":
                    lines.append(figure)
                median = statistics.median(timings)
                print(
                    f"# stats {name} ({rows} rows): {figure}, median {median:.0f}", file=sys.stderr
                )
        return lines
    finally:
        await engine.dispose()


async def measure() -> list[str]:
    """This benchmark's result lines for stdout, on SQLite and PostgreSQL."""
    return await province.on_both_stores(measure_stats, "bench-stats")


if __name__ == "__main__":
    print("\n".join(asyncio.run(measure())))
