"""Lists in chat are paged: 20 lines at once, ◀ ▶ between the pages, with the count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.i18n import I18n

T = TypeVar("T")

PAGE_SIZE = 20
"""Lines of a list shown at once (◀ ▶ turn the pages)."""


def paged(items: Sequence[T], page: int) -> tuple[list[T], int, int]:
    """The items on `page` (clamped to the pages there are), that page and the number of pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return list(items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]), page, pages


def turns(
    i18n: I18n, page: int, pages: int, to: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """◀ ▶ buttons to the pages before and after `page`, where there are any."""
    shown = []
    if page > 0:
        shown.append(
            InlineKeyboardButton(text=i18n("classes.b_previous"), callback_data=to(page - 1).pack())
        )
    if page + 1 < pages:
        shown.append(
            InlineKeyboardButton(text=i18n("classes.b_next"), callback_data=to(page + 1).pack())
        )
    return shown
