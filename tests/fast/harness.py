"""The fast tier: handler tests in milliseconds, with the real Dispatcher, store and Bot.

`Harness` is the product minus what a handler test does not need (the scheduler, the classroom
screen, long polling, outbox pacing). It has the real Dispatcher (`create_dispatcher`: every
middleware and router), the real store (a copy of the run's migrated template, SQLite and
PostgreSQL), and a real `Bot` whose requests go over HTTP to the web chat's Bot API server
running in-process. Each update the web chat stores is handed straight to
`Dispatcher.feed_update` as it arrives, instead of being fetched with getUpdates. People are
`tests.chat.ChatUser`s, and `idle()` is `Product.idle`, so a test reads like a chat test:

    async def test_start_greets_the_person(fast, http):
        user = await ChatUser.create(http, fast.base_url, "李雷")
        assert "你好，李雷" in body(await user.reply_to("/start"))
        async with fast.store() as session:  # once idle: nothing in flight, outbox sent
            ...

Use `fast_factory(clock=..., **settings)` for a clock or other settings. What the harness leaves
out (start-up, restarts, polling, webhooks, the scheduler) stays with `app_factory`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiogram.types import Update
from aiohttp import web

from bot.app import Product, create_bot, create_dispatcher
from bot.clock import Clock
from bot.commands import set_default_commands
from bot.config import Settings
from bot.demo import seed_demo
from bot.forms import registry
from bot.outbox import OutboxWorker
from bot.webchat.pages import Pages
from bot.webchat.server import create_webchat_app, webchat_token
from bot.webchat.store import WebchatStore
from storage.db import create_engine, create_sessionmaker, unit_of_work
from tests import chat

log = logging.getLogger(__name__)

UNPACED = {"outbox_rate": 0, "outbox_chat_interval": 0, "outbox_poll": 0.02}
"""Pushes go out as soon as they are committed: pacing has its own tests (tests/outbox)."""


def _load_forms(extra: Path | None) -> None:
    """As `Product` does, but only when another FORMS_DIR is loaded: parsing the YAML takes
    0.1-0.2 s, most of a fast test. (Reads the registry's list of directories.)"""
    if registry._directories[1:] != ([extra] if extra is not None else []):
        registry.load(extra)
    registry.forms()


class Harness:
    """Web chat server, Bot, Dispatcher and outbox worker on one store; updates fed directly."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        _load_forms(settings.forms_dir)
        self.settings = settings
        self.clock = clock or Clock()
        self.engine = create_engine(settings.database_url)
        self.sessions = create_sessionmaker(self.engine)
        self.dp = create_dispatcher(settings, self.sessions, clock=self.clock)
        self.webchat_store = WebchatStore(
            create_engine(settings.webchat_database_url), settings.webchat_files_dir
        )
        self._runner: web.AppRunner | None = None
        self._feeder: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[Any]] = set()
        self.bot: Any = None
        self.outbox: OutboxWorker | None = None
        self._polling = None  # updates are fed directly: `Product.idle` finds no poller
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Harness:
        await self.webchat_store.create_schema()
        self.dp["webchat"] = self.webchat_store
        token = webchat_token(self.settings)

        async def no_cards(locale: str) -> list:
            return []

        app = create_webchat_app(
            self.settings,
            self.webchat_store,
            token=token,
            bot_name="网创助手",
            pages=Pages(self.settings, no_cards, "网创助手"),
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.bot = create_bot(token, api_base=self.base_url)
        if self.settings.demo_data:
            await seed_demo(self.sessions, self.settings)
        await set_default_commands(self.bot, self.settings.default_locale)
        self.outbox = OutboxWorker(self.bot, self.sessions, self.settings, self.clock)
        self.outbox.start()
        self._feeder = asyncio.create_task(self._feed())
        chat.serve(self.base_url, lambda: self)
        return self

    async def _feed(self) -> None:
        """What polling does, minus the HTTP round trip: take what the web chat stored, confirm
        it (the next call deletes it, as getUpdates' offset does), hand each to the Dispatcher
        as its own task."""
        signal, offset = self.webchat_store.updates_signal, 0
        while True:
            seen = signal.version
            payloads = await self.webchat_store.pending_updates(offset, 100, 0)
            for payload in payloads:
                offset = payload["update_id"] + 1
                update = Update.model_validate(payload, context={"bot": self.bot})
                task = asyncio.create_task(self._handle(update))
                self._handling.add(task)
                task.add_done_callback(self._handling.discard)
            if not payloads:
                await signal.wait_past(seen, 60)

    async def _handle(self, update: Update) -> None:
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception:  # as polling does: logged, and the test sees what the person saw
            log.exception("update %s failed", update.update_id)

    async def idle(self) -> bool:
        """The product's own definition (`Product.idle`) on the harness's parts."""
        return await Product.idle(self)  # type: ignore[arg-type]

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Any]:
        """A unit of work on the store once idle, like `Running.store()`."""
        await chat.until_idle(self)
        async with unit_of_work(self.sessions) as session:
            yield session

    async def stop(self) -> None:
        chat.serve(self.base_url, None)
        if self._feeder is not None:
            self._feeder.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)
        if self.outbox is not None:
            await self.outbox.stop()
        if self.bot is not None:
            client = self.bot.session._session
            if client is not None:  # closed here, aiogram's close skips its 250 ms TLS grace:
                await client.close()  # the web chat is plain HTTP on this host
            await self.bot.session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.webchat_store.engine.dispose()
        await self.engine.dispose()
