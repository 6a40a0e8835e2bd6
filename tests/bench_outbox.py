"""The outbox half of `make bench` (S-52): 10,000 queued pushes to distinct chats, sent by the
real worker (`bot.outbox.OutboxWorker`, a real aiogram Bot over HTTP) to the web chat's Bot API
server (`bot.webchat.botapi.BotApi`: token check, parameters, HTML parsing, flood gate,
Telegram's answers and errors).

The server runs in its own process, as Telegram is another machine: in one process its work
would be charged to the worker. Its store keeps the sent messages in memory (`MemoryStore`,
a chat exists for each of the 10,000 users, any other chat is "chat not found"): the web chat's
SQLite store commits every message under one lock and tops out near 350 messages/s on a 2-core
machine, so with it this would measure the stand-in's disk path, not the outbox. The outbox
itself is a fresh SQLite file (the embedded default) migrated with `upgrade_database`; the
10,000 rows are queued with `storage.outbox.enqueue` in one unit of work before timing starts.
Timing runs from the worker's start to its last outcome; the worker is then stopped
gracefully, and the server's deliveries are counted per chat: a chat with none is a lost
message, each extra one a duplicate.

Two runs:
- paced: the server's flood limits on, its global limit raised from Telegram's 30/s to 1,000/s
  (1 per second per chat as Telegram), and the worker configured for 500 messages/s. At the
  default 25/s the run would take 400 s; 500/s takes 20 s and still leaves the server's limit
  at twice the configured rate, so any 429 would be the pacer's fault. `outbox_rate_ratio` is
  the achieved rate over the configured one.
- unpaced: flood limits off and the worker unpaced (`OUTBOX_RATE=0`), 128 sends in flight:
  the ceiling for paid broadcasts.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import create_bot
from bot.clock import Clock
from bot.config import Settings
from bot.outbox import OutboxWorker
from bot.webchat.botapi import BotApi, FloodGate
from bot.webchat.store import FIRST_USER_ID, WebchatStore
from storage import outbox
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database

TOKEN = "7000000001:AAbenchmarkbenchmarkbenchmarkbench0"
COUNT = 10_000
PACED_RATE = 500.0
SERVER_LIMIT = 1_000
FINAL = ("sent", "failed", "blocked", "expired")


@dataclass
class Result:
    per_second: float
    lost: int
    duplicates: int
    too_many_requests: int


class MemoryStore(WebchatStore):
    """What sendMessage needs of the web chat's store, in memory, counting deliveries."""

    def __init__(self, chat_ids: range) -> None:
        super().__init__(None, Path("."))  # type: ignore[arg-type]
        self.chat_ids = chat_ids
        self.delivered: Counter[int] = Counter()

    async def user(self, user_id: int) -> dict[str, Any] | None:
        return (
            {"id": user_id, "first_name": "学员", "blocked": False}
            if user_id in self.chat_ids
            else None
        )

    async def add_message(self, chat_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        self.delivered[chat_id] += 1
        return {"message_id": self.delivered[chat_id], **payload}


def serve(flood_limit: int | None, conn: Connection) -> None:
    """Process entry: sends its port, serves until told the run is over, sends deliveries."""
    asyncio.run(_serve(flood_limit, conn))


async def _serve(flood_limit: int | None, conn: Connection) -> None:
    store = MemoryStore(range(FIRST_USER_ID, FIRST_USER_ID + COUNT))
    api = BotApi(
        store, token=TOKEN, username="bench_bot", first_name="bench", flood_limits=bool(flood_limit)
    )
    if flood_limit:
        api.flood = FloodGate(per_second=flood_limit)
    app = web.Application()
    app.add_routes(api.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(runner.addresses[0][1])
    await asyncio.to_thread(conn.recv)
    conn.send(dict(store.delivered))
    await runner.cleanup()


async def run(rate: float, flood_limit: int | None, concurrency: int) -> Result:
    conn, child = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(flood_limit, child), daemon=True
    )
    server.start()
    try:
        port = await asyncio.to_thread(conn.recv)
        with tempfile.TemporaryDirectory(prefix="bench-outbox-") as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bot.db'}"
            engine = create_engine(url)
            await upgrade_database(engine)
            sessions = create_sessionmaker(engine)
            async with unit_of_work(sessions) as session:
                for n in range(COUNT):
                    await outbox.enqueue(
                        session, chat_id=FIRST_USER_ID + n, text=f"<b>提醒</b> 第 {n} 条"
                    )
            settings = Settings(
                _env_file=None,
                database_url=url,
                outbox_rate=rate,
                outbox_chat_interval=1.0 if rate else 0.0,
                outbox_concurrency=concurrency,
                outbox_poll=0.05,
            )
            bot = create_bot(TOKEN, api_base=f"http://127.0.0.1:{port}")
            worker = OutboxWorker(bot, sessions, settings, Clock())
            started = time.perf_counter()
            worker.start()
            while sum(worker.stats[status] for status in FINAL) < COUNT:  # noqa: ASYNC110
                await asyncio.sleep(0.005)  # the worker's counters are the clock's stop signal
            elapsed = time.perf_counter() - started
            await worker.stop()
            await bot.session.close()
            await engine.dispose()
        conn.send("done")
        delivered: dict[int, int] = await asyncio.to_thread(conn.recv)
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    return Result(
        per_second=COUNT / elapsed,
        lost=COUNT - len(delivered),
        duplicates=sum(count - 1 for count in delivered.values()),
        too_many_requests=worker.stats["retry_after"],
    )


async def measure() -> list[str]:
    """The outbox's result lines for stdout."""
    paced = await run(PACED_RATE, SERVER_LIMIT, concurrency=64)
    unpaced = await run(0.0, None, concurrency=128)
    return [
        f"outbox_msgs_per_s={paced.per_second:.1f}",
        f"outbox_rate_ratio={paced.per_second / PACED_RATE:.3f}",
        f"outbox_lost={paced.lost + unpaced.lost}",
        f"outbox_duplicates={paced.duplicates + unpaced.duplicates}",
        f"outbox_429={paced.too_many_requests}",
        f"outbox_unpaced_msgs_per_s={unpaced.per_second:.1f}",
    ]


if __name__ == "__main__":
    print("\n".join(asyncio.run(measure())))
