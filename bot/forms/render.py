"""Moved to `bot.views.forms` (the pure view builders); kept so older imports still work."""

from bot.views.forms import SEARCH, display, question_view, reply_keyboard, review_view

__all__ = ["SEARCH", "display", "question_view", "reply_keyboard", "review_view"]
