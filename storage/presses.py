"""Button presses recently handled (`button_press`): claims and housekeeping."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from types import ModuleType

from sqlalchemy import Executable, bindparam, delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ButtonPress
from storage.repo import _dialect

_TABLE = ButtonPress.__table__


@cache
def _claim(dialect: ModuleType) -> Executable:
    insert = dialect.insert(_TABLE)
    return insert.on_conflict_do_update(
        index_elements=[_TABLE.c.chat_id, _TABLE.c.message_id, _TABLE.c.fingerprint],
        set_={"pressed_at": insert.excluded.pressed_at},
        where=_TABLE.c.pressed_at <= bindparam("since", type_=_TABLE.c.pressed_at.type),
    )


async def claim_press(
    session: AsyncSession,
    chat_id: int,
    message_id: int,
    fingerprint: str,
    now: datetime,
    since: datetime,
) -> bool:
    """Record the press at `now`; False when the same press was claimed after `since`
    (committed, or, on PostgreSQL, being committed by another process: the statement waits
    for it)."""
    values = {
        "chat_id": chat_id,
        "message_id": message_id,
        "fingerprint": fingerprint,
        "pressed_at": now,
        "since": since,
    }
    result = await session.exec(_claim(_dialect(session)), params=values)
    return result.rowcount == 1


async def prune_presses(session: AsyncSession, before: datetime) -> int:
    """Forget presses claimed before `before`; returns how many."""
    result = await session.exec(delete(ButtonPress).where(col(ButtonPress.pressed_at) < before))
    return result.rowcount


async def forget_others(
    session: AsyncSession, chat_id: int, keep: tuple[int, str] | None = None
) -> None:
    """Forget the chat's claimed presses (but `keep`: message id and fingerprint): whatever
    the person did since makes pressing those buttons again a new press, not a double tap."""
    query = delete(ButtonPress).where(col(ButtonPress.chat_id) == chat_id)
    if keep is not None:
        message_id, fingerprint = keep
        query = query.where(
            (col(ButtonPress.message_id) != message_id)
            | (col(ButtonPress.fingerprint) != fingerprint)
        )
    await session.exec(query)
