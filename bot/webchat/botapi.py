"""The Bot API methods our bot calls, at /bot<token>/<method>, with Telegram's shapes and errors."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import FileField

from bot.webchat import content
from bot.webchat.errors import (
    BLOCKED,
    CHAT_NOT_FOUND,
    NOT_FOUND,
    TOO_LARGE,
    UNAUTHORIZED,
    BotApiError,
    bad_request,
)
from bot.webchat.security import MEDIA_CSP
from bot.webchat.store import WebchatStore
from bot.webchat.tg_html import ParsedText

log = logging.getLogger(__name__)
Method = Callable[[dict[str, Any]], Awaitable[Any]]
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


class FloodGate:
    """Telegram's flood limits: about 30 messages a second overall and 1 a second per chat."""

    def __init__(self, per_second: int = 30, per_chat_interval: float = 1.0) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self._recent: deque[float] = deque()
        self._last_by_chat: dict[int, float] = {}

    def check(self, chat_id: int) -> None:
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        wait = 0.0
        if len(self._recent) >= self.per_second:
            wait = 1.0 - (now - self._recent[0])
        last = self._last_by_chat.get(chat_id)
        if last is not None and now - last < self.per_chat_interval:
            wait = max(wait, self.per_chat_interval - (now - last))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self._recent.append(now)
        self._last_by_chat[chat_id] = now


