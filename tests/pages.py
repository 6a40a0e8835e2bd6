"""What every paged list must keep to, whatever its length: Telegram's limits."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

TEXT_LIMIT = 4096
BUTTON_LIMIT = 100


def assert_fits(text: str, markup: InlineKeyboardMarkup | None) -> None:
    """The message passes neither 4,096 characters (UTF-16 units) nor 100 buttons."""
    assert len(text.encode("utf-16-le")) // 2 <= TEXT_LIMIT, len(text)
    buttons = sum(len(row) for row in markup.inline_keyboard) if markup else 0
    assert buttons <= BUTTON_LIMIT, buttons


def labels(markup: InlineKeyboardMarkup | None) -> list[str]:
    return [button.text for row in markup.inline_keyboard for button in row] if markup else []
