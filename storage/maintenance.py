"""Housekeeping queries run by the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedUpdate


async def prune_processed_updates(session: AsyncSession, before: datetime) -> int:
    """Forget update ids older than Telegram's redelivery window; returns how many."""
    result = await session.exec(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < before)
    )
    return result.rowcount
