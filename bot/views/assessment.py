"""Assessment cards, pure: the scorer's assignment (blind: never the trainee's name or
institution), one criterion at a time with the running total, the plan review, the confirm
screen, the trainee's result, and a class's progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.assessment import Rubric, total
from bot.i18n import I18n
from bot.privacy import redact

IDENTITY_KEYS = frozenset(
    {"name", "real_name", "trainee_name", "full_name", "id_number", "mobile", "phone"}
)
"""Answers never shown to a scorer (blind scoring); an institution is never in them either."""
SHOWN_ANSWER = 300
"""An answer longer than this is cut on the card (the card stays under Telegram's limit)."""
CARD_LIMIT = 3500


class Do(StrEnum):
    ACCEPT = "acc"
    DECLINE = "dec"
    START = "go"
    PICK = "pick"
    PLAN = "plan"
    CONFIRM = "ok"
    RESTART = "redo"
    FILES = "files"


class ScoreCb(CallbackData, prefix="sco"):
    """Scorer's button on assignment `i`: `n` the criterion's index, `v` a score or 1/0 for
    a complete/incomplete plan."""

    a: Do
    i: int
    n: int = 0
    v: int = 0
    """A score, 1/0 for a complete/incomplete plan, or 1/0 for declining with a conflict of
    interest / as unavailable."""


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _answer(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        if all(isinstance(v, dict) and ("file_id" in v or "file" in v) for v in value):
            return f"🖼 ×{len(value)}"
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        if "file_id" in value:
            return "📎"
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def attached_files(*answers: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The screenshots and files among the answers, as (photo | document, file_id)."""
    found = []
    for given in answers:
        for value in (given or {}).values():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and item.get("file_id"):
                    image = str(item.get("mime_type", "")).startswith("image/")
                    found.append(("photo" if image else "document", str(item["file_id"])))
    return found


def blind_answers(
    answers: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """The submission's answers for a scorer, each under its question's label when the form
    is known: identity answers left out, personal numbers redacted, long answers cut."""
    labels = labels or {}
    shown = []
    for key, value in answers.items():
        if key in IDENTITY_KEYS or key.startswith("_"):
            continue
        text = _answer(value)
        if text is None:
            continue
        text = redact(text)
        if len(text) > SHOWN_ANSWER:
            text = text[: SHOWN_ANSWER - 1] + "…"
        shown.append((labels.get(key, key), text))
    return shown


def assignment_view(
    i18n: I18n,
    *,
    assignment_id: int,
    status: str,
    deadline: datetime,
    round_: int,
    practice: Mapping[str, Any],
    plan: Mapping[str, Any] | None,
    tz: Any,
    labels: Mapping[str, str] | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The assignment as its scorer sees it: a code instead of the trainee, the answers, the
    deadline; accept / decline while offered, start scoring once accepted."""
    answers = blind_answers(practice, labels)
    text = i18n(
        "assessment.assignment",
        code=assignment_id,
        status=status,
        deadline=deadline.astimezone(tz),
        round=round_,
        answers=answers,
        plan=blind_answers(plan, labels) if plan else [],
        has_plan=plan is not None,
    )
    if len(text) > CARD_LIMIT:
        text = text[: CARD_LIMIT - 1] + "…"
    files = len(attached_files(practice, plan))
    shots = (
        [[_button(i18n("assessment.files", count=files), ScoreCb(a=Do.FILES, i=assignment_id))]]
        if files and status in ("offered", "accepted")
        else []
    )
    if status == "offered":
        rows = [
            [_button(i18n("assessment.accept"), ScoreCb(a=Do.ACCEPT, i=assignment_id))],
            [
                _button(
                    i18n("assessment.decline_conflict"), ScoreCb(a=Do.DECLINE, i=assignment_id, v=1)
                ),
                _button(
                    i18n("assessment.decline_unavailable"),
                    ScoreCb(a=Do.DECLINE, i=assignment_id, v=0),
                ),
            ],
        ]
    elif status == "accepted":
        rows = [[_button(i18n("assessment.start"), ScoreCb(a=Do.START, i=assignment_id))]]
    else:
        return text, None
    return text, InlineKeyboardMarkup(inline_keyboard=shots + rows)


def criterion_view(
    i18n: I18n, assignment_id: int, rubric: Rubric, index: int, scores: Mapping[str, int]
) -> tuple[str, InlineKeyboardMarkup]:
    """One criterion: its name, maximum and description, the running total, and a button per
    possible score (0..max, six a row)."""
    criterion = rubric.criteria[index]
    text = i18n(
        "assessment.criterion",
        code=assignment_id,
        number=index + 1,
        count=len(rubric.criteria),
        name=criterion.name[i18n.locale],
        description=criterion.description[i18n.locale],
        max=criterion.maximum,
        running=total(rubric, scores),
        current=scores.get(criterion.id),
    )
    buttons = [
        _button(str(v), ScoreCb(a=Do.PICK, i=assignment_id, n=index, v=v))
        for v in range(criterion.maximum + 1)
    ]
    rows = [buttons[i : i + 6] for i in range(0, len(buttons), 6)]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def plan_view(i18n: I18n, assignment_id: int, running: int) -> tuple[str, InlineKeyboardMarkup]:
    text = i18n("assessment.plan_question", code=assignment_id, running=running)
    row = [
        _button(i18n("assessment.plan_complete"), ScoreCb(a=Do.PLAN, i=assignment_id, v=1)),
        _button(i18n("assessment.plan_incomplete"), ScoreCb(a=Do.PLAN, i=assignment_id, v=0)),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


def sheet_lines(
    i18n: I18n, rubric: Rubric, scores: Mapping[str, int]
) -> list[tuple[str, Any, int]]:
    return [(c.name[i18n.locale], scores.get(c.id, "–"), c.maximum) for c in rubric.criteria]


def confirm_view(
    i18n: I18n,
    assignment_id: int,
    rubric: Rubric,
    scores: Mapping[str, int],
    comment: str | None,
    plan_complete: bool,
) -> tuple[str, InlineKeyboardMarkup]:
    text = i18n(
        "assessment.confirm",
        code=assignment_id,
        lines=sheet_lines(i18n, rubric, scores),
        total=total(rubric, scores),
        pass_mark=rubric.pass_mark,
        comment=comment or "",
        plan_complete=plan_complete,
    )
    row = [
        _button(i18n("assessment.confirm_button"), ScoreCb(a=Do.CONFIRM, i=assignment_id)),
        _button(i18n("assessment.restart"), ScoreCb(a=Do.RESTART, i=assignment_id)),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


def result_text(
    i18n: I18n,
    *,
    class_name: str,
    passed: bool,
    final: float,
    plan_complete: bool,
    sheets: Sequence[tuple[list[tuple[str, Any, int]], int, str]],
    pass_mark: int,
) -> str:
    """The trainee's result: final score, the plan, each scorer's sheet and comment, scorers
    numbered, never named."""
    return i18n(
        "assessment.result",
        name=class_name,
        passed=passed,
        final=final,
        plan_complete=plan_complete,
        sheets=sheets,
        pass_mark=pass_mark,
    )


def progress_text(i18n: I18n, rows: Sequence[tuple[str, Any]], now: datetime) -> str:
    """Per class: submitted, scored, passed, in coaching, overdue with the oldest's age."""
    shown = [
        (
            name,
            p,
            int((now - p.oldest_overdue).total_seconds() // 3600) if p.oldest_overdue else 0,
        )
        for name, p in rows
    ]
    return i18n("assessment.progress", rows=shown)


class Mg(StrEnum):
    OPEN = "open"
    DRAW = "draw"
    WIDEN = "widen"
    REGION = "region"
    ASSIGNMENT = "asg"
    GIVE = "give"


class ManageCb(CallbackData, prefix="amg"):
    """The supervisor's class management: open class `c`'s card, draw now, widen (then pick
    region `r`), pick open assignment `r`, give it to person `p`."""

    a: Mg
    c: int
    r: int = 0
    p: int = 0


def manage_view(
    i18n: I18n,
    class_id: int,
    class_name: str,
    progress: Any,
    open_assignments: Sequence[Any],
    now: datetime,
    tz: Any,
) -> tuple[str, InlineKeyboardMarkup]:
    """One class for its supervisor: progress, open assignments with their deadlines and
    overdue age, and buttons to draw now, widen the pool and reassign an assignment."""
    listed = [
        (
            a.id,
            a.deadline.astimezone(tz),
            int((now - a.deadline).total_seconds() // 3600) if a.deadline <= now else None,
        )
        for a in open_assignments[:20]
    ]
    text = i18n(
        "assessment.manage",
        name=class_name,
        text=progress_text(i18n, [(class_name, progress)], now),
        listed=listed,
        more=max(0, len(open_assignments) - 20),
    )
    rows = [
        [
            _button(i18n("assessment.draw_now"), ManageCb(a=Mg.DRAW, c=class_id)),
            _button(i18n("assessment.widen"), ManageCb(a=Mg.WIDEN, c=class_id)),
        ]
    ]
    rows += [
        [
            _button(
                i18n("assessment.reassign_button", code=code),
                ManageCb(a=Mg.ASSIGNMENT, c=class_id, r=code),
            )
        ]
        for code, _, _ in listed
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def regions_view(
    i18n: I18n, class_id: int, regions: Sequence[tuple[int, str]]
) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [_button(name, ManageCb(a=Mg.REGION, c=class_id, r=region_id))]
        for region_id, name in regions[:20]
    ]
    return i18n("assessment.pick_region"), InlineKeyboardMarkup(inline_keyboard=rows)


def candidates_view(
    i18n: I18n, class_id: int, assignment_id: int, candidates: Sequence[Any]
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not candidates:
        return i18n("assessment.no_candidates", code=assignment_id), None
    rows = [
        [
            _button(
                i18n("assessment.candidate", name=c.name, load=c.load),
                ManageCb(a=Mg.GIVE, c=class_id, r=assignment_id, p=c.person_id),
            )
        ]
        for c in candidates[:20]
    ]
    text = i18n("assessment.pick_scorer", code=assignment_id)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
