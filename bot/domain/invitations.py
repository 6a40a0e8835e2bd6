"""When an invitation may be redeemed, and how long new ones last."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Telegram allows only these characters in a /start payload."""

SINGLE_USE_VALIDITY = timedelta(days=7)
MULTI_USE_VALIDITY = timedelta(days=30)


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True)
class InviteLimits:
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    revoked_at: datetime | None


def new_code() -> str:
    """A 12-character code that cannot be guessed and fits a deep link."""
    return secrets.token_urlsafe(9)


def looks_like_code(payload: str) -> bool:
    return bool(CODE_PATTERN.match(payload))


def invite_problem(limits: InviteLimits | None, now: datetime) -> InviteProblem | None:
    """Why this invitation cannot be redeemed now, or None when it can."""
    if limits is None:
        return InviteProblem.UNKNOWN
    if limits.revoked_at is not None and limits.revoked_at <= now:
        return InviteProblem.REVOKED
    if limits.expires_at is not None and limits.expires_at <= now:
        return InviteProblem.EXPIRED
    if limits.max_uses is not None and limits.uses >= limits.max_uses:
        return InviteProblem.USED_UP
    return None


def validity(single_use: bool, now: datetime) -> tuple[int | None, datetime]:
    """Max uses and expiry of a new invitation: one person within 7 days, or many within 30."""
    if single_use:
        return 1, now + SINGLE_USE_VALIDITY
    return None, now + MULTI_USE_VALIDITY
