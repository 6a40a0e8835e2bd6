"""Forged button data (any client can press anything on a bot message) gets the polite
"button no longer valid" alert: no traceback logged, no "处理时出错了", nothing changed."""

from __future__ import annotations

import logging

import pytest

from tests.chat import ChatUser

STALE = "这个按钮已失效。请发送 /start 重新开始。"
FORGED = [
    "fp:99999999999999999999999:2:m",  # an id beyond 64 bits (SQLite overflow)
    "fp:1:99999999999999999999999:m",
    "fn:2147483648:0:back",  # beyond PostgreSQL's integer
    "fn:1:0:nonsense",  # an action that does not exist
    "fn:-5:0:back",
    "tdp:-1",  # a page before the first
    "lvd:1:maybe",  # not a boolean
    "cld:1",  # a field missing
    "tdo:x:1:extra",
    "clv:1e3:x",
]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_forged_buttons_get_the_stale_alert(fast, http, caplog):
    user = await ChatUser.create(http, fast.base_url, "王五")
    greeting = await user.reply_to("/start")
    await user.quiet()
    for data in FORGED:
        answer = await user.press(greeting["message_id"], data)
        assert answer == {"answered": True, "text": STALE, "show_alert": True}, data
    assert await user.quiet() == []  # no message, no "处理时出错了"
    assert tracebacks(caplog) == []


async def test_a_genuine_button_still_works(fast, http):
    user = await ChatUser.create(http, fast.base_url, "Tom", "en")
    reply = await user.reply_to("/lang")
    [first, *_] = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    answer = await user.press(reply["message_id"], first["callback_data"])
    assert answer["answered"] and answer["text"] != STALE
