"""One answer per refusal: a use case's NotAllowed/NotFound/Stale/Conflict, raised anywhere in a
handler, has rolled the update back on its way out and is answered here with one alert wording
(a callback gets an alert, a message a reply). Tried before the catch-all in handlers/errors.py."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.config import Settings
from bot.i18n import I18n, locale_for
from bot.services.errors import Refusal

log = logging.getLogger(__name__)


def wording(i18n: I18n, refusal: Refusal) -> str:
    """The refusal in the reader's language (its own message, or its kind's one wording)."""
    return i18n(refusal.key, **refusal.context)


async def on_refusal(
    event: ErrorEvent, bot: Bot, settings: Settings, i18n: I18n | None = None
) -> None:
    refusal = event.exception
    log.info("refused: %s", type(refusal).__name__)
    update = event.update
    source = update.message or update.callback_query or update.edited_message
    if source is None or source.from_user is None:
        return
    i18n = i18n or I18n(locale_for(source.from_user.language_code, settings.default_locale))
    text = wording(i18n, refusal)
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=True)
            return
        except TelegramBadRequest as error:  # a re-delivered press: its query is too old
            log.info("refusal's alert not shown (%s); sent as a message", error.message)
    await bot.send_message(source.from_user.id, text)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_refusal, ExceptionTypeFilter(Refusal))
    return router
