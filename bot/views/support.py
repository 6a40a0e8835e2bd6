"""Screens of follow-up support (T12, S-42): the survey's push, the needs of a class and of one
trainee, the services catalogue and one service, a follow-up item. Pure builders (text and
keyboard), tested without a bot; the buttons' data classes live here so the scan can build
the push's button."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.support import NEEDS_FORM, FollowupStatus
from bot.forms.registry import form
from bot.i18n import I18n
from bot.notifier import Keyboard
from bot.services.support import ClassNeeds, FollowupCard, TraineeNeeds
from bot.views.forms import display
from bot.views.pages import Page, turns, with_turns
from storage.models import SupportService, TrainingClass


class NeedsFill(CallbackData, prefix="snf"):
    """A trainee opens the needs survey of class `c`."""

    c: int


class NeedsAct(StrEnum):
    CLASSES = "classes"
    CLASS = "class"
    TRAINEE = "trainee"
    COMPLETE = "complete"


class NeedsCb(CallbackData, prefix="snd"):
    """`/needs`: `c` the class, `p` the trainee, `n` a page (of classes, or of trainees)."""

    a: NeedsAct
    c: int = 0
    p: int = 0
    n: int = 0


class SvcAct(StrEnum):
    PAGE = "page"
    OPEN = "open"
    ADD = "add"
    EDIT = "edit"
    OFF = "off"
    ON = "on"
    IMPORT = "import"


class SvcCb(CallbackData, prefix="svc"):
    """`/services`: `s` the service, `n` the catalogue's page."""

    a: SvcAct
    s: int = 0
    n: int = 0


class FupAct(StrEnum):
    RECORD = "record"
    SERVICE = "service"
    DONE = "done"


class FupCb(CallbackData, prefix="fup"):
    """A follow-up item `f`: record a contact (about service `s`, 0 for none), or close it."""

    a: FupAct
    f: int
    s: int = 0


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def fill_keyboard(class_id: int) -> Keyboard:
    """The button on the survey's push."""

    def keyboard(i18n: I18n) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[_button(i18n("support.fill"), NeedsFill(c=class_id))]]
        )

    return keyboard


def answer_lines(answers: dict[str, Any], i18n: I18n) -> list[tuple[str, str]]:
    """The survey's answers as (question, answer) in the reader's language."""
    lines = []
    for section in form(NEEDS_FORM).sections:
        for question in section.questions:
            if answers.get(question.id) is not None:
                label = question.label(i18n.locale).rstrip("？?：:")
                lines.append((label, display(question, answers[question.id], i18n)))
    return lines


# --- /needs ----------------------------------------------------------------------------------


def classes_view(
    i18n: I18n, classes: Page[TrainingClass]
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not classes.total:
        return i18n("support.no_classes"), None
    rows = [[_button(c.name, NeedsCb(a=NeedsAct.CLASS, c=c.id))] for c in classes.items]
    turn = turns(i18n, classes.page, classes.pages, lambda n: NeedsCb(a=NeedsAct.CLASSES, n=n))
    text = i18n("support.classes", total=classes.total, page=classes.page + 1, pages=classes.pages)
    return text, _markup(with_turns(rows, turn))


def class_view(i18n: I18n, needs: ClassNeeds) -> tuple[str, InlineKeyboardMarkup]:
    shown, made = needs.trainees, needs.training_class
    rows = [
        [
            _button(
                i18n("support.trainee_line", name=t.name, answered=t.submission is not None),
                NeedsCb(a=NeedsAct.TRAINEE, c=made.id, p=t.person_id),
            )
        ]
        for t in shown.items
    ]
    turn = turns(i18n, shown.page, shown.pages, lambda n: NeedsCb(a=NeedsAct.CLASS, c=made.id, n=n))
    rows = with_turns(rows, turn)
    rows.append([_button(i18n("support.back"), NeedsCb(a=NeedsAct.CLASSES))])
    text = i18n(
        "support.class",
        name=made.name,
        total=shown.total,
        page=shown.page + 1,
        pages=shown.pages,
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def trainee_view(
    i18n: I18n, training_class: TrainingClass, trainee: TraineeNeeds, may_complete: bool
) -> tuple[str, InlineKeyboardMarkup]:
    submission = trainee.submission
    text = i18n(
        "support.trainee",
        name=trainee.name,
        class_name=training_class.name,
        answers=answer_lines(submission.answers, i18n) if submission else [],
        by_other=bool(submission and submission.submitted_by != submission.person_id),
        at=submission.submitted_at if submission else None,
    )
    rows = []
    if may_complete:
        data = NeedsCb(a=NeedsAct.COMPLETE, c=training_class.id, p=trainee.person_id)
        rows.append([_button(i18n("support.complete", answered=bool(submission)), data)])
    rows.append([_button(i18n("support.back"), NeedsCb(a=NeedsAct.CLASS, c=training_class.id))])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# --- /services -------------------------------------------------------------------------------


def catalogue_view(i18n: I18n, services: Page[SupportService]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            _button(
                i18n("support.service_line", kind=s.kind, name=s.name, active=s.active),
                SvcCb(a=SvcAct.OPEN, s=s.id, n=services.page),
            )
        ]
        for s in services.items
    ]
    rows = with_turns(
        rows, turns(i18n, services.page, services.pages, lambda n: SvcCb(a=SvcAct.PAGE, n=n))
    )
    rows.append(
        [
            _button(i18n("support.add"), SvcCb(a=SvcAct.ADD)),
            _button(i18n("support.import"), SvcCb(a=SvcAct.IMPORT)),
        ]
    )
    text = i18n(
        "support.catalogue", total=services.total, page=services.page + 1, pages=services.pages
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def service_view(
    i18n: I18n, service: SupportService, region: str, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    switch = SvcAct.OFF if service.active else SvcAct.ON
    rows = [
        [
            _button(i18n("support.edit"), SvcCb(a=SvcAct.EDIT, s=service.id)),
            _button(i18n("support.switch", active=service.active), SvcCb(a=switch, s=service.id)),
        ],
        [_button(i18n("support.back"), SvcCb(a=SvcAct.PAGE, n=page))],
    ]
    return i18n("support.service", s=service, region=region), InlineKeyboardMarkup(
        inline_keyboard=rows
    )


# --- a follow-up item ------------------------------------------------------------------------


def followup_view(i18n: I18n, card: FollowupCard) -> tuple[str, InlineKeyboardMarkup | None]:
    item = card.item
    text = i18n(
        "support.followup",
        need=item.need,
        trainee=card.trainee,
        class_name=card.class_name,
        answers=answer_lines(card.answers, i18n),
        services=card.services,
        contacts=card.contacts,
        done=item.status == FollowupStatus.DONE,
    )
    if item.status != FollowupStatus.OPEN:
        return text, None
    rows = [
        [
            _button(i18n("support.record"), FupCb(a=FupAct.RECORD, f=item.id)),
            _button(i18n("support.mark_done"), FupCb(a=FupAct.DONE, f=item.id)),
        ]
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def service_picker(i18n: I18n, card: FollowupCard) -> tuple[str, InlineKeyboardMarkup]:
    """Which service the contact was about: one of the item's matching services, or none."""
    item = card.item
    rows = [[_button(s.name, FupCb(a=FupAct.SERVICE, f=item.id, s=s.id))] for s in card.services]
    rows.append([_button(i18n("support.no_service"), FupCb(a=FupAct.SERVICE, f=item.id))])
    text = i18n("support.pick_service", need=item.need, trainee=card.trainee)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
