"""Lists in chat are paged, the one way: 20 lines at once, ◀ ▶ between the pages, with the count.

`paged` cuts a page out of a list already in memory; a list read from the store a page at a time
(/todo, /trainees) counts first, then takes `page_window`'s offset and limit. `turns` is the row
of ◀ ▶ buttons (labels `common.previous` / `common.next`). Keyboards are plain rows
(`InlineKeyboardMarkup(inline_keyboard=rows)`), never built a button at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.i18n import I18n

T = TypeVar("T")

PAGE_SIZE = 20
"""Lines of a list shown at once (◀ ▶ turn the pages)."""


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages `total` items fill, `size` a page (an empty list is one empty page)."""
    return max(1, -(-total // size))


def page_window(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int, int]:
    """For a list of `total` items read a page at a time: `page` clamped to the pages there are,
    the number of pages, and the offset of its first item (take `size` from there)."""
    pages = page_count(total, size)
    page = min(max(page, 0), pages - 1)
    return page, pages, page * size


def paged(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[list[T], int, int]:
    """The items on `page` (clamped to the pages there are), that page and the number of pages."""
    page, pages, start = page_window(len(items), page, size)
    return list(items[start : start + size]), page, pages


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, which page (from 0) of how many, and the items in all."""

    items: list[T]
    page: int
    pages: int
    total: int

    @classmethod
    def of(cls, items: Sequence[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
        """Page `page` of a list already in memory."""
        shown, page, pages = paged(items, page, size)
        return cls(shown, page, pages, len(items))


def turns(
    i18n: I18n, page: int, pages: int, to: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """◀ ▶ buttons to the pages before and after `page`, where there are any (one row)."""
    shown = []
    if page > 0:
        shown.append(
            InlineKeyboardButton(text=i18n("common.previous"), callback_data=to(page - 1).pack())
        )
    if page + 1 < pages:
        shown.append(
            InlineKeyboardButton(text=i18n("common.next"), callback_data=to(page + 1).pack())
        )
    return shown


def in_rows(
    buttons: Sequence[InlineKeyboardButton], width: int = 1
) -> list[list[InlineKeyboardButton]]:
    """`buttons` laid out `width` to a row."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def with_turns(
    rows: list[list[InlineKeyboardButton]], turn_row: list[InlineKeyboardButton]
) -> list[list[InlineKeyboardButton]]:
    """`rows` followed by the ◀ ▶ row when there is one."""
    return [*rows, turn_row] if turn_row else rows
