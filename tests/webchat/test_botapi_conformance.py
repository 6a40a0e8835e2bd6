"""The web chat's Bot API answers like Telegram's for every method our bot calls and every limit
Telegram enforces. A real aiogram Bot drives it (so aiogram understands it unchanged: the right
exception types and messages), and raw HTTP pins the JSON shapes."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from PIL import Image

from bot.webchat import client as client_module
from bot.webchat.content import DOWNLOAD_LIMIT, UPLOAD_LIMIT
from bot.webchat.store import WebchatStore
from storage.db import create_engine
from tests.chat import ChatUser

if TYPE_CHECKING:  # the fixture's type; conftest itself is pytest's to import
    from tests.webchat.conftest import Webchat

MB = 1024 * 1024
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"


async def refused(call: Awaitable[Any], error: type[TelegramAPIError], message: str) -> Any:
    """aiogram raised `error` with exactly Telegram's description."""
    with pytest.raises(error) as caught:
        await call
    assert caught.value.message == message
    return caught.value


async def flooded(call: Awaitable[Any]) -> int:
    """aiogram raised TelegramRetryAfter (which rewords the description); the wait it got."""
    with pytest.raises(TelegramRetryAfter) as caught:
        await call
    assert caught.value.message.endswith("Original description: Too Many Requests: retry after 1")
    return caught.value.retry_after


def telegram_error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=f"按钮{i}", callback_data=d)] for i, d in enumerate(data)
        ]
    )


def png(width: int = 3, height: int = 2) -> bytes:
    buffer = io.BytesIO()
    Image.new("1" if width * height > 10_000 else "RGB", (width, height), 1).save(buffer, "PNG")
    return buffer.getvalue()


async def receive(webchat: Webchat) -> list[Update]:
    """The pending updates, confirmed at once, as a polling bot does."""
    updates = await webchat.bot.get_updates(timeout=5)
    if updates:
        await webchat.bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


async def upload(
    http: aiohttp.ClientSession, url: str, data: bytes, headers: dict | None = None, **fields: Any
) -> tuple[int, dict[str, Any]]:
    """A multipart upload of `data` as a document, as a Bot API client or the chat page sends it."""
    form = aiohttp.FormData()
    for key, value in fields.items():
        form.add_field(key, str(value))
    form.add_field("document", io.BytesIO(data), filename="big.bin")
    async with http.post(url, data=form, headers=headers) as response:
        return response.status, await response.json()


async def person_upload(user: ChatUser, data: bytes) -> tuple[int, dict[str, Any]]:
    return await upload(user.http, f"{user.base_url}/api/chat/send", data, user.headers)


async def block(user: ChatUser, blocked: bool) -> None:
    async with user.http.post(
        f"{user.base_url}/api/chat/block", json={"blocked": blocked}, headers=user.headers
    ) as response:
        assert await response.json() == {"blocked": blocked}


# --- getMe, tokens, methods -------------------------------------------------------------------


async def test_get_me_answers_the_product_bot_like_telegram(live_app, http):
    bot = live_app.product.bot
    me = await bot.get_me()
    assert isinstance(me, User)
    assert (me.id, me.is_bot, me.username) == (bot.id, True, live_app.settings.bot_username)
    async with http.post(f"{live_app.base_url}/bot{bot.token}/getMe") as response:
        assert response.status == 200
        assert await response.json() == {
            "ok": True,
            "result": {
                "id": bot.id,
                "is_bot": True,
                "first_name": me.first_name,
                "username": live_app.settings.bot_username,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            },
        }
    async with http.get(f"{live_app.base_url}/bot{bot.token}/GETME") as response:
        assert (await response.json())["result"]["id"] == bot.id  # method names ignore case


async def test_a_wrong_token_is_unauthorized(webchat):
    wrong = f"{webchat.bot.id}:not-the-token"
    async with Bot(
        wrong, session=AiohttpSession(api=TelegramAPIServer.from_base(webchat.base_url))
    ) as bot:
        await refused(bot.get_me(), TelegramUnauthorizedError, "Unauthorized")
    assert await webchat.call("getMe", token=wrong) == (401, telegram_error(401, "Unauthorized"))
    async with webchat.http.get(f"{webchat.base_url}/file/bot{wrong}/photos/x.png") as response:
        assert response.status == 401
        assert await response.json() == telegram_error(401, "Unauthorized")


async def test_an_unknown_method_is_not_found(webchat):
    user = await webchat.user()
    await refused(webchat.bot.send_sticker(user.user_id, "CAAC"), TelegramNotFound, "Not Found")
    assert await webchat.call("noSuchMethod") == (404, telegram_error(404, "Not Found"))