class BotApi:
    """One bot's view of the web chat. `answers` joins callback presses to their answers."""

    def __init__(
        self,
        store: WebchatStore,
        *,
        token: str,
        username: str,
        first_name: str,
        flood_limits: bool,
    ) -> None:
        self.store = store
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.flood = FloodGate() if flood_limits else None
        self.answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.methods: dict[str, Method] = {
            name.removeprefix("m_").lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("m_")
        }

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle),
            web.get("/file/bot{token}/{path:.+}", self.download),
        ]

    async def handle(self, request: web.Request) -> web.Response:
        try:
            if request.match_info["token"] != self.token:
                raise UNAUTHORIZED
            name = request.match_info["method"].lower()
            method = self.methods.get(name)
            if method is None:
                raise NOT_FOUND
            params = await _params(request)
            if self.flood is not None and name in SEND_METHODS:
                self.flood.check(_int(params, "chat_id"))
            return web.json_response({"ok": True, "result": await method(params)})
        except BotApiError as error:
            return error.response()
        except web.HTTPRequestEntityTooLarge:
            return TOO_LARGE.response()

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return UNAUTHORIZED.response()
        unique_id = Path(request.match_info["path"]).stem
        record = await self.store.file(file_unique_id=unique_id)
        if record is None or record["size"] > content.DOWNLOAD_LIMIT:
            return NOT_FOUND.response()
        return web.FileResponse(
            self.store.files_dir / record["file_unique_id"],
            headers={  # for the bot, never for a browser to render
                "Content-Type": "application/octet-stream",
                "Content-Disposition": "attachment",
                "Content-Security-Policy": MEDIA_CSP,
            },
        )

    async def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        user = await self.store.user(_int(params, "chat_id"))
        if user is None:
            raise bad_request(CHAT_NOT_FOUND)
        if user["blocked"]:
            raise BLOCKED
        return user

    async def _send(self, user: dict[str, Any], fields: dict[str, Any], params: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        payload = {"date": int(time.time()), "chat": chat, "from": self.user, **fields}
        markup = content.reply_markup(params)
        if markup is not None:
            payload["reply_markup"] = markup
        return content.for_bot(await self.store.add_message(user["id"], payload))

    async def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        """Only the bot's own messages can be edited, and not in a chat that blocked it."""
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the web chat")
        user = await self._chat(params)
        message = await self.store.message(user["id"], _int(params, "message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message["from"].get("is_bot"):
            raise bad_request("message can't be edited")
        return message

    async def _replace(self, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        if {**before, "html": None} == {**after, "html": None}:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        after["edit_date"] = int(time.time())
        await self.store.replace_message(before["chat"]["id"], after)
        return content.for_bot(after)

    async def _stored_file(self, params: dict[str, Any], field: str, kind: str) -> dict:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, FileField):
            data = value.file.read()
            record = content.new_file_record(data, value.filename or kind, kind, value.content_type)
            await self.store.add_file(record, data)
            return record
        if isinstance(value, str) and value:
            record = await self.store.file(file_id=value)
            if record is not None and record["kind"] == kind:
                return record
            if record is not None:  # Telegram never changes a file's type on resending
                raise bad_request(
                    f"can't use file of type {record['kind'].title()} as {kind.title()}"
                )
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.user,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = min(max(_int(params, "limit", 100), 1), 100)
        timeout = min(max(_int(params, "timeout", 0), 0), 50)
        return await self.store.pending_updates(_int(params, "offset", 0), limit, timeout)

    async def m_setWebhook(self, params: dict[str, Any]) -> bool:
        """Accepted so a webhook-mode bot can start against the web chat; updates still go
        through getUpdates only, so the web chat refuses getUpdates while a webhook is set."""
        url = str(params.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        await self._drop_pending(params)
        return True

    async def m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        await self._drop_pending(params)
        return True

    async def _drop_pending(self, params: dict[str, Any]) -> None:
        if _bool(params.get("drop_pending_updates")):
            await self.store.drop_updates()

    async def m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        count = await self.store.pending_update_count()
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": count,
        }

    async def m_logOut(self, params: dict[str, Any]) -> bool:
        return True

    async def m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def m_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = content.scope_keys(content.json_param(params, "scope"))
        items = content.bot_commands(params)
        await self.store.set_commands(scope, params.get("language_code") or "", items)
        return True

    async def m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        scope = content.scope_keys(content.json_param(params, "scope"))
        await self.store.set_commands(scope, params.get("language_code") or "", None)
        return True

    async def m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        scope = content.scope_keys(content.json_param(params, "scope"))
        return await self.store.commands_exact(scope, params.get("language_code") or "")

    async def m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        parsed = _message_text(params)
        user = await self._chat(params)
        return await self._send(user, content.text_fields(parsed), params)

    async def m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        user = await self._chat(params)
        parsed = content.formatted(
            params.get("caption"),
            params.get("parse_mode"),
            limit=content.CAPTION_LIMIT,
            what="caption",
        )
        record = await self._stored_file(params, kind, kind)
        fields = content.file_fields(record, f"/media/{record['file_unique_id']}")
        if parsed.text:
            fields.update(content.text_fields(parsed, "caption"))
        return await self._send(user, fields, params)

    async def m_sendChatAction(self, params: dict[str, Any]) -> bool:
        await self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        parsed = _message_text(params)
        before = await self._editable(params)
        if "text" not in before:
            raise bad_request("there is no text in the message to edit")
        after = {k: v for k, v in before.items() if k not in ("entities", "reply_markup")}
        after.update(content.text_fields(parsed))
        markup = content.reply_markup(params)
        if markup is not None:
            after["reply_markup"] = markup
        return await self._replace(before, after)

    async def m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        before = await self._editable(params)
        after = {k: v for k, v in before.items() if k != "reply_markup"}
        markup = content.reply_markup(params)
        if markup is not None:
            after["reply_markup"] = markup
        return await self._replace(before, after)

    async def m_deleteMessage(self, params: dict[str, Any]) -> bool:
        user = await self._chat(params)
        if not await self.store.delete_message(user["id"], _int(params, "message_id")):
            raise bad_request("message to delete not found")
        return True

    async def m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        future = self.answers.get(str(params.get("callback_query_id")))
        if future is None or future.done():
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        future.set_result({"text": text, "show_alert": _bool(params.get("show_alert"))})
        return True

    async def m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        record = await self.store.file(file_id=str(params.get("file_id") or ""))
        if record is None:
            raise bad_request("invalid file_id")
        if record["size"] > content.DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        suffix = Path(record["name"]).suffix
        return {
            "file_id": record["file_id"],
            "file_unique_id": record["file_unique_id"],
            "file_size": record["size"],
            "file_path": f"{record['kind']}s/{record['file_unique_id']}{suffix}",
        }


def _message_text(params: dict[str, Any]) -> ParsedText:
    """The Bot API refuses a missing text; Telegram then refuses one its clean-up empties."""
    if not params.get("text"):
        raise bad_request("message text is empty")
    parsed = content.formatted(
        str(params["text"]), params.get("parse_mode"), limit=content.TEXT_LIMIT, what="text"
    )
    if not parsed.text:
        raise bad_request("message must be non-empty")
    return parsed


async def _params(request: web.Request) -> dict[str, Any]:
    """The parameters as the Bot API server reads them: from the query string, a form, or a
    JSON object whose values that are not strings stand for their JSON text (so every value
    is a string or an uploaded file). Strings must be valid Unicode, as Telegram requires."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except (ValueError, RecursionError) as error:
            raise bad_request("can't parse JSON") from error
        if isinstance(body, dict):
            params.update(
                (key, value if isinstance(value, str) else json.dumps(value))
                for key, value in body.items()
                if value is not None
            )
    elif request.can_read_body:
        try:
            params.update(await request.post())
        except web.HTTPException:
            raise
        except (ValueError, AssertionError, LookupError, HttpProcessingError) as error:
            raise bad_request("can't parse request parameters") from error
    for value in params.values():
        if isinstance(value, str) and not _encodable(value):
            raise bad_request("strings must be encoded in UTF-8")
    return params


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int(params: dict[str, Any], name: str, default: int | None = None) -> int:
    """An integer parameter as Telegram reads one: a 64-bit integer, else "invalid"."""
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise bad_request(f"{name} is empty" if name != "chat_id" else CHAT_NOT_FOUND)
        return default
    try:
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise ValueError(name)
        return number
    except (TypeError, ValueError, OverflowError) as error:
        raise bad_request(
            f"invalid {name} specified" if name != "chat_id" else CHAT_NOT_FOUND
        ) from error


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")
