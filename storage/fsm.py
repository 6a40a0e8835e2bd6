"""aiogram FSM storage kept in the store, inside the current update's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import bindparam
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


_RECORD = select(FsmRecord).where(FsmRecord.key == bindparam("key"))
_STATE = select(FsmRecord.state).where(FsmRecord.key == bindparam("key"))


class SqlStorage(BaseStorage):
    """State survives restarts and is shared by every bot process using the same database.

    It writes through the session of the update being handled, so a failed handler rolls
    its state change back together with everything else it wrote.
    """

    async def _record(self, key: StorageKey) -> FsmRecord | None:
        result = await current_session.get().exec(_RECORD, params={"key": _key(key)})
        return result.first()

    async def _write(self, key: StorageKey, field: str, value: Any) -> None:
        """Set one field; nothing is written when it already holds the value (a missing
        record reads as no state and no data, so clearing it writes nothing either)."""
        record = await self._record(key)
        if record is None:
            if not value:
                return
            record = FsmRecord(key=_key(key))
            current_session.get().add(record)
        elif getattr(record, field) == value:
            return
        setattr(record, field, value)
        record.updated_at = utcnow()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, "state", state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        """Asked on every update (aiogram's FSM middleware), so only the column is read."""
        result = await current_session.get().exec(_STATE, params={"key": _key(key)})
        return result.first()

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, "data", dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._record(key)
        return dict(record.data) if record else {}

    async def close(self) -> None:
        return None
