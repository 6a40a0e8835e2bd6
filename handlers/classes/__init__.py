"""Classes (S-7 to S-10, S-23, S-31): institution staff prepare a class on one card — teachers,
timetable (T5), equipment checklist (T4) — and submit it; the region's supervisor approves it
or returns it with a reason.

Split by audience: `staff` (the list, the card, basic data, equipment, Submit), `assign`
(teachers), `hooks` (the class and equipment forms), `supervisor` (the decision); the timetable
is handlers/timetable/. The use cases are bot/services/classes.py, timetable.py and
applications.py; the views bot/views/classes.py and timetable.py. The card is one message edited
in place; what still keeps the class from opening is always listed on it, from the same checks
that refuse Submit (bot.domain.classes).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from bot.class_callbacks import (
    ApplicationAction,
    ClassDo,
    ClassNew,
    ClassView,
    Decide,
    DispatchClass,
    DispatchList,
    DispatchToggle,
    Do,
    TeacherPage,
    TeacherToggle,
    View,
)
from bot.domain.classes import EQUIPMENT_FORMS
from bot.filters import Can
from bot.forms.service import FormHooks
from bot.policy import Action
from bot.services.reasons import Purpose
from bot.timetables import standard_timetables
from bot.views.classes import application
from handlers import timetable
from handlers.classes import assign, dispatch, staff, supervisor
from handlers.classes import hooks as submitted
from handlers.classes.staff import CLASS_FORM

__all__ = ["application"]
"""Re-exported for /todo: the class views live in bot.views.classes."""

REASONS = {Purpose.CLASS_RETURN: supervisor.return_reason_given}


def form_hooks(hooks: FormHooks) -> None:
    """A submitted class form becomes a class (or its edit); the checklist confirms equipment."""
    hooks.add(CLASS_FORM, submitted.class_submitted)
    for form_id in sorted(set(EQUIPMENT_FORMS.values())):
        hooks.add(form_id, submitted.equipment_submitted)


def create_router() -> Router:
    router = Router(name=__name__)
    standard_timetables()  # a broken timetable template stops start-up here, naming the file
    preparing = Router(name=f"{__name__}.staff")
    preparing.message.filter(Can(Action.CLASS_VIEW))
    preparing.callback_query.filter(Can(Action.CLASS_VIEW))
    preparing.message.register(staff.list_classes, Command("classes"))
    preparing.callback_query.register(staff.new_class, ClassNew.filter())
    preparing.callback_query.register(staff.list_pressed, ClassView.filter(F.v == View.LIST))
    preparing.callback_query.register(
        staff.view_pressed, ClassView.filter(F.v.in_(staff.CLASS_VIEWS))
    )
    preparing.callback_query.register(staff.equipment_pressed, ClassDo.filter(F.a == Do.EQUIPMENT))
    preparing.callback_query.register(staff.edit_pressed, ClassDo.filter(F.a == Do.EDIT))
    preparing.callback_query.register(staff.submit_pressed, ClassDo.filter(F.a == Do.SUBMIT))
    preparing.callback_query.register(assign.teacher_toggled, TeacherToggle.filter())
    preparing.callback_query.register(assign.page_pressed, TeacherPage.filter())
    preparing.include_router(timetable.create_router())
    deciding = Router(name=f"{__name__}.supervisors")
    deciding.message.filter(Can(Action.CLASS_DECIDE))
    deciding.callback_query.filter(Can(Action.CLASS_DECIDE))
    deciding.callback_query.register(
        supervisor.approve_pressed, Decide.filter(F.a == ApplicationAction.APPROVE)
    )
    deciding.callback_query.register(
        supervisor.return_pressed, Decide.filter(F.a == ApplicationAction.RETURN)
    )
    deciding.callback_query.register(
        supervisor.timetable_pressed, Decide.filter(F.a == ApplicationAction.TIMETABLE)
    )
    dispatching = Router(name=f"{__name__}.dispatch")
    dispatching.message.filter(Can(Action.CLASS_DISPATCH))
    dispatching.callback_query.filter(Can(Action.CLASS_DISPATCH))
    dispatching.message.register(dispatch.dispatch_command, Command("dispatch"))
    dispatching.callback_query.register(dispatch.list_pressed, DispatchList.filter())
    dispatching.callback_query.register(dispatch.class_pressed, DispatchClass.filter())
    dispatching.callback_query.register(dispatch.teacher_toggled, DispatchToggle.filter())
    router.include_routers(preparing, deciding, dispatching)
    return router
