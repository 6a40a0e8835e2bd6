"""Typed buttons of the form runner. `q` is the question's place among those that apply,
so a button from an earlier question is recognised as stale."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class FormPick(CallbackData, prefix="fp"):
    """A choice, a calendar day, a region, or toggling a multiple-choice value."""

    d: int
    q: int
    v: str


class FormNav(CallbackData, prefix="fn"):
    """back, skip, cancel, done, next (after a note), edit (review), submit, resume, discard."""

    d: int
    q: int
    a: str


class FormMonth(CallbackData, prefix="fm"):
    """Turn the calendar to another month (YYYY-MM)."""

    d: int
    q: int
    m: str


class FormEdit(CallbackData, prefix="fe"):
    """Change the answers of submission `s` (a new version; the earlier one is kept)."""

    s: int
