"""A small Bot API server that answers sendMessage as a test tells it to (5xx, 403, a hang) and
counts what it delivered. A real HTTP server, so the worker's real Bot and session are used."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.app import create_bot

TOKEN = "123456:fake-bot-api-token"
ERRORS = {
    403: "Forbidden: bot was blocked by the user",
    502: "Bad Gateway",
    500: "Internal Server Error",
    400: "Bad Request: chat not found",
}


class FakeBotApi:
    def __init__(self) -> None:
        self.script: dict[int, list[int]] = {}
        """chat_id -> error codes to answer, one per request, before delivering."""
        self.hold_after: int | None = None
        """Deliveries after this many are recorded, then answered only once `release` is set."""
        self.release = asyncio.Event()
        self.deliveries: Counter[tuple[int, str]] = Counter()
        self.photos: list[tuple[int, bytes]] = []
        """(chat, picture bytes) of each sendPhoto, whose caption counts in `deliveries`."""
        self.arrivals: defaultdict[int, list[float]] = defaultdict(list)
        self.held = 0
        self.url = ""
        self._ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method not in ("sendmessage", "sendphoto"):
            return web.json_response({"ok": True, "result": True})
        params: dict[str, Any] = dict(await request.post())
        chat_id = int(params["chat_id"])
        if method == "sendphoto":
            photo = params["photo"]  # aiogram sends "attach://<field>" and the file in <field>
            upload = params[photo.removeprefix("attach://")]
            self.photos.append((chat_id, upload.file.read()))
            params["text"] = params.get("caption", "")
        self.arrivals[chat_id].append(time.monotonic())
        errors = self.script.get(chat_id)
        if errors:
            code = errors.pop(0)
            body = {"ok": False, "error_code": code, "description": ERRORS[code]}
            return web.json_response(body, status=code)
        self.deliveries[(chat_id, params["text"])] += 1
        if self.hold_after is not None and sum(self.deliveries.values()) > self.hold_after:
            self.held += 1
            await self.release.wait()
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": params["text"],
        }
        return web.json_response({"ok": True, "result": message})

    def bot(self) -> Any:
        return create_bot(TOKEN, api_base=self.url)


@asynccontextmanager
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield api
    finally:
        api.release.set()
        await runner.cleanup()
