"""Campaigns: a questionnaire pushed to a selection of trainees (issue 14, S-42: 后续服务可记录、
可统计). Pure rules: the recipients' states, what a selection may be, the live counts with their
percentages, and how answers are aggregated and exported (labels or codes, as Kobo exports do).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.forms.schema import FormDefinition, Question, QuestionType


class Status(StrEnum):
    """A campaign's life: set up in /campaign, then confirmed (pushed from its time) or
    cancelled (what was not sent yet never is)."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Reply(StrEnum):
    """Where one recipient stands, in the order a recipient moves through them."""

    QUEUED = "queued"
    """Chosen, not pushed yet (before its time, or the scan has not reached them)."""
    SENT = "sent"
    UNREACHABLE = "unreachable"
    """Blocked the bot: the push could not be delivered."""
    STARTED = "started"
    COMPLETED = "completed"
    STOPPED = "stopped"
    """Pressed 不再接收 (or stopped follow-ups): nothing more is sent to them."""
    CANCELLED = "cancelled"
    """The campaign was cancelled before they were pushed."""


SHOWN = (
    Reply.QUEUED,
    Reply.SENT,
    Reply.UNREACHABLE,
    Reply.STARTED,
    Reply.COMPLETED,
    Reply.STOPPED,
    Reply.CANCELLED,
)
WAITING = (Reply.SENT, Reply.STARTED)
"""Pushed and not answered yet: the list of who has not answered, and whom a reminder reaches."""


class Selection(StrEnum):
    """Whom a campaign goes to (within the institution, or the supervisor's region)."""

    CLASS = "class"
    ENDED = "ended"
    """Trainees of the classes whose last session ended within a date range."""
    STATE = "state"
    ALL = "all"
    """Every trainee of the institution, or of the region."""


class TraineeState(StrEnum):
    """States a selection may ask for, read from what trainees submitted."""

    HAS_STORE = "has_store"
    """Practice results (T8): has a real store (has_real_store = yes)."""
    IN_BUSINESS = "in_business"
    """Registration (T1): already runs a business (has_business = yes)."""


STATE_ANSWERS: dict[TraineeState, tuple[str, str]] = {
    TraineeState.HAS_STORE: ("practice_results", "has_real_store"),
    TraineeState.IN_BUSINESS: ("registration", "has_business"),
}
"""Each state: the form and the yes/no question whose yes answer (on the current submission)
puts a trainee in it."""


def selection_complete(selection: Mapping[str, Any]) -> bool:
    """Whether a draft's selection says whom to push to (and may be previewed)."""
    match selection.get("kind"):
        case Selection.CLASS:
            return isinstance(selection.get("class_id"), int)
        case Selection.ENDED:
            return _day(selection.get("from")) is not None and _day(selection.get("to")) is not None
        case Selection.STATE:
            return selection.get("state") in set(TraineeState)
        case Selection.ALL:
            return True
    return False


def ended_range(selection: Mapping[str, Any]) -> tuple[date, date]:
    first, last = _day(selection["from"]), _day(selection["to"])
    assert first is not None and last is not None
    return (first, last) if first <= last else (last, first)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Counts:
    """The live counts of a campaign by recipient state, with percentages of all recipients."""

    total: int
    by_state: dict[Reply, int]

    @classmethod
    def of(cls, rows: Iterable[tuple[str, int]]) -> Counts:
        found = Counter[Reply]()
        for state, count in rows:
            found[Reply(state)] += count
        return cls(sum(found.values()), {state: found[state] for state in SHOWN})

    def percent(self, state: Reply) -> int:
        return round(100 * self.by_state[state] / self.total) if self.total else 0

    @property
    def waiting(self) -> int:
        return sum(self.by_state[state] for state in WAITING)

    @property
    def answer_rate(self) -> int:
        """Completed out of those pushed (queued and cancelled ones were never asked)."""
        pushed = self.total - self.by_state[Reply.QUEUED] - self.by_state[Reply.CANCELLED]
        return round(100 * self.by_state[Reply.COMPLETED] / pushed) if pushed else 0