async def test_parameters_come_as_json_query_string_or_form(webchat):
    user = await webchat.user()
    url = webchat.url("sendMessage")
    async with webchat.http.get(url, params={"chat_id": user.user_id, "text": "查询"}) as response:
        assert (await response.json())["result"]["text"] == "查询"
    async with webchat.http.post(url, data={"chat_id": user.user_id, "text": "表单"}) as response:
        assert (await response.json())["result"]["text"] == "表单"
    async with webchat.http.post(
        url, data="{", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["ok"] is False
    assert [event["message"]["text"] for event in await user.poll()] == ["查询", "表单"]


# --- sendMessage ------------------------------------------------------------------------------


async def test_send_message_returns_a_message_the_person_sees(webchat):
    user = await webchat.user()
    sent = await webchat.bot.send_message(user.user_id, "<b>你好</b> & 欢迎", parse_mode="HTML")
    assert isinstance(sent, Message)
    assert (sent.chat.id, sent.chat.type, sent.from_user.id) == (
        user.user_id,
        "private",
        webchat.bot.id,
    )
    assert sent.text == "你好 & 欢迎"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2)]
    [event] = await user.poll()
    assert event["type"] == "message"
    assert event["message"]["message_id"] == sent.message_id
    assert event["message"]["html"] == "<b>你好</b> &amp; 欢迎"
    status, body = await webchat.call("sendMessage", chat_id=user.user_id, text="第二条")
    assert status == 200 and body["ok"] is True
    assert body["result"]["message_id"] == sent.message_id + 1
    assert "html" not in body["result"] and "files" not in body["result"]


@pytest.mark.parametrize(
    ("text", "parse_mode", "description"),
    [
        ("", None, "Bad Request: message text is empty"),  # the Bot API's own check
        ("", "HTML", "Bad Request: message text is empty"),
        (" \n\r\n ", None, "Bad Request: message must be non-empty"),  # Telegram's, after trimming
        ("<b> </b>\n", "HTML", "Bad Request: message must be non-empty"),
    ],
)
async def test_empty_text_is_refused(webchat, text, parse_mode, description):
    user = await webchat.user()
    await refused(
        webchat.bot.send_message(user.user_id, text, parse_mode=parse_mode),
        TelegramBadRequest,
        description,
    )
    assert await user.poll() == []


@pytest.mark.parametrize(
    ("source", "parse_mode", "text", "entities", "html"),
    [
        ("\n  你好 \n\n", None, "你好", [], "你好"),
        # the ideographic space that indents Chinese paragraphs is no blank to Telegram
        ("\u3000\u3000段落", None, "\u3000\u3000段落", [], "\u3000\u3000段落"),
        ("一\r\n二\t三", None, "一\n二 三", [], "一\n二 三"),
        ("<b> 你好 </b>\n", "HTML", "你好", [("bold", 0, 2)], "<b>你好</b>"),
        (" 前<i>\n后</i>", "HTML", "前\n后", [("italic", 2, 1)], "前\n<i>后</i>"),
        (
            "<b>😀</b>\r\n<i>x</i>",
            "HTML",
            "😀\nx",
            [("bold", 0, 2), ("italic", 3, 1)],
            "<b>😀</b>\n<i>x</i>",
        ),
    ],
)
async def test_text_is_cleaned_up_like_telegram(webchat, source, parse_mode, text, entities, html):
    user = await webchat.user()
    sent = await webchat.bot.send_message(user.user_id, source, parse_mode=parse_mode)
    assert sent.text == text
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == entities
    [event] = await user.poll()
    assert event["message"]["html"] == html


async def test_error_offsets_count_from_the_text_as_sent(webchat):
    user = await webchat.user()
    await refused(
        webchat.bot.send_message(user.user_id, "  <foo>", parse_mode="HTML"),
        TelegramBadRequest,
        'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 2',
    )


@pytest.mark.parametrize(
    ("text", "parse_mode", "ok"),
    [
        ("a" * 4096, None, True),
        ("a" * 4097, None, False),
        ("中" * 4096, None, True),  # one UTF-16 unit each, three UTF-8 bytes
        ("😀" * 2048, None, True),  # two UTF-16 units each: 4096
        ("😀" * 2048 + "a", None, False),
        ("😀" * 2049, None, False),
        ("\n " + "a" * 4096 + " \n", None, True),  # Telegram trims before counting
        ("<b>" + "a" * 4096 + "</b>", "HTML", True),  # counted after parsing
        ("&lt;" * 4097, "HTML", False),
    ],
)
async def test_text_length_is_counted_in_utf16_units(webchat, text, parse_mode, ok):
    user = await webchat.user()
    send = webchat.bot.send_message(user.user_id, text, parse_mode=parse_mode)
    if ok:
        sent = await send
        assert len(sent.text.encode("utf-16-le")) == 4096 * 2
    else:
        await refused(send, TelegramBadRequest, "Bad Request: message is too long")
        assert await user.poll() == []


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ],
)
async def test_html_telegram_refuses_is_refused(webchat, source, reason):
    user = await webchat.user()
    await refused(
        webchat.bot.send_message(user.user_id, source, parse_mode="HTML"),
        TelegramBadRequest,
        f"Bad Request: can't parse entities: {reason}",
    )
    assert await user.poll() == []
    sent = await webchat.bot.send_message(user.user_id, source)  # fine as plain text
    assert sent.text == source


