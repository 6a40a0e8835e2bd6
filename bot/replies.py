"""Replies to the person whose update is handled leave only after its unit of work commits.

A request middleware on the Bot's session holds back every method that tells the person
something while an update's unit of work is open, and hands the handler a stand-in result; the
unit of work sends them in order once committed, and drops them when it rolls back. So nothing
is told that was not stored, and a reply that fails (a callback answered too late or twice, an
edit that changes nothing) can no longer fail the update. Reads, deletions and chat actions go
through at once; the outbox and scheduler work outside any update and are not touched.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDocument,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVenue,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import Chat, Message

log = logging.getLogger(__name__)

HELD_BACK: frozenset[type[TelegramMethod[Any]]] = frozenset(
    {
        SendMessage,
        SendPhoto,
        SendDocument,
        SendMediaGroup,
        SendLocation,
        SendVenue,
        SendContact,
        SendAnimation,
        SendAudio,
        SendVideo,
        SendVoice,
        EditMessageText,
        EditMessageReplyMarkup,
        EditMessageCaption,
        EditMessageMedia,
        AnswerCallbackQuery,
    }
)
RETRY_AFTER_TRIES = 3


class Replies:
    """What a handler said during one update, waiting for the commit. `chat_id` is where the
    text of a callback answer goes when the answer itself comes too late."""

    def __init__(self, chat_id: int | None) -> None:
        self.chat_id = chat_id
        self.calls: list[TelegramMethod[Any]] = []

    def hold(self, method: TelegramMethod[Any]) -> Any:
        self.calls.append(method)
        return _stand_in(method, self.chat_id)

    async def send(self, bot: Bot) -> None:
        """Sends what was held, in order; a failure is logged and the rest still go out."""
        calls, self.calls = self.calls, []
        for method in calls:
            await self._send_one(bot, method)

    async def _send_one(self, bot: Bot, method: TelegramMethod[Any]) -> None:
        for _ in range(RETRY_AFTER_TRIES):
            try:
                await bot(method)
                return
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
            except TelegramBadRequest as error:
                if "message is not modified" in error.message:
                    return
                await self._failed(bot, method, error)
                return
            except TelegramAPIError as error:
                await self._failed(bot, method, error)
                return
        log.warning("reply %s given up after flood waits", type(method).__name__)

    async def _failed(self, bot: Bot, method: TelegramMethod[Any], error: Exception) -> None:
        log.warning("reply %s not delivered: %s", type(method).__name__, error)
        if isinstance(method, AnswerCallbackQuery) and method.text and self.chat_id:
            try:  # the person still hears what the alert would have said
                await bot.send_message(self.chat_id, method.text)
            except TelegramAPIError as fallback_error:
                log.warning("callback answer's text not delivered either: %s", fallback_error)


pending_replies: ContextVar[Replies | None] = ContextVar("pending_replies", default=None)


class HoldRepliesUntilCommit(BaseRequestMiddleware):
    """The Bot session's request middleware that defers telling methods inside an update."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Any:
        replies = pending_replies.get()
        if replies is None or type(method) not in HELD_BACK:
            return await make_request(bot, method)
        return replies.hold(method)


def _stand_in(method: TelegramMethod[Any], chat_id: int | None) -> Any:
    """A result of the type the method returns; no handler reads it (checked in review)."""
    returning = method.__returning__
    if returning is Message:
        target = getattr(method, "chat_id", None)
        chat = target if isinstance(target, int) else chat_id or 0
        return Message(message_id=0, date=datetime.now(UTC), chat=Chat(id=chat, type="private"))
    if returning == list[Message]:
        return []
    return True
