"""The last line of defence: a failed update is rolled back and the person is told so."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from sqlalchemy.exc import SQLAlchemyError

from bot.config import RunMode, Settings
from bot.i18n import I18n, locale_for
from bot.polling import Delivery

log = logging.getLogger(__name__)


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, SQLAlchemyError | OSError | TimeoutError)


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    settings: Settings,
    i18n: I18n | None = None,
    delivery: Delivery | None = None,
) -> None:
    """Tell the person nothing was saved. A storage failure is re-raised instead while the
    update can still come again: under a webhook (answered non-2xx, Telegram delivers it
    again) and from the polling inbox before its last attempt. Never raises because telling
    failed: a callback too old to answer gets a message instead."""
    storage_failed = is_storage_error(event.exception)
    if storage_failed and (
        settings.mode is RunMode.WEBHOOK or (delivery is not None and not delivery.last)
    ):
        log.error("update not stored, it will come again: %r", event.exception)
        raise SkipHandler
    log.error("update failed and was rolled back", exc_info=event.exception)
    update = event.update
    source = update.message or update.callback_query or update.edited_message
    if source is None or source.from_user is None:
        return
    i18n = i18n or I18n(locale_for(source.from_user.language_code, settings.default_locale))
    key = "errors.storage" if storage_failed else "errors.generic"
    if update.callback_query is not None:
        with suppress(TelegramAPIError):
            await update.callback_query.answer(i18n(key), show_alert=True)
            return
    try:
        await bot.send_message(source.from_user.id, i18n(key))
    except TelegramAPIError as error:
        log.warning("the person could not be told: %s", error)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