async def test_unsupported_parse_mode_is_refused(webchat):
    user = await webchat.user()
    await refused(
        webchat.bot.send_message(user.user_id, "x", parse_mode="bogus"),
        TelegramBadRequest,
        "Bad Request: unsupported parse_mode",
    )
    with pytest.raises(TelegramBadRequest, match="HTML only"):  # a limit of the web chat
        await webchat.bot.send_message(user.user_id, "*x*", parse_mode="MarkdownV2")
    sent = await webchat.bot.send_message(user.user_id, "<b>x</b>", parse_mode="None")
    assert sent.text == "<b>x</b>"


@pytest.mark.parametrize(
    "call",
    [
        lambda bot: bot.send_message(99, "x"),
        lambda bot: bot.send_chat_action(99, "typing"),
        lambda bot: bot.send_photo(99, BufferedInputFile(png(), "a.png")),
        lambda bot: bot.send_document(99, BufferedInputFile(b"x", "a.txt")),
        lambda bot: bot.edit_message_text("x", chat_id=99, message_id=1),
        lambda bot: bot.edit_message_reply_markup(chat_id=99, message_id=1),
        lambda bot: bot.delete_message(99, 1),
    ],
)
async def test_an_unknown_chat_is_not_found(webchat, call):
    await webchat.user()  # chat ids are person ids; 99 is nobody's
    await refused(call(webchat.bot), TelegramBadRequest, "Bad Request: chat not found")


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ("a" * 64, True),
        ("a" * 65, False),
        ("数" * 21 + "a", True),  # 22 characters, 64 bytes
        ("数" * 21 + "ab", False),  # 23 characters, 65 bytes
        ("数" * 22, False),  # 22 characters, 66 bytes
    ],
)
async def test_callback_data_is_limited_to_64_bytes(webchat, data, ok):
    user = await webchat.user()
    send = webchat.bot.send_message(user.user_id, "选择", reply_markup=keyboard(data))
    if ok:
        sent = await send
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == data
    else:
        await refused(send, TelegramBadRequest, "Bad Request: BUTTON_DATA_INVALID")
        assert await user.poll() == []


# --- editing and deleting ---------------------------------------------------------------------


async def test_edit_message_text(webchat):
    bot = webchat.bot
    user = await webchat.user()
    sent = await bot.send_message(user.user_id, "旧", reply_markup=keyboard("a"))
    await user.poll()
    edited = await bot.edit_message_text(
        "<i>新</i>",
        chat_id=user.user_id,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard("b"),
    )
    assert isinstance(edited, Message)
    assert (edited.message_id, edited.text, edited.entities[0].type) == (
        sent.message_id,
        "新",
        "italic",
    )
    assert edited.edit_date is not None
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "b"
    [event] = await user.poll()
    assert (event["type"], event["message"]["html"]) == ("edit", "<i>新</i>")
    await refused(
        bot.edit_message_text(
            "<i>新</i>",
            chat_id=user.user_id,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard("b"),
        ),
        TelegramBadRequest,
        NOT_MODIFIED,
    )
    bare = await bot.edit_message_text("新", chat_id=user.user_id, message_id=sent.message_id)
    assert bare.reply_markup is None  # like Telegram: an edit without markup drops the keyboard
    assert bare.entities is None
    await refused(
        bot.edit_message_text("新", chat_id=user.user_id, message_id=sent.message_id),
        TelegramBadRequest,
        NOT_MODIFIED,
    )
    await refused(
        bot.edit_message_text("", chat_id=user.user_id, message_id=sent.message_id),
        TelegramBadRequest,
        "Bad Request: message text is empty",
    )
    await refused(
        bot.edit_message_text(" \n ", chat_id=user.user_id, message_id=sent.message_id),
        TelegramBadRequest,
        "Bad Request: message must be non-empty",
    )
    await refused(
        bot.edit_message_text("a" * 4097, chat_id=user.user_id, message_id=sent.message_id),
        TelegramBadRequest,
        "Bad Request: message is too long",
    )


