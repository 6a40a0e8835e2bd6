"""`make bench`: the web console's paged lists on a province (issue 15, target < 300 ms).

The store is tests/province.py's province (built by direct inserts: 1,000 running and 3,000
past classes, 100,000 trainees each with a registration), on SQLite and, when
`TEST_POSTGRES_URL` (or `BENCH_POSTGRES_URL`) is set, PostgreSQL. An administrator (who sees
everything) and a supervisor of the province's region sign in through the console's own use
cases; then each list page is fetched over HTTP from the console's routes as a browser would
(the query, the page's names and numbers, the template): the classes list (no filter, a stage
filter, a date range) and the trainees list (all, a name search, the last 4 digits of an ID
number), each at the first, a middle and the last page. `console_list_p95_ms` is the 95th
percentile of all those requests (after one warm-up round); `_pg` for PostgreSQL.
`BENCH_SCALE` (e.g. 0.1) shrinks the province for a quick run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.clock import ManualClock
from bot.config import Settings
from bot.console.routes import COOKIE, Console, class_filter
from bot.domain.roles import Grant, Role
from bot.services import console
from bot.services.actor import Actor
from storage import repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import Person
from tests import province
from tests.bench_store import _shape

ROUNDS = 3
LISTS = {
    "classes": ("/console/classes", [{}, {"phase": "in_progress"}, {"from": "2025-01-01"}]),
    "trainees": ("/console/trainees", [{}]),
    "search": ("/console/trainees", [{"q": "小明"}, {"q": "4514"}]),
}
"""The lists (`console_list_p95_ms`), and the trainee searches (`console_search_p95_ms`): by
name (every trainee of the province is 王小明: the longest result) and by the last digits of a
number (the province keeps its registrations' short answers as choices, so none is found: the
whole scan, as for a rare suffix)."""


async def _signed_in(sessions, now, grant: Grant, serial: int) -> tuple[str, Actor]:
    async with unit_of_work(sessions) as session:
        person = Person(tg_user_id=900_000_000 + serial, first_name=f"bench{serial}")
        session.add(person)
        await session.flush()
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
        actor = Actor.of(person.id, (grant,), "zh-CN", now)
        link = await console.request_link(session, actor)
        _, secret = await console.sign_in(session, link, now)
    return secret, actor


async def _pages(sessions, actor: Actor, route: str, query: dict) -> list[dict]:
    """The first, a middle and the last page of one list."""
    async with unit_of_work(sessions) as session:
        if route.endswith("/classes"):
            shown = await console.classes(session, actor, class_filter(query), 0)
        else:
            shown = await console.trainees(session, actor, query.get("q"), 0)
    return [{**query, "page": str(p)} for p in sorted({0, shown.pages // 2, shown.pages - 1})]


def _p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20, method="inclusive")[18] * 1000


async def measure_store(url: str, suffix: str) -> list[str]:
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        built = await province.build(engine, _shape())
        sessions = create_sessionmaker(engine)
        clock = ManualClock(province.NOW)
        people = [
            await _signed_in(sessions, province.NOW, Grant(Role.ADMIN), 1),
            await _signed_in(sessions, province.NOW, Grant(Role.SUPERVISOR, 1), 2),
        ]
        app = web.Application()
        settings = Settings(_env_file=None, database_url=url)
        app.add_routes(Console(settings, sessions, clock).routes())
        server = TestServer(app)
        await server.start_server()
        base = str(server.make_url(""))
        timings: dict[str, list[float]] = {name: [] for name in LISTS}
        try:
            for secret, actor in people:
                headers = {"Cookie": f"{COOKIE}={secret}"}
                async with aiohttp.ClientSession(headers=headers) as client:
                    for name, (route, queries) in LISTS.items():
                        for query in queries:
                            for page in await _pages(sessions, actor, route, query):
                                for round_ in range(ROUNDS + 1):
                                    started = time.perf_counter()
                                    async with client.get(base + route, params=page) as answer:
                                        await answer.read()
                                        assert answer.status == 200
                                    if round_:  # the first is the warm-up
                                        timings[name].append(time.perf_counter() - started)
        finally:
            await server.close()
        lists = timings["classes"] + timings["trainees"]
        for name, values in timings.items():
            print(
                f"# {engine.dialect.name}: {name} list, {built.trainees} trainees: median "
                f"{statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms",
                file=sys.stderr,
            )
        return [
            f"console_list_p95_ms{suffix}={_p95(lists):.1f}",
            f"console_search_p95_ms{suffix}={_p95(timings['search']):.1f}",
        ]
    finally:
        await engine.dispose()


async def measure() -> list[str]:
    """This benchmark's result lines for stdout, on SQLite and PostgreSQL."""
    return await province.on_both_stores(measure_store, "bench-console")


if __name__ == "__main__":
    print("\n".join(asyncio.run(measure())))
