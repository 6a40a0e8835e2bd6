"""Which classes a class-day scan must look at now (`storage.models.ScanWake`).

A scan asks `due` for the classes whose wake time has come, works on them as before, then
`settle`s each with the next time its own clock makes work due there (`NEVER` when none).
Changes people make wake a class through the database's triggers, whatever code path wrote
them; the scans' own writes (requests, outbox rows) do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import bindparam, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ScanWake
from storage.types import UtcDateTime

SCANS = ("feedback", "daysum", "fbsum", "followup", "assess")
"""The scans that keep wake times: feedback pushes and reminders, the end-of-day attendance
summary, the morning feedback summary, follow-up's registration of ended classes, and the
assessment's classes moving on (open → in progress → ended).
Migration 0018's triggers wake each of these."""
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
"""The wake time of a class with nothing left on a scan's clock (a change still wakes it)."""


PER_PASS = 2_000
"""Classes a scan takes at most in one pass (the longest waiting first); the rest wait for the
next pass. A whole province's running classes fit in one."""


async def due(session: AsyncSession, scan: str, now: datetime) -> dict[int, int]:
    """The classes whose wake time for `scan` has come (at most `PER_PASS`): class id →
    `touched` as read (what `settle` compares against)."""
    query = (
        select(ScanWake.class_id, ScanWake.touched)
        .where(ScanWake.scan == scan, ScanWake.wake_at <= now)
        .order_by(ScanWake.wake_at, ScanWake.class_id)
        .limit(PER_PASS)
    )
    return {class_id: touched for class_id, touched in await session.exec(query)}


async def settle(
    session: AsyncSession,
    scan: str,
    woken: Mapping[int, int],
    next_at: Mapping[int, datetime | None],
) -> None:
    """Each woken class sleeps until its next wake time (`NEVER` if none), unless a change woke
    it again after it was read (its `touched` moved on): then it stays due."""
    if not woken:
        return
    table = ScanWake.__table__
    statement = (
        update(table)
        .where(
            table.c.scan == scan,
            table.c.class_id == bindparam("c"),
            table.c.touched == bindparam("t"),
        )
        .values(wake_at=bindparam("w", type_=UtcDateTime))
    )
    params = [
        {"c": class_id, "t": touched, "w": next_at.get(class_id) or NEVER}
        for class_id, touched in sorted(woken.items())
    ]
    await session.exec(statement, params=params)  # type: ignore[call-overload]
