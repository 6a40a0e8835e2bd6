"""The one-hop SQLite connections (storage/sqlite.py) keep SQLite's transactions as they were:
BEGIN IMMEDIATE still takes the write lock first, a failed unit of work leaves nothing and
holds no lock, and results, row counts and streams arrive whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, create_sessionmaker, reading, unit_of_work


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT name FROM item ORDER BY id"))).scalars())


async def test_rows_counts_and_returning_arrive_whole(engine):
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO item (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO item (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}])
        returned = await conn.execute(text("INSERT INTO item (name) VALUES ('d') RETURNING id"))
        assert returned.scalar_one() == 4
        changed = await conn.execute(text("UPDATE item SET name = name || '!' WHERE id > 1"))
        assert changed.rowcount == 3
        rows = (await conn.execute(text("SELECT id, name FROM item ORDER BY id"))).all()
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "b!"), (3, "c!"), (4, "d!")]
        streamed = await conn.stream(text("SELECT name FROM item ORDER BY id"))
        assert [row.name async for row in streamed] == ["a", "b!", "c!", "d!"]


async def test_a_failed_unit_of_work_leaves_nothing_and_releases_the_lock(engine):
    sessions = create_sessionmaker(engine)
    with pytest.raises(IntegrityError):
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('kept?')"))
            await session.exec(text("INSERT INTO item (name) VALUES ('kept?')"))
    async with unit_of_work(sessions) as session:
        await session.exec(text("INSERT INTO item (name) VALUES ('next')"))
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('undone')"))
            raise RuntimeError("handler failed")
    async with asyncio.timeout(5):  # a transaction left open would hold the write lock
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('last')"))
    assert await names(engine) == ["next", "last"]


async def test_a_transaction_takes_the_write_lock_at_its_first_statement(engine):
    """Even a reading first statement waits for the writer: BEGIN IMMEDIATE, not deferred."""
    sessions = create_sessionmaker(engine)
    order: list[str] = []
    holding = asyncio.Event()

    async def writer() -> None:
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('first')"))
            holding.set()
            await asyncio.sleep(0.3)
            order.append("writer commits")

    async def reader() -> None:
        await holding.wait()
        async with unit_of_work(sessions) as session:
            seen = (await session.exec(text("SELECT count(*) FROM item"))).scalar_one()
            order.append(f"reader sees {seen}")

    await asyncio.gather(writer(), reader())
    assert order == ["writer commits", "reader sees 1"]


async def test_a_waiting_update_writes_before_a_scan_takes_its_next_batch(engine):
    """Issue 11: a scan committing batch after batch does not starve an update that began
    waiting during its first batch (SQLite alone lets the scan retake the lock while the
    waiting writer sleeps between polls); the update writes right after that batch."""
    sessions = create_sessionmaker(engine)
    order: list[str] = []
    update_waits = asyncio.Event()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def sent(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "'update'" in statement:
            update_waits.set()  # next: the update's BEGIN waits for its turn

    async def update() -> None:
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('update')"))
        order.append("update")

    async def scan() -> None:
        for batch in range(6):
            async with unit_of_work(sessions) as session:
                await session.exec(text(f"INSERT INTO item (name) VALUES ('batch {batch}')"))
                if batch == 0:
                    waiting = asyncio.create_task(update())
                    await update_waits.wait()
                    # a long batch: SQLite's polling writer now sleeps up to 100 ms a poll
                    await asyncio.sleep(0.3)
            order.append(f"batch {batch}")
        await waiting

    await scan()
    assert order[:3] == ["batch 0", "update", "batch 1"]
    assert await names(engine) == ["batch 0", "update", *(f"batch {n}" for n in range(1, 6))]


async def test_a_scan_reading_holds_back_no_update(engine):
    """A scan's read (`reading`) takes neither the write lock nor a writer's turn: an update
    commits while it is open, and the reader keeps its snapshot."""
    sessions = create_sessionmaker(engine)
    async with unit_of_work(sessions) as session:
        await session.exec(text("INSERT INTO item (name) VALUES ('before')"))
    async with reading(sessions) as reader:
        assert (await reader.exec(text("SELECT count(*) FROM item"))).scalar_one() == 1
        async with asyncio.timeout(5):  # a write lock or a turn held would block for 30 s
            async with unit_of_work(sessions) as session:
                await session.exec(text("INSERT INTO item (name) VALUES ('during')"))
        assert (await reader.exec(text("SELECT count(*) FROM item"))).scalar_one() == 1
    async with asyncio.timeout(5):
        async with unit_of_work(sessions) as session:
            await session.exec(text("INSERT INTO item (name) VALUES ('after')"))
    assert await names(engine) == ["before", "during", "after"]
