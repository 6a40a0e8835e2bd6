"""What the enrolment handlers share: their buttons and the import step's state. The rules
and the writes are the use cases in bot/services/enrolment.py."""

from __future__ import annotations

import logging

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 30
TEXT_LIMIT = 4000
"""Bad rows listed in the chat, as many as fit one message; all of them come back as a file
when some do not fit."""
RESULT_COLUMNS = ("row", "name", "mobile", "id_number", "result", "link")
PROBLEM_COLUMNS = ("row", "name", "mobile", "id_number", "problem")


class ClassInvite(CallbackData, prefix="eni"):
    c: int


class EnrolList(CallbackData, prefix="enl"):
    """Page `p` of the trainees staff may add; `e` edits the list in place (paging)."""

    c: int
    p: int = 0
    e: bool = False


class EnrolAdd(CallbackData, prefix="ena"):
    c: int
    t: int


class ClassImport(CallbackData, prefix="enx"):
    c: int


class WithdrawList(CallbackData, prefix="enw"):
    """Page `p` of who may be taken out of class `c`; `e` edits the list in place (paging)."""

    c: int
    p: int = 0
    e: bool = False


class EnrolClasses(CallbackData, prefix="ecp"):
    """Page `p` of the classes /enrol lists (edits the list in place)."""

    p: int


class Withdraw(CallbackData, prefix="eno"):
    """Take trainee `t` out of class `c`; `ok` is the confirmation."""

    c: int
    t: int
    ok: bool = False


class ImportStates(StatesGroup):
    file = State()
