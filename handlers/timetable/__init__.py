"""The timetable (T5) of a class being prepared: generated from the standard template, viewed
day by day, and adjusted — move a session, change its class hours or topic, remove or add one.

`buttons` answers the timetable's buttons, `answers` the times, hours and topics typed after
them; bot/services/timetable.py makes every change through bot.domain.timetable's checks (one
session per half day, no overlaps, hours that fit the time), bot/views/timetable.py draws it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter

from bot.class_callbacks import AddSession, Change, DayView, Generate, SessionDo, TimetableDo
from handlers.timetable import answers, buttons
from handlers.timetable.answers import TimetableStates

__all__ = ["TimetableStates", "create_router"]


def create_router() -> Router:
    """Included by the class feature's staff router, which checks the role."""
    router = Router(name=__name__)
    on = router.callback_query.register
    on(buttons.generate_pressed, TimetableDo.filter(F.a == Generate.GENERATE))
    on(buttons.regenerate_pressed, TimetableDo.filter(F.a == Generate.REGENERATE))
    on(buttons.day_pressed, DayView.filter())
    on(buttons.change_asked, SessionDo.filter(F.a.in_(buttons.ASK)))
    on(buttons.delete_asked, SessionDo.filter(F.a == Change.DELETE))
    on(buttons.delete_confirmed, SessionDo.filter(F.a == Change.DELETE_CONFIRMED))
    on(buttons.add_pressed, AddSession.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(
        answers.session_answered,
        StateFilter(*answers.CHANGING),
        *typed,
    )
    router.message.register(
        answers.new_session_answered,
        StateFilter(TimetableStates.new_time, TimetableStates.new_hours, TimetableStates.new_topic),
        *typed,
    )
    return router
