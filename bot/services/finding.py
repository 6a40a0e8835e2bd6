"""Finding training without an invitation (issue 10): a person picks a region, then an
institution that accepts registrations (one with an open trainee registration link), and
registers as if they had opened that link."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.actor import Actor
from bot.services.errors import Stale, found
from storage import finding
from storage.models import Institution, Invitation, Region


async def regions(session: AsyncSession, actor: Actor) -> Sequence[Region]:
    """The regions where some institution accepts registrations now."""
    return await finding.accepting_regions(session, actor.now)


async def institutions(
    session: AsyncSession, actor: Actor, region_id: int
) -> tuple[Region, Sequence[Institution]]:
    """The region and its institutions accepting registrations now."""
    region = found(await session.get(Region, region_id))
    return region, await finding.accepting_institutions(session, region_id, actor.now)


async def registration_link(session: AsyncSession, actor: Actor, institution_id: int) -> Invitation:
    """The institution's open registration link; Stale when it stopped accepting meanwhile."""
    found(await session.get(Institution, institution_id))
    link = await finding.open_link(session, institution_id, actor.now)
    if link is None:
        raise Stale("start.find_closed")
    return link
