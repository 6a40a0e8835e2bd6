"""The people's side of the web chat: a small JSON API for the page, tests and scripts."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader, BadContentDispositionParam

from bot.webchat import bodies, content, security
from bot.webchat.bodies import BadRequest, validated
from bot.webchat.botapi import BotApi
from bot.webchat.errors import BotApiError
from bot.webchat.store import WebchatStore

PRESS_TIMEOUT = 10.0
FILE_TOO_LARGE = "file too large (50 MB at most)"
FILE_NAME_LIMIT = 255
FORM_ERRORS = (
    ValueError,
    AssertionError,
    LookupError,
    HttpProcessingError,
    BadContentDispositionHeader,  # warnings; raised where warnings are errors (the tests)
    BadContentDispositionParam,
)
FIELD_LIMIT = 64 * 1024  # a caption or any other form field
ClientError = BadRequest  # answered as {"error": message, "code": code} with the status


@web.middleware
async def client_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """The client API's answers to what it refuses: JSON {"error", "code"}, never a traceback.
    The page shows its own translation for a known code (what a person can cause), else the
    message. aiohttp's own refusals (unknown path, wrong method, too large) get the same shape
    on the client API's paths."""
    try:
        return await handler(request)
    except BadRequest as error:
        return web.json_response({"error": error.message, "code": error.code}, status=error.status)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": FILE_TOO_LARGE, "code": "file_too_large"}, status=413)
    except web.HTTPException as error:
        if error.status < 400 or not request.path.startswith(CLIENT_PATHS):
            raise
        body = {"error": error.reason, "code": None}
        return web.json_response(body, status=error.status, headers=_kept(error.headers))


CLIENT_PATHS = ("/api/", "/media/")


