"""Tables of the bot's store. Names follow the domain; every timestamp is aware UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JsonDoc, UtcDateTime, utcnow


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, **kw)


class Region(SQLModel, table=True):
    """An administrative area (province, city or district); statistics group by it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="region.id")
    created_at: datetime = _ts()


class Institution(SQLModel, table=True):
    """A training institution (培训机构) in one region."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    region_id: int = Field(foreign_key="region.id", index=True)
    created_at: datetime = _ts()


class Person(SQLModel, table=True):
    """Anyone who has talked to the bot, on Telegram or in the web chat."""

    id: int | None = Field(default=None, primary_key=True)
    tg_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    first_name: str = Field(default="", max_length=255)
    last_name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=64)
    locale: str = Field(default="zh-CN", max_length=8)
    unreachable: bool = False
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()


class RoleGrant(SQLModel, table=True):
    """A role a person holds, with its scope: a region, an institution, or none (national)."""

    __table_args__ = (Index("ix_rolegrant_person_role", "person_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    granted_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class Invitation(SQLModel, table=True):
    """A code that grants one role and scope to whoever redeems it, within its limits."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    created_by: int | None = Field(default=None, foreign_key="person.id")
    max_uses: int | None = None
    uses: int = 0
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    demo: bool = False
    created_at: datetime = _ts()


class InvitationRedemption(SQLModel, table=True):
    """Who redeemed which invitation; one row each, so re-delivery cannot count a use twice."""

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    redeemed_at: datetime = _ts()


class ProcessedUpdate(SQLModel, table=True):
    """Updates already handled, so a re-delivered update changes nothing."""

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = _ts(index=True)


class AuditEntry(SQLModel, table=True):
    """Who did what to whom, when and why. Written by every decision a person makes."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64, index=True)
    subject_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("person.id"), index=True, nullable=True)
    )
    object_type: str | None = Field(default=None, max_length=40)
    object_id: int | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data for one storage key, written in the update's unit of work."""

    __tablename__ = "fsm_record"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    updated_at: datetime = _ts()
