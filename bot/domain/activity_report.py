"""The class activity report (T11 学员班活动报告): the figures, from plain facts about a class.

Pure: the use case (bot/services/activity_report.py) reads the facts from the store, this turns
them into the report's numbers, and the views (bot/views/activity_report.py) print them as PDF
and XLSX. Attendance counts a session once it was held (check-in closed or anyone marked);
its rate is the attended (present, late, left early) over the trainees enrolled. The pass rate
is over the trainees with a final result (the latest round counts), and over all enrolled too.
Feedback keeps the anonymity rule of `feedback_summary`: a round with fewer than 3 answers
shows only its count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain import feedback_summary
from bot.domain.checkin import ATTENDED, Mark


def percent(part: int, whole: int) -> int | None:
    """Whole percent, None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class HeldSession:
    """One timetable session and the marks given in it (person id → status)."""

    day: int
    slot: str
    on: date
    topic: str
    hours: int
    held: bool
    marks: Mapping[int, str]


@dataclass(frozen=True)
class SessionLine:
    day: int
    slot: str
    on: date
    topic: str
    hours: int
    held: bool
    attended: int
    late: int
    excused: int
    absent: int
    enrolled: int

    @property
    def rate(self) -> int | None:
        return percent(self.attended, self.enrolled) if self.held else None


@dataclass(frozen=True)
class FeedbackRound:
    """One feedback round's answers (kind daily / midterm / final, its day), and how many were
    asked; `context` names an evaluation's modules and teachers."""

    kind: str
    day: int
    asked: int
    answers: Sequence[Mapping[str, Any]]
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoundLine:
    kind: str
    day: int
    summary: feedback_summary.Summary
    names: Mapping[str, str]


@dataclass(frozen=True)
class Trainee:
    """What a trainee's forms say about their business and store (answers by question id), and
    their final result (None: not scored)."""

    person_id: int
    name: str
    registration: Mapping[str, Any] = field(default_factory=dict)
    appendix3: Mapping[str, Any] = field(default_factory=dict)
    practice: Mapping[str, Any] | None = None
    passed: bool | None = None
    final: float | None = None


@dataclass(frozen=True)
class Comment:
    """One teaching lecturer's comments (the activity_comments form's answers)."""

    teacher: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class Facts:
    class_name: str
    programme: str
    institution: str
    region: str
    first: date | None
    last: date | None
    teachers: Sequence[str]
    sessions: Sequence[HeldSession]
    trainees: Sequence[Trainee]
    rounds: Sequence[FeedbackRound]
    comments: Sequence[Comment]


@dataclass(frozen=True)
class Businesses:
    """Counts of the trainees' businesses and stores."""

    running_business: int
    """Said on registration they already run a company, sole-trader business or store."""
    store_operating: int
    """Appendix 3: an online store operating."""
    store_opened: int
    """Appendix 3: a store opened (operating or not)."""
    simulated: int
    """Practice results handed in (a simulated-mall store)."""
    real: int
    """Practice results with a store on a real platform."""
    real_orders: int
    real_sales: float


@dataclass(frozen=True)
class Report:
    facts: Facts
    sessions: list[SessionLine]
    overall_rate: int | None
    hours_held: int
    rounds: list[RoundLine]
    enrolled: int
    handed_in: int
    scored: int
    passed: int
    businesses: Businesses

    @property
    def pass_rate(self) -> int | None:
        """Passed over those with a final result."""
        return percent(self.passed, self.scored)

    @property
    def pass_rate_enrolled(self) -> int | None:
        return percent(self.passed, self.enrolled)


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def session_line(held: HeldSession, enrolled: int) -> SessionLine:
    statuses = list(held.marks.values())
    return SessionLine(
        day=held.day,
        slot=held.slot,
        on=held.on,
        topic=held.topic,
        hours=held.hours,
        held=held.held,
        attended=sum(status in ATTENDED for status in statuses),
        late=statuses.count(Mark.LATE),
        excused=statuses.count(Mark.EXCUSED),
        absent=statuses.count(Mark.ABSENT),
        enrolled=enrolled,
    )


def round_line(found: FeedbackRound) -> RoundLine:
    if found.kind == "daily":
        summary = feedback_summary.daily(found.answers, found.asked)
    else:
        summary = feedback_summary.evaluation(found.answers, found.asked, found.context)
    return RoundLine(found.kind, found.day, summary, feedback_summary.names(found.context))


def businesses(trainees: Sequence[Trainee]) -> Businesses:
    real = [t.practice for t in trainees if t.practice and t.practice.get("has_real_store") is True]
    return Businesses(
        running_business=sum(t.registration.get("has_business") is True for t in trainees),
        store_operating=sum(t.appendix3.get("store_status") == "operating" for t in trainees),
        store_opened=sum(
            t.appendix3.get("store_status") in ("operating", "idle") for t in trainees
        ),
        simulated=sum(t.practice is not None for t in trainees),
        real=len(real),
        real_orders=int(sum(_number(p.get("real_orders")) for p in real)),
        real_sales=round(sum(_number(p.get("real_sales")) for p in real), 2),
    )


def build(facts: Facts) -> Report:
    """The report's figures."""
    enrolled = len(facts.trainees)
    lines = [session_line(held, enrolled) for held in facts.sessions]
    held = [line for line in lines if line.held]
    attended = sum(line.attended for line in held)
    possible = sum(line.enrolled for line in held)
    scored = [t for t in facts.trainees if t.passed is not None]
    return Report(
        facts=facts,
        sessions=lines,
        overall_rate=percent(attended, possible),
        hours_held=sum(line.hours for line in held),
        rounds=[round_line(found) for found in facts.rounds],
        enrolled=enrolled,
        handed_in=sum(t.practice is not None for t in facts.trainees),
        scored=len(scored),
        passed=sum(t.passed is True for t in scored),
        businesses=businesses(facts.trainees),
    )
