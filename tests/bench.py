"""`make bench`: what one accepted form answer costs next to an echo on the same path.

Run as `python -m tests.bench` (a module, not a pytest file: pytest never collects it). In one
process, on this machine, every case goes through `Dispatcher.feed_update` with a real `Bot`
whose session is a sink that answers every Bot API call at once (no network, no
serialisation): sendMessage and editMessageText get a valid `Message`, anything else `True`.

(a) echo: one `@router.message()` handler that does `await message.answer(message.text)`,
    behind the same Dispatcher path as the form step: `bot.app.create_dispatcher(settings,
    sessions, routers=[echo])` (in-flight count, isolation, unit of work with the update-id
    claim, person, FSM) on its own fresh SQLite store. This is the issue's "(a) a bare aiogram
    echo handler ... through the same Dispatcher path"; `ratio` is measured against it.
(a') bare echo: the same handler on a bare `Dispatcher()` (aiogram's defaults only, no store),
    printed as `bare_echo_updates_per_s` and `bare_ratio` so the cost of the durable path
    itself (a committed SQLite transaction per update) stays visible.
(b) form step: our full Dispatcher, `bot.app.create_dispatcher(settings, sessions)` with the
    product's routers, on a fresh SQLite file in a temporary directory migrated with
    `upgrade_database`. The update is a person answering the `name` question of an active
    "registration" draft (`consent` already answered): parse and validate, save the draft,
    send the next question.

(a) and (b) go as polling takes an update: stored in the update inbox first, then handled, the
unit of work taking it out and the replies sent after its commit (`bot.replies`, on the sink
too), so the durable path's whole cost is in the figures.

Why the form step is measured on many persons rather than one draft reset between steps:
before timing, one person per update (warm-up and measured) is created with the real store
(`repo.upsert_person`, `service.start`, then `answers={"consent": True}`,
`position="name"`), all in one untimed unit of work. Every measured update is then a genuine
first answer to `name` by someone with an active draft, and nothing untimed runs between
measured updates (a reset transaction in between would warm the SQLite page cache and the
connection for the next step, and would hide the WAL growth the real bot sees). The tables
hold as many rows as persons (about 1,300), all reached through indexes.

Every case: a warm-up first, then updates fed sequentially (one at a time), each with a unique
update_id, each timed with `time.perf_counter`. Updates are built before timing. Logging stays
at WARNING, so aiogram's per-update INFO line costs the same (nothing) in both. Throughput is
updates / sum of per-update latencies; p99 is over the form-step latencies.

The last six lines of stdout are the results (ratio = form / echo throughput); before them
every module of `PARTS` prints its own `name=value` lines (each module's docstring says what
they measure and how): the store's scans, prune, size and claim (`tests/bench_store.py`), the
outbox's (`tests/bench_outbox.py`), and each feature's. They run after the form step so that
neither run warms or loads the other.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import itertools
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.types import Message, Update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select

from bot.app import create_dispatcher
from bot.config import Settings
from bot.forms import service
from bot.polling import Delivery
from bot.replies import HoldRepliesUntilCommit
from storage import inbox, repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import FormDraft
from storage.types import utcnow
from tests import (
    bench_assessment,
    bench_campaigns,
    bench_console,
    bench_followup,
    bench_outbox,
    bench_personal_data,
    bench_plan,
    bench_reports,
    bench_stats,
    bench_store,
    bench_trainees,
)

PARTS = (
    bench_assessment,
    bench_plan,
    bench_reports,
    bench_trainees,
    bench_console,
    bench_campaigns,
    bench_followup,
    bench_outbox,
    bench_store,
    bench_stats,
    bench_personal_data,
)
"""The feature benchmarks, in the order they run: each has `measure()` (sync or async)
returning its `name=value` lines."""

TOKEN = "123456789:AAbenchmarkbenchmarkbenchmarkbench0"
ECHO_WARMUP, ECHO_COUNT = 300, 2_000
FORM_WARMUP, FORM_COUNT = 100, 1_000
FIRST_USER_ID = 700_000_000
ANSWER = "张三丰"


class SinkSession(BaseSession):
    """A Bot API that answers instantly: a canned result for every method, no network."""

    def __init__(self) -> None:
        super().__init__()
        self.message_ids = itertools.count(1)
        self.calls = 0

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.calls += 1
        if isinstance(method, SendMessage | EditMessageText):
            return Message.model_validate(
                {
                    "message_id": getattr(method, "message_id", None) or next(self.message_ids),
                    "date": int(time.time()),
                    "chat": {"id": method.chat_id, "type": "private"},
                    "from": {"id": bot.id, "is_bot": True, "first_name": "bench"},
                    "text": method.text,
                },
                context={"bot": bot},
            )
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


def text_update(bot: Bot, update_id: int, user_id: int, text: str) -> Update:
    person = {"id": user_id, "is_bot": False, "first_name": "张", "language_code": "zh"}
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "张"},
                "from": person,
                "text": text,
            },
        },
        context={"bot": bot},
    )


async def timed(
    dp: Dispatcher, bot: Bot, updates: list[Update], engine: AsyncEngine | None = None
) -> list[float]:
    """Feed the updates one at a time; the latency of each, in seconds. With the store's
    `engine`, each goes as polling takes it: into the update inbox first (a batch of one, as
    sequential getUpdates return), then handled, its unit of work taking it out."""
    latencies = []
    clock = time.perf_counter
    for update in updates:
        started = clock()
        if engine is None:
            await dp.feed_update(bot, update)
        else:
            payload = update.model_dump_json(exclude_unset=True, by_alias=True)
            await inbox.store(engine, bot.id, [(update.update_id, payload)])
            delivery = Delivery(update.update_id, 1, last=False)
            await dp.feed_update(bot, update, delivery=delivery)
            assert delivery.committed
        latencies.append(clock() - started)
    return latencies


async def run_case(
    dp: Dispatcher,
    bot: Bot,
    updates: list[Update],
    warmup: int,
    check: Callable[[int], Awaitable[None]],
    engine: AsyncEngine | None = None,
) -> list[float]:
    """Warm up, then time the rest; `check(fed)` proves every update fed so far was handled."""
    await timed(dp, bot, updates[:warmup], engine)
    await check(warmup)
    gc.collect()
    latencies = await timed(dp, bot, updates[warmup:], engine)
    await check(len(updates))
    return latencies


def per_second(latencies: list[float]) -> float:
    return len(latencies) / sum(latencies)


def p99_ms(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000


def echo_router() -> Router:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text)

    return router


async def echo_case(
    bot: Bot, sink: SinkSession, dp: Dispatcher, engine: AsyncEngine | None = None
) -> list[float]:
    total = ECHO_WARMUP + ECHO_COUNT
    updates = [text_update(bot, 1 + n, FIRST_USER_ID + n % 50, f"hello {n}") for n in range(total)]
    before = sink.calls

    async def check(fed: int) -> None:
        answered = sink.calls - before
        assert answered == fed, f"echo answered {answered} of {fed} updates"

    return await run_case(dp, bot, updates, ECHO_WARMUP, check, engine)


@asynccontextmanager
async def store(directory: Path, name: str) -> AsyncIterator[tuple[Settings, Any]]:
    """A fresh migrated SQLite store in `directory`, with the persons the cases write as."""
    url = f"sqlite+aiosqlite:///{directory / name}"
    engine = create_engine(url)
    try:
        await upgrade_database(engine)
        sessions = create_sessionmaker(engine)
        await prepare_store(sessions, FORM_WARMUP + FORM_COUNT)
        yield Settings(_env_file=None, database_url=url), sessions
    finally:
        await engine.dispose()


async def prepare_store(sessions: Any, count: int) -> None:
    """One person per update, each with an active registration draft asking `name`."""
    async with unit_of_work(sessions) as session:
        for n in range(count):
            person, _ = await repo.upsert_person(
                session,
                tg_user_id=FIRST_USER_ID + n,
                first_name="张",
                last_name=None,
                username=None,
                locale="zh-CN",
            )
            draft = await service.start(session, person.id, "registration", {}, now=utcnow())
            draft.answers = {"consent": True}
            draft.position = "name"
            service.touch(draft, utcnow())


async def form_case(bot: Bot, sink: SinkSession, directory: Path) -> list[float]:
    async with store(directory, "form.db") as (settings, sessions):
        total = FORM_WARMUP + FORM_COUNT
        dp = create_dispatcher(settings, sessions)
        updates = [text_update(bot, 1_000_000 + n, FIRST_USER_ID + n, ANSWER) for n in range(total)]
        before = sink.calls

        async def check(fed: int) -> None:
            """Each answer fed so far was accepted (its draft moved past `name`) and the next
            question was sent; a rejected answer would have left the draft at `name`."""
            async with unit_of_work(sessions) as session:
                waiting = (
                    await session.exec(
                        select(func.count())
                        .select_from(FormDraft)
                        .where(FormDraft.status == service.ACTIVE, FormDraft.position == "name")
                    )
                ).one()
            moved, sent = total - waiting, sink.calls - before
            assert moved == fed and sent >= fed, f"{moved} drafts moved, {sent} messages sent"

        return await run_case(dp, bot, updates, FORM_WARMUP, check, sessions.kw["bind"])


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    sink = SinkSession()
    sink.middleware(HoldRepliesUntilCommit())  # as create_bot does: replies after the commit
    bot = Bot(TOKEN, session=sink, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    bare_dp = Dispatcher()
    bare_dp.include_router(echo_router())
    bare = await echo_case(bot, sink, bare_dp)
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        async with store(Path(directory), "echo.db") as (settings, sessions):
            echo = await echo_case(
                bot,
                sink,
                create_dispatcher(settings, sessions, routers=[echo_router()]),
                sessions.kw["bind"],
            )
        form = await form_case(bot, sink, Path(directory))
    bare_rate, echo_rate, form_rate = per_second(bare), per_second(echo), per_second(form)
    print(
        f"# echo (same path): median {statistics.median(echo) * 1000:.2f} ms; "
        f"form step: {len(form)} updates, median {statistics.median(form) * 1000:.2f} ms, "
        f"max {max(form) * 1000:.2f} ms",
        file=sys.stderr,
    )
    for part in PARTS:
        lines = part.measure()
        for line in await lines if inspect.isawaitable(lines) else lines:
            print(line)
    print(f"bare_echo_updates_per_s={bare_rate:.1f}")
    print(f"bare_ratio={form_rate / bare_rate:.2f}")
    print(f"echo_updates_per_s={echo_rate:.1f}")
    print(f"form_step_updates_per_s={form_rate:.1f}")
    print(f"form_step_p99_ms={p99_ms(form):.1f}")
    print(f"ratio={form_rate / echo_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
