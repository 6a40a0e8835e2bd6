"""Typed buttons of the class card, its timetable, and the supervisor's decision."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class ClassNew(CallbackData, prefix="cln"):
    """Start a new class of institution `i`."""

    i: int


class ClassView(CallbackData, prefix="clv"):
    """Show class `c` as board (the card), teachers or timetable; list (c=0): all classes."""

    c: int
    v: str


class ClassRoster(CallbackData, prefix="enc"):
    """A class's enrolment card: who is in, places left, and what staff can do."""

    c: int


class ClassDo(CallbackData, prefix="cld"):
    """equipment (the checklist form), edit (basic data), submit."""

    c: int
    a: str


class TeacherToggle(CallbackData, prefix="clt"):
    """Assign person `p` to class `c` (on), or take them off it: a second tap changes nothing."""

    c: int
    p: int
    on: bool


class ApplicationAction(StrEnum):
    APPROVE = "ok"
    RETURN = "ret"
    """Asks a reason first."""
    TIMETABLE = "tt"
    """Shows the detailed timetable; decides nothing."""


class Decide(CallbackData, prefix="cla"):
    """The supervisor's answer to class `c`."""

    c: int
    a: ApplicationAction


class TimetableDo(CallbackData, prefix="ttg"):
    """generate (from the standard template), regenerate (confirmed: replaces the sessions)."""

    c: int
    a: str


class DayView(CallbackData, prefix="ttd"):
    """Day `d` of class `c`'s timetable."""

    c: int
    d: int


class SessionDo(CallbackData, prefix="tts"):
    """time, hours, topic, del (asks), delok (removes) for session `s`."""

    s: int
    a: str


class AddSession(CallbackData, prefix="tta"):
    """Add a session to class `c`, on day `d` (0: the person names the day)."""

    c: int
    d: int = 0
