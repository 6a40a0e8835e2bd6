"""Fixtures: real databases (SQLite and PostgreSQL), and the whole product on a free port."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.app import Product
from bot.clock import Clock
from bot.config import Settings
from storage.db import create_engine, create_sessionmaker, unit_of_work

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With FAIL_ON_SKIP set (CI), a skipped test fails the run: nothing may silently not run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("FAIL_ON_SKIP") and skipped and exitstatus == 0:
        reporter.write_line(f"FAIL_ON_SKIP: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = 1


async def _postgres_database() -> tuple[str, str]:
    url = make_url(POSTGRES_URL)
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    ), name


async def _drop_postgres_database(name: str) -> None:
    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind; PostgreSQL only when TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL variant not run")
    url, name = await _postgres_database()
    yield url
    await _drop_postgres_database(name)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Any]:
    """A session factory on a migrated fresh database (for store-level tests)."""
    from storage.migrate import upgrade_database

    engine = create_engine(database_url)
    await upgrade_database(engine)
    yield create_sessionmaker(engine)
    await engine.dispose()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "webchat_database_url": f"sqlite+aiosqlite:///{tmp_path / 'webchat.db'}",
        "webchat_files_dir": tmp_path / "files",
        "web_port": 0,
        "demo_data": True,
        **overrides,
    }
    return Settings(_env_file=None, **values)


class Running:
    """Starts and stops a Product; `restart()` keeps the databases, like a process restart."""

    def __init__(self, settings: Settings, prepare: Any = None, clock: Clock | None = None):
        self.settings = settings
        self.prepare = prepare
        self.clock = clock
        self.product: Product | None = None

    async def start(self) -> Product:
        self.product = Product(self.settings, clock=self.clock)
        if self.prepare is not None:
            self.prepare(self.product)
        await self.product.start()
        if self.settings.web_port == 0:
            self.settings = self.settings.model_copy(update={"web_port": self.product.port})
        return self.product

    async def stop(self) -> None:
        if self.product is not None:
            await self.product.stop()
            self.product = None

    async def restart(self) -> Product:
        await self.stop()
        return await self.start()

    @property
    def base_url(self) -> str:
        return self.product.base_url

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Any]:
        """A unit of work on the product's store, once no update is being handled (a reply
        follows its own update's commit, but an update may still be in flight after it)."""
        await asyncio.sleep(0.05)
        await self.product.dp["in_flight"].drained()
        async with unit_of_work(self.product.sessions) as session:
            yield session


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


async def _factory(tmp_path: Path, database_url: str) -> AsyncIterator[Any]:
    started: list[Running] = []

    async def factory(prepare: Any = None, clock: Clock | None = None, **overrides: Any) -> Running:
        running = Running(make_settings(tmp_path, database_url, **overrides), prepare, clock)
        await running.start()
        started.append(running)
        return running

    yield factory
    for running in started:
        await running.stop()


@pytest.fixture
async def app_factory(tmp_path: Path, database_url: str) -> AsyncIterator[Any]:
    """Builds running products on each kind of database; all stopped at the end."""
    async for factory in _factory(tmp_path, database_url):
        yield factory


@pytest.fixture
async def live_app(tmp_path: Path) -> AsyncIterator[Running]:
    """The product as `make run` starts it: the web chat on SQLite, with demo data."""
    async for factory in _factory(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"):
        yield await factory()
