"""The people's side of the web chat: a small JSON API for the page, tests and scripts."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.web_request import FileField

from bot.webchat import content
from bot.webchat.botapi import BotApi
from bot.webchat.errors import BotApiError
from bot.webchat.store import WebchatStore

PRESS_TIMEOUT = 10.0
EVENTS_TIMEOUT_MAX = 30.0
PROFILE_FIELDS = {"first_name": 64, "last_name": 64, "username": 32, "language_code": 16}
FILE_TOO_LARGE = "file too large (50 MB at most)"


class ClientError(Exception):
    """Answered as {"error": message, "code": code} with the status. The page shows its own
    translation for a known code (what a person can cause), else the message."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@web.middleware
async def client_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ClientError as error:
        return web.json_response({"error": error.message, "code": error.code}, status=error.status)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": FILE_TOO_LARGE, "code": "file_too_large"}, status=413)


class ClientApi:
    def __init__(self, store: WebchatStore, botapi: BotApi, *, user_secret: str | None) -> None:
        self.store = store
        self.botapi = botapi
        self.user_secret = user_secret

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/chat/users", self.create_user),
            web.post("/api/chat/send", self.send),
            web.post("/api/chat/press", self.press),
            web.post("/api/chat/block", self.block),
            web.get("/api/chat/events", self.events),
            web.get("/api/chat/commands", self.commands),
            web.get("/media/{unique_id}", self.media),
        ]

    async def _user(self, request: web.Request) -> dict[str, Any]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = await self.store.user_by_token(token) if scheme == "Bearer" and token else None
        if user is None:
            raise ClientError(401, "missing or unknown token")
        return user

    async def create_user(self, request: web.Request) -> web.Response:
        if self.user_secret is not None and not hmac.compare_digest(
            request.headers.get("X-Webchat-Secret", ""), self.user_secret
        ):
            raise ClientError(403, "this web chat needs its secret to create users")
        body = await _json_body(request)
        profile: dict[str, Any] = {}
        for field, limit in PROFILE_FIELDS.items():
            value = body.get(field)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise ClientError(400, f"{field} must be text of at most {limit} characters")
            profile[field] = value.strip() if value else None
        if not profile["first_name"]:
            raise ClientError(400, "first_name is required")
        user_id, token = await self.store.create_user(profile)
        return web.json_response({"user_id": user_id, "token": token})

    async def send(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        fields = await self._message_fields(request, user)
        sender = {"id": user["id"], "is_bot": False, "first_name": user["first_name"]}
        for key in ("last_name", "username", "language_code"):
            if user[key]:
                sender[key] = user[key]
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = await self.store.add_message(
            user["id"], {"date": int(time.time()), "chat": chat, "from": sender, **fields}
        )
        if not user["blocked"]:
            await self.store.enqueue_update({"message": content.for_bot(message)})
        return web.json_response({"message_id": message["message_id"]})

    async def _message_fields(self, request: web.Request, user: dict[str, Any]) -> dict:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            upload = form.get("photo") or form.get("document")
            if not isinstance(upload, FileField):
                raise ClientError(400, "send a photo or document file")
            kind = "photo" if isinstance(form.get("photo"), FileField) else "document"
            data = upload.file.read()
            try:
                record = content.new_file_record(
                    data, upload.filename or kind, kind, upload.content_type
                )
            except BotApiError as error:
                if error.code == 413:
                    raise ClientError(413, FILE_TOO_LARGE, "file_too_large") from error
                description = error.description.removeprefix("Bad Request: ")
                raise ClientError(400, description, "bad_file") from error
            await self.store.add_file(record, data)
            fields = content.file_fields(record, f"/media/{record['file_unique_id']}")
            caption = str(form.get("caption") or "").strip()
            if caption:
                fields.update({"caption": caption, "html": content.parse_plain(caption).html})
            return fields
        body = await _json_body(request)
        if isinstance(body.get("text"), str) and body["text"].strip():
            return _text_fields(body["text"].strip())
        if isinstance(body.get("contact"), dict):
            phone = str(body["contact"].get("phone_number") or "").strip()
            if not phone:
                raise ClientError(400, "contact.phone_number is required")
            return {
                "contact": {
                    "phone_number": phone,
                    "first_name": user["first_name"],
                    "user_id": user["id"],
                }
            }
        if isinstance(body.get("location"), dict):
            return {"location": _location(body["location"])}
        raise ClientError(400, "send text, contact, location, or a photo/document file")

    async def press(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        body = await _json_body(request)
        data = body.get("data")
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= content.CALLBACK_DATA_LIMIT:
            raise ClientError(400, "data must be 1-64 bytes of text")
        try:
            message = await self.store.message(user["id"], int(body.get("message_id")))
        except (TypeError, ValueError) as error:
            raise ClientError(400, "message_id must be a number") from error
        if message is None or not message["from"].get("is_bot"):
            raise ClientError(404, "no such bot message in this chat")
        query_id = str(secrets.randbits(63))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.botapi.answers[query_id] = future
        sender = {"id": user["id"], "is_bot": False, "first_name": user["first_name"]}
        if user["language_code"]:
            sender["language_code"] = user["language_code"]
        await self.store.enqueue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "message": content.for_bot(message),
                    "chat_instance": str(user["id"]),
                    "data": data,
                }
            }
        )
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), PRESS_TIMEOUT)
            return web.json_response({"answered": True, **answer})
        except TimeoutError:
            return web.json_response({"answered": False, "text": None, "show_alert": False})
        finally:
            self.botapi.answers.pop(query_id, None)

    async def block(self, request: web.Request) -> web.Response:
        """Stop (or resume) receiving the bot's messages, like blocking a bot in Telegram."""
        user = await self._user(request)
        blocked = bool((await _json_body(request)).get("blocked", True))
        await self.store.set_blocked(user["id"], blocked)
        return web.json_response({"blocked": blocked})

    async def events(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        try:
            after = int(request.query.get("after", "0"))
            timeout = min(max(float(request.query.get("timeout", "0")), 0.0), EVENTS_TIMEOUT_MAX)
        except ValueError as error:
            raise ClientError(400, "after and timeout must be numbers") from error
        rows = await self.store.events_after(user["id"], after, timeout)
        return web.json_response({"events": rows})

    async def commands(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        scopes = [f"chat:{user['id']}", "all_private_chats", "default"]
        language = (user["language_code"] or "")[:2]
        return web.json_response({"commands": await self.store.commands_for(scopes, language)})

    async def media(self, request: web.Request) -> web.StreamResponse:
        record = await self.store.file(file_unique_id=request.match_info["unique_id"])
        if record is None:
            raise ClientError(404, "no such file")
        return web.FileResponse(
            self.store.files_dir / record["file_unique_id"],
            headers={
                "Content-Type": record["mime_type"],
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(record['name'])}",
            },
        )


def _text_fields(text: str) -> dict[str, Any]:
    if content.utf16_len(text) > content.TEXT_LIMIT:
        raise ClientError(400, "message is too long (4096 characters at most)", "too_long")
    fields: dict[str, Any] = {"text": text, "html": content.parse_plain(text).html}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        fields["entities"] = [
            {"type": "bot_command", "offset": 0, "length": content.utf16_len(command)}
        ]
    return fields


def _location(value: dict[str, Any]) -> dict[str, float]:
    try:
        latitude, longitude = float(value["latitude"]), float(value["longitude"])
    except (KeyError, TypeError, ValueError) as error:
        raise ClientError(400, "location needs latitude and longitude numbers") from error
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ClientError(400, "latitude must be within ±90 and longitude within ±180")
    return {"latitude": latitude, "longitude": longitude}


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise ClientError(400, "the body must be a JSON object") from error
    if not isinstance(body, dict):
        raise ClientError(400, "the body must be a JSON object")
    return body
