"""Repositories: queries and writes on the caller's session. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Grant, Role
from storage.models import (
    AuditEntry,
    Institution,
    Invitation,
    InvitationRedemption,
    Person,
    ProcessedUpdate,
    Region,
    RoleGrant,
)
from storage.types import utcnow


async def insert_ignore(session: AsyncSession, model: type[SQLModel], **values: Any) -> bool:
    """INSERT that does nothing on a unique conflict; True when a row was inserted.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    reports the conflict, which is what makes it a safe claim across processes.
    """
    dialect = session.bind.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    result = await session.exec(module.insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


async def claim_update(session: AsyncSession, bot_id: int, update_id: int) -> bool:
    """Record the update as processed; False when an earlier delivery already did."""
    return await insert_ignore(
        session, ProcessedUpdate, bot_id=bot_id, update_id=update_id, processed_at=utcnow()
    )


async def upsert_person(
    session: AsyncSession,
    *,
    tg_user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    locale: str,
) -> tuple[Person, bool]:
    """The person behind a Telegram user, created on first sight; True when new.

    On PostgreSQL the row is locked for the rest of the update, so one person's updates are
    handled one at a time even by several bot processes.
    """
    now = utcnow()
    created = await insert_ignore(
        session,
        Person,
        tg_user_id=tg_user_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
        locale=locale,
        unreachable=False,
        created_at=now,
        last_seen_at=now,
    )
    query = select(Person).where(Person.tg_user_id == tg_user_id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    person = (await session.exec(query.execution_options(populate_existing=True))).one()
    person.first_name, person.last_name, person.username = first_name, last_name, username
    person.last_seen_at = now
    return person, created


async def grants_of(session: AsyncSession, person_id: int) -> list[Grant]:
    rows = await session.exec(
        select(RoleGrant).where(RoleGrant.person_id == person_id).order_by(col(RoleGrant.id))
    )
    return [Grant(Role(row.role), row.region_id, row.institution_id) for row in rows]


async def add_grant(
    session: AsyncSession,
    person_id: int,
    grant: Grant,
    *,
    granted_by: int | None,
    invitation_id: int | None,
) -> bool:
    """Give the person this role and scope; False when they already hold it."""
    if grant in await grants_of(session, person_id):
        return False
    session.add(
        RoleGrant(
            person_id=person_id,
            role=grant.role,
            region_id=grant.region_id,
            institution_id=grant.institution_id,
            invitation_id=invitation_id,
            granted_by=granted_by,
        )
    )
    await session.flush()
    return True


async def audit(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    subject_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    reason: str | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_id=actor_id,
            subject_id=subject_id,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            details=details,
        )
    )


async def invitation_by_code(session: AsyncSession, code: str) -> Invitation | None:
    return (await session.exec(select(Invitation).where(Invitation.code == code))).first()


async def already_redeemed(session: AsyncSession, invitation_id: int, person_id: int) -> bool:
    row = await session.get(InvitationRedemption, (invitation_id, person_id))
    return row is not None


async def count_use(session: AsyncSession, invitation: Invitation, person_id: int) -> bool:
    """Take one use of the invitation for this person; False when none is left.

    The conditional UPDATE is atomic, so two people racing for the last use cannot both win.
    """
    result = await session.exec(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id)
        .where((col(Invitation.max_uses).is_(None)) | (Invitation.uses < Invitation.max_uses))
        .values(uses=Invitation.uses + 1)
    )
    if result.rowcount != 1:
        return False
    session.add(InvitationRedemption(invitation_id=invitation.id, person_id=person_id))
    await session.refresh(invitation)
    return True


async def create_invitation(
    session: AsyncSession,
    *,
    code: str,
    role: Role,
    region_id: int | None,
    institution_id: int | None,
    created_by: int | None,
    max_uses: int | None,
    expires_at: datetime | None,
    demo: bool = False,
) -> Invitation:
    invitation = Invitation(
        code=code,
        role=role,
        region_id=region_id,
        institution_id=institution_id,
        created_by=created_by,
        max_uses=max_uses,
        expires_at=expires_at,
        demo=demo,
    )
    session.add(invitation)
    await session.flush()
    return invitation


async def demo_invitations(session: AsyncSession) -> Sequence[Invitation]:
    return (
        await session.exec(select(Invitation).where(col(Invitation.demo)).order_by(Invitation.id))
    ).all()


async def regions(session: AsyncSession) -> Sequence[Region]:
    return (await session.exec(select(Region).order_by(Region.id))).all()


async def region_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Region))).one()


async def institutions_in(session: AsyncSession, region_id: int) -> Sequence[Institution]:
    query = select(Institution).where(Institution.region_id == region_id).order_by(Institution.id)
    return (await session.exec(query)).all()


async def add_region(session: AsyncSession, name: str, parent_id: int | None = None) -> Region:
    region = Region(name=name, parent_id=parent_id)
    session.add(region)
    await session.flush()
    return region


async def add_institution(session: AsyncSession, name: str, region_id: int) -> Institution:
    institution = Institution(name=name, region_id=region_id)
    session.add(institution)
    await session.flush()
    return institution
