"""The product's notion of now, so tests can drive time-based behaviour without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.types import utcnow


class Clock:
    """Real time. Handlers get it injected as `clock`; the scheduler and outbox use it too."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock(Clock):
    """A clock that moves only when told (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, delta: timedelta) -> None:
        self._now += delta
