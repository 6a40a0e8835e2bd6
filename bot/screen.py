"""The classroom screen (S-44): a page for the projector showing the current check-in code,
large and as a QR code, refreshed every few seconds.

`/screen/{token}` is reachable without logging in, so the token is the key: the session id and
an expiry signed with the session's own check-in secret (see `bot.domain.checkin`). A forged
or expired token gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.clock import Clock
from bot.config import LOCALES, RunMode, Settings
from bot.domain.checkin import (
    DEEP_LINK_PREFIX,
    current_code,
    parse_screen_token,
    seconds_left,
)
from bot.i18n import environment, locale_for, text
from bot.links import qr_svg
from bot.views.timetable import session_shown
from bot.webchat.security import new_nonce, page_headers
from storage import checkin as store
from storage.attendance import enrolled_ids
from storage.db import unit_of_work
from storage.models import ClassSession, TrainingClass

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


@dataclass(frozen=True)
class Shown:
    class_session: ClassSession
    training_class: TrainingClass
    checked_in: int
    enrolled: int


class Screen:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker,
        clock: Clock,
        bot: Callable[[], Bot | None],
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.bot = bot

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/screen/{token}", self.page),
            web.get("/screen/{token}/code.json", self.code),
        ]

    async def _load(self, token: str) -> Shown | None:
        parsed = parse_screen_token(token)
        if parsed is None:
            return None
        async with unit_of_work(self.sessions) as session:
            class_session = await session.get(ClassSession, parsed.session_id)
            if class_session is None or not parsed.valid(
                class_session.checkin_secret, self.clock.now()
            ):
                return None
            training_class = await session.get(TrainingClass, class_session.class_id)
            return Shown(
                class_session,
                training_class,
                await store.checked_in_count(session, class_session.id),
                len(await enrolled_ids(session, training_class.id)),
            )

    async def _link(self, request: web.Request, code: str) -> str:
        """Where the QR code takes a phone: the bot with the code as its /start payload."""
        payload = f"{DEEP_LINK_PREFIX}{code}"
        if self.settings.mode is RunMode.WEBCHAT:
            base = self.settings.public_url or f"{request.scheme}://{request.host}"
            return f"{base}/chat?start={payload}"
        bot = self.bot()
        username = (await bot.me()).username if bot else self.settings.bot_username
        return f"https://t.me/{username}?start={payload}"

    async def _state(self, request: web.Request, shown: Shown) -> dict[str, Any]:
        now = self.clock.now()
        state: dict[str, Any] = {
            "open": store.is_open(shown.class_session),
            "checked_in": shown.checked_in,
            "enrolled": shown.enrolled,
            "code": None,
            "qr": None,
            "seconds_left": seconds_left(now),
        }
        if state["open"]:
            code = current_code(shown.class_session.checkin_secret, now)
            state.update(code=code, qr=qr_svg(await self._link(request, code)))
        return state

    def _locale(self, request: web.Request) -> str:
        asked = request.query.get("lang")
        if asked in LOCALES:
            return asked
        header = request.headers.get("Accept-Language", "")
        return locale_for(header.split(",")[0].strip() or None, self.settings.default_locale)

    async def page(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        shown = await self._load(request.match_info["token"])
        context: dict[str, Any] = {
            "locale": locale,
            "bot_name": text(locale, "common.bot_name"),
            "shown": shown,
        }
        if shown is not None:
            context.update(
                state=await self._state(request, shown),
                s=session_shown(shown.class_session, shown.training_class),
                json_url=f"{request.path}/code.json",
            )
        nonce = new_nonce()
        html = environment().get_template("web/screen.html").render(**context, nonce=nonce)
        return web.Response(
            text=html,
            content_type="text/html",
            charset="utf-8",
            status=200 if shown else 403,
            headers={**page_headers(nonce), **HEADERS},
        )

    async def code(self, request: web.Request) -> web.Response:
        shown = await self._load(request.match_info["token"])
        if shown is None:
            return web.json_response({"error": "forbidden"}, status=403, headers=HEADERS)
        return web.json_response(await self._state(request, shown), headers=HEADERS)
