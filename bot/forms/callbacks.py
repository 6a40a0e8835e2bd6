"""Typed buttons of the form runner. `q` is the question's place among those that apply,
so a button from an earlier question is recognised as stale."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Nav(StrEnum):
    """What a runner button does; each is routed to its own handler. An unknown value (a forged
    button) fails the filter and is answered by the fallback router."""

    BACK = "back"
    SKIP = "skip"
    NEXT = "next"  # after a note
    KEEP = "keep"  # the current answer, when a question is asked again (Back, ✏️)
    DONE = "done"  # a multiple choice or files collected so far
    CANCEL = "cancel"  # pause the draft
    EDIT = "edit"  # an answer, from the review screen
    SUBMIT = "submit"
    RESUME = "resume"
    RESTART = "restart"


class FormPick(CallbackData, prefix="fp"):
    """A choice, a calendar day, a region, or toggling a multiple-choice value."""

    d: int
    q: int
    v: str


class FormNav(CallbackData, prefix="fn"):
    """Action `a` on draft `d` at question `q` (on the review screen: the answer to edit)."""

    d: int
    q: int
    a: Nav


class FormMonth(CallbackData, prefix="fm"):
    """Turn the calendar to another month (YYYY-MM)."""

    d: int
    q: int
    m: str


class FormEdit(CallbackData, prefix="fe"):
    """Change the answers of submission `s` (a new version; the earlier one is kept)."""

    s: int
