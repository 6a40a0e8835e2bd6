"""How feedback looks in the chat: the thank-you after answering, /myfeedback, and the summary
screens of /feedback (the class list, a class's rounds, a round's aggregate). Pure: tests call
them without a bot; the use cases are in bot/services/feedback.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.feedback_view_callbacks import (
    FeedbackClass,
    FeedbackClasses,
    FeedbackRound,
    FeedbackTrend,
)
from bot.i18n import I18n
from bot.services.feedback import Count, Counted, Given, Menu, RoundSummary, Trend
from bot.views.forms import display
from bot.views.pages import Page, turns, with_turns
from bot.views.timetable import session_shown
from storage.models import TrainingClass

Rendered = tuple[str, InlineKeyboardMarkup | None]
REFUSALS = {Count.LATE: "feedback.late", Count.NOT_COUNTED: "feedback.not_counted"}


def counted_text(counted: Counted, i18n: I18n) -> str:
    """Thanks, with the class's next session; or why the answer was not counted."""
    if counted.count is not Count.COUNTED:
        return i18n(REFUSALS[counted.count])
    training_class, following = counted.training_class, counted.next_session
    next_s = session_shown(following, training_class) if following is not None else None
    return i18n(
        "feedback.thanks", kind=counted.request.kind, name=training_class.name, next_s=next_s
    )


def my_feedback_text(given: Sequence[Given], i18n: I18n, tz: tzinfo) -> str:
    """The person's own counted answers, latest first, as they gave them."""
    items = []
    for one in given:
        run = one.run
        answers = [
            (slot.question.label(i18n.locale), display(slot.question, run.answers[slot.key], i18n))
            for slot in run.asked
            if slot.key in run.answers
        ]
        items.append(
            {
                "kind": one.request.kind,
                "day": one.request.day,
                "name": one.class_name,
                "when": one.request.answered_at.astimezone(tz),
                "answers": answers,
            }
        )
    return i18n("feedback.mine", items=items)


def choose_class_view(classes: Page[TrainingClass], i18n: I18n) -> Rendered:
    """The classes whose feedback the person may read, a page of 20."""
    page, pages = classes.page, classes.pages
    rows = [
        [
            InlineKeyboardButton(
                text=training_class.name,
                callback_data=FeedbackClass(c=training_class.id).pack(),
            )
        ]
        for training_class in classes.items
    ]
    rows = with_turns(rows, turns(i18n, page, pages, lambda p: FeedbackClasses(p=p)))
    text = i18n("feedback_views.choose_class", count=classes.total, page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def menu_view(menu: Menu, i18n: I18n) -> Rendered:
    """A class's rounds with their response rates, and the trend when there are daily ones."""
    class_id = menu.training_class.id
    builder = InlineKeyboardBuilder()
    for r in menu.rounds:
        builder.button(
            text=i18n(
                "feedback_views.round_button",
                kind=r.kind,
                day=r.day,
                asked=r.asked,
                answered=r.answered,
            ),
            callback_data=FeedbackRound(c=class_id, k=r.kind, d=r.day),
        )
    if menu.has_daily:
        builder.button(
            text=i18n("feedback_views.trend_button"), callback_data=FeedbackTrend(c=class_id)
        )
    builder.adjust(2)
    text = i18n("feedback_views.class_menu", name=menu.training_class.name, rounds=menu.rounds)
    return text, builder.as_markup()


def summary_view(summary: RoundSummary, i18n: I18n) -> Rendered:
    """One round's aggregate, with the way back to the class's rounds."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("feedback_views.back"), callback_data=FeedbackClass(c=summary.training_class.id)
    )
    text = i18n(
        "feedback_views.summary",
        name=summary.training_class.name,
        kind=summary.kind,
        day=summary.day,
        date=summary.shown.date,
        s=summary.shown.summary,
        names=summary.shown.names,
        morning=False,
    )
    return text, builder.as_markup()


def trend_title(trend: Trend, i18n: I18n) -> str:
    return i18n("feedback_views.trend_title", name=trend.training_class.name)


def trend_points(trend: Trend, i18n: I18n) -> list[tuple[str, float | None]]:
    """The chart's points, labelled by class day."""
    return [(i18n("feedback_views.day_label", day=day), value) for day, value in trend.points]
