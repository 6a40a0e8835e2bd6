"""The client API is what any program can call: every malformed request is a 4xx with a JSON
error body, never a 5xx, a traceback or a frozen product; uploaded files can never run as the
page; a deleted message leaves nothing of its content behind (S-53)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
import pytest
from aiogram.types import BufferedInputFile
from PIL import Image
from sqlalchemy import select

from bot.webchat import store as tables
from storage.db import create_engine

if TYPE_CHECKING:
    from tests.webchat.conftest import Webchat

BIG = str(2**63)
HUGE = "99999999999999999999999"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), 1).save(buffer, "PNG")
    return buffer.getvalue()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def raw(
    webchat: Webchat,
    method: str,
    path: str,
    data: bytes | None = None,
    *,
    token: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with webchat.http.request(
        method, webchat.base_url + path, data=data, headers=headers
    ) as response:
        text = await response.text()
        assert response.content_type == "application/json", (response.status, text)
        return response.status, json.loads(text)


def refused(status: int, body: Any, expected: int = 400) -> None:
    assert status == expected, body
    assert isinstance(body, dict) and isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize(
    "query",
    [
        "timeout=nan",
        "timeout=NaN",
        "timeout=inf",
        "timeout=-inf",
        "timeout=-1",
        "timeout=31",
        "timeout=1e308",
        "timeout=abc",
        "after=-1",
        f"after={BIG}",
        f"after={HUGE}",
        "after=1.5",
        "after=",
    ],
)
async def test_event_numbers_must_be_finite_and_in_range(webchat, query, caplog):
    user = await webchat.user()
    status, body = await raw(webchat, "GET", f"/api/chat/events?{query}", token=user.token)
    refused(status, body)
    assert tracebacks(caplog) == []


async def test_a_nan_timeout_freezes_nobody(webchat):
    """`timeout=nan` once froze every long poll: others' polls still return at once."""
    user, other = await webchat.user(), await webchat.user("李四")
    status, _ = await raw(webchat, "GET", "/api/chat/events?timeout=nan", token=user.token)
    assert status == 400
    waiting = asyncio.create_task(other.poll(timeout=20))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await webchat.bot.send_message(other.user_id, "你好")
    [event] = await asyncio.wait_for(waiting, 5)
    assert event["message"]["text"] == "你好" and time.monotonic() - started < 5


MALFORMED: list[tuple[str, str, bytes, str, int]] = [
    ("POST", "/api/chat/send", b'{"text": "\\ud800"}', "application/json", 400),
    ("POST", "/api/chat/send", b'{"text": "a\\udfffb"}', "application/json", 400),
    ("POST", "/api/chat/send", b'{"text": Infinity}', "application/json", 400),
    ("POST", "/api/chat/send", b'{"text": 5}', "application/json", 400),
    ("POST", "/api/chat/send", b"[" * 100_000, "application/json", 400),
    ("POST", "/api/chat/send", b'{"text": "a"', "application/json", 400),
    ("POST", "/api/chat/send", b"\xff\xfe", "application/json", 400),
    ("POST", "/api/chat/send", b"[1, 2]", "application/json", 400),
    ("POST", "/api/chat/send", b'{"contact": {"phone_number": {"a": 1}}}', "application/json", 400),
    ("POST", "/api/chat/send", b'{"contact": {"phone_number": 13800138000}}', "", 400),
    ("POST", "/api/chat/send", b'{"location": {"latitude": NaN, "longitude": 1}}', "", 400),
    ("POST", "/api/chat/send", b'{"location": {"latitude": "1", "longitude": 1}}', "", 400),
    ("POST", "/api/chat/send", b'{"location": {"latitude": 1e400, "longitude": 1}}', "", 400),
    ("POST", "/api/chat/send", b"abc", "multipart/form-data", 400),  # no boundary
    ("POST", "/api/chat/send", b"garbage", "multipart/form-data; boundary=XX", 400),
    (
        "POST",
        "/api/chat/send",
        b'--XX\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n\r\nhi',
        "multipart/form-data; boundary=XX",
        400,
    ),
    (
        "POST",
        "/api/chat/send",
        b'--XX\r\nContent-Disposition: form-data; name="document"; filename="a\\"b\r\nc.txt"'
        b"\r\n\r\nhello\r\n--XX--\r\n",
        "multipart/form-data; boundary=XX",
        400,
    ),
    ("POST", "/api/chat/send", b'{"text": "' + b"a" * 300_000 + b'"}', "application/json", 413),
    ("POST", "/api/chat/press", b'{"message_id": ' + BIG.encode() + b', "data": "a"}', "", 400),
    ("POST", "/api/chat/press", b'{"message_id": ' + HUGE.encode() + b', "data": "a"}', "", 400),
    ("POST", "/api/chat/press", b'{"message_id": Infinity, "data": "a"}', "", 400),
    ("POST", "/api/chat/press", b'{"message_id": 1e30, "data": "a"}', "", 400),
    ("POST", "/api/chat/press", b'{"message_id": 1, "data": "\\ud800"}', "", 400),
    ("POST", "/api/chat/press", b'{"message_id": 1, "data": ["a"]}', "", 400),
    ("POST", "/api/chat/block", b'{"blocked": "false"}', "", 400),
    ("POST", "/api/chat/block", b'{"blocked": 0}', "", 400),
    ("POST", "/api/chat/block", b"null", "", 400),
    ("GET", "/api/chat/nowhere", b"", "", 404),
    ("GET", "/api/chat/send", b"", "", 405),
]


