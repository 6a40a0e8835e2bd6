"""Durable state of the web chat: users, the update queue, messages, events, files, commands."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.personal_data import WITHDRAWN, scrub
from storage.types import UtcDateTime, utcnow

metadata = MetaData()

users = Table(
    "webchat_user",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("first_name", String(64), nullable=False),
    Column("last_name", String(64)),
    Column("username", String(32)),
    Column("language_code", String(16)),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False, default=utcnow),
)
updates = Table(
    "webchat_update",
    metadata,
    Column("update_id", Integer, primary_key=True, autoincrement=True),
    Column("payload", JSON, nullable=False),
    sqlite_autoincrement=True,  # ids must keep growing after confirmed updates are deleted
)
messages = Table(
    "webchat_message",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", Integer, primary_key=True, autoincrement=False),
    Column("payload", JSON, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
)
events = Table(
    "webchat_event",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False, index=True),
    Column("type", String(10), nullable=False),
    Column("message", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, default=utcnow),
    sqlite_autoincrement=True,
)
files = Table(
    "webchat_file",
    metadata,
    Column("file_id", String(64), primary_key=True),
    Column("file_unique_id", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("mime_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
)
commands = Table(
    "webchat_commands",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("language_code", String(8), primary_key=True),
    Column("commands", JSON, nullable=False),
)

FIRST_USER_ID = 10_000_001


def _file_ids(payload: Any) -> list[str]:
    """The unique ids of the files a message carries (a photo's sizes, a document)."""
    if isinstance(payload, dict):
        found = (
            [payload["file_unique_id"]] if isinstance(payload.get("file_unique_id"), str) else []
        )
        return found + [item for value in payload.values() for item in _file_ids(value)]
    if isinstance(payload, list):
        return [item for value in payload for item in _file_ids(value)]
    return []


def _sender(payload: dict[str, Any]) -> int | None:
    for kind in ("message", "callback_query", "edited_message"):
        if isinstance(payload.get(kind), dict):
            return (payload[kind].get("from") or {}).get("id")
    return None


ID_MAX = 2**31 - 1  # message ids and sequence numbers are Integer columns
WAIT_MAX = 60.0  # the longest any long poll waits (getUpdates allows 50 s)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Signal:
    """A version counter to long-poll on: waiters wake when it moves past what they saw."""

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._condition = asyncio.Condition()

    async def bump(self) -> None:
        async with self._condition:
            self.version += 1
            self._condition.notify_all()

    async def close(self) -> None:
        """Release every waiter now and from now on (the server is shutting down)."""
        self.closed = True
        await self.bump()

    async def wait_past(self, seen: int, timeout: float) -> None:
        if not 0 < timeout <= WAIT_MAX or self.closed:  # NaN too: never reaches wait_for
            return
        async with self._condition:
            try:
                await asyncio.wait_for(
                    self._condition.wait_for(lambda: self.version != seen), timeout
                )
            except TimeoutError:
                pass


class WebchatStore:
    """All reads and writes of the web chat. One process owns it; ids are allocated here."""

    def __init__(self, engine: AsyncEngine, files_dir: Path) -> None:
        self.engine = engine
        self.files_dir = files_dir
        self.updates_signal = Signal()
        self.events_signal = Signal()
        self._ids = asyncio.Lock()

    async def close_waiters(self, _app: object = None) -> None:
        await self.updates_signal.close()
        await self.events_signal.close()

    async def create_schema(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def create_user(self, profile: dict[str, Any]) -> tuple[int, str]:
        token = secrets.token_urlsafe(24)
        async with self._ids, self.engine.begin() as conn:
            highest = (await conn.execute(select(func.max(users.c.id)))).scalar()
            user_id = (highest or FIRST_USER_ID - 1) + 1
            await conn.execute(
                insert(users).values(id=user_id, token_hash=hash_token(token), **profile)
            )
        return user_id, token

    async def user_by_token(self, token: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(users).where(users.c.token_hash == hash_token(token)))
            ).first()
        return dict(row._mapping) if row else None

    async def user(self, user_id: int) -> dict[str, Any] | None:
        if not -(2**63) <= user_id < 2**63:  # a BigInteger column
            return None
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        return dict(row._mapping) if row else None

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(blocked=blocked))

    async def enqueue_update(self, payload: dict[str, Any]) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(updates).values(payload=payload))
            update_id = result.inserted_primary_key[0]
            payload = {"update_id": update_id, **payload}
            await conn.execute(
                update(updates).where(updates.c.update_id == update_id).values(payload=payload)
            )
        await self.updates_signal.bump()
        return update_id

    async def pending_updates(self, offset: int, limit: int, timeout: float) -> list[dict]:
        """getUpdates: forget confirmed updates, then wait up to `timeout` for new ones."""
        offset = min(max(offset, 0), ID_MAX)
        timeout = min(max(timeout, 0.0), WAIT_MAX) if math.isfinite(timeout) else 0.0
        if offset > 0:
            async with self.engine.begin() as conn:
                await conn.execute(delete(updates).where(updates.c.update_id < offset))
        deadline = time.monotonic() + timeout
        while True:
            seen = self.updates_signal.version
            async with self.engine.connect() as conn:
                rows = (
                    (
                        await conn.execute(
                            select(updates.c.payload)
                            .where(updates.c.update_id >= offset)
                            .order_by(updates.c.update_id)
                            .limit(limit)
                        )
                    )
                    .scalars()
                    .all()
                )
            remaining = deadline - time.monotonic()
            if rows or remaining <= 0 or self.updates_signal.closed:
                return list(rows)
            await self.updates_signal.wait_past(seen, remaining)

    async def drop_updates(self) -> None:
        """deleteWebhook/setWebhook with drop_pending_updates: ids still keep growing."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(updates))

    async def pending_update_count(self) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(updates))).scalar_one()

    async def add_message(self, chat_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        """Store a new message of the chat under the next message_id and publish it."""
        async with self._ids, self.engine.begin() as conn:
            highest = (
                await conn.execute(
                    select(func.max(messages.c.message_id)).where(messages.c.chat_id == chat_id)
                )
            ).scalar()
            payload = {"message_id": (highest or 0) + 1, **payload}
            await conn.execute(
                insert(messages).values(
                    chat_id=chat_id, message_id=payload["message_id"], payload=payload
                )
            )
            await conn.execute(
                insert(events).values(chat_id=chat_id, type="message", message=payload)
            )
        await self.events_signal.bump()
        return payload

    async def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        if not 1 <= message_id <= ID_MAX:
            return None
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(messages.c.payload).where(
                        messages.c.chat_id == chat_id,
                        messages.c.message_id == message_id,
                        messages.c.deleted.is_(False),
                    )
                )
            ).first()
        return row[0] if row else None

    async def replace_message(self, chat_id: int, payload: dict[str, Any]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(messages)
                .where(
                    messages.c.chat_id == chat_id,
                    messages.c.message_id == payload["message_id"],
                )
                .values(payload=payload)
            )
            await conn.execute(insert(events).values(chat_id=chat_id, type="edit", message=payload))
        await self.events_signal.bump()

    async def delete_message(self, chat_id: int, message_id: int) -> bool:
        """Delete a message and erase its content everywhere in this store (S-53): the
        message row keeps only its id, chat and date, and the events that carried its text,
        caption, file or keyboard are removed; what is left is one `delete` event."""
        if not 1 <= message_id <= ID_MAX:
            return False
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(messages.c.payload).where(
                        messages.c.chat_id == chat_id,
                        messages.c.message_id == message_id,
                        messages.c.deleted.is_(False),
                    )
                )
            ).first()
            if row is None:
                return False
            erased = {key: row[0][key] for key in ("message_id", "date", "chat") if key in row[0]}
            result = await conn.execute(
                update(messages)
                .where(
                    messages.c.chat_id == chat_id,
                    messages.c.message_id == message_id,
                    messages.c.deleted.is_(False),  # a second delete at the same time finds none
                )
                .values(deleted=True, payload=erased)
            )
            if result.rowcount != 1:
                return False
            carried = (
                await conn.execute(
                    select(events.c.seq, events.c.message).where(
                        events.c.chat_id == chat_id, events.c.type.in_(("message", "edit"))
                    )
                )
            ).all()
            seqs = [seq for seq, message in carried if message.get("message_id") == message_id]
            if seqs:
                await conn.execute(delete(events).where(events.c.seq.in_(seqs)))
            await conn.execute(
                insert(events).values(
                    chat_id=chat_id, type="delete", message={"message_id": message_id}
                )
            )
        await self.events_signal.bump()
        return True

    async def events_after(self, chat_id: int, after: int, timeout: float) -> Sequence[dict]:
        after = min(max(after, 0), ID_MAX)
        timeout = min(max(timeout, 0.0), WAIT_MAX) if math.isfinite(timeout) else 0.0
        deadline = time.monotonic() + timeout
        while True:
            seen = self.events_signal.version
            async with self.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(events.c.seq, events.c.type, events.c.message)
                        .where(events.c.chat_id == chat_id, events.c.seq > after)
                        .order_by(events.c.seq)
                        .limit(500)
                    )
                ).all()
            remaining = deadline - time.monotonic()
            if rows or remaining <= 0 or self.events_signal.closed:
                return [dict(row._mapping) for row in rows]
            await self.events_signal.wait_past(seen, remaining)

    async def add_file(self, record: dict[str, Any], data: bytes) -> None:
        """Keep the bytes on disk under the file's unique id, then record it."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        (self.files_dir / record["file_unique_id"]).write_bytes(data)
        async with self.engine.begin() as conn:
            await conn.execute(insert(files).values(**record))

    async def file(self, **where: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            query = select(files)
            for key, value in where.items():
                query = query.where(files.c[key] == value)
            row = (await conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def chat_history(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message of a chat, both ways, as stored (a person's export, S-53)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(messages.c.payload)
                .where(messages.c.chat_id == chat_id, messages.c.deleted.is_(False))
                .order_by(messages.c.message_id)
            )
            return [row[0] for row in rows]

    async def erase_chat(self, chat_id: int, strings: list[str]) -> dict[str, int]:
        """Erase a person's chat (S-53): every message keeps only its id, chat and date, the
        events that carried them go, the files sent either way go from disk and from the
        records, the user's names are withdrawn, and updates of theirs not fetched yet are
        dropped. In other chats, `strings` (their name, numbers, texts quoted in a card) are
        replaced by "***". Returns rows changed by table."""
        erased = {"webchat_message": 0, "webchat_event": 0, "webchat_file": 0}
        async with self._ids, self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(messages.c.message_id, messages.c.payload).where(
                        messages.c.chat_id == chat_id
                    )
                )
            ).all()
            unique_ids = {found for _, payload in rows for found in _file_ids(payload)}
            for message_id, payload in rows:
                kept = {
                    key: payload[key] for key in ("message_id", "date", "chat") if key in payload
                }
                kept["chat"] = {"id": chat_id, "type": "private"}
                await conn.execute(
                    update(messages)
                    .where(messages.c.chat_id == chat_id, messages.c.message_id == message_id)
                    .values(payload=kept, deleted=True)
                )
                erased["webchat_message"] += 1
            gone = await conn.execute(delete(events).where(events.c.chat_id == chat_id))
            erased["webchat_event"] = gone.rowcount
            if unique_ids:
                gone = await conn.execute(
                    delete(files).where(files.c.file_unique_id.in_(sorted(unique_ids)))
                )
                erased["webchat_file"] = gone.rowcount
            await conn.execute(
                update(users)
                .where(users.c.id == chat_id)
                .values(first_name=WITHDRAWN, last_name=None, username=None)
            )
            pending = (await conn.execute(select(updates.c.update_id, updates.c.payload))).all()
            mine = [key for key, payload in pending if _sender(payload) == chat_id]
            if mine:
                await conn.execute(delete(updates).where(updates.c.update_id.in_(mine)))
            for table, column, key in (
                (messages, messages.c.payload, (messages.c.chat_id, messages.c.message_id)),
                (events, events.c.message, (events.c.seq,)),
            ):
                if not strings:
                    break
                quoted = (
                    await conn.execute(
                        select(*key, column).where(
                            or_(
                                *(
                                    cast(column, String).contains(s, autoescape=True)
                                    for s in strings
                                )
                            )
                        )
                    )
                ).all()
                for *ids, value in quoted:
                    await conn.execute(
                        update(table)
                        .where(*(c == v for c, v in zip(key, ids, strict=True)))
                        .values({column.name: scrub(value, strings)})
                    )
                    erased[table.name] = erased.get(table.name, 0) + 1
        for unique_id in unique_ids:
            (self.files_dir / unique_id).unlink(missing_ok=True)
        await self.events_signal.bump()
        return {name: count for name, count in erased.items() if count}

    async def set_commands(self, scope: str, language_code: str, items: list | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(commands).where(
                    commands.c.scope == scope, commands.c.language_code == language_code
                )
            )
            if items:
                await conn.execute(
                    insert(commands).values(
                        scope=scope, language_code=language_code, commands=items
                    )
                )

    async def commands_for(self, scopes: list[str], language_code: str) -> list[dict]:
        """Telegram's resolution: the narrowest scope first, its language before no language."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(commands).where(commands.c.scope.in_(scopes)))).all()
        found = {(row.scope, row.language_code): row.commands for row in rows}
        for scope in scopes:
            for language in (language_code, ""):
                if (scope, language) in found:
                    return found[(scope, language)]
        return []

    async def commands_exact(self, scope: str, language_code: str) -> list[dict]:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(commands.c.commands).where(
                        commands.c.scope == scope, commands.c.language_code == language_code
                    )
                )
            ).first()
        return row[0] if row else []
