"""The web chat's pages: home (demo invitations with QR codes) and the phone chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.config import LOCALES, Settings
from bot.i18n import environment, locale_for
from bot.webchat.security import page_headers

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class InviteCard:
    role: str
    role_label: str
    code: str
    chat_url: str
    deep_link: str | None
    qr_svg: str
    expires_at: datetime | None
    max_uses: int | None


InviteCards = Callable[[str], Awaitable[list[InviteCard]]]


class Pages:
    def __init__(self, settings: Settings, invite_cards: InviteCards, bot_name: str) -> None:
        self.settings = settings
        self.invite_cards = invite_cards
        self.bot_name = bot_name

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.home),
            web.get("/chat", self.chat),
            web.static("/static", STATIC_DIR),
        ]

    def _locale(self, request: web.Request) -> str:
        asked = request.query.get("lang")
        if asked in LOCALES:
            return asked
        header = request.headers.get("Accept-Language", "")
        return locale_for(header.split(",")[0].strip() or None, self.settings.default_locale)

    def _render(self, name: str, **context: object) -> web.Response:
        html = environment().get_template(f"web/{name}").render(**context)
        return web.Response(
            text=html, content_type="text/html", charset="utf-8", headers=page_headers()
        )

    async def home(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        return self._render(
            "home.html",
            locale=locale,
            invites=await self.invite_cards(locale),
            bot_name=self.bot_name,
        )

    async def chat(self, request: web.Request) -> web.Response:
        profile = request.query.get("profile", "")[:32]  # none: this browser's current person
        return self._render(
            "chat.html",
            locale=self._locale(request),
            profile=profile,
            start=request.query.get("start") or None,
            needs_secret=self.settings.webchat_secret is not None,
            bot_name=self.bot_name,
        )
