"""Workers on a real store, sending to a fake Bot API server, with a clock the test moves."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox import OutboxWorker
from storage import outbox
from storage.db import unit_of_work
from storage.models import OutboxMessage
from tests.outbox.fakeapi import FakeBotApi, fake_bot_api

START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
FAST = {
    "outbox_rate": 0,
    "outbox_chat_interval": 0,
    "outbox_poll": 0.02,
    "outbox_lease": 30,
    "outbox_backoff": 10,
}
"""Unpaced and quick to notice new rows; pacing tests set their own rates."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with fake_bot_api() as server:
        yield server


@pytest.fixture
async def workers(
    sessions: Any, clock: ManualClock, api: FakeBotApi
) -> AsyncIterator[Callable[..., OutboxWorker]]:
    """Starts workers on the test's store and fake server; stops (or reaps) them at the end."""
    started: list[tuple[OutboxWorker, Any]] = []

    def start(store: Any = None, **overrides: Any) -> OutboxWorker:
        settings = Settings(_env_file=None, **{**FAST, **overrides})
        bot = api.bot()
        worker = OutboxWorker(bot, store or sessions, settings, clock)
        worker.start()
        started.append((worker, bot))
        return worker

    yield start
    for worker, bot in started:
        if not worker._task.done():
            await worker.stop()
        await bot.session.close()


async def add(
    sessions: Any,
    count: int,
    *,
    chat_id: int | None = None,
    first_chat: int = 1,
    prefix: str = "m",
    **options: Any,
) -> None:
    """Queue `count` messages "m<n>", to chats `first_chat`, `first_chat + 1`... or `chat_id`."""
    async with unit_of_work(sessions) as session:
        for n in range(count):
            await outbox.enqueue(
                session, chat_id=chat_id or first_chat + n, text=f"{prefix}{n}", **options
            )


async def rows(sessions: Any) -> list[OutboxMessage]:
    async with unit_of_work(sessions) as session:
        return list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def until(check: Callable[[], Awaitable[bool] | bool], timeout: float = 5.0) -> None:
    """Wait for the worker to get somewhere (not for time-based behaviour: the clock is manual)."""
    deadline = time.monotonic() + timeout
    while not await _value(check()):
        assert time.monotonic() < deadline, "the worker did not get there in time"
        await asyncio.sleep(0.02)


async def _value(result: Awaitable[bool] | bool) -> bool:
    return await result if inspect.isawaitable(result) else result


async def settled(sessions: Any, count: int, timeout: float = 5.0) -> list[OutboxMessage]:
    """The rows once `count` of them have left pending and sending."""

    async def done() -> bool:
        found = await rows(sessions)
        return sum(r.status not in (outbox.PENDING, outbox.SENDING) for r in found) >= count

    await until(done, timeout)
    return await rows(sessions)
