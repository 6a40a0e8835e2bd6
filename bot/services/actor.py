"""Who is acting: the facts every use case and the access policy need about them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.roles import Grant


@dataclass(frozen=True)
class Actor:
    """A person with their grants, locale and the product's current time."""

    person_id: int
    grants: tuple[Grant, ...]
    locale: str
    now: datetime

    @classmethod
    def of(cls, person_id: int, grants: Iterable[Grant], locale: str, now: datetime) -> Actor:
        return cls(person_id, tuple(grants), locale, now)
