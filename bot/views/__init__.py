"""Pure view builders (text and keyboard) of the decision cards: the use cases render them for
the people they tell, the handlers for the person acting, tests call them without a bot."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InaccessibleMessage, InlineKeyboardMarkup, Message


async def edit_in_place(
    bot: Bot,
    message: Message | InaccessibleMessage,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Turn the card in `message` into another view. Pressing the same button twice redraws
    the same card, which Telegram refuses as "message is not modified": that is not an error."""
    try:
        await bot.edit_message_text(
            text=text, chat_id=message.chat.id, message_id=message.message_id, reply_markup=markup
        )
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise
