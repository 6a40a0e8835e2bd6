"""aiogram FSM storage kept in the store, inside the current update's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlmodel import select

from storage.db import current_session
from storage.models import FsmRecord
from storage.types import utcnow


def _key(key: StorageKey) -> str:
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


class SqlStorage(BaseStorage):
    """State survives restarts and is shared by every bot process using the same database.

    It writes through the session of the update being handled, so a failed handler rolls
    its state change back together with everything else it wrote.
    """

    async def _record(self, key: StorageKey) -> FsmRecord | None:
        session = current_session.get()
        result = await session.exec(select(FsmRecord).where(FsmRecord.key == _key(key)))
        return result.first()

    async def _upsert(self, key: StorageKey) -> FsmRecord:
        record = await self._record(key)
        if record is None:
            record = FsmRecord(key=_key(key))
            current_session.get().add(record)
        record.updated_at = utcnow()
        return record

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        record = await self._upsert(key)
        record.state = state.state if isinstance(state, State) else state

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._record(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        record = await self._upsert(key)
        record.data = dict(data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._record(key)
        return dict(record.data) if record else {}

    async def close(self) -> None:
        return None
