"""The outbox (S-52): every push is a row here before anything is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage
from storage.repo import insert_ignore
from storage.types import utcnow


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    person_id: int | None = None,
    key: str | None = None,
    reply_markup: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a message in the caller's unit of work; False when `key` was queued before.

    `reply_markup` is the Bot API JSON of the keyboard (`markup.model_dump(exclude_none=True)`).
    A message still unsent at `expires_at` is dropped instead of sent late.
    """
    payload: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    return await insert_ignore(
        session,
        OutboxMessage,
        key=key,
        chat_id=chat_id,
        person_id=person_id,
        method="sendMessage",
        payload=payload,
        status="pending",
        not_before=not_before or utcnow(),
        expires_at=expires_at,
        attempts=0,
        created_at=utcnow(),
    )