async def test_edit_message_reply_markup(webchat):
    bot = webchat.bot
    user = await webchat.user()
    sent = await bot.send_message(user.user_id, "选择", reply_markup=keyboard("a"))
    await user.poll()
    edited = await bot.edit_message_reply_markup(
        chat_id=user.user_id, message_id=sent.message_id, reply_markup=keyboard("a", "b")
    )
    assert [row[0].callback_data for row in edited.reply_markup.inline_keyboard] == ["a", "b"]
    assert edited.text == "选择"
    [event] = await user.poll()
    assert event["type"] == "edit"
    assert len(event["message"]["reply_markup"]["inline_keyboard"]) == 2
    await refused(
        bot.edit_message_reply_markup(
            chat_id=user.user_id, message_id=sent.message_id, reply_markup=keyboard("a", "b")
        ),
        TelegramBadRequest,
        NOT_MODIFIED,
    )
    cleared = await bot.edit_message_reply_markup(chat_id=user.user_id, message_id=sent.message_id)
    assert cleared.reply_markup is None
    await refused(
        bot.edit_message_reply_markup(chat_id=user.user_id, message_id=sent.message_id),
        TelegramBadRequest,
        NOT_MODIFIED,
    )
    await refused(
        bot.edit_message_reply_markup(
            chat_id=user.user_id, message_id=sent.message_id, reply_markup=keyboard("数" * 22)
        ),
        TelegramBadRequest,
        "Bad Request: BUTTON_DATA_INVALID",
    )


async def test_what_cannot_be_edited(webchat):
    bot = webchat.bot
    user = await webchat.user()
    own = await user.send("我的消息")
    photo = await bot.send_photo(user.user_id, BufferedInputFile(png(), "a.png"))
    gone = await bot.send_message(user.user_id, "将删除")
    await bot.delete_message(user.user_id, gone.message_id)
    for message_id in (gone.message_id, gone.message_id + 100):
        await refused(
            bot.edit_message_text("x", chat_id=user.user_id, message_id=message_id),
            TelegramBadRequest,
            "Bad Request: message to edit not found",
        )
    await refused(
        bot.edit_message_text("x", chat_id=user.user_id, message_id=own),
        TelegramBadRequest,
        "Bad Request: message can't be edited",
    )
    await refused(
        bot.edit_message_text("x", chat_id=user.user_id, message_id=photo.message_id),
        TelegramBadRequest,
        "Bad Request: there is no text in the message to edit",
    )


async def test_delete_message(webchat):
    bot = webchat.bot
    user = await webchat.user()
    sent = await bot.send_message(user.user_id, "稍后删除")
    own = await user.send("我的消息")  # bots may delete incoming messages in private chats
    await user.poll()
    assert await bot.delete_message(user.user_id, sent.message_id) is True
    assert await bot.delete_message(user.user_id, own) is True
    events = await user.poll()
    assert [(e["type"], e["message"]) for e in events] == [
        ("delete", {"message_id": sent.message_id}),
        ("delete", {"message_id": own}),
    ]
    await refused(
        bot.delete_message(user.user_id, sent.message_id),
        TelegramBadRequest,
        "Bad Request: message to delete not found",
    )
    status, body = await webchat.call("deleteMessage", chat_id=user.user_id, message_id=12345)
    assert (status, body) == (400, telegram_error(400, "Bad Request: message to delete not found"))


# --- callback queries -------------------------------------------------------------------------


async def _pressed(webchat: Webchat, user: ChatUser, data: str) -> tuple[asyncio.Task, Any]:
    """The person presses a button; the bot receives the callback query."""
    sent = await webchat.bot.send_message(user.user_id, "选择", reply_markup=keyboard(data))
    pressing = asyncio.create_task(user.press(sent.message_id, data))
    [update] = await receive(webchat)
    query = update.callback_query
    assert (query.data, query.from_user.id, query.message.message_id) == (
        data,
        user.user_id,
        sent.message_id,
    )
    assert not pressing.done()  # the person waits for the bot's answer
    return pressing, query


async def test_a_press_gets_the_bots_answer(webchat):
    user = await webchat.user()
    data = "数" * 21 + "a"  # 64 bytes: the most a press may carry
    pressing, query = await _pressed(webchat, user, data)
    await refused(
        webchat.bot.answer_callback_query(query.id, text="长" * 201),
        TelegramBadRequest,
        "Bad Request: MESSAGE_TOO_LONG",
    )
    assert not pressing.done()
    assert await webchat.bot.answer_callback_query(query.id, text="已收到", show_alert=True)
    assert await pressing == {"answered": True, "text": "已收到", "show_alert": True}
    await refused(webchat.bot.answer_callback_query(query.id), TelegramBadRequest, TOO_OLD)


async def test_an_unknown_callback_query_is_refused(webchat):
    await refused(webchat.bot.answer_callback_query("12345"), TelegramBadRequest, TOO_OLD)
    status, body = await webchat.call("answerCallbackQuery", callback_query_id="12345")
    assert (status, body) == (400, telegram_error(400, TOO_OLD))


async def test_an_unanswered_press_times_out_and_its_answer_comes_too_late(webchat, monkeypatch):
    monkeypatch.setattr(client_module, "PRESS_TIMEOUT", 0.2)
    user = await webchat.user()
    pressing, query = await _pressed(webchat, user, "late")
    assert await pressing == {"answered": False, "text": None, "show_alert": False}
    await refused(
        webchat.bot.answer_callback_query(query.id, text="迟了"), TelegramBadRequest, TOO_OLD
    )


# --- chat actions and commands ----------------------------------------------------------------