def due(status: str, send_at: datetime | None, now: datetime) -> bool:
    """Whether a campaign's queued recipients are to be pushed at `now`."""
    return status == Status.CONFIRMED and (send_at is None or send_at <= now)


def may_remind(status: str, reminded_at: datetime | None, counts: Counts) -> bool:
    """A campaign reminds who has not answered once, and only when someone is waiting."""
    return status == Status.CONFIRMED and reminded_at is None and counts.waiting > 0


# --- answers: aggregates and the export --------------------------------------------------------

EXPORTED = {
    QuestionType.TEXT,
    QuestionType.INTEGER,
    QuestionType.DECIMAL,
    QuestionType.DATE,
    QuestionType.SINGLE,
    QuestionType.MULTIPLE,
    QuestionType.YES_NO,
    QuestionType.RATING,
    QuestionType.SCALE,
    QuestionType.REGION,
    QuestionType.COMPUTED,
}
"""Columns of the export: answers that are values (not files, locations or personal numbers)."""
COUNTED = {QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.YES_NO, QuestionType.RATING}
"""Questions the aggregate counts answer by answer (and charts)."""


class Export(StrEnum):
    """A choice column shows the option's label in the reader's language, or its code."""

    LABELS = "labels"
    CODES = "codes"


def exported_questions(definition: FormDefinition) -> list[Question]:
    return [
        q
        for q in definition.questions()
        if q.type in EXPORTED and not q.personal and q.for_each is None
    ]


def cell(question: Question, value: Any, how: Export, locale: str, yes_no: tuple[str, str]) -> Any:
    """One answer as an export cell: a choice as its label or its code (several joined by a
    space, as Kobo does), yes/no as the words or 1/0, numbers as numbers, anything else as text."""
    if value is None:
        return None
    labels = {choice.value: choice.label(locale) for choice in question.choices}
    match question.type:
        case QuestionType.SINGLE:
            return labels.get(value, value) if how is Export.LABELS else value
        case QuestionType.MULTIPLE:
            values = value if isinstance(value, list) else [value]
            shown = [labels.get(v, v) if how is Export.LABELS else v for v in values]
            return ("，" if how is Export.LABELS and locale == "zh-CN" else " ").join(shown)
        case QuestionType.YES_NO:
            if how is Export.CODES:
                return 1 if value else 0
            return yes_no[0] if value else yes_no[1]
        case QuestionType.INTEGER | QuestionType.DECIMAL | QuestionType.RATING | QuestionType.SCALE:
            return value if isinstance(value, int | float) else str(value)
    return value if isinstance(value, int | float) else str(value)


def header(question: Question, how: Export, locale: str) -> str:
    """A column's heading: the question's label, or its id for the codes export."""
    return question.id if how is Export.CODES else question.label(locale)


@dataclass(frozen=True)
class Tally:
    """One counted question: how many answered, and per option (in the definition's order)
    how many chose it."""

    question: Question
    answered: int
    options: tuple[tuple[str, int], ...]


def tallies(definition: FormDefinition, answers: Sequence[Mapping[str, Any]]) -> list[Tally]:
    """The counted questions of `definition` over every submitted answer dict."""
    found: list[Tally] = []
    for question in definition.questions():
        if question.type not in COUNTED or question.for_each is not None:
            continue
        options = _options(question)
        counted = Counter[str]()
        answered = 0
        for given in answers:
            value = given.get(question.id)
            if value is None:
                continue
            answered += 1
            for chosen in value if isinstance(value, list) else [value]:
                counted[_option(chosen)] += 1
        found.append(Tally(question, answered, tuple((o, counted[o]) for o in options)))
    return found


def _options(question: Question) -> list[str]:
    if question.type is QuestionType.YES_NO:
        return ["yes", "no"]
    if question.type is QuestionType.RATING:
        return [str(point) for point in range(1, 6)]
    return [choice.value for choice in question.choices]


def _option(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def option_label(question: Question, option: str, locale: str, yes_no: tuple[str, str]) -> str:
    if question.type is QuestionType.YES_NO:
        return yes_no[0] if option == "yes" else yes_no[1]
    for choice in question.choices:
        if choice.value == option:
            return choice.label(locale)
    return option
