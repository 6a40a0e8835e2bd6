"""How a form looks in the chat: a question with its buttons, an answer, the review screen, the
offer to continue, the list of forms that may be changed. Pure: tests call them without a bot."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, tzinfo
from typing import Any

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.forms import month_shown
from bot.forms import regions
from bot.forms.answers import SEARCH, Problem
from bot.forms.callbacks import FormEdit, FormMonth, FormNav, FormPick, Nav
from bot.forms.expr import ExpressionError
from bot.forms.registry import form
from bot.forms.runner import FormRun, Slot
from bot.forms.schema import FormDefinition, Question, QuestionType
from bot.i18n import I18n
from bot.privacy import mask_id_number, mask_phone
from storage.models import FormDraft, FormSubmission

BAR_WIDTH = 10
NO_KEEP = frozenset({QuestionType.NOTE, QuestionType.ACKNOWLEDGEMENT})
"""Asked again with an answer, every question offers to keep it, but these: their one button
does that already."""
SCALES = {QuestionType.RATING: range(1, 6), QuestionType.SCALE: range(0, 11)}


BAR_DONE, BAR_LEFT = "●", "○"
"""Plain geometric shapes every CJK font has and draws solid (shade blocks like ░ came out
as a dotted texture)."""


def progress_bar(number: int, total: int) -> str:
    filled = round(BAR_WIDTH * number / total) if total else BAR_WIDTH
    return BAR_DONE * filled + BAR_LEFT * (BAR_WIDTH - filled)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def display(question: Question, value: Any, i18n: I18n) -> str:
    """An answer as people read it; ID and mobile numbers are always masked."""
    kind = question.type
    if value is None:
        return i18n("forms.skipped_value")
    labels = {choice.value: choice.label(i18n.locale) for choice in question.choices}
    if kind is QuestionType.SINGLE:
        return labels.get(value, str(value))
    if kind is QuestionType.MULTIPLE:
        return i18n("forms.list_join").join(labels.get(item, str(item)) for item in value)
    if kind in (QuestionType.YES_NO, QuestionType.ACKNOWLEDGEMENT):
        return i18n("forms.yes" if value else "forms.no")
    if kind is QuestionType.MOBILE:
        return mask_phone(str(value))
    if kind is QuestionType.ID_CARD:
        return mask_id_number(str(value))
    if kind is QuestionType.REGION:
        return " ".join(region.name for region in regions.path(str(value))) or str(value)
    if kind is QuestionType.DECIMAL:
        return f"{value:.0f}" if float(value).is_integer() else str(value)
    if kind is QuestionType.COMPUTED and _numeric(value):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    if kind is QuestionType.LOCATION:
        return f"📍 {value['latitude']:.5f}, {value['longitude']:.5f}"
    if kind in (QuestionType.PHOTO, QuestionType.FILE):
        return i18n("forms.files_value", count=len(value), kind=kind)
    return str(value)


def question_view(
    run: FormRun, slot: Slot, draft: FormDraft, i18n: I18n, today: date
) -> tuple[str, InlineKeyboardMarkup]:
    question = slot.question
    number, total = run.progress(slot.key)
    current = run.answers.get(slot.key) if slot.key in run.answers else ...
    text = i18n(
        "forms.question",
        title=run.form.title(i18n.locale),
        number=number,
        total=total,
        bar=progress_bar(number, total),
        label=question.label(i18n.locale),
        hint=question.hint(i18n.locale) if question.hint else None,
        repeat=slot.index,
        kind=question.type,
        required=question.required,
        max_files=question.max_files,
        current=None if current is ... else display(question, current, i18n),
    )
    index = number - 1
    rows = _answer_rows(question, draft, index, i18n, today, current, run.answers)
    if current is not ... and question.type not in NO_KEEP:
        rows.append([_nav(draft.id, index, Nav.KEEP, i18n("forms.keep"))])
    rows.append(_nav_row(run, slot, draft.id, index, i18n))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def _pick(draft: FormDraft, index: int, value: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FormPick(d=draft.id, q=index, v=value).pack()
    )


def _nav(draft_id: int, index: int, action: Nav, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FormNav(d=draft_id, q=index, a=action).pack()
    )


def _answer_rows(
    question: Question,
    draft: FormDraft,
    index: int,
    i18n: I18n,
    today: date,
    current: Any,
    answers: dict[str, Any],
) -> list[list[InlineKeyboardButton]]:
    kind, locale = question.type, i18n.locale
    if kind is QuestionType.SINGLE:
        buttons = [_pick(draft, index, c.value, c.label(locale)) for c in question.choices]
        width = 1 if max(len(c.label(locale)) for c in question.choices) > 8 else 2
        return [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if kind is QuestionType.MULTIPLE:
        chosen = set(draft.pending)
        rows = [
            [_pick(draft, index, c.value, ("✓ " if c.value in chosen else "") + c.label(locale))]
            for c in question.choices
        ]
        return [*rows, [_nav(draft.id, index, Nav.DONE, i18n("forms.done"))]]
    if kind is QuestionType.YES_NO:
        return [
            [
                _pick(draft, index, "yes", i18n("forms.yes")),
                _pick(draft, index, "no", i18n("forms.no")),
            ]
        ]
    if kind is QuestionType.ACKNOWLEDGEMENT:
        return [[_pick(draft, index, "yes", i18n("forms.agree"))]]
    if kind in SCALES:
        buttons = [_pick(draft, index, str(n), str(n)) for n in SCALES[kind]]
        return [buttons[:6], buttons[6:]] if len(buttons) > 6 else [buttons]
    if kind is QuestionType.DATE:
        month = month_shown(draft.pending, current, today.isoformat())
        allowed = _allowed_days(question, answers, today)
        return _calendar(draft, index, month, allowed, i18n)
    if kind is QuestionType.REGION:
        return _region_rows(draft, index, i18n)
    if kind is QuestionType.NOTE:
        return [[_nav(draft.id, index, Nav.NEXT, i18n("forms.next"))]]
    if kind in (QuestionType.PHOTO, QuestionType.FILE) and draft.pending:
        label = i18n("forms.files_done", count=len(draft.pending), kind=kind)
        return [[_nav(draft.id, index, Nav.DONE, label)]]
    return []


def _allowed_days(question: Question, answers: dict, today: date) -> Callable[[date], bool]:
    """Which days the question's constraint accepts (a constraint that cannot be evaluated
    accepts none, as parse() refuses them)."""
    if question.constraint is None:
        return lambda day: True
    constraint = question.constraint

    def allowed(day: date) -> bool:
        try:
            return constraint.truthy(answers, value=day, today=today)
        except ExpressionError:
            return False

    return allowed


def _month_days(month: str) -> list[date]:
    year, number = int(month[:4]), int(month[5:7])
    return [date(year, number, day) for day in range(1, calendar.monthrange(year, number)[1] + 1)]


def _shift(month: str, months: int) -> str | None:
    """The month `months` after `month` (YYYY-MM); None outside the years a date can have."""
    serial = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    year, number = divmod(serial, 12)
    return f"{year:04d}-{number + 1:02d}" if 1 <= year <= 9999 else None


def _calendar(
    draft: FormDraft,
    index: int,
    month: str,
    allowed: Callable[[date], bool],
    i18n: I18n,
) -> list[list[InlineKeyboardButton]]:
    """A month as a week grid (Monday first) under a weekday header; days the question's
    constraint forbids are shown as · and cannot be picked; months and years with no day
    to pick are not offered. Blank and header buttons just turn to the month shown."""
    year, number = int(month[:4]), int(month[5:7])
    stay = FormMonth(d=draft.id, q=index, m=month).pack()

    def blank(text: str = " ") -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=stay)

    def turn(months: int, text: str) -> InlineKeyboardButton | None:
        target = _shift(month, months)
        if target is None or not any(allowed(day) for day in _month_days(target)):
            return None
        return InlineKeyboardButton(
            text=text, callback_data=FormMonth(d=draft.id, q=index, m=target).pack()
        )

    header = [
        turn(-1, "‹") or blank(),
        blank(i18n("forms.month", year=year, month=number)),
        turn(1, "›") or blank(),
    ]
    weekdays = [blank(i18n("forms.weekday", day=day)) for day in range(7)]
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdayscalendar(year, number):
        row = []
        for day in week:
            if day == 0:
                row.append(blank())
                continue
            picked = date(year, number, day)
            row.append(
                _pick(draft, index, picked.isoformat(), str(day)) if allowed(picked) else blank("·")
            )
        weeks.append(row)
    years = [
        button
        for button in (
            turn(-12, i18n("forms.year_before", year=year - 1)),
            turn(12, i18n("forms.year_after", year=year + 1)),
        )
        if button is not None
    ]
    return [header, weekdays, *weeks, *([years] if years else [])]


def _region_rows(draft: FormDraft, index: int, i18n: I18n) -> list[list]:
    """Provinces, then the chosen level's children; or the places a typed name matched."""
    parent = draft.pending[0] if draft.pending else None
    if parent and parent.startswith(SEARCH):
        matches = regions.search(parent.removeprefix(SEARCH), level="district", limit=12)
        buttons = [
            _pick(draft, index, m.code, " ".join(r.name for r in regions.path(m.code)[1:]))
            for m in matches
        ]
        return [
            *([button] for button in buttons),
            [_pick(draft, index, "root", i18n("forms.region_up"))],
        ]
    options = regions.children(parent) if parent else regions.provinces()
    buttons = [_pick(draft, index, option.code, option.name) for option in options]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if parent:
        up = regions.region(parent)
        rows.append([_pick(draft, index, up.parent or "root", i18n("forms.region_up"))])
    return rows


