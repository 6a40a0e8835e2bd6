"""Invitations (issue 9 layering): look one up, redeem it, page the regions and institutions
to invite into, create a region, an institution or an invitation. Handlers in
handlers/start.py, handlers/finding.py and handlers/invites.py call these instead of storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.invitations import (
    InviteLimits,
    InviteProblem,
    invite_problem,
    looks_like_code,
    new_code,
    validity,
)
from bot.domain.roles import Grant, Role, Scope
from bot.views.pages import PAGE_SIZE, page_window
from storage import repo
from storage.models import Invitation


async def by_code(session: AsyncSession, code: str) -> Invitation | None:
    """The invitation a deep link's code names; None if the code is malformed or unknown."""
    return await repo.invitation_by_code(session, code) if looks_like_code(code) else None


async def already_redeemed(session: AsyncSession, invitation_id: int, person_id: int) -> bool:
    return await repo.already_redeemed(session, invitation_id, person_id)


@dataclass(frozen=True)
class Redeemed:
    """Why the invitation could not be redeemed, or the grant it gave (`added` False if the
    person already held it)."""

    problem: InviteProblem | None
    grant: Grant | None = None
    added: bool = False


async def redeem(
    session: AsyncSession, person_id: int, invitation: Invitation | None, now: datetime
) -> Redeemed:
    """Count one use of the invitation and grant its role, audited; or say why not."""
    limits = invitation and InviteLimits(
        invitation.max_uses, invitation.uses, invitation.expires_at, invitation.revoked_at
    )
    problem = invite_problem(limits, now)
    if problem is None and not await repo.count_use(session, invitation, person_id):
        problem = InviteProblem.USED_UP
    if problem is not None:
        return Redeemed(problem)
    grant = Grant(Role(invitation.role), invitation.region_id, invitation.institution_id)
    added = await repo.add_grant(
        session, person_id, grant, granted_by=invitation.created_by, invitation_id=invitation.id
    )
    await repo.audit(
        session,
        "invitation.redeemed",
        actor_id=person_id,
        subject_id=person_id,
        object_type="invitation",
        object_id=invitation.id,
        role=grant.role,
        new_grant=added,
    )
    return Redeemed(None, grant, added)


@dataclass(frozen=True)
class ScopePage:
    shown: list[tuple[int, str]]
    page: int
    pages: int
    count: int


async def scope_page(session: AsyncSession, target: Grant, scope: Scope, page: int) -> ScopePage:
    """A page of the store's regions (or the target region's institutions): counted, then read."""
    if scope is Scope.REGION:
        count = await repo.region_count(session)
        page, pages, offset = page_window(count, page)
        rows: Sequence = await repo.regions_page(session, offset, PAGE_SIZE)
    else:
        count = await repo.institution_count(session, target.region_id)
        page, pages, offset = page_window(count, page)
        rows = await repo.institutions_page(session, target.region_id, offset, PAGE_SIZE)
    return ScopePage([(row.id, row.name) for row in rows], page, pages, count)


async def add_scope(
    session: AsyncSession, actor_id: int, role: Role, scope: Scope, name: str, region_id: int
) -> Grant:
    """Create the region (or an institution in `region_id`) named `name`, audited; the grant
    an invitation into it would give."""
    if scope is Scope.REGION:
        region = await repo.add_region(session, name)
        await repo.audit(
            session,
            "region.created",
            actor_id=actor_id,
            object_type="region",
            object_id=region.id,
            name=name,
        )
        return Grant(role, region.id, None)
    institution = await repo.add_institution(session, name, region_id)
    await repo.audit(
        session,
        "institution.created",
        actor_id=actor_id,
        object_type="institution",
        object_id=institution.id,
        name=name,
    )
    return Grant(role, institution.region_id, institution.id)


async def create(
    session: AsyncSession, actor_id: int, target: Grant, single: bool, now: datetime
) -> Invitation:
    """A new invitation into `target` (single use, or many until it expires), audited."""
    max_uses, expires_at = validity(single, now)
    invitation = await repo.create_invitation(
        session,
        code=new_code(),
        role=target.role,
        region_id=target.region_id,
        institution_id=target.institution_id,
        created_by=actor_id,
        max_uses=max_uses,
        expires_at=expires_at,
    )
    await repo.audit(
        session,
        "invitation.created",
        actor_id=actor_id,
        object_type="invitation",
        object_id=invitation.id,
        role=target.role,
        max_uses=max_uses,
    )
    return invitation
