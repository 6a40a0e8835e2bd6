"""The screening card a reviewer decides on, and the result the trainee is told."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.screening import Outcome, split
from bot.i18n import I18n
from bot.views.pages import in_rows, turns, with_turns
from storage.models import ScreeningCase

if TYPE_CHECKING:
    from bot.services.screening import TraineeLine


class Decision(CallbackData, prefix="sd"):
    """A reviewer's decision on screening case `c`: the outcome they choose."""

    c: int
    o: Outcome


class StartForm(CallbackData, prefix="sf"):
    f: str


class TraineeCard(CallbackData, prefix="tc"):
    p: int


class TraineesPage(CallbackData, prefix="tp"):
    """Page `p` of /trainees (edits the list in place)."""

    p: int


def case_view(
    i18n: I18n, trainee: str, case: ScreeningCase, decider: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The screening card a reviewer decides on (pushed, or opened from /todo); once decided,
    the decision and no buttons. `trainee` and `decider` are names (`storage.people`)."""
    reasons, flags = split(case.reasons)
    text = i18n(
        "intake.case",
        name=trainee,
        outcome=case.recommended,
        reasons=reasons,
        flags=flags,
        decided=case.decided,
        by=decider or None,
    )
    if case.decided is not None:
        return text, None
    rows = [
        [
            InlineKeyboardButton(
                text=i18n(
                    "intake.confirm" if outcome == case.recommended else "intake.override",
                    outcome=outcome,
                ),
                callback_data=Decision(c=case.id, o=outcome).pack(),
            )
        ]
        for outcome in Outcome
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def result_view(
    i18n: I18n, outcome: Outcome, case: ScreeningCase
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The confirmed decision as the trainee reads it, with its reasons: the recommendation's
    when confirmed, the reviewer's when overridden (never the reviewer's flags); suitable for
    online training offers the needs questionnaire."""
    reasons = split(case.reasons)[0] if outcome == case.recommended else []
    note = case.override_reason if outcome != case.recommended else None
    markup = None
    if outcome is Outcome.ONLINE:
        button = InlineKeyboardButton(
            text=i18n("intake.fill_needs"), callback_data=StartForm(f="needs").pack()
        )
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return i18n("intake.result", outcome=outcome, reasons=reasons, note=note), markup


def trainees_view(
    i18n: I18n, lines: Sequence[TraineeLine], page: int, pages: int, count: int
) -> tuple[str, InlineKeyboardMarkup]:
    """/trainees: one page of `pages` (from the store, `count` trainees in all) under their
    group's heading, a button each for their summary, ◀ ▶ between pages with the count."""
    groups: list[tuple[str | None, list[tuple[str, str, bool]]]] = []
    buttons = []
    for line in lines:
        if not groups or groups[-1][0] != line.group:
            groups.append((line.group, []))
        if line.person_id is not None:
            groups[-1][1].append((line.name, line.state, line.unreachable))
            buttons.append(
                InlineKeyboardButton(
                    text=line.name, callback_data=TraineeCard(p=line.person_id).pack()
                )
            )
    rows = with_turns(in_rows(buttons, 2), turns(i18n, page, pages, lambda p: TraineesPage(p=p)))
    text = i18n("intake.trainees", groups=groups, count=count, page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
