"""Housekeeping queries run by the scheduler: forgetting old update ids, pruning the outbox
and the pictures no row sends any more, and keeping the planners' statistics fresh."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, exists, literal_column, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MediaBlob, OutboxMessage, ProcessedUpdate
from storage.outbox import FINISHED, FORGOTTEN, SENT

PRUNE_BATCH = 1_000
"""Rows deleted per transaction: a prune never holds SQLite's write lock for long."""


async def prune_processed_updates(session: AsyncSession, before: datetime) -> int:
    """Forget update ids older than Telegram's redelivery window; returns how many."""
    result = await session.exec(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
    )
    return result.rowcount


class Pruned(NamedTuple):
    deleted: int
    """Rows deleted or forgotten."""
    after: tuple[datetime, int] | None
    """Where the next batch goes on (the last row looked at), or None when none is left."""


async def prune_outbox(
    session: AsyncSession,
    before: datetime,
    *,
    open_cards: Sequence[str] = (),
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> Pruned:
    """Prune finished outbox rows (sent, blocked, failed, expired) created before `before`
    and no longer able to be sent (`expires_at` past `before` too, so a scan that dedupes by
    key never finds a push forgotten while it could still make it again): looks at up to
    `limit` of them, oldest first from `after`, each batch a range of one partial index.

    A row is deleted, except a keyed push with no `expires_at`: nothing says when it could
    no longer be made again (an eligibility warning, a decision's result), so its key stays
    taken for ever and only its content goes (status `forgotten`, out of the partial indexes
    the worker and the prune read). Returns how many rows were pruned either way.

    A sent copy of a card (`open_cards`: key prefixes such as "case:") is kept until its
    closing edit (`<key>:closed`) is queued: until then its item may still be decided, and
    `close_copies` needs its chat and message id to edit it. Oldest first, so a copy is always
    looked at no later than its closing edit.
    """
    limit = limit or PRUNE_BATCH
    t = OutboxMessage.__table__.c
    query = select(t.id, t.created_at, t.key, t.status, t.method, t.message_id, t.expires_at).where(
        t.status.in_([literal_column(f"'{status}'") for status in FINISHED]),
        t.created_at < before,
        or_(t.expires_at.is_(None), t.expires_at < before),
    )
    if after is not None:
        query = query.where(tuple_(t.created_at, t.id) > tuple_(*after))
    rows = (await session.exec(query.order_by(t.created_at, t.id).limit(limit))).all()
    cards = {
        row.key
        for row in rows
        if row.status == SENT
        and row.method == "sendMessage"
        and row.message_id is not None
        and row.key is not None
        and row.key.startswith(tuple(open_cards))
    }
    if cards:
        closed = await session.exec(
            select(t.key).where(t.key.in_([f"{key}:closed" for key in sorted(cards)]))
        )
        cards -= {key.removesuffix(":closed") for key in closed.scalars()}
    pruned = [row for row in rows if row.key is None or row.key not in cards]
    forgotten = [row.id for row in pruned if row.key is not None and row.expires_at is None]
    doomed = [row.id for row in pruned if row.key is None or row.expires_at is not None]
    if doomed:
        await session.exec(delete(OutboxMessage.__table__).where(t.id.in_(doomed)))
    if forgotten:
        await session.exec(
            update(OutboxMessage.__table__)
            .where(t.id.in_(forgotten))
            .values(status=FORGOTTEN, payload={}, media_sha256=None, last_error=None)
        )
    last = (rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return Pruned(len(pruned), last)


async def prune_media(session: AsyncSession, before: datetime, *, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` stored pictures no outbox row references and last queued before
    `before`; returns how many."""
    blob = MediaBlob.__table__.c
    t = OutboxMessage.__table__.c
    unused = (
        select(blob.sha256)
        .where(
            blob.created_at < before,
            ~exists().where(t.media_sha256 == blob.sha256, t.media_sha256.is_not(None)),
        )
        .limit(limit)
    )
    result = await session.exec(
        delete(MediaBlob.__table__).where(blob.sha256.in_(unused.scalar_subquery()))
    )
    return result.rowcount


ANALYSIS_LIMIT = 1_000
"""Rows SQLite samples per index when it analyses: statistics good enough to plan with, at a
cost that does not grow with the store."""


async def refresh_statistics(connection: AsyncConnection) -> None:
    """Let the query planner see the data as it is: ANALYZE on both databases; on SQLite with
    `analysis_limit`, so it samples at most `ANALYSIS_LIMIT` rows per index and costs
    milliseconds however large the store (`PRAGMA optimize` of SQLite 3.40 would analyse only
    tables the same connection has queried, which a fresh connection has not). Without
    statistics plans are guesses; with stale ones a scan over a table grown a hundredfold may
    choose a full scan."""
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql("ANALYZE")
    else:
        await connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        await connection.exec_driver_sql("ANALYZE")
