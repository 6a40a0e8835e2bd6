"""Buttons of follow-up (T13): on a pushed tracking survey (built by the scan) and on the
phone follow-up card and the schedule screens (handlers/followup.py)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.domain.followup import CallOutcome


class FollowupFill(CallbackData, prefix="fuf"):
    """Fill in tracking survey `s`."""

    s: int


class FollowupResume(CallbackData, prefix="fur"):
    """Resume follow-ups after /stop."""


class FollowupCall(CallbackData, prefix="fuc"):
    """Record outcome `o` of the phone follow-up of survey `s`."""

    o: CallOutcome
    s: int


class Do(StrEnum):
    ALL = "all"
    """The schedule of all the institution's classes."""
    CLASS = "class"
    """The schedule of class `c`."""
    CHANGE = "change"
    """Type a new schedule for class `c` (0: all classes)."""
    PAGE = "page"
    """Page `c` of the classes."""


class FollowupPlan(CallbackData, prefix="fus"):
    """/followup: which schedule to show or change."""

    a: Do
    c: int = 0
