"""The free-text reason a decision asks for (an override, a return, a rejection, a leave)."""

from __future__ import annotations

REASON_LENGTH = (4, 200)
"""Long enough to say something, short enough for a message card."""


def reason_from(text: str | None, length: tuple[int, int] = REASON_LENGTH) -> str | None:
    """The reason with its whitespace collapsed; None when it is too short, too long, or a
    command (someone typing /start means to leave the step, not to give "/start" as a reason)."""
    reason = " ".join((text or "").split())
    if not length[0] <= len(reason) <= length[1] or reason.startswith("/"):
        return None
    return reason
