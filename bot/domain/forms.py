"""Where a form draft stands. The values are the ones the store has always held (no migration)."""

from __future__ import annotations

from enum import StrEnum


class DraftStatus(StrEnum):
    """A draft is `ACTIVE` (the one form its person is filling now), `PAUSED` (kept for later),
    `SUBMITTED` (it became a submission) or `CANCELLED` (started over)."""

    ACTIVE = "active"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


OPEN = frozenset({DraftStatus.ACTIVE, DraftStatus.PAUSED})
"""Drafts that may still be filled in."""
