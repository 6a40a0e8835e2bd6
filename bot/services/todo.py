"""The to-do inbox: who may decide what now (a decided card is closed by `bot.notifier`).

`scope_of` is the one place that maps a person's grants to the ids the inbox queries take; it
follows the checks that refuse a decision (intake `_reviewable`, teachers `may_verify`,
`bot.domain.classes.decides`, the class's teachers for leave), so the inbox lists exactly what
its buttons accept.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Grant, Role
from storage import todo
from storage.todo import Item, Kind, Scope

PAGE_SIZE = 20

DECIDING = frozenset({Role.INSTITUTION, Role.LECTURER, Role.TRAINER, Role.SUPERVISOR, Role.ADMIN})
"""Roles that may have something to decide: screenings, leave, certificates, classes."""


def scope_of(person_id: int, grants: Iterable[Grant]) -> Scope:
    """Institution staff and lecturers screen their institution's trainees; supervisors decide
    their region's lecturer certificates and class applications; admins every certificate and
    class; whoever teaches a class its leave requests."""
    grants = list(grants)
    return Scope(
        person_id=person_id,
        institution_ids=frozenset(
            g.institution_id
            for g in grants
            if g.role in (Role.INSTITUTION, Role.LECTURER) and g.institution_id is not None
        ),
        region_ids=frozenset(
            g.region_id for g in grants if g.role is Role.SUPERVISOR and g.region_id is not None
        ),
        is_admin=any(g.role is Role.ADMIN for g in grants),
    )


def decides(grants: Iterable[Grant]) -> bool:
    """Whether any role held may have decisions waiting (a trainee's has none)."""
    return any(g.role in DECIDING for g in grants)


async def counts(session: AsyncSession, person_id: int, grants: Iterable[Grant]) -> dict[Kind, int]:
    grants = list(grants)
    if not decides(grants):
        return {}
    return await todo.counts(session, scope_of(person_id, grants))


async def total(session: AsyncSession, person_id: int, grants: Iterable[Grant]) -> int:
    """How many decisions wait for this person (shown by /start and /help)."""
    return sum((await counts(session, person_id, grants)).values())


async def page(
    session: AsyncSession, person_id: int, grants: Iterable[Grant], number: int
) -> list[Item]:
    """Page `number` (from 0) of the inbox."""
    return await todo.page(session, scope_of(person_id, grants), number * PAGE_SIZE, PAGE_SIZE)


async def waits_for(
    session: AsyncSession, person_id: int, grants: Iterable[Grant], kind: Kind, item_id: int
) -> bool:
    return await todo.waits_for(session, scope_of(person_id, grants), kind, item_id)
