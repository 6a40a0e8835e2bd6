"""Migrations: the same on SQLite and PostgreSQL, in step with the models, and a newer
database is refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from storage.db import create_engine
from storage.migrate import MIGRATIONS, DatabaseTooNew, upgrade_database

HEAD = max(path.name.split("_")[0] for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))


async def test_upgrade_is_idempotent_and_matches_the_models(empty_database_url):
    engine = create_engine(empty_database_url)
    assert await upgrade_database(engine) == HEAD
    assert await upgrade_database(engine) == HEAD
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    await engine.dispose()
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


async def test_a_database_newer_than_the_code_is_refused(empty_database_url):
    engine = create_engine(empty_database_url)
    await upgrade_database(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    with pytest.raises(DatabaseTooNew, match="f00dfeed.*newer version"):
        await upgrade_database(engine)
    await engine.dispose()


def test_migrate_command_and_refusal_message(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"database at revision {HEAD}" in done.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    refused = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 3
    assert "migrated by a newer version" in refused.stderr
    assert "Traceback" not in refused.stderr
