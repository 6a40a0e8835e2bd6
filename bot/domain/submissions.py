"""When a learner may hand in their practice results (T8) and business plan (T10) (S-11, S-12).

Open to learners who may still take the assessment (S-11 eligibility, bot/domain/attendance.py)
from the first class day until the end of the last one (「培训结束前提交」, article 7(五) note 6);
the institution may extend one learner's deadline. Pure: no aiogram, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.attendance import Eligibility

PRACTICE = "practice_results"
PLAN = "business_plan"
FORMS = (PRACTICE, PLAN)
"""The form ids of the two assessment submissions (templates/forms/)."""

EXTENSION_DAYS = (1, 3, 7)
"""What institution staff may grant at once: the deadline moves to the end of the day this many
days after the later of today and the class's last day."""
MAX_EXTENSION_DAYS = 30
"""An extension never reaches further than this after the class's last day."""


class Closed(StrEnum):
    """Why a learner cannot submit now."""

    NOT_ELIGIBLE = "not_eligible"
    NOT_YET = "not_yet"
    LATE = "late"


def day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone))


@dataclass(frozen=True)
class Window:
    """From `opens_at` (inclusive) to `closes_at` (exclusive); `extended` when the deadline is
    one learner's extension rather than the end of the class."""

    opens_at: datetime
    closes_at: datetime
    extended: bool = False

    def contains(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def window(
    first_day: date, last_day: date, timezone: str, extended_until: datetime | None = None
) -> Window:
    """Midnight starting the first class day to midnight ending the last one, in the class's
    time zone; an extension only ever moves the deadline later."""
    opens = day_start(first_day, timezone)
    closes = day_start(last_day + timedelta(days=1), timezone)
    if extended_until is not None and extended_until > closes:
        return Window(opens, extended_until, extended=True)
    return Window(opens, closes)


def closed_reason(eligible: Eligibility, span: Window, now: datetime) -> Closed | None:
    """Why the learner cannot submit at `now`, or None when they can. Eligibility comes first:
    an ineligible learner is told that, not a date."""
    if not eligible.eligible:
        return Closed.NOT_ELIGIBLE
    if now < span.opens_at:
        return Closed.NOT_YET
    if now >= span.closes_at:
        return Closed.LATE
    return None


class ExtensionProblem(StrEnum):
    DAYS = "days"
    TOO_FAR = "too_far"


def extended_deadline(last_day: date, today: date, days: int, timezone: str) -> datetime:
    """End of the day `days` days after the later of today and the class's last day."""
    base = max(today, last_day)
    return day_start(base + timedelta(days=days + 1), timezone)


def extension_problem(last_day: date, today: date, days: int) -> ExtensionProblem | None:
    """An extension is one of the offered lengths and ends within MAX_EXTENSION_DAYS of the
    class's last day."""
    if days not in EXTENSION_DAYS:
        return ExtensionProblem.DAYS
    if (max(today, last_day) + timedelta(days=days) - last_day).days > MAX_EXTENSION_DAYS:
        return ExtensionProblem.TOO_FAR
    return None
