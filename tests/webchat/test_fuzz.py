"""Property-based: arbitrary JSON, numbers, strings, bytes and multipart thrown at every client
endpoint, and arbitrary callback data pressed at the bot through the real Dispatcher. Nothing
is a 5xx, nothing logs a traceback, every refusal is a JSON error, every press is answered
politely. Bounded (modest max_examples, no deadline) so CI stays fast."""

from __future__ import annotations

import enum
import json
import logging
import math
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers  # noqa: F401  (registers every button class)
from bot.callback_guard import _all_classes
from bot.domain.roles import Role
from bot.webchat import client as client_module
from storage import repo
from tests.chat import ChatUser
from tests.fast.conftest import fast_factory  # noqa: F401  (the fast tier's fixture)

if TYPE_CHECKING:
    from tests.webchat.conftest import Webchat

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EDGE_NUMBERS = [0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**23]
EDGE_TEXT = [
    "",
    " ",
    "\ud800",
    "a\udfffb",
    "/start",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "1e309",
    "-0",
    "0x10",
    "１２",
    "\x00",
    "\r\n",
    "9" * 23,
    "true",
    "false",
    "null",
]
TEXT = st.text(st.characters(exclude_categories=()), max_size=24) | st.sampled_from(EDGE_TEXT)
NUMBER = st.integers() | st.floats() | st.sampled_from(EDGE_NUMBERS)
SCALAR = st.none() | st.booleans() | NUMBER | TEXT
JSON_VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)


def body_with(keys: dict[str, Any]) -> st.SearchStrategy[Any]:
    """An object with some of the endpoint's keys (each anything), or any JSON at all."""
    return st.fixed_dictionaries({}, optional=keys) | JSON_VALUE


def nested(*keys: str) -> st.SearchStrategy[Any]:
    return body_with({key: JSON_VALUE for key in keys})


BODIES = st.one_of(
    st.tuples(
        st.just("users"),
        body_with(
            {k: JSON_VALUE for k in ("first_name", "last_name", "username", "language_code")}
        ),
    ),
    st.tuples(
        st.just("send"),
        body_with(
            {
                "text": JSON_VALUE,
                "contact": nested("phone_number"),
                "location": nested("latitude", "longitude"),
            }
        ),
    ),
    st.tuples(st.just("press"), body_with({"message_id": SCALAR, "data": JSON_VALUE})),
    st.tuples(st.just("block"), body_with({"blocked": JSON_VALUE})),
)
QUERY_VALUE = TEXT | NUMBER.map(str)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def answered_sanely(response: Any) -> tuple[int, Any]:
    """No 5xx, and a JSON answer: an error message, or the endpoint's own result."""
    text = await response.text()
    assert response.status < 500, text
    assert response.content_type == "application/json", (response.status, text)
    body = json.loads(text)
    if response.status >= 400:
        assert isinstance(body["error"], str) and body["error"], body
    return response.status, body


@pytest.fixture
async def target(webchat: Webchat, monkeypatch: pytest.MonkeyPatch) -> tuple[Webchat, ChatUser]:
    """A person with a bot message to press (unanswered presses end at once) and long polls
    cut short, checking that the store is only ever asked with finite, bounded numbers."""
    monkeypatch.setattr(client_module, "PRESS_TIMEOUT", 0.01)
    events_after = webchat.store.events_after

    async def checked(chat_id: int, after: int, timeout: float) -> Any:
        assert isinstance(after, int) and 0 <= after < 2**31
        assert math.isfinite(timeout) and 0 <= timeout <= 30
        return await events_after(chat_id, after, 0)

    monkeypatch.setattr(webchat.store, "events_after", checked)
    user = await webchat.user()
    await webchat.bot.send_message(user.user_id, "按钮", reply_markup=None)
    return webchat, user


@FUZZ
@given(case=BODIES, raw=st.none() | st.binary(max_size=64))
async def test_json_endpoints_never_fail(target, caplog, case, raw):
    webchat, user = target
    path, body = case
    data = raw if raw is not None else json.dumps(body).encode()
    async with webchat.http.post(
        f"{webchat.base_url}/api/chat/{path}",
        data=data,
        headers={**user.headers, "Content-Type": "application/json"},
    ) as response:
        status, answer = await answered_sanely(response)
    if path == "block" and status == 200:
        assert answer["blocked"] in (True, False)
        await webchat.store.set_blocked(user.user_id, False)
    assert tracebacks(caplog) == []


