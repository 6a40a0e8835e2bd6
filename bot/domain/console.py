"""The web console's sign-in rules (issue 15), pure: one-time links, sessions and CSRF tokens.

A link and a session are random secrets handed to the person once; the store keeps only their
sha256, so a copy of the database opens nothing. A link is good for `LINK_TTL` and one use; a
session ends after `IDLE` without a request, at `ABSOLUTE` after sign-in, or at sign-out. Every
form the console posts carries the session's CSRF token, derived from the session secret (so it
needs no column) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

LINK_TTL = timedelta(minutes=10)
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(hours=24)
SECRET_BYTES = 32
MAX_SECRET_LENGTH = 64
"""A secret longer than this (or with other characters) is not one we made: refused unread."""
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def well_formed(secret: str | None) -> bool:
    """Could this be a secret `new_secret` made (so worth a look-up)?"""
    return bool(secret) and len(secret) <= MAX_SECRET_LENGTH and set(secret) <= _ALPHABET


def digest(secret: str) -> str:
    """What the store keeps of a link or session secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def csrf_token(session_secret: str) -> str:
    return hmac.new(session_secret.encode("ascii"), b"console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_secret: str, given: str | None) -> bool:
    """Whether a posted form carries this session's CSRF token (constant-time)."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(csrf_token(session_secret), given)


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkFacts:
    expires_at: datetime
    used_at: datetime | None


def link_state(link: LinkFacts | None, now: datetime) -> LinkState:
    """A link opens a session once, before it expires."""
    if link is None:
        return LinkState.UNKNOWN
    if link.used_at is not None:
        return LinkState.USED
    if now >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.VALID


@dataclass(frozen=True)
class SessionFacts:
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


def session_live(facts: SessionFacts | None, now: datetime) -> bool:
    """Signed in: not signed out, within the absolute limit and not idle too long."""
    return (
        facts is not None
        and facts.ended_at is None
        and now < facts.expires_at
        and now - facts.last_seen_at < IDLE
    )
