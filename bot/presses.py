"""A repeated press of the same button on the same message has one effect.

Three quick taps on "填写培训需求问卷" reach the bot as three callback queries carrying the same
message as the person saw it. The first claims the press in its unit of work (`button_press`,
keyed by chat, message id and a fingerprint of the person, the button's data and the message's
version: dates, text, keyboard); the others find it claimed and change nothing, answered with a
small toast (no alert). A message re-rendered in place is another version, so its buttons can
be pressed again at once; a press whose handling is refused or fails rolls its claim back with
everything else. A claim lasts only until the person does anything else (sends a message,
presses another button) and at most `DOUBLE_TAP_WINDOW` of the product's clock: pressing the
same old button again after that is deliberate, and is handled, so its handler can say what it
says then ("already submitted", "closed")."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.services.actor import Actor
from storage.presses import claim_press, forget_others

log = logging.getLogger(__name__)

DOUBLE_TAP_WINDOW = timedelta(seconds=30)
"""How long a handled press makes the same press do nothing."""


def fingerprint(query: CallbackQuery) -> str:
    """The press as the person made it: who pressed which data on which version of the
    message (its dates, text or caption, and keyboard)."""
    message = query.message
    version: list[Any] = [query.from_user.id, query.data]
    if isinstance(message, Message):
        markup = message.reply_markup
        version += [
            message.date,
            message.edit_date,
            message.text if message.text is not None else message.caption,
            markup.model_dump(mode="json", exclude_none=True) if markup else None,
        ]
    raw = json.dumps(version, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


class OncePerPress(BaseMiddleware):
    """A callback-query middleware, inside the update's unit of work: claims the press, and
    answers a press already claimed with a toast, without passing it on."""

    async def __call__(
        self,
        handler: Callable[[CallbackQuery, dict[str, Any]], Awaitable[Any]],
        event: CallbackQuery,
        data: dict[str, Any],
    ) -> Any:
        session, actor = data.get("session"), data.get("actor")
        if event.message is None or session is None or not isinstance(actor, Actor):
            return await handler(event, data)
        message = event.message
        now = actor.now
        key = (message.chat.id, message.message_id, fingerprint(event))
        if not await claim_press(session, *key, now, now - DOUBLE_TAP_WINDOW):
            log.info("a repeated press of the same button was answered without effect")
            i18n = data.get("i18n")
            await event.answer(i18n("fallback.pressed_already") if i18n else None)
            return None
        await forget_others(session, message.chat.id, key[1:])
        return await handler(event, data)


class AnythingElse(BaseMiddleware):
    """A message middleware: what the person sends ends their double-tap claims, so a button
    pressed before can be pressed again (say, after cancelling what it started)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = data.get("session")
        if isinstance(event, Message) and session is not None:
            await forget_others(session, event.chat.id)
        return await handler(event, data)
