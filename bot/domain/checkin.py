"""Check-in rules (S-11, S-24, S-44): rotating codes, the venue radius, lateness, screen links.

The code is a 4-digit TOTP (RFC 6238 with a 30-second step) of the session's secret. A code
read just before it changes still works: the current and the previous window are accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

WINDOW_SECONDS = 30
DIGITS = 4
CODE_PATTERN = re.compile(rf"^\d{{{DIGITS}}}$", re.ASCII)
EARTH_RADIUS_M = 6_371_008.8
SCREEN_GRACE = timedelta(hours=1)
"""A classroom-screen link works until this long after the session ends."""
LOCATION_WINDOW = timedelta(minutes=10)
"""A location shared this long after a check-in still belongs to it."""
DEEP_LINK_PREFIX = "ci_"
"""`/start ci_1234`: the classroom screen's QR code carries the code it shows."""
MAX_WRONG_CODES = 5
"""Wrong codes one person may send for one session: 4 digits must not be guessed by trying."""


class Mark(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    """早退: came but left before the end. Forbidden like lateness (「严禁迟到早退」), marked by
    a teacher, shown on rosters and summaries; it does not bar the assessment by itself."""
    ABSENT = "absent"
    EXCUSED = "excused"


ATTENDED = frozenset({Mark.PRESENT, Mark.LATE, Mark.LEFT_EARLY})


class CheckinState(StrEnum):
    """Where a session's check-in stands: not opened yet, open, or closed."""

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


def checkin_state(opened_at: datetime | None, closed_at: datetime | None) -> CheckinState:
    if closed_at is not None:
        return CheckinState.CLOSED
    return CheckinState.NEW if opened_at is None else CheckinState.OPEN


def markable(opened: bool, starts_at: datetime, now: datetime) -> bool:
    """A session can be marked by hand once it has begun or its check-in is open, not before."""
    return opened or starts_at <= now


def window_of(moment: datetime) -> int:
    return math.floor(moment.timestamp()) // WINDOW_SECONDS


def seconds_left(moment: datetime) -> int:
    """Whole seconds until the code shown at `moment` changes (1 to 30)."""
    return WINDOW_SECONDS - math.floor(moment.timestamp()) % WINDOW_SECONDS


def code_for_window(secret: str, window: int) -> str:
    digest = hmac.new(secret.encode(), window.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def current_code(secret: str, moment: datetime) -> str:
    return code_for_window(secret, window_of(moment))


def normalise_code(text: str) -> str | None:
    """The code in what a person typed ("１２３４" from a Chinese keyboard, spaces), or None."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    return cleaned if CODE_PATTERN.match(cleaned) else None


def code_accepted(secret: str, code: str, moment: datetime) -> bool:
    """True for the code of the current or the previous 30-second window."""
    window = window_of(moment)
    return any(
        hmac.compare_digest(code_for_window(secret, candidate), code)
        for candidate in (window, window - 1)
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def outside_radius(distance: float, radius_m: int) -> bool:
    """A check-in exactly on the radius is still inside."""
    return distance > radius_m


def location_due(checked_in_at: datetime, now: datetime) -> bool:
    return checked_in_at <= now <= checked_in_at + LOCATION_WINDOW


def self_mark(starts_at: datetime, checked_in_at: datetime, late_after_min: int) -> Mark:
    """Present, or late when more than `late_after_min` minutes after the session started."""
    late = checked_in_at > starts_at + timedelta(minutes=late_after_min)
    return Mark.LATE if late else Mark.PRESENT


@dataclass(frozen=True)
class Tally:
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0
    unmarked: int = 0
    left_early: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late + self.left_early

    @property
    def total(self) -> int:
        return self.attended + self.absent + self.excused + self.unmarked


def tally(marks: Iterable[str | None]) -> Tally:
    """Count marks; None stands for someone not marked (yet)."""
    counts = dict.fromkeys([*Mark, "unmarked"], 0)
    for mark in marks:
        counts[mark or "unmarked"] += 1
    return Tally(**counts)


def rate(attended: int, total: int) -> int | None:
    """Attendance in whole percent (rounded half up); None when nobody was expected."""
    if total <= 0:
        return None
    return (200 * attended + total) // (2 * total)


class Phase(StrEnum):
    UPCOMING = "upcoming"
    RUNNING = "running"
    DONE = "done"
    NO_RECORD = "no_record"
    """Over, but check-in was never opened and nobody was marked."""


@dataclass(frozen=True)
class SessionFacts:
    id: int
    starts_at: datetime
    ends_at: datetime
    opened: bool


def phase(facts: SessionFacts, marked: bool, now: datetime) -> Phase:
    if now < facts.starts_at and not (facts.opened or marked):
        return Phase.UPCOMING
    if now < facts.ends_at:
        return Phase.RUNNING
    return Phase.DONE if facts.opened or marked else Phase.NO_RECORD


@dataclass(frozen=True)
class SessionSummary:
    id: int
    phase: Phase
    tally: Tally
    rate: int | None


@dataclass(frozen=True)
class PersonSummary:
    person_id: int
    tally: Tally
    rate: int | None


def summarise(
    sessions: Sequence[SessionFacts],
    person_ids: Sequence[int],
    marks: Mapping[tuple[int, int], str],
    now: datetime,
) -> tuple[list[SessionSummary], list[PersonSummary]]:
    """Attendance rate per session (of the people enrolled now) and per person (over the
    sessions that are over and were recorded). `marks` is keyed by (session id, person id);
    marks of people no longer enrolled are left out."""
    per_session = []
    for facts in sessions:
        own = [marks.get((facts.id, person_id)) for person_id in person_ids]
        counted = tally(own)
        marked = any(own)
        per_session.append(
            SessionSummary(
                facts.id,
                phase(facts, marked, now),
                counted,
                rate(counted.attended, counted.total),
            )
        )
    done = [row.id for row in per_session if row.phase is Phase.DONE]
    per_person = []
    for person_id in person_ids:
        counted = tally(marks.get((session_id, person_id)) for session_id in done)
        per_person.append(PersonSummary(person_id, counted, rate(counted.attended, counted.total)))
    return per_session, per_person


def screen_expiry(ends_at: datetime) -> datetime:
    return ends_at + SCREEN_GRACE


def _signature(secret: str, session_id: int, expires: int) -> str:
    message = f"screen:{session_id}:{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def screen_token(secret: str, session_id: int, expires_at: datetime) -> str:
    """`<session>-<expiry>-<signature>`: signed with the session's check-in secret, so it
    needs no extra configuration and works in every run mode and bot process."""
    expires = math.floor(expires_at.timestamp())
    return f"{session_id}-{expires}-{_signature(secret, session_id, expires)}"


@dataclass(frozen=True)
class ScreenToken:
    session_id: int
    expires_at: datetime
    signature: str

    def valid(self, secret: str | None, now: datetime) -> bool:
        if not secret or now >= self.expires_at:
            return False
        expected = _signature(secret, self.session_id, math.floor(self.expires_at.timestamp()))
        return hmac.compare_digest(expected, self.signature)


TOKEN_PATTERN = re.compile(r"^(\d{1,12})-(\d{1,10})-([A-Za-z0-9_-]{24})$", re.ASCII)


def parse_screen_token(token: str) -> ScreenToken | None:
    """The parts of a token, or None when it cannot be one (not yet checked)."""
    match = TOKEN_PATTERN.match(token)
    if match is None:
        return None
    expires = datetime.fromtimestamp(int(match[2]), UTC)
    return ScreenToken(int(match[1]), expires, match[3])
