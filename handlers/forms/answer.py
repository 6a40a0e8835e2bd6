"""Answering the question being asked: a message (text, contact, location, photos, a file),
a choice button, or turning the calendar."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.forms import service
from bot.forms.answers import FileRef, Input
from bot.forms.callbacks import FormMonth, FormPick
from bot.i18n import I18n
from bot.services import forms
from bot.services.actor import Actor
from handlers.forms.screens import answer_press, render
from storage.models import FormDraft, Person


class FillingForm(Filter):
    """Passes when the person has an active draft, and injects it as `draft`."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, person: Person | None = None
    ) -> bool | dict[str, Any]:
        if person is None:
            return False
        found = await service.active_draft(session, person.id)
        return {"draft": found} if found is not None else False


class NotCommand(Filter):
    """Passes unless the message is a /command. A coroutine on purpose: aiogram runs a plain
    callable filter (an `F` expression too) on a worker thread, a round trip per message."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


def _size(reported: int | None) -> int:
    """Telegram's size of a file, or -1 when it did not say (not 0: that is an empty file)."""
    return -1 if reported is None else reported


def given(message: Message) -> Input:
    """The message reduced to what an answer can be made of."""
    files: list[FileRef] = []
    if message.photo:
        largest = message.photo[-1]
        files.append(
            FileRef(
                largest.file_id,
                largest.file_unique_id,
                "photo.jpg",
                _size(largest.file_size),
                "image/jpeg",
            )
        )
    if message.document:
        document = message.document
        files.append(
            FileRef(
                document.file_id,
                document.file_unique_id,
                document.file_name or "file",
                _size(document.file_size),
                document.mime_type or "application/octet-stream",
            )
        )
    return Input(
        text=message.text or message.caption if not files else None,
        contact_phone=message.contact.phone_number if message.contact else None,
        location=(message.location.latitude, message.location.longitude)
        if message.location
        else None,
        files=tuple(files),
    )


async def answer_message(
    message: Message,
    draft: FormDraft,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.answer(session, actor, draft, given(message), settings.tz)
    if screen.hide_input:
        await _hide(bot, message)
    await render(bot, message.chat.id, screen, i18n)


async def _hide(bot: Bot, message: Message) -> None:
    """An ID or mobile number typed or shared stays in clear in the chat unless removed: the
    bot deletes it once read and echoes it masked (PIPL; SPEC S-53)."""
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await bot.delete_message(message.chat.id, message.message_id)


async def picked(
    query: CallbackQuery,
    callback_data: FormPick,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.pick(
        session, actor, callback_data.d, callback_data.q, callback_data.v, settings.tz
    )
    await answer_press(query, screen, i18n)
    await render(bot, query.from_user.id, screen, i18n, query.message)


async def turned_month(
    query: CallbackQuery,
    callback_data: FormMonth,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    screen = await forms.turn_month(
        session, actor, callback_data.d, callback_data.q, callback_data.m, settings.tz
    )
    await answer_press(query, screen, i18n)
    await render(bot, query.from_user.id, screen, i18n, query.message)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(picked, FormPick.filter())
    router.callback_query.register(turned_month, FormMonth.filter())
    # Any other message while a form is active is the answer.
    router.message.register(answer_message, NotCommand(), FillingForm())
    return router
