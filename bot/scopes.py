"""Human names of a grant's scope, for messages."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Grant
from storage.models import Institution, Region


async def scope_name(session: AsyncSession, grant: Grant) -> str | None:
    """The institution's name, else the region's, else None (a national role)."""
    if grant.institution_id is not None:
        institution = await session.get(Institution, grant.institution_id)
        return institution.name if institution else None
    if grant.region_id is not None:
        region = await session.get(Region, grant.region_id)
        return region.name if region else None
    return None