@pytest.mark.parametrize(("method", "path", "data", "content_type", "status"), MALFORMED)
async def test_malformed_requests_are_a_4xx_with_a_json_error(
    webchat, caplog, method, path, data, content_type, status
):
    user = await webchat.user()
    await webchat.bot.send_message(user.user_id, "按钮在这里")
    answer = await raw(
        webchat, method, path, data, token=user.token, content_type=content_type or "text/plain"
    )
    refused(*answer, status)
    assert tracebacks(caplog) == []
    assert await webchat.bot.get_updates() == []  # nothing malformed reached the bot


@pytest.mark.parametrize(
    "body",
    [
        b'{"first_name": "\\ud800"}',
        b'{"first_name": "a", "last_name": "\\udc00"}',
        b'{"first_name": ["a"]}',
        b'{"first_name": "   "}',
        b'{"first_name": "' + b"a" * 65 + b'"}',
        b'{"first_name": "a", "language_code": 7}',
        b"[" * 100_000,
    ],
)
async def test_bad_profiles_are_refused(webchat, body, caplog):
    refused(*await raw(webchat, "POST", "/api/chat/users", body))
    assert tracebacks(caplog) == []


async def test_a_huge_text_is_too_long_not_a_crash(webchat):
    """A pasted text of hundreds of KB gets the page's own "too long" message (code too_long)."""
    user = await webchat.user()
    body = json.dumps({"text": "a" * 300_000}).encode()
    status, answer = await raw(webchat, "POST", "/api/chat/send", body, token=user.token)
    assert (status, answer["code"]) == (413, "too_long")


async def test_blocked_must_be_a_boolean(webchat):
    """`{"blocked": "false"}` once blocked the bot: a string is refused, the state unchanged."""
    user = await webchat.user()
    blocked = b'{"blocked": "false"}'
    answer = await raw(webchat, "POST", "/api/chat/block", blocked, token=user.token)
    refused(*answer)
    assert (await webchat.bot.send_message(user.user_id, "还能收到")).text == "还能收到"


async def test_a_contact_is_stored_as_the_text_it_was(webchat):
    user = await webchat.user()
    await user.send_json({"contact": {"phone_number": " 13800138000 "}})
    [update] = await webchat.bot.get_updates()
    assert update.message.contact.phone_number == "13800138000"


async def test_a_file_name_with_quotes_and_line_breaks_is_kept_harmless(webchat, caplog):
    """A name with `"`, CR and LF (as a client may send it) is stored without control
    characters and never breaks the download's headers."""
    user = await webchat.user()
    form = (
        b'--XX\r\nContent-Disposition: form-data; name="document"; '
        b"filename*=UTF-8''a%22b%0D%0Ac%E2%80%A8.txt\r\n\r\nhello\r\n--XX--\r\n"
    )
    status, answer = await raw(
        webchat,
        "POST",
        "/api/chat/send",
        form,
        token=user.token,
        content_type="multipart/form-data; boundary=XX",
    )
    assert status == 200, answer
    [event] = await user.poll()
    [link] = event["message"]["files"]
    assert link["name"] == 'a"bc.txt'
    [update] = await webchat.bot.get_updates()
    assert update.message.document.file_name == 'a"bc.txt'
    async with webchat.http.get(webchat.base_url + link["url"]) as response:
        assert response.status == 200
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition
    assert tracebacks(caplog) == []


