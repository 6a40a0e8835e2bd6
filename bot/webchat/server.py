"""Assembles the web chat: Bot API, client API and pages on one aiohttp application."""

from __future__ import annotations

import hashlib
import secrets

from aiohttp import web

from bot.config import Settings
from bot.webchat.botapi import BotApi
from bot.webchat.client import ClientApi, client_errors
from bot.webchat.content import UPLOAD_LIMIT
from bot.webchat.pages import Pages
from bot.webchat.store import WebchatStore

WEBCHAT_BOT_ID = 7_000_000_001


def webchat_token(settings: Settings) -> str:
    """The bot's token for the local server: derived from WEBCHAT_SECRET, else random per run."""
    if settings.webchat_secret is not None:
        seed = "webchat-bot:" + settings.webchat_secret.get_secret_value()
        return f"{WEBCHAT_BOT_ID}:{hashlib.sha256(seed.encode()).hexdigest()[:40]}"
    return f"{WEBCHAT_BOT_ID}:{secrets.token_urlsafe(30)}"


def create_webchat_app(
    settings: Settings, store: WebchatStore, *, token: str, bot_name: str, pages: Pages
) -> web.Application:
    botapi = BotApi(
        store,
        token=token,
        username=settings.bot_username,
        first_name=bot_name,
        flood_limits=settings.webchat_flood_limits,
    )
    secret = settings.webchat_secret.get_secret_value() if settings.webchat_secret else None
    client = ClientApi(store, botapi, user_secret=secret)
    app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024, middlewares=[client_errors])
    app.add_routes(botapi.routes())
    app.add_routes(client.routes())
    app.add_routes(pages.routes())
    app.on_shutdown.append(store.close_waiters)
    app.on_response_prepare.append(_nosniff)
    return app


async def _nosniff(request: web.Request, response: web.StreamResponse) -> None:
    """No response of the web chat (static files included) is ever type-sniffed."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
