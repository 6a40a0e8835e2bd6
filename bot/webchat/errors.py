"""Telegram's error answers, with Telegram's codes and wording."""

from __future__ import annotations

from aiohttp import web


class BotApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: dict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.code)


def bad_request(what: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {what}")


CHAT_NOT_FOUND = "chat not found"
BLOCKED = BotApiError(403, "Forbidden: bot was blocked by the user")
UNAUTHORIZED = BotApiError(401, "Unauthorized")
NOT_FOUND = BotApiError(404, "Not Found")
TOO_LARGE = BotApiError(413, "Request Entity Too Large")
