"""Who is acting: the facts every use case and the access policy need about them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Grant, Role
from storage import repo


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


async def grants_of(session: AsyncSession, person_id: int) -> list[Grant]:
    """The person's grants, from the roles the store holds for them."""
    rows = await repo.roles_of(session, person_id)
    return [Grant(Role(row.role), row.region_id, row.institution_id) for row in rows]
