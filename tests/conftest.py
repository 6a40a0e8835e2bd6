"""Fixtures: real databases (SQLite and PostgreSQL), and the whole product on a free port.

Migrating from empty costs 0.1-0.5 s a database, so it happens once per run: the first test
that needs a database of a kind migrates a template, and every test gets a copy of it (a file
copy for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL). `empty_database_url` is for the
tests that migrate from empty themselves (tests/storage/test_migrations.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
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
from storage.migrate import upgrade_database
from tests import chat

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


_templates: dict[str, str] = {}
"""Per backend, the migrated template of this run: a file path (sqlite) or a database name."""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With FAIL_ON_SKIP set (CI), a skipped test fails the run: nothing may silently not run.
    The run's template databases are removed here."""
    if "sqlite" in _templates:
        shutil.rmtree(Path(_templates.pop("sqlite")).parent, ignore_errors=True)
    if "postgres" in _templates:
        asyncio.run(_drop_postgres_database(_templates.pop("postgres")))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("FAIL_ON_SKIP") and skipped and exitstatus == 0:
        reporter.write_line(f"FAIL_ON_SKIP: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = 1


async def _postgres_admin() -> asyncpg.Connection:
    url = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )


def _postgres_url(name: str) -> str:
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def _postgres_database(template: str | None = None) -> tuple[str, str]:
    """A new database, empty or a copy of `template` (which must have no connections)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await _postgres_admin()
    copy = f' TEMPLATE "{template}"' if template else ""
    await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    await conn.close()
    return _postgres_url(name), name


async def _drop_postgres_database(name: str) -> None:
    conn = await _postgres_admin()
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade_database(engine)
    await engine.dispose()  # a PostgreSQL template must have no connections left


async def _template(backend: str) -> str:
    """The migrated template of `backend`, made on first use in this run."""
    if backend not in _templates:
        if backend == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="bot-template-")) / "bot.db"
            await _migrate(f"sqlite+aiosqlite:///{path}")
            _templates[backend] = str(path)
        else:
            url, name = await _postgres_database()
            await _migrate(url)
            _templates[backend] = name
    return _templates[backend]


def _copy_sqlite(template: Path, path: Path) -> None:
    """A file copy (a few ms); the WAL is folded in when the template's engine closes, and is
    copied too should one be left."""
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")


async def _fresh_database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated: bool
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "bot.db"
        if migrated:
            _copy_sqlite(Path(await _template("sqlite")), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL variant not run")
    template = await _template("postgres") if migrated else None
    url, name = await _postgres_database(template)
    yield url
    await _drop_postgres_database(name)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database of each kind at the schema head, copied from the run's migrated
    template; PostgreSQL only when TEST_POSTGRES_URL is set."""
    async for url in _fresh_database(request, tmp_path, migrated=True):
        yield url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind, for tests of the migrations themselves."""
    async for url in _fresh_database(request, tmp_path, migrated=False):
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Any]:
    """A session factory on a fresh database at the schema head (for store-level tests)."""
    engine = create_engine(database_url)
    await upgrade_database(engine)  # a no-op at head: the product's start does the same
    yield create_sessionmaker(engine)
    await engine.dispose()


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "webchat_database_url": f"sqlite+aiosqlite:///{tmp_path / 'webchat.db'}",
        "webchat_files_dir": tmp_path / "files",
        "web_port": 0,
        "demo_data": True,
        "outbox_chat_interval": 0,  # pacing has its own tests (tests/outbox)
        "outbox_poll": 0.05,
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
        chat.serve(self.base_url, lambda: self.product)
        return self.product

    async def stop(self) -> None:
        if self.product is not None:
            chat.serve(self.base_url, None)
            await self.product.stop()
            self.product = None

    async def restart(self) -> Product:
        await self.stop()
        return await self.start()

    @property
    def base_url(self) -> str:
        return self.product.base_url

    async def idle(self, timeout: float = chat.WAIT) -> None:
        """Wait until the product is idle (`Product.idle`); fails if it does not get there."""
        await chat.until_idle(self.product, timeout)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Any]:
        """A unit of work on the product's store, once the product is idle (no update fetched
        but unhandled or in flight, nothing due in the outbox)."""
        await self.idle()
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
