"""The update inbox: polled updates kept durably from fetch until their unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import UpdateInbox
from storage.types import utcnow

_INBOX = UpdateInbox.__table__


async def store(engine: AsyncEngine, bot_id: int, updates: Sequence[tuple[int, str]]) -> None:
    """One transaction for a whole getUpdates batch; an update already held is kept as it is
    (a batch fetched again after a crash before its offset was confirmed)."""
    if not updates:
        return
    now = utcnow()
    rows = [
        {
            "bot_id": bot_id,
            "update_id": update_id,
            "payload": payload,
            "attempts": 0,
            "received_at": now,
        }
        for update_id, payload in updates
    ]
    dialect = _dialect_of(engine)
    async with engine.begin() as conn:
        await conn.execute(dialect.insert(_INBOX).on_conflict_do_nothing(), rows)


async def take(session: AsyncSession, bot_id: int, update_id: int) -> None:
    """Removes the update from the inbox inside the unit of work that handles it."""
    await session.exec(
        delete(_INBOX).where(_INBOX.c.bot_id == bot_id, _INBOX.c.update_id == update_id)
    )


async def drop(engine: AsyncEngine, bot_id: int, update_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            delete(_INBOX).where(_INBOX.c.bot_id == bot_id, _INBOX.c.update_id == update_id)
        )


async def count_attempt(engine: AsyncEngine, bot_id: int, update_id: int | None = None) -> None:
    """One more attempt for an update, or (no update_id) for every update left from a run
    that ended before handling them: an update that kills the process is not retried forever."""
    where = [_INBOX.c.bot_id == bot_id]
    if update_id is not None:
        where.append(_INBOX.c.update_id == update_id)
    async with engine.begin() as conn:
        await conn.execute(update(_INBOX).where(*where).values(attempts=_INBOX.c.attempts + 1))


async def leftovers(engine: AsyncEngine, bot_id: int) -> list[tuple[int, str, int]]:
    """(update_id, payload, attempts) of every update still held, oldest first."""
    query = (
        select(_INBOX.c.update_id, _INBOX.c.payload, _INBOX.c.attempts)
        .where(_INBOX.c.bot_id == bot_id)
        .order_by(_INBOX.c.update_id)
    )
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(query)).all()]


def _dialect_of(engine: AsyncEngine) -> ModuleType:
    return postgresql if engine.dialect.name == "postgresql" else sqlite
