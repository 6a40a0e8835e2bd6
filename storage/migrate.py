"""Apply Alembic migrations from code, and refuse a database newer than this code."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.maintenance import refresh_statistics

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer version of the product."""


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def _script() -> ScriptDirectory:
    """The migration scripts, read once per process: they do not change while it runs."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _upgrade(connection: Connection, config: Config) -> str | None:
    script = _script()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current == script.get_current_head():
        return current  # at head: skip loading the Alembic environment (every start, every test)
    if current is not None and not _known(script, current):
        raise DatabaseTooNew(
            f"The database is at schema revision {current}, which this version of the code does "
            "not know: it was migrated by a newer version. Run that version, or point "
            "DATABASE_URL at another database."
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision()


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


async def upgrade_database(engine: AsyncEngine) -> str | None:
    """Bring the schema to this code's head revision; returns the revision now in force."""
    config = _config(engine.url.render_as_string(hide_password=False))
    async with engine.connect() as connection:
        before = await connection.run_sync(_current)
        revision = await connection.run_sync(_upgrade, config)
        await connection.commit()
        if revision != before:  # new tables and indexes: let the planner see them at once
            await refresh_statistics(connection)
            await connection.commit()
    return revision


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
