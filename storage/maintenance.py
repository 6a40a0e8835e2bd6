"""Housekeeping queries run by the scheduler: forgetting old update ids, pruning the outbox
and the pictures no row sends any more, and keeping the planners' statistics fresh."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MediaBlob, OutboxMessage, ProcessedUpdate
from storage.outbox import FINISHED, SENT, status_is

PRUNE_BATCH = 1_000
"""Rows deleted per transaction: a prune never holds SQLite's write lock for long."""


async def prune_processed_updates(session: AsyncSession, before: datetime) -> int:
    """Forget update ids older than Telegram's redelivery window; returns how many."""
    result = await session.exec(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
    )
    return result.rowcount


def _prefixed(column: object, prefixes: Sequence[str]) -> object:
    """`column` starts with one of `prefixes` (plain ASCII key prefixes such as "case:")."""
    return or_(*(column.startswith(prefix, autoescape=True) for prefix in prefixes))


async def prune_outbox(
    session: AsyncSession,
    before: datetime,
    *,
    open_cards: Sequence[str] = (),
    limit: int = PRUNE_BATCH,
) -> int:
    """Delete up to `limit` finished outbox rows (sent, blocked, failed, expired) created
    before `before` and no longer able to be sent (`expires_at` past `before` too, so a scan
    that dedupes by key never finds a push forgotten while it could still make it again);
    returns how many. Oldest first, so a card's closing edit never goes before the copy it
    closed.

    A sent copy of a card (`open_cards`: key prefixes such as "case:") is kept until its
    closing edit (`<key>:closed`) is queued: until then its item may still be decided, and
    `close_copies` needs its chat and message id to edit it.
    """
    t = OutboxMessage.__table__.c
    closed = OutboxMessage.__table__.alias("closed")
    conditions = [
        t.status.in_([literal_column(f"'{status}'") for status in FINISHED]),
        t.created_at < before,
        or_(t.expires_at.is_(None), t.expires_at < before),
    ]
    if open_cards:
        card_copy = and_(
            status_is(SENT),
            t.method == "sendMessage",
            t.message_id.is_not(None),
            _prefixed(t.key, open_cards),
            ~exists().where(closed.c.key == t.key.concat(":closed")),
        )
        conditions.append(~card_copy)
    oldest = select(t.id).where(*conditions).order_by(t.created_at, t.id).limit(limit)
    result = await session.exec(
        delete(OutboxMessage.__table__).where(t.id.in_(oldest.scalar_subquery()))
    )
    return result.rowcount


async def prune_media(session: AsyncSession, *, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` stored pictures no outbox row references; returns how many."""
    blob = MediaBlob.__table__.c
    t = OutboxMessage.__table__.c
    unused = (
        select(blob.sha256)
        .where(~exists().where(t.media_sha256 == blob.sha256, t.media_sha256.is_not(None)))
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
