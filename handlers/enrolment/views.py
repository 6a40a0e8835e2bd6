"""Enrolment cards as plain functions of what the use cases return: text and keyboard, no bot
and no database, so tests build them directly."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.class_callbacks import ClassRoster
from bot.i18n import I18n
from bot.services.enrolment import Card
from bot.views.pages import Page, in_rows, paged, turns, with_turns
from handlers.enrolment.common import (
    ClassImport,
    ClassInvite,
    EnrolAdd,
    EnrolClasses,
    EnrolList,
    Withdraw,
    WithdrawList,
)
from storage.models import Enrollment, TrainingClass


def classes_view(
    classes: Sequence[tuple[TrainingClass, str]], page: int, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """/enrol: the institution's approved classes with their first day, 20 a page."""
    shown, page, pages = paged(classes, page)
    rows = [
        [
            InlineKeyboardButton(
                text=i18n("enrolment.class_button", name=training_class.name, first=first),
                callback_data=ClassRoster(c=training_class.id).pack(),
            )
        ]
        for training_class, first in shown
    ]
    rows = with_turns(rows, turns(i18n, page, pages, lambda p: EnrolClasses(p=p)))
    text = i18n("enrolment.classes", count=len(classes), page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def withdrawal_view(
    training_class: TrainingClass,
    places: Sequence[Enrollment],
    names: dict[int, str],
    page: int,
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    """Who may be taken out of the class (enrolled or pending), 20 a page."""
    shown, page, pages = paged(places, page)
    buttons = [
        InlineKeyboardButton(
            text=names[place.person_id],
            callback_data=Withdraw(c=training_class.id, t=place.person_id).pack(),
        )
        for place in shown
    ]
    rows = with_turns(
        in_rows(buttons, 2),
        turns(i18n, page, pages, lambda p: WithdrawList(c=training_class.id, p=p, e=True)),
    )
    text = i18n(
        "enrolment.pick_withdrawal",
        name=training_class.name,
        count=len(places),
        page=page + 1,
        pages=pages,
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def candidates_view(
    training_class: TrainingClass, people: Page[int], names: dict[int, str], i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the institution's suitable trainees staff may add to the class."""
    buttons = [
        InlineKeyboardButton(
            text=names[person_id],
            callback_data=EnrolAdd(c=training_class.id, t=person_id).pack(),
        )
        for person_id in people.items
    ]
    rows = with_turns(
        in_rows(buttons, 2),
        turns(
            i18n,
            people.page,
            people.pages,
            lambda p: EnrolList(c=training_class.id, p=p, e=True),
        ),
    )
    text = i18n(
        "enrolment.pick",
        name=training_class.name,
        count=people.total,
        page=people.page + 1,
        pages=people.pages,
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


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
