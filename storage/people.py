"""How a person is named to others: the one place that picks the name.

The name on their registration form, else the one on their teacher profile, else their chat
name (what Telegram or the web chat calls them, before they have registered anywhere)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FormSubmission, Person

REGISTRATION_FORM = "registration"
PROFILE_FORM = "teacher_profile"
_PREFERENCE = (REGISTRATION_FORM, PROFILE_FORM)
"""Forms whose `name` answer names the person, the first found winning."""


async def names(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's name as others see it (two queries, however many people)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    people = await session.exec(select(Person.id, Person.first_name).where(col(Person.id).in_(ids)))
    found = {person_id: first_name for person_id, first_name in people}
    query = select(FormSubmission.person_id, FormSubmission.form_id, FormSubmission.answers).where(
        col(FormSubmission.person_id).in_(ids),
        col(FormSubmission.form_id).in_(_PREFERENCE),
        col(FormSubmission.current),
    )
    given: dict[int, dict[str, str]] = {}
    for person_id, form_id, answers in await session.exec(query):
        name = (answers or {}).get("name")
        if isinstance(name, str) and name.strip():
            given.setdefault(person_id, {})[form_id] = name.strip()
    for person_id, by_form in given.items():
        found[person_id] = next(by_form[form] for form in _PREFERENCE if form in by_form)
    return found


async def name(session: AsyncSession, person: Person | None) -> str:
    """One person's name as others see it ("" for nobody)."""
    if person is None or person.id is None:
        return ""
    return (await names(session, [person.id])).get(person.id, person.first_name)