async def test_send_chat_action(webchat):
    user = await webchat.user()
    assert await webchat.bot.send_chat_action(user.user_id, "typing") is True
    assert await webchat.bot.send_chat_action(user.user_id, "upload_photo") is True
    await refused(
        webchat.bot.send_chat_action(user.user_id, "dancing"),
        TelegramBadRequest,
        "Bad Request: wrong parameter action in request",
    )
    assert await user.poll() == []  # an action is not a message


async def test_commands_by_scope_and_language(webchat):
    bot = webchat.bot
    chat_zh, plain_zh, english, french = [
        await webchat.user(name, language)
        for name, language in [("甲", "zh-CN"), ("乙", "zh-CN"), ("Ann", "en"), ("Zoé", "fr")]
    ]

    def commands(*names: str) -> list[BotCommand]:
        return [BotCommand(command=name, description=f"{name} 说明") for name in names]

    chat = BotCommandScopeChat(chat_id=chat_zh.user_id)
    assert await bot.set_my_commands(commands("d_any"))
    assert await bot.set_my_commands(commands("d_zh"), BotCommandScopeDefault(), "zh")
    assert await bot.set_my_commands(commands("p_en"), BotCommandScopeAllPrivateChats(), "en")
    assert await bot.set_my_commands(commands("c_any"), chat)
    assert await bot.set_my_commands(commands("c_zh", "c_zh2"), chat, "zh")

    assert [c.command for c in await bot.get_my_commands(BotCommandScopeDefault(), "zh")] == [
        "d_zh"
    ]
    assert await bot.get_my_commands(BotCommandScopeAllPrivateChats()) == []  # exact, no fallback
    assert [c.model_dump() for c in await bot.get_my_commands(chat, "zh")] == [
        c.model_dump() for c in commands("c_zh", "c_zh2")
    ]
    assert await chat_zh.commands() == ["c_zh", "c_zh2"]  # the chat's, in the person's language
    assert await plain_zh.commands() == ["d_zh"]
    assert await english.commands() == ["p_en"]
    assert await french.commands() == ["d_any"]

    await bot.set_my_commands(commands("p_any"), BotCommandScopeAllPrivateChats())
    assert await plain_zh.commands() == ["p_any"]  # a narrower scope beats the language
    assert await french.commands() == ["p_any"]
    assert await bot.delete_my_commands(chat, "zh")
    assert await chat_zh.commands() == ["c_any"]
    await bot.set_my_commands([], chat)  # an empty list deletes too
    assert await chat_zh.commands() == ["p_any"]
    async with webchat.http.get(
        f"{webchat.base_url}/api/chat/commands", headers=english.headers
    ) as response:
        assert await response.json() == {
            "commands": [{"command": "p_en", "description": "p_en 说明"}]
        }
    await refused(
        bot.set_my_commands(commands("Start!")),
        TelegramBadRequest,
        "Bad Request: BOT_COMMAND_INVALID",
    )


# --- files ------------------------------------------------------------------------------------


async def test_send_photo_and_download_it_both_ways(webchat):
    bot = webchat.bot
    user = await webchat.user()
    image = png(3, 2)
    sent = await bot.send_photo(
        user.user_id, BufferedInputFile(image, "红.png"), caption="<i>红色</i>", parse_mode="HTML"
    )
    size = sent.photo[-1]
    assert (size.width, size.height, size.file_size) == (3, 2, len(image))
    assert sent.caption == "红色" and sent.caption_entities[0].type == "italic"
    file = await bot.get_file(size.file_id)
    assert (file.file_unique_id, file.file_size) == (size.file_unique_id, len(image))
    assert file.file_path.startswith("photos/") and file.file_path.endswith(".png")
    assert (await bot.download_file(file.file_path)).read() == image
    [event] = await user.poll()
    assert event["message"]["html"] == "<i>红色</i>"
    [link] = event["message"]["files"]
    assert (link["kind"], link["name"], link["size"]) == ("photo", "红.png", len(image))
    async with webchat.http.get(webchat.base_url + link["url"]) as response:
        assert response.status == 200 and response.content_type == "image/png"
        assert await response.read() == image
    again = await bot.send_photo(user.user_id, size.file_id)  # resending by file_id
    assert again.photo[-1].file_unique_id == size.file_unique_id
    async with webchat.http.get(
        f"{webchat.base_url}/file/bot{webchat.token}/photos/nothing.png"
    ) as response:
        assert response.status == 404
        assert await response.json() == telegram_error(404, "Not Found")


async def test_send_document_and_download_it_both_ways(webchat):
    bot = webchat.bot
    user = await webchat.user()
    data = "培训计划\n".encode() * 100
    sent = await bot.send_document(user.user_id, BufferedInputFile(data, "计划.txt"))
    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "计划.txt",
        "text/plain",
        len(data),
    )
    file = await bot.get_file(document.file_id)
    assert file.file_path.startswith("documents/")
    assert (await bot.download_file(file.file_path)).read() == data
    [event] = await user.poll()
    [link] = event["message"]["files"]
    async with webchat.http.get(webchat.base_url + link["url"]) as response:
        assert await response.read() == data
        assert "filename*=UTF-8''%E8%AE%A1%E5%88%92.txt" in response.headers["Content-Disposition"]
    again = await bot.send_document(user.user_id, document.file_id)
    assert again.document.file_unique_id == document.file_unique_id


