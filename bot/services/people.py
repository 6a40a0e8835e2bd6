"""People as others see them, and a person's own settings (issue 9 layering: handlers ask
here, not storage)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import people, repo
from storage.models import Person


async def name(session: AsyncSession, person: Person | None) -> str:
    """One person's name as others see it ("" for nobody)."""
    return await people.name(session, person)


async def names(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's name as others see it."""
    return await people.names(session, person_ids)


async def set_locale(session: AsyncSession, person: Person, locale: str) -> bool:
    """Store the person's language, audited; whether it changed."""
    before = person.locale
    person.locale = locale
    if before == locale:
        return False
    await repo.audit(
        session,
        "person.locale",
        actor_id=person.id,
        subject_id=person.id,
        before=before,
        after=locale,
    )
    return True


async def name_of(session: AsyncSession, person_id: int | None) -> str:
    """The name of the person with this id as others see it ("" for nobody)."""
    person = await session.get(Person, person_id) if person_id is not None else None
    return await people.name(session, person)
