"""The button on a pushed feedback form (built by the scan, handled by handlers/feedback)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class FeedbackFill(CallbackData, prefix="fbk"):
    """Fill in the form of feedback request `r`."""

    r: int
