"""Buttons of the feedback summaries (handled by handlers/feedback_views; the morning push
carries one too)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.domain.feedback import Kind


class FeedbackClass(CallbackData, prefix="fvc"):
    """The feedback menu of class `c`."""

    c: int


class FeedbackClasses(CallbackData, prefix="fvp"):
    """Page `p` of the classes /feedback lists (edits the list in place)."""

    p: int


class FeedbackRound(CallbackData, prefix="fvr"):
    """The summary of class `c`'s round of kind `k` on day `d` (a forged kind fails the filter
    and is answered by the fallback)."""

    c: int
    k: Kind
    d: int


class FeedbackTrend(CallbackData, prefix="fvt"):
    """The daily trend chart of class `c`."""

    c: int
