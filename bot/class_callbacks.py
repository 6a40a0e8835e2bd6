"""Typed buttons of the class card, its timetable, and the supervisor's decision."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class View(StrEnum):
    """Which view of a class a ClassView button shows (list: all classes, with c=0)."""

    LIST = "list"
    BOARD = "board"
    TEACHERS = "teachers"
    TIMETABLE = "timetable"


class Do(StrEnum):
    """What a class card button does to the class being prepared."""

    EQUIPMENT = "equipment"  # the checklist form
    EDIT = "edit"  # the basic data, in the class form
    SUBMIT = "submit"


class Generate(StrEnum):
    GENERATE = "generate"  # from the standard template; asks first when sessions exist
    REGENERATE = "regenerate"  # confirmed: replaces the sessions


class Change(StrEnum):
    """What a session's button does: ask for a new time, hours or topic; delete (asks first)."""

    TIME = "time"
    HOURS = "hours"
    TOPIC = "topic"
    DELETE = "del"
    DELETE_CONFIRMED = "delok"


class ClassNew(CallbackData, prefix="cln"):
    """Start a new class of institution `i`."""

    i: int


class ClassView(CallbackData, prefix="clv"):
    """Show class `c` as board (the card), teachers or timetable; list: all classes, `c` being
    the page (from 0)."""

    c: int
    v: View


class ClassRoster(CallbackData, prefix="enc"):
    """A class's enrolment card: who is in, places left, and what staff can do."""

    c: int


class ClassDo(CallbackData, prefix="cld"):
    """Action `a` on class `c`."""

    c: int
    a: Do


class TeacherToggle(CallbackData, prefix="clt"):
    """Assign person `p` to class `c` (on), or take them off it: a second tap changes nothing."""

    c: int
    p: int
    on: bool


class TeacherPage(CallbackData, prefix="clg"):
    """Page `g` (from 0) of class `c`'s teachers view."""

    c: int
    g: int


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
    """Make class `c`'s timetable from the standard template."""

    c: int
    a: Generate


class DayView(CallbackData, prefix="ttd"):
    """Day `d` of class `c`'s timetable."""

    c: int
    d: int


class SessionDo(CallbackData, prefix="tts"):
    """Change or remove session `s`."""

    s: int
    a: Change


class AddSession(CallbackData, prefix="tta"):
    """Add a session to class `c`, on day `d` (0: the person names the day)."""

    c: int
    d: int = 0


class DispatchList(CallbackData, prefix="dsl"):
    """Page `p` (from 0) of the trainee classes a supervisor may dispatch teachers to (S-8)."""

    p: int


class DispatchClass(CallbackData, prefix="dsc"):
    """Page `g` (from 0) of the lecturers a supervisor may dispatch to class `c`."""

    c: int
    g: int = 0


class DispatchToggle(CallbackData, prefix="dst"):
    """The supervisor dispatches person `p` to class `c` (on), or calls them off it."""

    c: int
    p: int
    on: bool
