"""PostgreSQL connections are checked as they are taken from the pool (`storage.db._ping`): a
server that dropped a connection (a restart, an administrator) costs nobody their update."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage import repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from tests import conftest


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    if not conftest.POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL variant not run")
    url, name = await conftest._postgres_database(await conftest._template("postgres"))
    yield url
    await conftest._drop_postgres_database(name)


async def _backend(sessions) -> int:
    async with unit_of_work(sessions) as session:
        return (await session.exec(select(func.pg_backend_pid()))).one()


async def test_work_after_the_server_dropped_the_pooled_connection_is_done_and_stored(
    postgres_url,
):
    engine = create_engine(postgres_url)
    sessions = create_sessionmaker(engine)
    try:
        dropped = await _backend(sessions)
        admin = await conftest._postgres_admin()
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", dropped)
        await admin.close()
        async with unit_of_work(sessions) as session:
            await repo.add_region(session, "宁波市")
        assert await _backend(sessions) != dropped
        async with unit_of_work(sessions) as session:
            assert [region.name for region in await repo.regions(session)] == ["宁波市"]
    finally:
        await engine.dispose()
