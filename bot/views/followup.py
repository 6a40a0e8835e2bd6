"""Pure builders (text + keyboard) of follow-up (T13): /followup's menu and schedule card, the
phone follow-up card, and /stop's answer. No bot, no store: tests draw them directly."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.followup import CallOutcome, Schedule
from bot.followup_callbacks import Do, FollowupCall, FollowupPlan, FollowupResume
from bot.i18n import I18n
from bot.views.pages import Page, turns, with_turns
from storage.models import TrainingClass

Rendered = tuple[str, InlineKeyboardMarkup | None]


def _button(text: str, data: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())  # type: ignore[attr-defined]


def menu(
    i18n: I18n, schedule: Schedule, counts: dict[str, int], classes: Page[TrainingClass]
) -> Rendered:
    """The institution's schedule and counts, "All classes", then its ended classes, paged."""
    text = i18n("followup.menu", months=schedule.months, source=schedule.source, counts=counts)
    if not classes.total:
        text += "\n" + i18n("followup.no_classes")
    rows = [[_button(i18n("followup.all_classes"), FollowupPlan(a=Do.ALL))]]
    rows += [[_button(item.name, FollowupPlan(a=Do.CLASS, c=item.id))] for item in classes.items]
    pager = turns(i18n, classes.page, classes.pages, lambda p: FollowupPlan(a=Do.PAGE, c=p))
    return text, InlineKeyboardMarkup(inline_keyboard=with_turns(rows, pager))


def schedule_card(i18n: I18n, training_class: TrainingClass | None, schedule: Schedule) -> Rendered:
    """One schedule (a class's, or all classes') with its Change button."""
    name = training_class.name if training_class is not None else ""
    text = i18n("followup.schedule", name=name, months=schedule.months, source=schedule.source)
    change = FollowupPlan(a=Do.CHANGE, c=training_class.id if training_class else 0)
    return text, InlineKeyboardMarkup(inline_keyboard=[[_button(i18n("followup.change"), change)]])


def call_card(
    i18n: I18n,
    *,
    survey_id: int,
    name: str,
    mobile: str,
    full: bool,
    class_name: str,
    wave: int,
    months: int,
    closed: bool,
) -> Rendered:
    """Whom to call and why, the mobile in full or masked, and the three outcomes."""
    text = i18n(
        "followup.call",
        name=name,
        mobile=mobile,
        full=full,
        class_name=class_name,
        wave=wave,
        months=months,
        reason="closed" if closed else "unreachable",
    )
    rows = [
        [
            _button(i18n("followup.reached"), FollowupCall(o=CallOutcome.REACHED, s=survey_id)),
            _button(
                i18n("followup.not_reached"), FollowupCall(o=CallOutcome.NOT_REACHED, s=survey_id)
            ),
        ],
        [_button(i18n("followup.by_phone"), FollowupCall(o=CallOutcome.BY_PHONE, s=survey_id))],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def stopped(i18n: I18n, changed: bool) -> Rendered:
    """/stop's answer, with the button that undoes it."""
    text = i18n("followup.stopped" if changed else "followup.stopped_already")
    button = _button(i18n("followup.resume_button"), FollowupResume())
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])
