"""Forged button data stops here, before any handler runs.

Every button is a typed `CallbackData`; its integer fields are ids, pages and day numbers
that end in `Integer` columns (32 bits on PostgreSQL) or date arithmetic. Data that carries
one of our prefixes but does not unpack into its class, or whose integers are negative or
beyond 2^31 - 1 (`fp:99999999999999999999999:2:m`), is answered with the polite "this button
is no longer valid" alert, the same the fallback router gives a button it does not know, and
never reaches a query. Data with a prefix that is not ours goes on to the fallback router."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot.i18n import I18n

log = logging.getLogger(__name__)
INT_MAX = 2**31 - 1


def _all_classes() -> list[type[CallbackData]]:
    found, queue = [], list(CallbackData.__subclasses__())
    while queue:
        cls = queue.pop()
        found.append(cls)
        queue.extend(cls.__subclasses__())
    return [cls for cls in found if getattr(cls, "__prefix__", None)]


def _in_range(value: CallbackData) -> bool:
    for name in type(value).model_fields:
        field = getattr(value, name)
        if isinstance(field, int) and not isinstance(field, bool):
            if not 0 <= field <= INT_MAX:
                return False
    return True


@cache
def _by_prefix() -> dict[str, list[type[CallbackData]]]:
    """Every button class by prefix, once all are imported (the first press comes after
    start-up has imported every router; a class made later is simply not guarded)."""
    found: dict[str, list[type[CallbackData]]] = {}
    for cls in _all_classes():
        found.setdefault(cls.__prefix__, []).append(cls)
    return found


def forged(data: str) -> bool:
    """Whether `data` claims to be one of our buttons but is not one we could have made."""
    claimed = [  # every button uses aiogram's default separator ":"
        cls
        for cls in _by_prefix().get(data.split(":", 1)[0], [])
        if data == cls.__prefix__ or data.startswith(cls.__prefix__ + cls.__separator__)
    ]
    if not claimed:
        return False
    for cls in claimed:
        try:
            value = cls.unpack(data)
        except (TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            continue
        if _in_range(value):
            return False
    return True


class ForgedButtons(BaseMiddleware):
    """A callback-query middleware: refuses forged data with the stale-button alert."""

    async def __call__(
        self,
        handler: Callable[[CallbackQuery, dict[str, Any]], Awaitable[Any]],
        event: CallbackQuery,
        data: dict[str, Any],
    ) -> Any:
        if event.data is not None and forged(event.data):
            log.info("a button with forged data was refused")
            i18n: I18n = data["i18n"]
            await event.answer(i18n("fallback.stale_button"), show_alert=True)
            return None
        return await handler(event, data)
