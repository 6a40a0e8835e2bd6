"""Pure builders of the submission screens (text + keyboard), tested without a bot: the reply
after handing in, and the staff's extension picker (class → learner → days)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.submissions import EXTENSION_DAYS, PLAN
from bot.i18n import I18n
from bot.views.pages import in_rows, paged, turns, with_turns


class PlanAct(StrEnum):
    PRINT = "print"


class PlanCb(CallbackData, prefix="plan"):
    a: PlanAct


class ExtAct(StrEnum):
    CLASS = "class"
    CLASSES = "classes"
    PAGE = "page"
    LEARNER = "learner"
    DAYS = "days"


class ExtCb(CallbackData, prefix="ext"):
    """`c` the class; `p` the learner (LEARNER, DAYS); `n` the page (CLASSES: of the classes,
    PAGE: of the class's learners) or days (DAYS)."""

    a: ExtAct
    c: int
    p: int = 0
    n: int = 0


def handed_in_view(
    i18n: I18n,
    form_id: str,
    title: str,
    version: int,
    deadline: datetime,
    class_name: str,
    printable: bool,
) -> tuple[str, InlineKeyboardMarkup | None]:
    text = i18n(
        "submissions.handed_in",
        form_id=form_id,
        title=title,
        version=version,
        deadline=deadline,
        name=class_name,
    )
    if form_id != PLAN or not printable:
        return text, None
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n("submissions.print_button"), callback_data=PlanCb(a=PlanAct.PRINT))
    return text, builder.as_markup()


def class_picker(
    i18n: I18n, classes: list[tuple[int, str]], page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The institution's running classes, 20 a page."""
    shown, page, pages = paged(classes, page)
    rows = [
        [InlineKeyboardButton(text=name, callback_data=ExtCb(a=ExtAct.CLASS, c=class_id).pack())]
        for class_id, name in shown
    ]
    rows = with_turns(rows, turns(i18n, page, pages, lambda n: ExtCb(a=ExtAct.CLASSES, c=0, n=n)))
    text = i18n("submissions.ext_classes", count=len(classes), page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def learner_picker(
    i18n: I18n, class_id: int, class_name: str, learners: list[tuple[int, str]], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the class's learners (20 a page, ◀ ▶ between pages, with the count)."""
    shown, page, pages = paged(learners, page)
    buttons = [
        InlineKeyboardButton(
            text=name, callback_data=ExtCb(a=ExtAct.LEARNER, c=class_id, p=person_id).pack()
        )
        for person_id, name in shown
    ]
    rows = with_turns(
        in_rows(buttons, 2),
        turns(i18n, page, pages, lambda n: ExtCb(a=ExtAct.PAGE, c=class_id, n=n)),
    )
    text = i18n(
        "submissions.ext_learners", name=class_name, count=len(learners), page=page + 1, pages=pages
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def days_picker(
    i18n: I18n, class_id: int, person_id: int, learner: str, class_name: str, deadline: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for days in EXTENSION_DAYS:
        builder.button(
            text=i18n("submissions.ext_day_button", days=days),
            callback_data=ExtCb(a=ExtAct.DAYS, c=class_id, p=person_id, n=days),
        )
    text = i18n("submissions.ext_days", learner=learner, name=class_name, deadline=deadline)
    return text, builder.as_markup()