async def test_file_ids_keep_their_type(webchat):
    bot = webchat.bot
    user = await webchat.user()
    photo = (await bot.send_photo(user.user_id, BufferedInputFile(png(), "a.png"))).photo[-1]
    document = (await bot.send_document(user.user_id, BufferedInputFile(b"x", "a.txt"))).document
    await refused(
        bot.send_document(user.user_id, photo.file_id),
        TelegramBadRequest,
        "Bad Request: can't use file of type Photo as Document",
    )
    await refused(
        bot.send_photo(user.user_id, document.file_id),
        TelegramBadRequest,
        "Bad Request: can't use file of type Document as Photo",
    )
    await refused(
        bot.send_photo(user.user_id, "AgACnope"),
        TelegramBadRequest,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )
    await refused(bot.get_file("AgACnope"), TelegramBadRequest, "Bad Request: invalid file_id")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: b"not an image", "Bad Request: IMAGE_PROCESS_FAILED"),
        (lambda: png(5001, 5000), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # sides over 10000
        (lambda: png(2100, 100), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # ratio over 20
        (lambda: b"", "Bad Request: file must be non-empty"),
    ],
    ids=["not-an-image", "too-big", "too-narrow", "empty"],
)
async def test_a_photo_telegram_would_not_take_is_refused(webchat, data, message):
    user = await webchat.user()
    data = data()
    await refused(
        webchat.bot.send_photo(user.user_id, BufferedInputFile(data, "x.png")),
        TelegramBadRequest,
        message,
    )
    assert await user.poll() == []


async def test_photo_limits_are_inclusive(webchat):
    user = await webchat.user()
    for width, height in [(5000, 5000), (2000, 100)]:
        sent = await webchat.bot.send_photo(
            user.user_id, BufferedInputFile(png(width, height), "a.png")
        )
        assert (sent.photo[-1].width, sent.photo[-1].height) == (width, height)


async def test_captions_are_limited_to_1024_units(webchat):
    user = await webchat.user()
    photo = BufferedInputFile(png(), "a.png")
    sent = await webchat.bot.send_photo(user.user_id, photo, caption="😀" * 512)
    assert sent.caption == "😀" * 512
    await refused(
        webchat.bot.send_document(
            user.user_id, BufferedInputFile(b"x", "a.txt"), caption="😀" * 512 + "a"
        ),
        TelegramBadRequest,
        "Bad Request: message caption is too long",
    )
    await refused(
        webchat.bot.send_document(user.user_id, BufferedInputFile(b"", "a.txt")),
        TelegramBadRequest,
        "Bad Request: file must be non-empty",
    )


async def test_get_file_refuses_files_over_20_mb(webchat):
    user = await webchat.user()
    big = b"\x01" * (21 * MB)
    status, body = await person_upload(user, big)
    assert status == 200, body
    [update] = await receive(webchat)
    document = update.message.document
    assert (document.file_name, document.file_size) == ("big.bin", len(big))
    await refused(
        webchat.bot.get_file(document.file_id), TelegramBadRequest, "Bad Request: file is too big"
    )
    record = await webchat.store.file(file_id=document.file_id)
    async with webchat.http.get(
        f"{webchat.base_url}/file/bot{webchat.token}/documents/{record['file_unique_id']}.bin"
    ) as response:
        assert response.status == 404
    at_limit = await webchat.bot.send_document(
        user.user_id, BufferedInputFile(b"\x02" * DOWNLOAD_LIMIT, "limit.bin")
    )
    file = await webchat.bot.get_file(at_limit.document.file_id)
    assert file.file_size == DOWNLOAD_LIMIT


@pytest.mark.parametrize("size", [UPLOAD_LIMIT + 1, UPLOAD_LIMIT + 2 * MB])
async def test_uploads_over_50_mb_are_413(webchat, size):
    user = await webchat.user()
    data = b"\x03" * size
    await refused(
        webchat.bot.send_document(user.user_id, BufferedInputFile(data, "big.bin")),
        TelegramEntityTooLarge,
        "Request Entity Too Large",
    )
    status, body = await upload(
        webchat.http, webchat.url("sendDocument"), data, chat_id=user.user_id
    )
    assert (status, body) == (413, telegram_error(413, "Request Entity Too Large"))
    status, body = await person_upload(user, data)
    assert (status, body) == (
        413,
        {"error": "file too large (50 MB at most)", "code": "file_too_large"},
    )
    assert await user.poll() == []
    assert await webchat.bot.get_updates() == []