def _nav_row(run: FormRun, slot: Slot, draft_id: int, index: int, i18n: I18n) -> list:
    row = []
    if run.previous(slot.key) is not None:
        row.append(_nav(draft_id, index, Nav.BACK, i18n("forms.back")))
    if not slot.question.required and slot.question.type is not QuestionType.NOTE:
        row.append(_nav(draft_id, index, Nav.SKIP, i18n("forms.skip")))
    row.append(_nav(draft_id, index, Nav.CANCEL, i18n("forms.cancel")))
    return row


def reply_keyboard(question: Question, i18n: I18n) -> ReplyKeyboardMarkup | None:
    """Contact and location can only be shared through reply-keyboard buttons."""
    if question.type is QuestionType.MOBILE:
        button = KeyboardButton(text=i18n("forms.share_contact"), request_contact=True)
    elif question.type is QuestionType.LOCATION:
        button = KeyboardButton(text=i18n("forms.share_location"), request_location=True)
    else:
        return None
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


LABEL_END = "？?：: "
"""A question's own ending, dropped on the review screen before its "：" ("方向是？：" read
wrong)."""
REVIEW_LIMIT = 4000
"""Telegram refuses a message over 4096 characters: the review screen stays under it."""
REVIEW_CUTS = (80, 30, 10)
"""Long answers (a business plan's sections) are shortened on the review screen, more
when the form is long; the full answer stays stored and each can be opened with ✏️."""


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def review_view(run: FormRun, draft: FormDraft, i18n: I18n) -> tuple[str, InlineKeyboardMarkup]:
    """Every answer, numbered, with a compact row of numbered buttons to change any one;
    computed values (totals) are listed too, marked ＝ and without a button."""
    asked = {slot.key: index for index, slot in enumerate(run.asked)}
    rows = []
    edits = []
    for slot in run.slots:
        kind = slot.question.type
        if kind in (QuestionType.NOTE, QuestionType.ACKNOWLEDGEMENT, QuestionType.REPEAT):
            continue
        if kind is not QuestionType.COMPUTED and slot.key not in asked:
            continue
        number = None
        if kind is not QuestionType.COMPUTED:
            number = len(edits) + 1
            edits.append(
                _nav(draft.id, asked[slot.key], Nav.EDIT, i18n("forms.edit", number=number))
            )
        label = slot.question.label(i18n.locale).rstrip(LABEL_END)
        value = display(slot.question, run.answers.get(slot.key), i18n)
        rows.append((number, label, slot.index, value))
    builder = InlineKeyboardBuilder()
    for start in range(0, len(edits), 5):
        builder.row(*edits[start : start + 5])
    builder.row(
        _nav(draft.id, 0, Nav.SUBMIT, i18n("forms.submit")),
        _nav(draft.id, 0, Nav.CANCEL, i18n("forms.cancel")),
    )
    title = run.form.title(i18n.locale)
    for cut in REVIEW_CUTS:
        items = [(n, shorten(label, cut), i, shorten(value, cut)) for n, label, i, value in rows]
        text = i18n("forms.review", title=title, items=items)
        if len(text) <= REVIEW_LIMIT:
            break
    return text, builder.as_markup()