def _kept(headers: Any) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name in ("Allow",)}


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
        """The person: by `Authorization: Bearer <token>` (scripts, tests), or by the
        HttpOnly cookie of the page's profile named in `X-Webchat-Profile` (the page, which
        never sees its token). A cross-site request can neither send that header without a
        CORS preflight (never granted) nor the SameSite=Strict cookie."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" and "X-Webchat-Profile" in request.headers:
            profile = unquote(request.headers["X-Webchat-Profile"])  # URL-encoded: any text
            token = request.cookies.get(security.token_cookie(profile))
            scheme = "Bearer" if token else ""
        known = scheme == "Bearer" and token and token.isascii()  # tokens are URL-safe ASCII
        user = await self.store.user_by_token(token) if known else None
        if user is None:
            raise ClientError(401, "missing or unknown token")
        return user

    async def create_user(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Webchat-Secret", "").encode("utf-8", "surrogateescape")
        if self.user_secret is not None and not hmac.compare_digest(
            given, self.user_secret.encode()
        ):
            raise ClientError(403, "this web chat needs its secret to create users")
        body = validated(bodies.NewUser, await bodies.json_object(request))
        if not body.first_name:
            raise ClientError(400, "first_name is required", "bad_request")
        profile = {
            key: value or None for key, value in body.model_dump(exclude={"profile"}).items()
        }
        user_id, token = await self.store.create_user(profile)
        if not body.profile:
            return web.json_response({"user_id": user_id, "token": token})
        # the page: the token goes only into an HttpOnly cookie for its profile
        response = web.json_response({"user_id": user_id})
        response.set_cookie(
            security.token_cookie(body.profile),
            token,
            path="/api/chat",
            max_age=security.TOKEN_COOKIE_AGE,
            httponly=True,
            samesite="Strict",
        )
        return response

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
            return await self._file_fields(request)
        # a body over the limit can only be a text far over 4096 characters: "too long"
        body = validated(bodies.Send, await bodies.json_object(request, too_large="too_long"))
        if body.text is not None and body.text.strip():
            return _text_fields(body.text.strip())
        if body.contact is not None:
            if not body.contact.phone_number:
                raise ClientError(400, "contact.phone_number is required", "bad_request")
            return {
                "contact": {
                    "phone_number": body.contact.phone_number,
                    "first_name": user["first_name"],
                    "user_id": user["id"],
                }
            }
        if body.location is not None:
            return {"location": body.location.model_dump()}
        raise ClientError(400, "send text, contact, location, or a photo/document file")

    async def _file_fields(self, request: web.Request) -> dict[str, Any]:
        """A photo or document sent as multipart (+ caption). A form that cannot be read (no
        boundary, cut short, a part's headers broken) is a 400, a file over 50 MB a 413."""
        try:
            upload = await _read_form(request)
        except FORM_ERRORS as error:
            raise ClientError(400, "the multipart form could not be read", "bad_request") from (
                error
            )
        if upload.kind is None:
            raise ClientError(400, "send a photo or document file")
        caption = _unicode(upload.caption.strip(), "caption")
        if content.utf16_len(caption) > content.CAPTION_LIMIT:
            raise ClientError(400, "caption is too long (1024 characters at most)", "too_long")
        try:
            record = content.new_file_record(
                upload.data,
                safe_file_name(upload.filename, upload.kind),
                upload.kind,
                upload.content_type,
            )
        except BotApiError as error:
            if error.code == 413:
                raise ClientError(413, FILE_TOO_LARGE, "file_too_large") from error
            description = error.description.removeprefix("Bad Request: ")
            raise ClientError(400, description, "bad_file") from error
        await self.store.add_file(record, upload.data)
        fields = content.file_fields(record, f"/media/{record['file_unique_id']}")
        if caption:
            fields.update({"caption": caption, "html": content.parse_plain(caption).html})
        return fields

    async def press(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        body = validated(bodies.Press, await bodies.json_object(request))
        data = body.data
        if not 1 <= len(data.encode()) <= content.CALLBACK_DATA_LIMIT:
            raise ClientError(400, "data must be 1-64 bytes of text", "bad_request")
        message = await self.store.message(user["id"], body.message_id)
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
        blocked = validated(bodies.Block, await bodies.json_object(request)).blocked
        await self.store.set_blocked(user["id"], blocked)
        return web.json_response({"blocked": blocked})

    async def events(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        query = validated(bodies.EventsQuery, dict(request.query))
        rows = await self.store.events_after(user["id"], query.after, query.timeout)
        return web.json_response({"events": rows})

    async def commands(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        scopes = [f"chat:{user['id']}", "all_private_chats", "default"]
        language = (user["language_code"] or "")[:2]
        return web.json_response({"commands": await self.store.commands_for(scopes, language)})

    async def media(self, request: web.Request) -> web.StreamResponse:
        """A file sent in the chat, served so that it can never run as the page: known image
        types inline as themselves, anything else as an octet-stream attachment; nosniff and
        a CSP that runs nothing either way."""
        record = await self.store.file(file_unique_id=request.match_info["unique_id"])
        if record is None:
            raise ClientError(404, "no such file")
        return web.FileResponse(
            self.store.files_dir / record["file_unique_id"],
            headers=security.media_headers(record["mime_type"], record["name"]),
        )


@dataclass
class Upload:
    kind: str | None = None  # "photo" or "document"
    data: bytes = b""
    filename: str | None = None
    content_type: str | None = None
    caption: str = ""


async def _read_form(request: web.Request) -> Upload:
    """The multipart form read part by part, in memory and bounded: the first photo or
    document part (at most 50 MB) and a caption (at most FIELD_LIMIT bytes)."""
    upload = Upload()
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ValueError("nested multipart")
        if part.name in ("photo", "document") and part.filename is not None:
            data = await _read_part(part, content.UPLOAD_LIMIT, FILE_TOO_LARGE, "file_too_large")
            if upload.kind is None:
                upload.kind, upload.data, upload.filename = part.name, data, part.filename
                upload.content_type = part.headers.get("Content-Type")
        elif part.name == "caption":
            raw = await _read_part(part, FIELD_LIMIT, "the caption is too long", "too_long")
            upload.caption = raw.decode("utf-8")
        else:
            await _read_part(part, FIELD_LIMIT, "a form field is too long", "too_large")
    return upload


async def _read_part(part: BodyPartReader, limit: int, message: str, code: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(256 * 1024):
        data += chunk
        if len(data) > limit:
            status = 413 if code in ("file_too_large", "too_large") else 400
            raise ClientError(status, message, code)
    return bytes(data)


def safe_file_name(name: str | None, kind: str) -> str:
    """An uploaded file's name as kept: its last path part, no control characters (a CR/LF
    in a name must never reach a header), valid Unicode, at most FILE_NAME_LIMIT characters."""
    cleaned = "".join(
        char for char in (name or "") if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF
    )
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(cleaned) > FILE_NAME_LIMIT:
        stem, dot, suffix = cleaned.rpartition(".")
        keep = suffix[:16] if dot and len(suffix) <= 16 else ""
        cleaned = cleaned[: FILE_NAME_LIMIT - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return cleaned or kind


def _unicode(value: str, field: str) -> str:
    try:
        return bodies.unicode_text(value)
    except ValueError as error:
        raise ClientError(400, f"{field}: {error}", "bad_request") from None


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
