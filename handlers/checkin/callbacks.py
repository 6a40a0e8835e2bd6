"""Typed buttons of check-in: the teacher's panel, the roster and hand marks."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.domain.checkin import Mark


class OpenCheckin(CallbackData, prefix="cio"):
    s: int


class PanelAction(StrEnum):
    REFRESH = "refresh"
    CLOSE = "close"


class Panel(CallbackData, prefix="cip"):
    s: int
    a: PanelAction


class RosterDay(CallbackData, prefix="cir"):
    """Class `c`, class day `d` (0: today's); `n`: as a new message (else redraw this one)."""

    c: int
    d: int
    n: bool = False


class Summary(CallbackData, prefix="cis"):
    c: int


class MarkMenu(CallbackData, prefix="cim"):
    """The session's trainees to mark (p=0), or the marks offered for person `p`."""

    s: int
    p: int = 0


class MarkSet(CallbackData, prefix="cix"):
    s: int
    p: int
    m: Mark


class RosterClasses(CallbackData, prefix="cil"):
    """Page `p` of the classes /roster offers (edits the list in place)."""

    p: int