def intro_text(definition: FormDefinition, i18n: I18n) -> str:
    """The form's title and introduction, said once when it starts."""
    intro = definition.intro(i18n.locale) if definition.intro else None
    return i18n("forms.intro", title=definition.title(i18n.locale), text=intro)


def problem_text(problem: Problem, i18n: I18n) -> str:
    """Why an input is not an answer: the definition's own wording, or the standard one."""
    if problem.custom is not None:
        return problem.custom(i18n.locale)
    return i18n("forms.problem", key=problem.key, params=problem.params)


def saved_text(question: Question, value: Any, i18n: I18n, *, typed: bool = False) -> str | None:
    """The accepted answer echoed (masked) when the chat would not show it otherwise: an ID or
    mobile number deleted from the chat, a contact or location shared by a reply-keyboard
    button (the echo removes that keyboard), or a typed district name with the place it was
    read as (福田 → 广东省 深圳市 福田区). None for the others."""
    echoed = typed and question.type is QuestionType.REGION
    if echoed or question.personal or reply_keyboard(question, i18n) is not None:
        return i18n("forms.saved", value=display(question, value, i18n))
    return None


def offer_view(
    draft: FormDraft, answered: int, total: int, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """The offer to continue an unfinished form where it was left, or to start it over."""
    builder = InlineKeyboardBuilder()
    for label, action in (("forms.resume", Nav.RESUME), ("forms.restart", Nav.RESTART)):
        builder.button(text=i18n(label), callback_data=FormNav(d=draft.id, q=0, a=action))
    text = i18n(
        "forms.resume_offer",
        title=form(draft.form_id).title(i18n.locale),
        number=answered,
        total=total,
    )
    return text, builder.as_markup()


def my_forms_view(
    rows: list[FormSubmission], i18n: I18n, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    """`/forms`: the person's submitted forms that may still be changed, each with a button."""
    builder = InlineKeyboardBuilder()
    items = []
    for row in rows:
        title = form(row.form_id).title(i18n.locale)
        items.append((title, row.submitted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
        builder.button(text=i18n("forms.edit_form", title=title), callback_data=FormEdit(s=row.id))
    builder.adjust(1)
    return i18n("forms.my_forms", items=items), builder.as_markup()
