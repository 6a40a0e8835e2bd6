"""The async engine and units of work. SQLite gets WAL, foreign keys and BEGIN IMMEDIATE."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite

current_session: ContextVar[AsyncSession] = ContextVar("current_session")
READ_ONLY = "read_only"
"""The connection option `reading` sets: on SQLite, a deferred BEGIN that takes no write lock."""


def dumps(value: Any) -> str:
    """How JSON columns are written: Chinese as itself (3 bytes a character in UTF-8), not as
    `\\uXXXX` escapes (6 bytes), which SQLite would keep as such (PostgreSQL's JSONB decodes
    them either way)."""
    return json.dumps(value, ensure_ascii=False)


def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Check a pooled PostgreSQL connection as it is taken, in one round trip: a connection
    the server dropped (a restart) is replaced before anyone's work uses it. SQLAlchemy's
    `pool_pre_ping` on asyncpg wraps its ping in BEGIN and ROLLBACK (for pgbouncer's
    transaction mode, which this product does not use): three round trips for every unit of
    work, a third of an idle scan's."""
    try:
        dbapi_connection.run_async(lambda connection: connection.fetchrow(";"))
    except Exception as error:
        raise DisconnectionError("the pooled connection is gone") from error


def create_engine(url: str) -> AsyncEngine:
    """Build the engine; for SQLite, every transaction takes the write lock up front.

    BEGIN IMMEDIATE makes concurrent writers wait on the busy timeout instead of failing
    when a read transaction later tries to write. Connections come from `storage.sqlite`
    (one thread hop per statement).
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql+asyncpg":
        engine = create_async_engine(url, json_serializer=dumps)
        event.listen(engine.sync_engine, "checkout", _ping)
        return engine
    if not parsed.drivername.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True, json_serializer=dumps)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)

    turns = asyncio.Lock()

    async def connect() -> sqlite.Connection:
        args, options = engine.dialect.create_connect_args(engine.url)
        return await sqlite.connect(*args, **options, timeout=30, turns=turns)

    engine = create_async_engine(url, async_creator=connect, json_serializer=dumps)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        driver = conn.connection.driver_connection
        if conn.get_execution_options().get(READ_ONLY):
            driver.begin_with_next("BEGIN", take_turn=False)
        else:
            driver.begin_with_next("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back entirely when it raises."""
    async with sessions() as session, session.begin():
        token = current_session.set(session)
        try:
            yield session
        finally:
            current_session.reset(token)


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Reads for a scan, without the write lock. On SQLite a deferred transaction (one snapshot,
    rolled back at the end) that takes neither the write lock nor a writer's turn, so a scan
    reading a province's timetables before it writes in batches does not hold back people's
    updates meanwhile (WAL readers and the writer do not block each other). On PostgreSQL no
    transaction at all (autocommit): each statement reads what is committed as it runs, as it
    would in a READ COMMITTED transaction, without the BEGIN and ROLLBACK round trips every
    idle pass paid. Only for reading: on SQLite a write would jump the writers' queue, on
    PostgreSQL it would commit at once."""
    async with sessions() as session:
        options = (
            {"isolation_level": "AUTOCOMMIT"}
            if session.bind.dialect.name == "postgresql"
            else {READ_ONLY: True}
        )
        await session.connection(execution_options=options)
        yield session  # closing the session ends what it began; what was read stays loaded
