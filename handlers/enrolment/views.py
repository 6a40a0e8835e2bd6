"""Enrolment cards as plain functions of what the use cases return: text and keyboard, no bot
and no database, so tests build them directly."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.class_callbacks import ClassRoster
from bot.i18n import I18n
from bot.services.enrolment import Card
from handlers.enrolment.common import (
    LIST_PAGE,
    ClassImport,
    ClassInvite,
    EnrolClasses,
    EnrolList,
    Withdraw,
    WithdrawList,
)
from storage.models import Enrollment, TrainingClass

T = TypeVar("T")


def paged(items: Sequence[T], page: int, size: int = LIST_PAGE) -> tuple[Sequence[T], int, int]:
    """The items on page `page` (clamped to the pages there are), that page and how many."""
    pages = max(1, math.ceil(len(items) / size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def _navigation(
    builder: InlineKeyboardBuilder, page: int, pages: int, to: Callable[[int], CallbackData]
) -> int:
    """◀ ▶ buttons to the pages next to this one; how many were added."""
    added = 0
    for target, label in ((page - 1, "◀"), (page + 1, "▶")):
        if 0 <= target < pages:
            builder.button(text=label, callback_data=to(target))
            added += 1
    return added


def classes_view(
    classes: Sequence[tuple[TrainingClass, str]], page: int, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """/enrol: the institution's approved classes with their first day, 20 a page."""
    shown, page, pages = paged(classes, page)
    builder = InlineKeyboardBuilder()
    for training_class, first in shown:
        builder.button(
            text=i18n("enrolment.class_button", name=training_class.name, first=first),
            callback_data=ClassRoster(c=training_class.id),
        )
    nav = _navigation(builder, page, pages, lambda p: EnrolClasses(p=p))
    builder.adjust(*([1] * len(shown)), nav or 1)
    text = i18n("enrolment.classes", count=len(classes), page=page + 1, pages=pages)
    return text, builder.as_markup()


def withdrawal_view(
    training_class: TrainingClass,
    places: Sequence[Enrollment],
    names: dict[int, str],
    page: int,
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    """Who may be taken out of the class (enrolled or pending), 20 a page."""
    shown, page, pages = paged(places, page)
    builder = InlineKeyboardBuilder()
    for place in shown:
        builder.button(
            text=names[place.person_id],
            callback_data=Withdraw(c=training_class.id, t=place.person_id),
        )
    nav = _navigation(
        builder, page, pages, lambda p: WithdrawList(c=training_class.id, p=p, e=True)
    )
    builder.adjust(*([2] * (len(shown) // 2) + [1] * (len(shown) % 2)), nav or 1)
    text = i18n(
        "enrolment.pick_withdrawal",
        name=training_class.name,
        count=len(places),
        page=page + 1,
        pages=pages,
    )
    return text, builder.as_markup()


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
