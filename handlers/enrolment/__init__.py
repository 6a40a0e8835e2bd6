"""Enrolment (S-5, S-7): trainees join a class by its link or QR code, staff add suitable
trainees or import a list from Excel, and a class never takes a 31st person.

Thin adapters over the use cases in bot/services/enrolment.py. Entry points for other
features: `ClassRoster(c=...)` opens a class's enrolment card (link and QR, add, import,
withdraw); `join_by_link` is called by /start for an invitation that names a class.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter

from bot.class_callbacks import ClassRoster
from bot.filters import Can
from bot.policy import Action
from handlers.enrolment.common import (
    ClassImport,
    ClassInvite,
    EnrolAdd,
    EnrolClasses,
    EnrolList,
    ImportStates,
    Withdraw,
    WithdrawList,
)
from handlers.enrolment.importing import ask_for_file, file_sent, not_a_file
from handlers.enrolment.join import join_by_link
from handlers.enrolment.staff import (
    add_trainee,
    classes_paged,
    list_classes,
    pick_trainee,
    pick_withdrawal,
    send_invite,
    show_card,
    withdraw_trainee,
)

__all__ = ["create_router", "join_by_link"]


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.ENROLMENT_MANAGE))
    router.callback_query.filter(Can(Action.ENROLMENT_MANAGE))
    router.message.register(list_classes, Command("enrol"))
    router.message.register(file_sent, StateFilter(ImportStates.file), F.document)
    router.message.register(not_a_file, StateFilter(ImportStates.file))
    router.callback_query.register(show_card, ClassRoster.filter())
    router.callback_query.register(classes_paged, EnrolClasses.filter())
    router.callback_query.register(send_invite, ClassInvite.filter())
    router.callback_query.register(pick_trainee, EnrolList.filter())
    router.callback_query.register(add_trainee, EnrolAdd.filter())
    router.callback_query.register(ask_for_file, ClassImport.filter())
    router.callback_query.register(pick_withdrawal, WithdrawList.filter())
    router.callback_query.register(withdraw_trainee, Withdraw.filter())
    return router
