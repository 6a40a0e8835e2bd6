"""When a class-day scan next has work on a class's clock (`storage.wake`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def next_after(times: Iterable[datetime | None], now: datetime) -> datetime | None:
    """The earliest of `times` strictly after `now` (None: nothing left on the clock). A time
    at or before `now` was due in this pass, which has just worked on it."""
    return min((t for t in times if t is not None and t > now), default=None)
