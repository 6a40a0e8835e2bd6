"""Issued certificates (S-14, S-41 「电子证书生成、发放、查询」): the numbering scheme, the
keyed check that makes a verification link unguessable, what an application may select, and the
rules each programme's certificate follows. Pure: no aiogram, no database.

Numbering: `<region id, 4 digits><year, 4 digits><serial, 6 digits>`, 14 digits, e.g.
`00032026000017` is the 17th certificate issued in region 3 in 2026. The serial comes from one
counter row per (region, year), advanced in the approving transaction, so numbers are unique,
never reused and without gaps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.assessment import ClassStage, TraineeStage
from bot.domain.classes import Programme

SERIAL_DIGITS = 6
MAX_SERIAL = 10**SERIAL_DIGITS - 1
NUMBER = re.compile(r"^(\d{4})(\d{4})(\d{6})$")
CHECK_LENGTH = 10
"""Characters of the check (base32 of an HMAC-SHA256): 50 bits, not guessable by enumeration."""
DEEP_LINK_PREFIX = "verify_"


class SerialExhausted(ValueError):
    """A region issued 999,999 certificates in one year: the scheme has no room for more."""


def certificate_number(region_id: int, year: int, serial: int) -> str:
    """The number of the `serial`-th certificate of `region_id` in `year`."""
    if not 0 < region_id <= 9999 or not 0 < year <= 9999:
        raise ValueError("region and year must be 1-9999")
    if not 0 < serial <= MAX_SERIAL:
        raise SerialExhausted(serial)
    return f"{region_id:04d}{year:04d}{serial:0{SERIAL_DIGITS}d}"


def normalise_number(text: str) -> str | None:
    """A number as someone typed it (spaces, dashes), or None when it cannot be one."""
    digits = re.sub(r"[\s\-]", "", text or "")
    return digits if NUMBER.match(digits) else None


def serials(last: int, count: int) -> range:
    """The serials a counter advanced by `count` to `last` hands out, in order."""
    return range(last - count + 1, last + 1)


def check_of(key: bytes, number: str) -> str:
    """The keyed check of a certificate number (HMAC-SHA256, base32, truncated)."""
    digest = hmac.new(key, f"certificate:{number}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:CHECK_LENGTH]


def check_matches(key: bytes, number: str, check: str) -> bool:
    return hmac.compare_digest(check_of(key, number), (check or "").lower())


def verify_path(number: str, check: str) -> str:
    return f"/verify/{number}/{check}"


def deep_link_payload(number: str, check: str) -> str:
    """The bot's /start payload that opens the check (Telegram allows [A-Za-z0-9_-], 64)."""
    return f"{DEEP_LINK_PREFIX}{number}_{check}"


def parse_deep_link(payload: str) -> tuple[str, str] | None:
    if not payload.startswith(DEEP_LINK_PREFIX):
        return None
    number, _, check = payload[len(DEEP_LINK_PREFIX) :].partition("_")
    number = normalise_number(number)
    return (number, check) if number and check else None


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    """Staff are choosing who to apply for."""
    PENDING = "pending"
    """Waits for the region's supervisor."""
    DECIDED = "decided"


class ApplicantStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Standing(StrEnum):
    """What a verification shows."""

    VALID = "valid"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    """Issued, but the holder's personal data was erased since."""


def standing(revoked: bool, holder_known: bool) -> Standing:
    if revoked:
        return Standing.REVOKED
    return Standing.VALID if holder_known else Standing.WITHDRAWN


@dataclass(frozen=True)
class Design:
    """How one programme's certificate is made: its PDF template and who may get one."""

    template: str
    title_key: str
    eligible: frozenset[str]
    """Assessment stages (`TraineeStage`) that qualify a learner."""


DESIGNS: dict[Programme, Design] = {
    Programme.TRAINEE: Design(
        "pdf/certificate_trainee.html.j2",
        "issuing.title_trainee",
        frozenset({TraineeStage.PASSED}),
    ),
}
"""The certificate of each programme. Lecturer and trainer certificates (S-25, S-32) add a row
with their own template and rules; the rest of the machinery is shared."""


def design_of(programme: str) -> Design | None:
    try:
        return DESIGNS.get(Programme(programme))
    except ValueError:
        return None


def selectable(programme: str, stage: str | None) -> bool:
    """Whether a learner in `stage` may be put on the programme's certificate application."""
    design = design_of(programme)
    return design is not None and stage in design.eligible


def may_apply(programme: str, class_stage: str | None) -> bool:
    """An application is made once the class is assessed (bot/domain/assessment.ClassStage)."""
    return design_of(programme) is not None and class_stage == ClassStage.ASSESSED
