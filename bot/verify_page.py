"""The public certificate check (S-14, S-41): `/verify/<number>/<check>` on the product's web
server, in every run mode (web chat, polling, webhook), with no sign-in, for a phone.

The check is a keyed hash of the number (bot/domain/issuing.check_of), so numbers cannot be
tried one by one: a wrong check is answered exactly like an unknown number (404, "not found").
Revocation shows at once: every request reads the store."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import LOCALES, Settings
from bot.domain.issuing import deep_link_payload, normalise_number
from bot.i18n import environment, locale_for, text
from bot.links import invite_link
from bot.services import issuing
from bot.webchat.security import new_nonce, page_headers
from storage.db import unit_of_work

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class VerifyPage:
    def __init__(self, settings: Settings, sessions: async_sessionmaker) -> None:
        self.settings = settings
        self.sessions = sessions

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.get("/verify/{number}/{check}", self.page)]

    def _locale(self, request: web.Request) -> str:
        asked = request.query.get("lang")
        if asked in LOCALES:
            return asked
        header = request.headers.get("Accept-Language", "")
        return locale_for(header.split(",")[0].strip() or None, self.settings.default_locale)

    async def page(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        number = normalise_number(request.match_info["number"])
        shown = None
        if number is not None:
            async with unit_of_work(self.sessions) as session:
                shown = await issuing.verify(
                    session, self.settings, number, request.match_info["check"][:64]
                )
        nonce = new_nonce()
        bot_link = None
        if shown is not None:  # the same check in the bot (Telegram, or the web chat's page)
            payload = deep_link_payload(shown.number, request.match_info["check"].lower())
            bot_link = invite_link(self.settings, self.settings.bot_username, payload)
        html = (
            environment()
            .get_template("web/verify.html")
            .render(
                locale=locale,
                bot_name=text(locale, "common.bot_name"),
                v=shown,
                bot_link=bot_link,
                nonce=nonce,
            )
        )
        return web.Response(
            text=html,
            content_type="text/html",
            charset="utf-8",
            status=200 if shown else 404,
            headers={**page_headers(nonce), **HEADERS},
        )
