"""What a decision use case hands back to the adapter that called it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decided:
    """A decision that was recorded: what was decided about which item, and about whom (the
    learner's name on a leave decision), for the adapter to tell the person who took it.

    A decision that came too late is never an outcome: the use case raises `Stale` naming
    what was decided before, and nothing is written."""

    item_id: int
    status: str
    subject: str = ""
    hours: int = 0
    """The class hours a leave request covers."""
