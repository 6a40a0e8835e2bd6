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

FOR_PERSON = "for_person"
"""Context key of a draft one person fills for another (a lecturer completing a trainee's
needs survey): its submission is that person's, `submitted_by` the one who filled it."""


def subject_of(context: dict, filler_id: int) -> int:
    """Whose submission a draft with this context makes: `FOR_PERSON`'s, else the filler's."""
    subject = context.get(FOR_PERSON)
    return subject if isinstance(subject, int) and not isinstance(subject, bool) else filler_id


def month_shown(pending: list, current: object, today_iso: str) -> str:
    """The month (YYYY-MM) a date question's calendar shows: the one turned to, else the
    current answer's, else today's."""
    if pending and isinstance(pending[0], str) and len(pending[0]) == 7:
        return pending[0]
    if isinstance(current, str) and len(current) == 10:
        return current[:7]
    return today_iso[:7]