async def test_a_sent_html_file_is_never_served_as_a_page(webchat):
    """An uploaded HTML or SVG file comes back as an octet-stream attachment with nosniff and a
    sandboxing CSP: it cannot run on the chat's origin (where the page keeps its token)."""
    user = await webchat.user()
    payloads = {
        "x.html": (b"<script>alert(1)</script>", "text/html"),
        "x.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        "x.txt": (b"<script>alert(1)</script>", "text/plain"),
    }
    for name, (data, content_type) in payloads.items():
        await user.send_file(data, name, kind="document", content_type=content_type)
    bot_sent = await webchat.bot.send_document(
        user.user_id, BufferedInputFile(b"<html><script>1</script>", "bot.html")
    )
    assert bot_sent.document.mime_type == "text/html"  # the bot still sees the real type
    links = [link for event in await user.poll() for link in event["message"]["files"]]
    assert len(links) == 4
    for link in links:
        async with webchat.http.get(webchat.base_url + link["url"]) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/octet-stream"
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "sandbox" in csp


async def test_a_photo_is_shown_inline_as_an_image(webchat):
    user = await webchat.user()
    await user.send_file(png(), "照片.png")
    [event] = await user.poll()
    [link] = event["message"]["files"]
    async with webchat.http.get(webchat.base_url + link["url"]) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert "filename*=UTF-8''%E7%85%A7%E7%89%87.png" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == png()


async def test_an_unknown_file_is_a_json_404(webchat):
    refused(*await raw(webchat, "GET", "/media/nothing-here"), 404)


async def test_the_pages_forbid_inline_scripts_and_other_origins(webchat):
    for path in ("/", "/chat", "/chat?profile=a&start=x"):
        async with webchat.http.get(webchat.base_url + path) as response:
            html = await response.text()
            csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "<style" not in html and " style=" not in html
        scripts = html.split("<script")[1:]
        assert all('type="application/json"' in s.split(">")[0] or " src=" in s for s in scripts)


async def test_a_deleted_message_leaves_no_content_in_the_store(webchat):
    """S-53: an ID number the bot deletes after reading, a card it edited and a document with a
    caption are gone from the events (even from the start) and from the store's rows."""
    bot = webchat.bot
    user = await webchat.user()
    secret_id = "11010519491231002X"
    own = await user.send(f"我的身份证号 {secret_id}")
    card = await bot.send_message(user.user_id, "卡片 13800138000")
    await bot.edit_message_text(
        "卡片已改 13900139000", chat_id=user.user_id, message_id=card.message_id
    )
    document = await bot.send_document(
        user.user_id, BufferedInputFile(b"secret", "secret.txt"), caption="附件说明 440300"
    )
    kept = await bot.send_message(user.user_id, "留下的消息")
    for message_id in (own, card.message_id, document.message_id):
        assert await bot.delete_message(user.user_id, message_id)
    async with webchat.http.get(
        f"{webchat.base_url}/api/chat/events", params={"after": 0}, headers=user.headers
    ) as response:
        events = (await response.json())["events"]
    shown = [e["message"].get("text") for e in events if e["type"] != "delete"]
    assert shown == ["留下的消息"]
    assert [e["message"]["message_id"] for e in events if e["type"] == "delete"] == [
        own,
        card.message_id,
        document.message_id,
    ]
    async with webchat.store.engine.connect() as conn:
        rows = [
            *(await conn.execute(select(tables.messages))).all(),
            *(await conn.execute(select(tables.events))).all(),
        ]
    stored = json.dumps([list(row) for row in rows], ensure_ascii=False, default=str)
    for gone in (secret_id, "13800138000", "13900139000", "440300", document.document.file_id):
        assert gone not in stored
    assert kept.text in stored
    refused(
        *await raw(
            webchat,
            "POST",
            "/api/chat/press",
            json.dumps({"message_id": card.message_id, "data": "a"}).encode(),
            token=user.token,
        ),
        404,
    )