async def test_an_upload_of_exactly_50_mb_is_taken(webchat):
    user = await webchat.user()
    sent = await webchat.bot.send_document(
        user.user_id, BufferedInputFile(b"\x04" * UPLOAD_LIMIT, "limit.bin")
    )
    assert sent.document.file_size == UPLOAD_LIMIT
    await refused(
        webchat.bot.get_file(sent.document.file_id),
        TelegramBadRequest,
        "Bad Request: file is too big",
    )


# --- getUpdates and webhooks ------------------------------------------------------------------


async def test_get_updates_offsets(webchat):
    bot = webchat.bot
    user = await webchat.user()
    await user.send("一")
    await user.send("二")
    first, second = await bot.get_updates()
    assert second.update_id == first.update_id + 1
    assert (first.message.text, second.message.text) == ("一", "二")
    assert first.message.from_user.id == first.message.chat.id == user.user_id
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first.update_id]
    assert [u.update_id for u in await bot.get_updates(offset=second.update_id)] == [
        second.update_id
    ]  # confirms the first only
    assert [u.update_id for u in await bot.get_updates()] == [second.update_id]
    assert await bot.get_updates(offset=second.update_id + 1) == []
    assert await bot.get_updates() == []  # confirmed updates are forgotten
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await user.send("三")
    [third] = await bot.get_updates()
    assert third.update_id > second.update_id and third.message.text == "三"
    assert (await bot.get_webhook_info()).pending_update_count == 1


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(webchat):
    user = await webchat.user()
    started = time.monotonic()
    polling = asyncio.create_task(webchat.bot.get_updates(timeout=20))
    await asyncio.sleep(0.1)
    assert not polling.done()
    await user.send("来了")
    [update] = await polling
    assert update.message.text == "来了"
    assert time.monotonic() - started < 5


