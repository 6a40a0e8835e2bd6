"""Factories for the Bot and Dispatcher, and `Product`: everything started and stopped together.

`python -m bot` and the tests start the same `Product`, so tests drive the real start-up path.
"""

from __future__ import annotations

import gc
import hmac
import logging
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation
from aiogram.types import Update
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker

import handlers
from bot import fonts
from bot.callback_guard import ForgedButtons
from bot.clock import Clock
from bot.commands import set_default_commands
from bot.config import RunMode, Settings
from bot.console.routes import Console
from bot.demo import demo_cards, seed_demo
from bot.forms.registry import load as load_forms
from bot.forms.service import FormHooks
from bot.i18n import text
from bot.middlewares import (
    InFlightMiddleware,
    IsolationMiddleware,
    PersonMiddleware,
    UnitOfWorkMiddleware,
)
from bot.outbox import OutboxWorker
from bot.polling import InboxPolling
from bot.presses import AnythingElse, OncePerPress
from bot.replies import HoldRepliesUntilCommit
from bot.screen import Screen
from bot.services import campaigns
from bot.verify_page import VerifyPage
from bot.webchat.pages import Pages
from bot.webchat.server import create_webchat_app, webchat_token
from bot.webchat.store import WebchatStore
from scheduler import create_scheduler
from storage import outbox as outbox_rows
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.fsm import SqlStorage
from storage.migrate import upgrade_database

log = logging.getLogger(__name__)


