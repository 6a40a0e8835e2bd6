"""Every scan and claim follows an index (issue 11): on a province-shaped store with statistics
(tests/province.py, small size), every statement the scheduler's scans, the outbox worker's
claim, the prune and the institution lists run is captured as executed, then explained
(EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite); a full scan of a big table fails: a
sequential scan, or a walk of a whole index (no index condition; SQLite's `SCAN ... USING
INDEX`) unless the index is partial (it holds only the few rows the query wants).

The statements are captured rather than listed, so a scan rewritten later is checked as it is.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from bot.clock import ManualClock
from bot.config import Settings
from bot.notifier import CARDS
from scheduler import create_scheduler
from scheduler.assessment import scan_assessment
from scheduler.feedback import scan_feedback
from scheduler.feedback_summary import scan_feedback_summaries
from scheduler.followup import scan_followup
from scheduler.jobs import SCANS
from scheduler.maintenance import refresh_statistics
from storage import (
    checkin,
    enrolment,
    feedback_views,
    intake,
    maintenance,
    outbox,
    people,
    presses,
    repo,
)
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import ButtonPress, SQLModel
from tests import province

BIG = 2_000
"""Rows from which a table counts as big: reading it in full is what the indexes prevent."""
DUE = province.NOW + timedelta(hours=6, minutes=45)
"""08:45 local on day 4: reminders, check-ins and morning summaries are due."""


def _captured(engine: Any) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not executemany and re.match(
            r"\s*(SELECT|UPDATE|DELETE|WITH|INSERT\b.*\bON CONFLICT)\b", statement, re.I | re.S
        ):
            statements.append((statement, parameters))

    return statements


PARTIAL = {
    index.name
    for table in SQLModel.metadata.tables.values()
    for index in table.indexes
    if index.dialect_options["sqlite"].get("where") is not None
}
"""Reading all of a partial index reads only the rows it holds (pending or sending pushes,
open check-ins), not the table."""


async def _run_everything(sessions: Any, built: province.Province) -> None:
    settings = Settings(_env_file=None)
    for now in (province.NOW, DUE):
        for scan in (
            *SCANS,
            scan_feedback,
            scan_feedback_summaries,
            scan_assessment,
            scan_followup,
        ):
            await scan(sessions, now, settings)
    async with unit_of_work(sessions) as session:
        await outbox.claim(session, worker="w", now=DUE, lease=timedelta(seconds=60), limit=32)
        await outbox.unsettled(session, now=DUE, worker="w")
        await outbox.close_copies(session, "case:1:")
        await maintenance.prune_outbox(session, DUE - timedelta(days=7), open_cards=CARDS)
        await maintenance.prune_media(session, DUE - timedelta(days=7))
        institution = built.institutions[0]
        await intake.trainees_of(session, institution)
        await intake.reviewers(session, institution)
        await enrolment.candidates(session, institution, 1)
        await feedback_views.daily_rounds_since(session, DUE - timedelta(days=3))
        await _run_pages(session, institution)


async def _run_pages(session: Any, institution: int) -> None:
    """The paged lists' queries, on a page past the first (issue 11)."""
    found = await session.exec(
        text("SELECT id, name FROM training_class WHERE institution_id = :i ORDER BY id"),
        params={"i": institution},
    )
    classes = [(class_id, name) for class_id, name in found]
    teacher = (
        await session.exec(
            text("SELECT person_id FROM class_teacher WHERE class_id = :c"),
            params={"c": classes[0][0]},
        )
    ).scalar()
    groups = await intake.trainee_groups(session, classes, [institution])
    rows = await intake.trainee_rows(session, groups, 20, 20)
    await people.names(session, [row.person_id for row in rows])
    await checkin.visible_classes(session, teacher, [institution], offset=20, limit=20)
    await checkin.visible_class_count(session, teacher, [institution])
    await enrolment.candidate_count(session, institution, classes[0][0])
    await enrolment.candidates_page(session, institution, classes[0][0], 20, 20)
    await repo.regions_page(session, 20, 20)
    await repo.region_count(session)
    await repo.institutions_page(session, 1, 20, 20)
    await repo.institution_count(session, 1)
    chat = province.CHAT_BASE + teacher
    await presses.claim_press(session, chat, 1, "f", DUE, DUE - timedelta(seconds=2))
    await presses.forget_others(session, chat, (1, "f"))
    await presses.prune_presses(session, DUE - timedelta(days=1))


