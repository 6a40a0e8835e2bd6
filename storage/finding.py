"""Queries for finding training without an invitation: the institutions that accept
registrations (they have an open trainee registration link) and their regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Role
from storage.models import Institution, Invitation, Region


def _open(now: datetime) -> ColumnElement[bool]:
    """A trainee invitation into an institution, for no particular class, still usable."""
    return and_(
        Invitation.role == Role.TRAINEE,
        col(Invitation.institution_id).is_not(None),
        col(Invitation.class_id).is_(None),
        col(Invitation.revoked_at).is_(None),
        or_(col(Invitation.expires_at).is_(None), col(Invitation.expires_at) > now),
        or_(col(Invitation.max_uses).is_(None), Invitation.uses < Invitation.max_uses),
    )


async def accepting_regions(session: AsyncSession, now: datetime) -> Sequence[Region]:
    """The regions with at least one institution accepting registrations."""
    institutions = (
        select(Institution.region_id)
        .join(Invitation, col(Invitation.institution_id) == Institution.id)
        .where(_open(now))
    )
    query = select(Region).where(col(Region.id).in_(institutions)).order_by(Region.id)
    return (await session.exec(query)).all()


async def accepting_institutions(
    session: AsyncSession, region_id: int, now: datetime
) -> Sequence[Institution]:
    """The region's institutions accepting registrations."""
    links = select(Invitation.institution_id).where(_open(now))
    query = (
        select(Institution)
        .where(Institution.region_id == region_id, col(Institution.id).in_(links))
        .order_by(Institution.id)
    )
    return (await session.exec(query)).all()


async def open_link(session: AsyncSession, institution_id: int, now: datetime) -> Invitation | None:
    """The institution's oldest open registration link, if it accepts registrations now."""
    query = (
        select(Invitation)
        .where(_open(now), Invitation.institution_id == institution_id)
        .order_by(Invitation.id)
    )
    return (await session.exec(query)).first()
