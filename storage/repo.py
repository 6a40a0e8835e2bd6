"""Repositories: queries and writes on the caller's session. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from types import ModuleType
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Executable, Subquery, bindparam, func, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Role
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


def _dialect(session: AsyncSession) -> ModuleType:
    return postgresql if session.bind.dialect.name == "postgresql" else sqlite


def param_table(name: str, columns: Sequence[tuple[str, TypeEngine[Any]]], count: int) -> Subquery:
    """A table of `count` rows made of bound parameters (`{column}_{i}` for row i), to join in
    one statement: how a scan hands the database many items at once (VALUES with column names
    is not SQL SQLite reads). Compile it once per count (`functools.lru_cache`)."""
    rows = (
        select(*(bindparam(f"{column}_{i}", type_=kind).label(column) for column, kind in columns))
        for i in range(count)
    )
    return union_all(*rows).subquery(name)


def table_params(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of a `param_table` holding these rows."""
    return {f"{column}_{i}": value for i, row in enumerate(rows) for column, value in row.items()}


async def insert_ignore(session: AsyncSession, model: type[SQLModel], **values: Any) -> bool:
    """INSERT that does nothing on a unique conflict; True when a row was inserted.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    reports the conflict, which is what makes it a safe claim across processes.
    """
    insert = _dialect(session).insert(model).values(**values).on_conflict_do_nothing()
    result = await session.exec(insert)
    return result.rowcount == 1


# Every update runs the statements below, so each is built once per dialect and executed
# with its values as parameters: building a statement costs more than SQLite running it.


@cache
def _claim(dialect: ModuleType) -> Executable:
    return dialect.insert(ProcessedUpdate.__table__).on_conflict_do_nothing()


async def claim_update(session: AsyncSession, bot_id: int, update_id: int) -> bool:
    """Record the update as processed; False when an earlier delivery already did.

    The update's first statement, so there is nothing the session would flush before it."""
    values = {"bot_id": bot_id, "update_id": update_id, "processed_at": utcnow()}
    result = await session.exec(_claim(_dialect(session)), params=values)
    return result.rowcount == 1


_PERSON = Person.__table__
_SEEN = ("first_name", "last_name", "username", "last_seen_at")
"""What every update refreshes on the person's row."""

_REFRESH_PERSON = select(Person).from_statement(
    update(_PERSON).where(_PERSON.c.tg_user_id == bindparam("user")).returning(*_PERSON.c)
)


@cache
def _upsert_person(dialect: ModuleType) -> Executable:
    insert = dialect.insert(_PERSON)
    upsert = insert.on_conflict_do_update(
        index_elements=[_PERSON.c.tg_user_id],
        set_={name: insert.excluded[name] for name in _SEEN},
    )
    return select(Person).from_statement(upsert.returning(*_PERSON.c))


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

    One statement for someone known: an UPDATE refreshes the names and last_seen_at and
    returns the row. Someone new (or racing their own first update) gets an upsert, so a
    PostgreSQL sequence number is only spent on a real newcomer. On PostgreSQL either locks
    the row for the rest of the update, so one person's updates are handled one at a time
    even by several bot processes. An upserted row is new when its created_at is this
    call's timestamp (an existing row keeps its own).
    """
    now = utcnow()
    seen = dict(first_name=first_name, last_name=last_name, username=username, last_seen_at=now)
    reload = {"populate_existing": True}
    result = await session.exec(
        _REFRESH_PERSON, params={"user": tg_user_id, **seen}, execution_options=reload
    )
    person = result.scalar_one_or_none()
    if person is not None:
        return person, False
    values = {"tg_user_id": tg_user_id, "locale": locale, "unreachable": False, **seen}
    result = await session.exec(
        _upsert_person(_dialect(session)),
        params={**values, "created_at": now},
        execution_options=reload,
    )
    person = result.scalar_one()
    return person, person.created_at == now


_GRANTS = (
    select(RoleGrant.role, RoleGrant.region_id, RoleGrant.institution_id)
    .where(RoleGrant.person_id == bindparam("person_id"))
    .order_by(col(RoleGrant.id))
)


class RoleRow(NamedTuple):
    """One role a person holds with its scope, as stored (`bot.services.actor.grants_of`
    makes the domain's grants of them)."""

    role: str
    region_id: int | None
    institution_id: int | None


class Scoped(Protocol):
    """A role with its scope, whatever carries it."""

    role: str
    region_id: int | None
    institution_id: int | None


async def roles_of(session: AsyncSession, person_id: int) -> list[RoleRow]:
    """The person's roles and scopes, in the order they were given."""
    rows = await session.exec(_GRANTS, params={"person_id": person_id})
    return [RoleRow(*row) for row in rows]


async def add_grant(
    session: AsyncSession,
    person_id: int,
    grant: Scoped,
    *,
    granted_by: int | None,
    invitation_id: int | None,
) -> bool:
    """Give the person this role and scope; False when they already hold it."""
    held = (grant.role, grant.region_id, grant.institution_id)
    if held in await roles_of(session, person_id):
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


async def regions_page(session: AsyncSession, offset: int, limit: int) -> Sequence[Region]:
    """Regions `offset` to `offset + limit`, in the order they were added."""
    query = select(Region).order_by(Region.id).offset(offset).limit(limit)
    return (await session.exec(query)).all()


async def institution_count(session: AsyncSession, region_id: int) -> int:
    query = select(func.count()).select_from(Institution).where(Institution.region_id == region_id)
    return (await session.exec(query)).one()


async def institutions_page(
    session: AsyncSession, region_id: int, offset: int, limit: int
) -> Sequence[Institution]:
    """The region's institutions `offset` to `offset + limit`, in the order they were added."""
    query = (
        select(Institution)
        .where(Institution.region_id == region_id)
        .order_by(Institution.id)
        .offset(offset)
        .limit(limit)
    )
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
