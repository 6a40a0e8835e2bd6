"""The web chat alone, with nothing polling it: the test itself plays the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from bot.config import Settings
from bot.webchat.pages import Pages
from bot.webchat.server import create_webchat_app, webchat_token
from bot.webchat.store import WebchatStore
from storage.db import create_engine
from tests.chat import ChatUser
from tests.conftest import make_settings


@dataclass
class Webchat:
    """A running web chat: `bot` is a real aiogram Bot pointed at it, `call` is raw HTTP."""

    settings: Settings
    base_url: str
    token: str
    store: WebchatStore
    bot: Bot
    http: aiohttp.ClientSession

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.base_url}/bot{token or self.token}/{method}"

    async def call(self, method: str, token: str | None = None, **params: Any) -> tuple[int, dict]:
        """POST a Bot API method as JSON; the HTTP status and the decoded answer."""
        async with self.http.post(self.url(method, token), json=params) as response:
            return response.status, await response.json()

    async def user(self, first_name: str = "张三", language_code: str | None = "zh-CN") -> ChatUser:
        return await ChatUser.create(self.http, self.base_url, first_name, language_code)


async def _start(settings: Settings, http: aiohttp.ClientSession) -> tuple[Webchat, Any]:
    store = WebchatStore(create_engine(settings.webchat_database_url), settings.webchat_files_dir)
    await store.create_schema()

    async def no_cards(locale: str) -> list:
        return []

    token = webchat_token(settings)
    pages = Pages(settings, no_cards, "网创助手")
    app = create_webchat_app(settings, store, token=token, bot_name="网创助手", pages=pages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))

    async def stop() -> None:
        await bot.session.close()
        await runner.cleanup()
        await store.engine.dispose()

    return Webchat(settings, base_url, token, store, bot, http), stop


@pytest.fixture
async def webchat_factory(tmp_path: Path, http: aiohttp.ClientSession) -> AsyncIterator[Any]:
    """Starts web chats with Settings overrides, each on its own files; all stopped at the end."""
    stops: list[Any] = []

    async def start(**overrides: Any) -> Webchat:
        directory = tmp_path / f"webchat{len(stops)}"
        directory.mkdir()
        settings = make_settings(
            directory, f"sqlite+aiosqlite:///{directory / 'bot.db'}", **overrides
        )
        webchat, stop = await _start(settings, http)
        stops.append(stop)
        return webchat

    yield start
    for stop in reversed(stops):
        await stop()


@pytest.fixture
async def webchat(webchat_factory: Any) -> Webchat:
    return await webchat_factory()