async def _add_presses(engine: Any, count: int) -> None:
    """Presses claimed over the last day, a few per chat (button_press is pruned daily)."""
    async with engine.begin() as conn:
        await conn.execute(
            ButtonPress.__table__.insert(),
            [
                {
                    "chat_id": province.CHAT_BASE + n // 5,
                    "message_id": n,
                    "fingerprint": f"p{n}",
                    "pressed_at": DUE - timedelta(seconds=30 * n),
                }
                for n in range(count)
            ],
        )
        await conn.exec_driver_sql("ANALYZE button_press")


async def _sizes(engine: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            name: (await conn.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one()
            for name in SQLModel.metadata.tables
        }


async def _full_scans_sqlite(
    conn: Any, statement: str, parameters: Any, big: set[str]
) -> list[str]:
    plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    found = []
    for row in plan:
        match = re.match(r"SCAN (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?", row[-1])
        if match and match.group(1) in big and match.group(2) not in PARTIAL:
            found.append(row[-1])
    return found


def _nodes(node: dict[str, Any]) -> Any:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


async def _full_scans_postgres(
    conn: Any, statement: str, parameters: Any, big: set[str]
) -> list[str]:
    plan = (await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)).scalar()
    found = []
    for node in _nodes(plan[0]["Plan"]):
        relation = node.get("Relation Name")
        kind = node["Node Type"]
        whole = kind == "Seq Scan" or (
            kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node
        )
        if relation in big and whole and node.get("Index Name") not in PARTIAL:
            found.append(f"{kind} on {relation} ({node.get('Filter', '')})")
    return found


async def test_no_scan_or_claim_reads_a_big_table_in_full(database_url):
    engine = create_engine(database_url)
    try:
        built = await province.build(engine, province.SMALL)
        await province.add_pending(engine, built, 500)
        await _add_presses(engine, 2_500)
        sizes = await _sizes(engine)
        big = {name for name, rows in sizes.items() if rows >= BIG}
        assert {"outbox", "class_session", "attendance_mark", "person", "button_press"} <= big
        statements = _captured(engine)
        await _run_everything(create_sessionmaker(engine), built)
        explain = (
            _full_scans_postgres if engine.dialect.name == "postgresql" else _full_scans_sqlite
        )
        failures = {}
        async with engine.connect() as conn:
            unique = {(s, repr(p)): (s, p) for s, p in statements}.values()
            for statement, parameters in unique:
                scans = await explain(conn, statement, parameters, big)
                if scans:
                    failures[" ".join(statement.split())[:300]] = scans
        assert len(statements) > 30, "the scans ran their queries"
        assert not failures, "\n".join(f"{k}\n  -> {v}" for k, v in failures.items())
    finally:
        await engine.dispose()


async def test_statistics_are_gathered_after_migrating_and_by_the_periodic_job(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        await upgrade_database(engine)
        assert await _analysed(engine), "ANALYZE ran after the migrations"
        await province.build(engine, province.Shape(running=2, per_class=2, past=2))
        await refresh_statistics(
            create_sessionmaker(engine), province.NOW, Settings(_env_file=None)
        )
        assert await _analysed(engine, "attendance_mark")
        jobs = {
            job.id
            for job in create_scheduler(
                Settings(_env_file=None), create_sessionmaker(engine), ManualClock(province.NOW)
            ).get_jobs()
        }
        assert {"prune_outbox", "refresh_statistics"} <= jobs
    finally:
        await engine.dispose()


async def _analysed(engine: Any, table: str = "outbox") -> bool:
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = (
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                f"WHERE relname = '{table}'"
            )
            return bool((await conn.exec_driver_sql(query)).scalar())
        query = f"SELECT count(*) FROM sqlite_stat1 WHERE tbl = '{table}'"
        if table == "outbox":  # SQLite records nothing for an empty table, only the stat table
            query = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        return (await conn.exec_driver_sql(query)).scalar() > 0