@FUZZ
@given(after=st.none() | QUERY_VALUE, timeout=st.none() | QUERY_VALUE)
async def test_event_queries_never_fail(target, caplog, after, timeout):
    webchat, user = target
    params = {k: v for k, v in (("after", after), ("timeout", timeout)) if v is not None}
    async with webchat.http.get(
        f"{webchat.base_url}/api/chat/events", params=params, headers=user.headers
    ) as response:
        status, answer = await answered_sanely(response)
    if status == 200:
        assert isinstance(answer["events"], list)
    assert tracebacks(caplog) == []


MULTIPART_NAME = st.sampled_from(["photo", "document", "caption", "other", ""]) | TEXT


@st.composite
def multipart_bodies(draw: st.DrawFn) -> bytes:
    """A multipart body as any client might write it: parts with odd names and file names
    (quotes, CR/LF, surrogates), odd content, or cut short, or bytes that are no form at all."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(MULTIPART_NAME).encode("utf-8", "surrogatepass")
        header = b'Content-Disposition: form-data; name="' + name + b'"'
        if draw(st.booleans()):
            filename = draw(TEXT).encode("utf-8", "surrogatepass")
            header += b'; filename="' + filename + b'"'
        if draw(st.booleans()):
            header += b"\r\nContent-Type: " + draw(
                st.sampled_from([b"image/png", b"text/html", b"x"])
            )
        content = draw(st.binary(max_size=64) | st.just(b"\x89PNG\r\n\x1a\n"))
        parts.append(b"--B\r\n" + header + b"\r\n\r\n" + content + b"\r\n")
    body = b"".join(parts) + (b"--B--\r\n" if draw(st.booleans()) else b"")
    return body[: draw(st.integers(0, len(body)))] if draw(st.booleans()) else body


@FUZZ
@given(
    body=multipart_bodies(),
    content_type=st.sampled_from(
        ["multipart/form-data; boundary=B", "multipart/form-data", "multipart/form-data; boundary="]
    ),
)
async def test_multipart_uploads_never_fail(target, caplog, body, content_type):
    webchat, user = target
    async with webchat.http.post(
        f"{webchat.base_url}/api/chat/send",
        data=body,
        headers={**user.headers, "Content-Type": content_type},
    ) as response:
        status, answer = await answered_sanely(response)
    if status == 200:
        [event, *_] = [e for e in await user.poll() if e["type"] == "message"][-1:]
        for link in event["message"].get("files", []):
            async with webchat.http.get(webchat.base_url + link["url"]) as media:
                assert media.status == 200
                assert media.headers["X-Content-Type-Options"] == "nosniff"
                assert media.headers["Content-Type"] in (
                    "application/octet-stream",
                    "image/png",
                    "image/jpeg",
                    "image/gif",
                    "image/webp",
                )
    assert tracebacks(caplog) == []


# --- forged callback data at the bot ----------------------------------------------------------

CLASSES = sorted(_all_classes(), key=lambda cls: cls.__prefix__)
PREFIXES = sorted({cls.__prefix__ for cls in CLASSES})
WORDS = ["back", "skip", "next", "done", "cancel", "edit", "submit", "x", "en", "2026-12"]
PART = (
    st.integers(-(2**70), 2**70).map(str)
    | st.sampled_from([*map(str, EDGE_NUMBERS), "", "1e3", "nan", "true", "false", *WORDS])
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
)


def field_values(annotation: Any) -> st.SearchStrategy[str]:
    """Values for one field of a button: mostly of its type (so the data gets past the
    filters to a handler), with out-of-range numbers and the odd wrong value."""
    if annotation is bool:
        return st.sampled_from(["0", "1", "true", "false", "maybe"])
    if annotation is int:
        return st.sampled_from([*map(str, EDGE_NUMBERS), "1", "2", "3"]) | st.integers(
            -(2**70), 2**70
        ).map(str)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from([str(member.value) for member in annotation] + ["x"])
    return PART


def shaped(cls: Any) -> st.SearchStrategy[str]:
    fields = [field_values(field.annotation) for field in cls.model_fields.values()]
    return st.tuples(*fields).map(lambda parts: cls.__separator__.join([cls.__prefix__, *parts]))


CALLBACK_DATA = (
    st.sampled_from(CLASSES).flatmap(shaped)
    | st.builds(
        lambda prefix, parts: ":".join([prefix, *parts]),
        st.sampled_from(PREFIXES),
        st.lists(PART, max_size=4),
    )
    | st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=64)
).filter(lambda data: 1 <= len(data.encode()) <= 64)
ERROR_TEXTS = ("处理时出错了", "系统暂时无法保存")


@pytest.fixture
async def bot_target(fast_factory, http, request) -> tuple[Any, ChatUser, int]:  # noqa: F811
    """A person of the given role (from the demo invitations), so the handlers behind role
    filters are reached too."""
    app = await fast_factory()
    async with app.store() as session:
        codes = {inv.role: inv.code for inv in await repo.demo_invitations(session)}
    user = await ChatUser.create(http, app.base_url, "测试员")
    greeting = await user.reply_to(f"/start {codes[request.param]}")
    await user.quiet()
    return app, user, greeting["message_id"]


@pytest.mark.parametrize("bot_target", [Role.INSTITUTION, Role.TRAINEE], indirect=True)
@settings(FUZZ, max_examples=80)
@given(data=CALLBACK_DATA)
async def test_forged_callback_data_gets_a_polite_answer(bot_target, caplog, data):
    """Whatever data a client presses on a bot message, the bot answers the press (an alert
    or the button's effect), never with a traceback or "处理时出错了"."""
    app, user, message_id = bot_target
    answer = await user.press(message_id, data)
    assert answer["answered"], data
    said = [m.get("text") or "" for m in await user.quiet()]
    assert not any(error in text for text in said for error in ERROR_TEXTS), (data, said)
    assert not any(error in (answer["text"] or "") for error in ERROR_TEXTS), (data, answer)
    assert tracebacks(caplog) == [], data


# --- the Bot API side (what a bot holding the token may send) ---------------------------------

BOT_METHODS = [
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendChatAction",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "getFile",
]
BOT_PARAMS = [
    "chat_id",
    "text",
    "parse_mode",
    "message_id",
    "reply_markup",
    "caption",
    "photo",
    "document",
    "offset",
    "limit",
    "timeout",
    "callback_query_id",
    "show_alert",
    "file_id",
    "scope",
    "commands",
    "language_code",
    "action",
    "url",
    "drop_pending_updates",
]
JSON_TEXT = JSON_VALUE.map(lambda value: json.dumps(value))


@pytest.fixture
async def bot_api(webchat: Webchat, monkeypatch: pytest.MonkeyPatch) -> tuple[Webchat, ChatUser]:
    """Long polls cut short, checking the store only sees finite, bounded numbers."""
    pending = webchat.store.pending_updates

    async def checked(offset: int, limit: int, timeout: float) -> Any:
        assert isinstance(offset, int) and 1 <= limit <= 100 and 0 <= timeout <= 50
        return await pending(offset, limit, 0)

    monkeypatch.setattr(webchat.store, "pending_updates", checked)
    user = await webchat.user()
    await webchat.bot.send_message(user.user_id, "消息")
    return webchat, user


@FUZZ
@given(
    method=st.sampled_from(BOT_METHODS),
    params=st.dictionaries(st.sampled_from(BOT_PARAMS), JSON_VALUE | JSON_TEXT, max_size=5),
    own_chat=st.booleans(),
)
async def test_bot_api_methods_never_fail(bot_api, caplog, method, params, own_chat):
    webchat, user = bot_api
    if own_chat:
        params = {**params, "chat_id": user.user_id}
    async with webchat.http.post(
        webchat.url(method),
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    ) as response:
        text = await response.text()
        assert response.status < 500, (method, params, text)
        body = json.loads(text)
        assert body["ok"] is (response.status == 200), body
    await webchat.call("deleteWebhook")
    await webchat.store.set_blocked(user.user_id, False)
    assert tracebacks(caplog) == [], (method, params)