async def test_update_ids_keep_growing_after_confirmation(tmp_path):
    """Regression: SQLite reused the ids of deleted updates, so a bot that had confirmed them
    skipped every new update as already seen."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'webchat.db'}"
    store = WebchatStore(create_engine(url), tmp_path / "files")
    await store.create_schema()
    first = await store.enqueue_update({"message": {"text": "一"}})
    assert await store.pending_updates(first + 1, 100, 0) == []  # confirmed, so deleted
    second = await store.enqueue_update({"message": {"text": "二"}})
    assert second > first
    await store.drop_updates()
    third = await store.enqueue_update({"message": {"text": "三"}})
    assert third > second
    assert await store.pending_updates(third + 1, 100, 0) == []
    await store.engine.dispose()
    store = WebchatStore(create_engine(url), tmp_path / "files")  # a restart
    fourth = await store.enqueue_update({"message": {"text": "四"}})
    assert fourth > third
    assert await store.pending_updates(0, 100, 0) == [
        {"update_id": fourth, "message": {"text": "四"}}
    ]
    await store.engine.dispose()


async def test_a_webhook_conflicts_with_get_updates(webchat):
    bot = webchat.bot
    user = await webchat.user()
    await refused(
        bot.set_webhook("http://example.com/hook"),
        TelegramBadRequest,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    assert await bot.get_updates() == []
    assert await bot.set_webhook("https://example.com/hook")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    conflict = (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    await refused(bot.get_updates(), TelegramConflictError, conflict)
    assert await webchat.call("getUpdates") == (409, telegram_error(409, conflict))
    await user.send("等待中")
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    [update] = await bot.get_updates()
    assert update.message.text == "等待中"
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []
    await user.send("之后")
    [after] = await bot.get_updates()
    assert after.update_id > update.update_id


# --- flood limits -----------------------------------------------------------------------------


async def test_one_message_a_second_per_chat(webchat_factory):
    webchat = await webchat_factory(webchat_flood_limits=True)
    user, other = await webchat.user(), await webchat.user()
    await webchat.bot.send_message(user.user_id, "一")
    retry_after = await flooded(webchat.bot.send_message(user.user_id, "二"))
    assert retry_after == 1
    status, body = await webchat.call("sendPhoto", chat_id=user.user_id, photo="x")
    assert (status, body) == (
        429,
        telegram_error(429, "Too Many Requests: retry after 1", retry_after=1),
    )
    await webchat.bot.send_message(other.user_id, "别的聊天不受影响")
    assert [e["message"]["text"] for e in await user.poll()] == ["一"]
    await asyncio.sleep(retry_after)
    await webchat.bot.send_message(user.user_id, "二")


async def test_thirty_messages_a_second_overall(webchat_factory):
    webchat = await webchat_factory(webchat_flood_limits=True)
    users = [await webchat.user(f"学员{i}") for i in range(31)]
    started = time.monotonic()
    for user in users[:30]:
        await webchat.bot.send_message(user.user_id, "通知")
    assert await flooded(webchat.bot.send_message(users[30].user_id, "通知")) == 1
    assert time.monotonic() - started < 1  # else this test proves nothing
    assert await users[30].poll() == []


async def test_no_flood_limits_unless_asked(webchat):
    user = await webchat.user()
    for i in range(5):
        await webchat.bot.send_message(user.user_id, f"第{i}条")
    assert len(await user.poll()) == 5


# --- blocking ---------------------------------------------------------------------------------


async def test_a_person_who_blocked_the_bot(webchat):
    bot = webchat.bot
    user = await webchat.user()
    sent = await bot.send_message(user.user_id, "之前")
    await block(user, True)
    calls = [
        lambda: bot.send_message(user.user_id, "x"),
        lambda: bot.send_photo(user.user_id, BufferedInputFile(png(), "a.png")),
        lambda: bot.send_document(user.user_id, BufferedInputFile(b"x", "a.txt")),
        lambda: bot.send_chat_action(user.user_id, "typing"),
        lambda: bot.edit_message_text("x", chat_id=user.user_id, message_id=sent.message_id),
        lambda: bot.delete_message(user.user_id, sent.message_id),
    ]
    for call in calls:
        await refused(call(), TelegramForbiddenError, BLOCKED)
    assert await webchat.call("sendMessage", chat_id=user.user_id, text="x") == (
        403,
        telegram_error(403, BLOCKED),
    )
    await user.send("我屏蔽了你")
    assert await bot.get_updates() == []  # the bot hears nothing from a chat it is blocked in
    await block(user, False)
    await bot.send_message(user.user_id, "之后")
    assert [e["message"].get("text") for e in await user.poll()] == ["之前", "我屏蔽了你", "之后"]


# --- the people's client API ------------------------------------------------------------------


async def test_the_client_api_needs_a_known_token(webchat):
    await webchat.user()
    calls = [
        ("GET", "events", None),
        ("GET", "commands", None),
        ("POST", "send", {"text": "x"}),
        ("POST", "press", {"message_id": 1, "data": "x"}),
        ("POST", "block", {}),
    ]
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        for method, path, body in calls:
            async with webchat.http.request(
                method, f"{webchat.base_url}/api/chat/{path}", json=body, headers=headers
            ) as response:
                assert response.status == 401, (path, headers)
                assert await response.json() == {"error": "missing or unknown token", "code": None}


async def test_creating_users_needs_the_secret_when_set(webchat_factory):
    webchat = await webchat_factory(webchat_secret="s3cret")
    url = f"{webchat.base_url}/api/chat/users"
    for headers in ({}, {"X-Webchat-Secret": "wrong"}):
        async with webchat.http.post(url, json={"first_name": "张三"}, headers=headers) as response:
            assert response.status == 403
            assert "secret" in (await response.json())["error"]
    async with webchat.http.post(
        url, json={"first_name": "张三"}, headers={"X-Webchat-Secret": "s3cret"}
    ) as response:
        assert response.status == 200
        created = await response.json()
    user = ChatUser(webchat.http, webchat.base_url, created["user_id"], created["token"])
    assert (await webchat.bot.send_message(user.user_id, "欢迎")).chat.id == user.user_id


async def test_press_validation(webchat):
    user, other = await webchat.user(), await webchat.user()
    for text in ("一", "二", "三"):
        await webchat.bot.send_message(user.user_id, text, reply_markup=keyboard("a"))
    own = await other.send("我的")
    url = f"{webchat.base_url}/api/chat/press"
    cases = [
        (user, {"message_id": 1, "data": "数" * 21 + "ab"}, 400),  # 65 bytes
        (user, {"message_id": 1, "data": ""}, 400),
        (user, {"message_id": "x", "data": "a"}, 400),
        (other, {"message_id": 3, "data": "a"}, 404),  # the other chat's message
        (other, {"message_id": own, "data": "a"}, 404),  # not a bot's message
    ]
    for person, body, status in cases:
        async with webchat.http.post(url, json=body, headers=person.headers) as response:
            assert response.status == status, body
            assert "error" in await response.json()
    assert [u.message.text for u in await webchat.bot.get_updates()] == ["我的"]  # no presses


async def test_history_survives_a_restart(live_app, http):
    user = await ChatUser.create(http, live_app.base_url, "李雷")
    await user.reply_to("/start")
    async with http.get(
        f"{live_app.base_url}/api/chat/events", params={"after": 0}, headers=user.headers
    ) as response:
        before = (await response.json())["events"]
    assert len(before) >= 2
    await live_app.restart()
    async with http.get(
        f"{live_app.base_url}/api/chat/events", params={"after": 0}, headers=user.headers
    ) as response:
        assert response.status == 200  # the same token still works
        assert (await response.json())["events"][: len(before)] == before
    sent = await live_app.product.bot.send_message(user.user_id, "重启之后")
    assert sent.message_id > max(event["message"]["message_id"] for event in before)
    assert (await user.expect())["text"] == "重启之后"
    reply = await user.reply_to("/help")
    assert reply["message_id"] > sent.message_id
