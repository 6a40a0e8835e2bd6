"""The notifier's batch: `tell_many` queues a whole scan with one multi-row insert per batch,
each key once however often or however concurrently it runs (S-52), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot import notifier
from bot.notifier import Notice, Reader
from storage import outbox
from storage.db import unit_of_work
from storage.models import OutboxMessage, Person


async def _readers(sessions, *locales: str) -> list[Reader]:
    async with unit_of_work(sessions) as session:
        people = [
            Person(tg_user_id=7_000 + n, first_name=f"p{n}", locale=locale)
            for n, locale in enumerate(locales)
        ]
        session.add_all(people)
        await session.flush()
        return [Reader.of(person) for person in people]


async def _rows(sessions) -> list[OutboxMessage]:
    async with unit_of_work(sessions) as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def _tell_many(sessions, notices: list[Notice]) -> int:
    async with unit_of_work(sessions) as session:
        return await notifier.tell_many(session, notices)


async def test_tell_many_queues_each_key_once_in_each_readers_language(sessions):
    zh, en = await _readers(sessions, "zh-CN", "en")
    notices = [
        notifier.notice(zh, "todo.pending", key="k:zh", count=2),
        notifier.notice(en, "todo.pending", key="k:en", count=2),
        notifier.notice(zh, "todo.pending", key="k:zh", count=9),  # same key in one batch
        notifier.notice(en, "todo.gone"),  # no key: queued every time
    ]
    assert await _tell_many(sessions, notices) == 3
    assert await _tell_many(sessions, notices) == 1, "a rerun queues only the keyless push"
    rows = await _rows(sessions)
    assert [row.key for row in rows] == ["k:zh", "k:en", None, None]
    to = [(row.chat_id, row.person_id) for row in rows]
    assert to == [(zh.chat_id, zh.person_id)] + [(en.chat_id, en.person_id)] * 3
    assert rows[0].payload["text"] == "📋 你有 2 项待办 /todo", "the first of a key wins"
    assert rows[1].payload["text"] == "📋 You have 2 items to do /todo"
    assert rows[2].payload["text"].startswith("This item has already been decided")
    assert {row.status for row in rows} == {outbox.PENDING}


async def test_tell_many_counts_only_new_pushes_across_batches(sessions):
    (reader,) = await _readers(sessions, "zh-CN")
    count = outbox.BATCH * 2 + 200
    notices = [notifier.notice(reader, "todo.pending", key=f"n:{n}", count=n) for n in range(count)]
    async with unit_of_work(sessions) as session:
        for item in notices[:100]:
            assert await notifier.tell(session, reader, "todo.pending", key=item.key, count=0)
    assert await _tell_many(sessions, notices) == count - 100
    assert await _tell_many(sessions, notices) == 0
    rows = await _rows(sessions)
    assert [row.key for row in rows] == [f"n:{n}" for n in range(count)], "in the order given"
    assert rows[99].payload["text"] == "📋 你有 0 项待办 /todo"
    assert rows[100].payload["text"] == "📋 你有 100 项待办 /todo"


async def test_two_scans_at_once_queue_each_key_once(sessions):
    """Two processes running the same scan at the same moment: every push exactly once."""
    readers = await _readers(sessions, "zh-CN", "en", "zh-CN")
    notices = [
        notifier.notice(reader, "todo.pending", key=f"c:{reader.person_id}:{n}", count=n)
        for n in range(50)
        for reader in readers
    ]
    runs = await asyncio.gather(_tell_many(sessions, notices), _tell_many(sessions, notices))
    assert sorted(runs) == [0, len(notices)]
    keys = [row.key for row in await _rows(sessions)]
    assert sorted(keys) == sorted(item.key for item in notices)
