"""The screening card a reviewer decides on, and the result the trainee is told."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.screening import Outcome
from bot.i18n import I18n
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


TRAINEES_PAGE = 20


def case_view(
    i18n: I18n, trainee: str, case: ScreeningCase, decider: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The screening card a reviewer decides on (pushed, or opened from /todo); once decided,
    the decision and no buttons. `trainee` and `decider` are names (`storage.people`)."""
    text = i18n(
        "intake.case",
        name=trainee,
        outcome=case.recommended,
        reasons=case.reasons,
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


def result_view(i18n: I18n, outcome: Outcome) -> tuple[str, InlineKeyboardMarkup | None]:
    """The decision as the trainee reads it; suitable for online training offers the needs
    questionnaire."""
    markup = None
    if outcome is Outcome.ONLINE:
        button = InlineKeyboardButton(
            text=i18n("intake.fill_needs"), callback_data=StartForm(f="needs").pack()
        )
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    return i18n("intake.result", outcome=outcome), markup


def trainees_view(
    i18n: I18n, lines: Sequence[TraineeLine], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """/trainees: 20 a page under their group's heading, a button each for their summary,
    ◀ ▶ between pages with the count."""
    pages = max(1, math.ceil(len(lines) / TRAINEES_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = lines[page * TRAINEES_PAGE : (page + 1) * TRAINEES_PAGE]
    groups: list[tuple[str | None, list[tuple[str, str, bool]]]] = []
    buttons = []
    for line in shown:
        if not groups or groups[-1][0] != line.group:
            groups.append((line.group, []))
        if line.person_id is not None:
            groups[-1][1].append((line.name, line.state, line.unreachable))
            buttons.append(
                InlineKeyboardButton(
                    text=line.name, callback_data=TraineeCard(p=line.person_id).pack()
                )
            )
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    navigation = [
        InlineKeyboardButton(text=label, callback_data=TraineesPage(p=target).pack())
        for target, label in ((page - 1, "◀"), (page + 1, "▶"))
        if 0 <= target < pages
    ]
    if navigation:
        rows.append(navigation)
    count = sum(line.person_id is not None for line in lines)
    text = i18n("intake.trainees", groups=groups, count=count, page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