async def test_the_bot_api_refuses_numbers_beyond_64_bits(webchat):
    user = await webchat.user()
    for params in (
        {"chat_id": HUGE, "text": "x"},
        {"chat_id": user.user_id, "message_id": HUGE},
        {"chat_id": user.user_id, "message_id": BIG},
    ):
        method = "sendMessage" if "text" in params else "deleteMessage"
        status, body = await webchat.call(method, **params)
        assert status == 400 and body["ok"] is False, body
    async with webchat.http.post(
        webchat.url("sendMessage"),
        data=b"[" * 100_000,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    async with aiohttp.ClientSession() as other:
        async with other.post(
            webchat.url("sendMessage"), data=b"x", headers={"Content-Type": "multipart/form-data"}
        ) as response:
            assert response.status == 400


async def raw_http(webchat: Webchat, request: bytes) -> bytes:
    """One request written byte for byte (headers no HTTP client would send); the status line."""
    host, port = webchat.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("request_line", "header", "status"),
    [
        (b"GET /api/chat/events", b"Authorization: Bearer \xff\xfe", b"401"),
        (b"GET /api/chat/events", b"Authorization: Bearer \xe4\xb8\xad", b"401"),
        (b"POST /api/chat/users", b"X-Webchat-Secret: \xe4\xb8\xad", b"403"),
        (b"POST /api/chat/users", b"X-Webchat-Secret: \xff", b"403"),
    ],
)
async def test_headers_that_are_not_ascii_are_refused_not_crashed_on(
    webchat_factory, caplog, request_line, header, status
):
    webchat = await webchat_factory(webchat_secret="课堂密钥")
    answer = await raw_http(
        webchat,
        request_line + b" HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    assert answer.split(b" ")[1] == status, answer
    assert tracebacks(caplog) == []


async def test_nothing_the_web_chat_serves_is_type_sniffed(webchat):
    user = await webchat.user()
    sent = await webchat.bot.send_document(
        user.user_id, BufferedInputFile(b"<script>1</script>", "page.html")
    )
    file = await webchat.bot.get_file(sent.document.file_id)
    download = f"{webchat.base_url}/file/bot{webchat.token}/{file.file_path}"
    for url in (f"{webchat.base_url}/static/chat.js", download):
        async with webchat.http.get(url) as response:
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with webchat.http.get(download) as response:
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert await response.read() == b"<script>1</script>"


async def test_the_page_keeps_its_token_in_an_httponly_cookie_per_profile(webchat):
    """A user created for a page profile gets the token as an HttpOnly, SameSite=Strict
    cookie; the page authenticates with it by naming its profile, so no script on the page
    ever holds the token, and two profiles in one browser are two people."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1, as a browser keeps them
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        people = {}
        for profile in ("t1", "张 三/%"):
            async with browser.post(
                f"{webchat.base_url}/api/chat/users",
                json={"first_name": "访客", "profile": profile},
            ) as response:
                assert response.status == 200
                cookie = response.headers["Set-Cookie"]
                answer = await response.json()
            assert "token" not in answer  # only the cookie carries it
            people[profile] = answer["user_id"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert "Path=/api/chat" in cookie
        assert people["t1"] != people["张 三/%"]
        for profile, user_id in people.items():
            await webchat.bot.send_message(user_id, f"给{profile}")
            async with browser.get(
                f"{webchat.base_url}/api/chat/events",
                headers={"X-Webchat-Profile": quote(profile, safe="")},
            ) as response:
                assert response.status == 200
                [event] = (await response.json())["events"]
            assert event["message"]["text"] == f"给{profile}"
        for headers in ({}, {"X-Webchat-Profile": "t2"}, {"X-Webchat-Profile": "%ZZ\u00ff"}):
            async with browser.get(
                f"{webchat.base_url}/api/chat/events", headers=headers
            ) as response:
                assert response.status == 401


async def test_the_store_erases_and_bounds_on_both_databases(database_url, tmp_path):
    """The web chat's store on SQLite and PostgreSQL (WEBCHAT_DATABASE_URL may be either):
    deleting erases the content (S-53), and numbers beyond the columns' range find nothing
    instead of overflowing."""
    store = tables.WebchatStore(create_engine(database_url), tmp_path / "files")
    try:
        await store.create_schema()
        user_id, _ = await store.create_user({"first_name": "甲"})
        gone = await store.add_message(user_id, {"text": "身份证 11010519491231002X"})
        await store.replace_message(user_id, {**gone, "text": "改过 11010519491231002X"})
        await store.add_message(user_id, {"text": "留下"})
        assert await store.delete_message(user_id, gone["message_id"])
        events = await store.events_after(user_id, 0, 0)
        assert [(e["type"], e["message"].get("text")) for e in events] == [
            ("message", "留下"),
            ("delete", None),
        ]
        assert await store.message(user_id, gone["message_id"]) is None
        for huge in (2**31, 2**40, 2**63):
            assert await store.message(user_id, huge) is None
            assert not await store.delete_message(user_id, huge)
            assert await store.events_after(user_id, huge, float("nan")) == []
            assert await store.pending_updates(huge, 10, float("inf")) == []
        assert await store.user(2**70) is None
    finally:
        await store.engine.dispose()
