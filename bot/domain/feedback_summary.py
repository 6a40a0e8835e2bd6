"""What teachers and institutions see of feedback (T6, T7): aggregates only, never a person.

Pure functions over the answer dicts of the submissions (keyed by question id, as in the
feedback contract) and the number of people asked. Anonymity: no answer is tied to anyone,
comments come sorted by their text (not in the order people answered), and with fewer than
`MIN_RESPONSES` responses nothing but the count is shown (a breakdown of one or two answers
would tell who said what).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MIN_RESPONSES = 3
RATING_POINTS = (1, 2, 3, 4, 5)
SCALE_POINTS = range(0, 11)
PACE = ("too_fast", "right", "too_slow")

DAILY_RATINGS = ("overall", "usefulness", "teachers")
DAILY_TEXTS = ("most_useful", "suggestions")
EVALUATION_RATINGS = ("organisation", "venue", "platform")
EVALUATION_TEXTS = ("comments",)


@dataclass(frozen=True)
class Rating:
    """One 1-5 question: how many answered, the mean, and the count of each point 1..5."""

    question: str
    count: int
    average: float | None
    distribution: tuple[int, ...]

    def lines(self) -> list[tuple[int, int, str]]:
        """(point, count, bar) from 5 down to 1, for a text distribution."""
        most = max(self.distribution, default=0)
        return [
            (point, count, bar(count, most))
            for point, count in reversed(list(zip(RATING_POINTS, self.distribution, strict=True)))
        ]


@dataclass(frozen=True)
class Scale:
    """The 0-10 recommendation: how many answered and the mean."""

    count: int
    average: float | None


@dataclass(frozen=True)
class Summary:
    asked: int
    responses: int
    detailed: bool
    ratings: tuple[Rating, ...] = ()
    scale: Scale | None = None
    pace: tuple[tuple[str, int], ...] = ()
    texts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def pace_lines(self) -> list[tuple[str, int, str]]:
        most = max((count for _, count in self.pace), default=0)
        return [(value, count, bar(count, most)) for value, count in self.pace]

    @property
    def rate(self) -> int:
        """Response rate in whole percent (0 when nobody was asked)."""
        return round(100 * self.responses / self.asked) if self.asked else 0


def _number(value: Any, points: Iterable[int]) -> int | None:
    """A whole number within `points`, whatever form the store kept it in; else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number.is_integer() or int(number) not in points:
        return None
    return int(number)


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def rating(answers: Sequence[Mapping[str, Any]], question: str) -> Rating:
    values = [n for a in answers if (n := _number(a.get(question), RATING_POINTS)) is not None]
    counts = tuple(values.count(point) for point in RATING_POINTS)
    return Rating(question, len(values), _mean(values), counts)


def scale(answers: Sequence[Mapping[str, Any]], question: str) -> Scale:
    values = [n for a in answers if (n := _number(a.get(question), SCALE_POINTS)) is not None]
    return Scale(len(values), _mean(values))


def choices(
    answers: Sequence[Mapping[str, Any]], question: str, options: Sequence[str]
) -> tuple[tuple[str, int], ...]:
    return tuple((option, sum(a.get(question) == option for a in answers)) for option in options)


def comments(answers: Sequence[Mapping[str, Any]], question: str) -> tuple[str, ...]:
    """Non-empty texts, sorted by content: the order says nothing about who wrote them."""
    found = (a.get(question) for a in answers)
    return tuple(sorted(text.strip() for text in found if isinstance(text, str) and text.strip()))


def summarize(
    answers: Sequence[Mapping[str, Any]],
    asked: int,
    *,
    ratings: Sequence[str] = (),
    scale_question: str | None = None,
    pace_question: str | None = None,
    texts: Sequence[str] = (),
) -> Summary:
    """The summary of these answers; only the counts when too few answered."""
    responses = len(answers)
    asked = max(asked, responses)
    if responses < MIN_RESPONSES:
        return Summary(asked, responses, detailed=False)
    return Summary(
        asked,
        responses,
        detailed=True,
        ratings=tuple(rating(answers, question) for question in ratings),
        scale=scale(answers, scale_question) if scale_question else None,
        pace=choices(answers, pace_question, PACE) if pace_question else (),
        texts=tuple((question, comments(answers, question)) for question in texts),
    )


def daily(answers: Sequence[Mapping[str, Any]], asked: int) -> Summary:
    """A day's feedback (T6): three ratings, the pace vote, two optional texts."""
    return summarize(answers, asked, ratings=DAILY_RATINGS, pace_question="pace", texts=DAILY_TEXTS)


def _numbered(answers: Sequence[Mapping[str, Any]], context: Mapping[str, Any], prefix: str) -> int:
    """How many modules (or teachers) the evaluation asked about: the context's list, or the
    highest number answered when the context is shorter."""
    highest = len(context.get(f"{prefix}s") or ())
    for answer in answers:
        for key in answer:
            head, _, n = str(key).partition(".")
            if head == prefix and n.isdigit():
                highest = max(highest, int(n))
    return highest


def evaluation(
    answers: Sequence[Mapping[str, Any]], asked: int, context: Mapping[str, Any]
) -> Summary:
    """A mid-term or final evaluation: each module, each teacher, the organisation, venue and
    platform, the 0-10 recommendation and comments."""
    questions = (
        *(f"module.{n}" for n in range(1, _numbered(answers, context, "module") + 1)),
        *(f"teacher.{n}" for n in range(1, _numbered(answers, context, "teacher") + 1)),
        *EVALUATION_RATINGS,
    )
    return summarize(
        answers, asked, ratings=questions, scale_question="recommend", texts=EVALUATION_TEXTS
    )


def names(context: Mapping[str, Any]) -> dict[str, str]:
    """Display names of an evaluation's numbered questions, from the submission context."""
    found = {}
    for prefix, key in (("module", "modules"), ("teacher", "teachers")):
        for n, name in enumerate(context.get(key) or (), start=1):
            found[f"{prefix}.{n}"] = str(name)
    return found


def trend_point(answers: Sequence[Mapping[str, Any]]) -> float | None:
    """The day's overall average for the trend chart; None under the small-class rule."""
    if len(answers) < MIN_RESPONSES:
        return None
    return rating(answers, "overall").average


def bar(count: int, most: int, width: int = 10) -> str:
    """A text bar of ▇ proportional to `count` against the largest count (phone-wide)."""
    if count <= 0 or most <= 0:
        return ""
    return "▇" * max(1, round(width * count / most))


def summary_due(class_day: date, zone: str, at: time) -> datetime:
    """When teachers get a class day's summary: `at` (local) the morning after, in UTC."""
    return datetime.combine(class_day + timedelta(days=1), at, ZoneInfo(zone)).astimezone(UTC)


def summary_sendable(due: datetime, now: datetime, useful: timedelta) -> bool:
    """Due, and not so late (the bot was down) that it is no news any more."""
    return due <= now < due + useful