def create_bot(token: str, api_base: str | None = None) -> Bot:
    """The Bot; inside an update's unit of work, what it tells the person waits for the commit
    (`bot.replies`)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base)) if api_base else None
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    bot.session.middleware(HoldRepliesUntilCommit())
    return bot


def create_dispatcher(
    settings: Settings,
    sessions: async_sessionmaker,
    *,
    isolation: BaseEventIsolation | None = None,
    clock: Clock | None = None,
    routers: list[Router] | None = None,
    form_hooks: FormHooks | None = None,
) -> Dispatcher:
    """The Dispatcher with its middlewares in order: in-flight count, isolation, unit of work,
    person, FSM. `dp["in_flight"]` lets a graceful stop wait for updates being handled;
    handlers get `settings` and `clock` injected. `routers` replaces the product's feature routers
    (the benchmark measures a bare handler behind the same middlewares). The forms' submit hooks
    are built here too (`dp["form_hooks"]`, each feature's `form_hooks`); `form_hooks` replaces
    them (a test with a subset)."""
    dp = Dispatcher(
        storage=SqlStorage(), disable_fsm=True, settings=settings, clock=clock or Clock()
    )
    dp["form_hooks"] = handlers.form_hooks() if form_hooks is None else form_hooks
    dp["in_flight"] = dp.update.outer_middleware(InFlightMiddleware())
    dp.update.outer_middleware(IsolationMiddleware(dp.fsm, isolation or SimpleEventIsolation()))
    dp.update.outer_middleware(UnitOfWorkMiddleware(sessions))
    dp.update.outer_middleware(PersonMiddleware(settings))
    dp.update.outer_middleware(dp.fsm)
    dp.callback_query.outer_middleware(ForgedButtons())
    dp.callback_query.outer_middleware(OncePerPress())
    dp.message.outer_middleware(AnythingElse())
    dp.include_routers(*(handlers.routers() if routers is None else routers))
    return dp


def freeze_startup_heap() -> None:
    """Put what start-up leaves alive (the libraries, templates, fonts, forms: some 350,000
    objects) out of the garbage collector's reach. A full collection walked them all: a quarter
    of a second with the event loop stopped, every update in the process waiting, several
    times during a province's feedback push. After it, such a collection takes milliseconds.
    Run once the product has started (`python -m bot`), not in tests that start many."""
    gc.collect()
    gc.freeze()


class Product:
    """The whole product for one settings object: store, web server, bot, scheduler."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        load_forms(settings.forms_dir)  # a broken definition stops start-up here
        self.settings = settings
        self.clock = clock or Clock()
        self.engine = create_engine(settings.database_url)
        self.sessions = create_sessionmaker(self.engine)
        self.isolation: BaseEventIsolation = (
            RedisEventIsolation.from_url(settings.redis_url)
            if settings.redis_url
            else SimpleEventIsolation()
        )
        self.dp = create_dispatcher(
            settings, self.sessions, isolation=self.isolation, clock=self.clock
        )
        self.bot: Bot | None = None
        self.webchat_store: WebchatStore | None = None
        self.screen = Screen(settings, self.sessions, self.clock, lambda: self.bot)
        self.console = Console(settings, self.sessions, self.clock)
        self.verify_page = VerifyPage(settings, self.sessions)
        self.outbox: OutboxWorker | None = None
        self.scheduler = create_scheduler(settings, self.sessions, self.clock)
        self._runner: web.AppRunner | None = None
        self._polling: InboxPolling | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return self.settings.public_url or f"http://{self.settings.web_host}:{self.port}"

    async def start(self) -> None:
        fonts.warm()
        await upgrade_database(self.engine)
        await campaigns.load_stored_forms(self.sessions)  # supervisors' questionnaires
        if self.settings.demo_data and await seed_demo(self.sessions, self.settings):
            log.info("demo data created")
        mode = self.settings.mode
        if mode is RunMode.WEBCHAT:
            await self._start_webchat()
        else:
            self.bot = create_bot(
                self.settings.bot_token.get_secret_value(), self.settings.bot_api_base
            )
            await self._serve(self._webhook_app() if mode is RunMode.WEBHOOK else self._web_app())
        await set_default_commands(self.bot, self.settings.default_locale)
        if mode is RunMode.WEBHOOK:
            await self.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.webhook_secret.get_secret_value(),
                allowed_updates=self.dp.resolve_used_update_types(),
            )
        else:
            await self.bot.delete_webhook()
            self._polling = InboxPolling(self.dp, self.bot, self.engine, self.dp["in_flight"])
            await self._polling.start()
        self.outbox = OutboxWorker(self.bot, self.sessions, self.settings, self.clock)
        self.outbox.start()
        self.scheduler.start()
        log.info("started in %s mode", mode)

    async def _start_webchat(self) -> None:
        self.webchat_store = WebchatStore(
            create_engine(self.settings.webchat_database_url), self.settings.webchat_files_dir
        )
        await self.webchat_store.create_schema()
        self.dp["webchat"] = self.webchat_store  # S-53: /mydata exports and erases its history
        token = webchat_token(self.settings)
        bot_name = text(self.settings.default_locale, "common.bot_name")

        async def cards(locale: str) -> list:
            return await demo_cards(
                self.sessions, self.settings, self.settings.bot_username, locale
            )

        pages = Pages(self.settings, cards, bot_name)
        app = create_webchat_app(
            self.settings, self.webchat_store, token=token, bot_name=bot_name, pages=pages
        )
        app.add_routes(self.screen.routes())
        app.add_routes(self.console.routes())
        app.add_routes(self.verify_page.routes())
        await self._serve(app)
        self.bot = create_bot(token, api_base=f"http://127.0.0.1:{self.port}")

    async def _serve(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def _web_app(self) -> web.Application:
        """Pages people open in a browser (the classroom screen, the web console, the
        certificate check), served in every mode."""
        app = web.Application()
        app.add_routes(self.screen.routes())
        app.add_routes(self.console.routes())
        app.add_routes(self.verify_page.routes())
        return app

    def _webhook_app(self) -> web.Application:
        app = self._web_app()
        app.router.add_post(self.settings.webhook_path, self._webhook)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        """Telegram retries any non-2xx answer, so an update that was not stored gets 500."""
        secret = self.settings.webhook_secret.get_secret_value()
        if not hmac.compare_digest(
            request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), secret
        ):
            return web.Response(status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except ValueError:
            return web.Response(status=400)
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception:
            log.exception("update not processed; Telegram will deliver it again")
            return web.Response(status=500)
        return web.Response(status=200)

    async def demo_links(self, locale: str) -> list[dict[str, Any]]:
        cards = await demo_cards(self.sessions, self.settings, self.settings.bot_username, locale)
        return [
            {
                "role_label": card.role_label,
                "link": card.deep_link or f"{self.base_url}{card.chat_url}",
            }
            for card in cards
        ]

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._polling is not None:
            await self._polling.stop()
        await self.dp["in_flight"].drained()
        if self.outbox is not None:
            await self.outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.bot is not None:
            await self.bot.session.close()
        await self.isolation.close()
        if isinstance(self.isolation, RedisEventIsolation):
            # aiogram's close() is a no-op: the pool's sockets would leak until collected.
            await self.isolation.redis.aclose(close_connection_pool=True)
        if self.webchat_store is not None:
            await self.webchat_store.engine.dispose()
        await self.engine.dispose()

    async def idle(self) -> bool:
        """Nothing to do until someone acts or the clock moves: every update the web chat holds
        was fetched (polling confirms them with its next call, after storing them in the update
        inbox), no fetched update waits in the inbox or is being handled, and no outbox message
        is due or being sent. Tests wait for this instead of sleeping to prove that nothing more
        is sent."""

        if self.dp["in_flight"].count or (self._polling is not None and self._polling.busy):
            return False
        if self.webchat_store is not None and await self.webchat_store.pending_update_count():
            return False
        if self.outbox is None:
            return True
        async with unit_of_work(self.sessions) as session:
            due = await outbox_rows.unsettled(session, now=self.clock.now(), worker=self.outbox.id)
        return due == 0
