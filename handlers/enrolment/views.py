"""Enrolment cards as plain functions of what the use cases return: text and keyboard, no bot
and no database, so tests build them directly."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import I18n
from bot.services.enrolment import Card
from handlers.enrolment.common import ClassImport, ClassInvite, EnrolList, WithdrawList


def card_view(card: Card, i18n: I18n) -> tuple[str, InlineKeyboardMarkup]:
    """A class's enrolment card: who is in or pending, places taken; while it takes trainees
    the link, add and import buttons; withdraw while anyone is in."""
    class_id = card.training_class.id
    builder = InlineKeyboardBuilder()
    if card.open_:
        builder.button(text=i18n("enrolment.invite_button"), callback_data=ClassInvite(c=class_id))
        builder.button(text=i18n("enrolment.add_button"), callback_data=EnrolList(c=class_id))
        builder.button(text=i18n("enrolment.import_button"), callback_data=ClassImport(c=class_id))
    if card.places:
        builder.button(
            text=i18n("enrolment.withdraw_button"), callback_data=WithdrawList(c=class_id)
        )
    builder.adjust(1)
    text = i18n(
        "enrolment.card",
        open_=card.open_,
        taken=card.taken,
        capacity=card.capacity,
        enrolled=card.enrolled,
        pending=card.pending,
        reserved=card.taken - len(card.places),
        **card.facts,
    )
    return text, builder.as_markup()
