"""Check-in (S-11, S-24, S-44): teachers open it and show a rotating code, trainees send the
code (and optionally their location), teachers see the roster, mark by hand and sum up.

Which message is a code: exactly four digits from a person enrolled in a class. While check-in
is open for them and they have not checked in yet, the code wins even over a form being
filled; once they have checked in (or with nothing open) a form being filled gets it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from bot.filters import Can
from bot.policy import Action
from handlers.checkin.callbacks import (
    MarkMenu,
    MarkSet,
    OpenCheckin,
    Panel,
    PanelAction,
    RosterClasses,
    RosterDay,
    Summary,
)
from handlers.checkin.roster import (
    classes_paged,
    mark_menu,
    mark_set,
    roster_command,
    roster_pressed,
    summary_pressed,
)
from handlers.checkin.teacher import choose_session, close_pressed, open_pressed, panel_refreshed
from handlers.checkin.trainee import (
    AwaitingLocation,
    CodeMessage,
    SkipLocation,
    code_sent,
    location_sent,
    location_skipped,
    start_with_code,
)

__all__ = ["create_router", "start_with_code"]


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(code_sent, CodeMessage())
    router.message.register(location_sent, F.location, AwaitingLocation())
    router.message.register(location_skipped, F.text, SkipLocation())

    teachers = Router(name=f"{__name__}.teachers")
    teachers.message.filter(Can(Action.CHECKIN_OPEN, Action.ATTENDANCE_MARK))
    teachers.callback_query.filter(Can(Action.CHECKIN_OPEN, Action.ATTENDANCE_MARK))
    teachers.message.register(choose_session, Command("checkin"))
    teachers.callback_query.register(open_pressed, OpenCheckin.filter())
    teachers.callback_query.register(panel_refreshed, Panel.filter(F.a == PanelAction.REFRESH))
    teachers.callback_query.register(close_pressed, Panel.filter(F.a == PanelAction.CLOSE))
    teachers.callback_query.register(mark_menu, MarkMenu.filter())
    teachers.callback_query.register(mark_set, MarkSet.filter())

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(Can(Action.ROSTER_VIEW))
    staff.callback_query.filter(Can(Action.ROSTER_VIEW))
    staff.message.register(roster_command, Command("roster"))
    staff.callback_query.register(roster_pressed, RosterDay.filter())
    staff.callback_query.register(classes_paged, RosterClasses.filter())
    staff.callback_query.register(summary_pressed, Summary.filter())

    router.include_routers(teachers, staff)
    return router
