"""The to-do inbox in the store: every decision still waiting, found by who may take it now.

Queries take plain ids (a `Scope`), never grants: which grants give which scope is decided
outside storage (bot/services/todo.py). One page of the inbox is one query (a UNION ALL of the
every kind, each joined to the names its button shows), so a page costs the same however many
items wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import CertificateKind, CertificateStatus, ClassStatus
from storage import people, personal_data
from storage.attendance import PENDING as LEAVE_PENDING
from storage.followup import to_call
from storage.models import (
    Certificate,
    CertificateApplication,
    ClassTeacher,
    FollowupSurvey,
    LeaveRequest,
    Person,
    PersonalDataRequest,
    ScoringAssignment,
    ScreeningCase,
    SupportFollowup,
    TrainingClass,
)


class Kind(StrEnum):
    """The kinds of pending decision, in the order the inbox lists them; each value is the
    prefix of its cards' outbox keys (`case:{case_id}:...`)."""

    CASE = "case"
    CERTIFICATE = "cert"
    CLASS = "class"
    LEAVE = "leave"
    SCORING = "score"
    SUPPORT = "support"
    ERASURE = "erase"
    CALL = "call"
    CERT_APPLICATION = "capp"


ORDER = {kind: index for index, kind in enumerate(Kind)}


@dataclass(frozen=True)
class Scope:
    """What a person may decide, as plain ids: screenings of `institution_ids`, lecturer
    certificates and class applications of `region_ids`, everything of both kinds when
    `is_admin`, and leave requests of the classes `person_id` teaches."""

    person_id: int
    institution_ids: frozenset[int] = field(default_factory=frozenset)
    region_ids: frozenset[int] = field(default_factory=frozenset)
    is_admin: bool = False
    scores: bool = False
    """Whether the person's roles score practice results (their own assignments are listed)."""
    followup_institution_ids: frozenset[int] = field(default_factory=frozenset)
    """Institutions whose trainees' support needs the person follows up (S-42)."""
    erasure_regions: frozenset[int] = field(default_factory=frozenset)
    erases_all: bool = False
    """Erasure requests (S-53) of people of these regions, or of everyone."""
    call_institution_ids: frozenset[int] = field(default_factory=frozenset)
    """Institutions whose phone follow-ups (tracking surveys unanswered) the person makes."""


class Item(NamedTuple):
    """One line of the inbox: what it is and the names its button shows."""

    kind: Kind
    id: int
    at: datetime | None
    name: str
    detail: str


def _parts(scope: Scope) -> dict[Kind, Select[Any]]:
    """One select per kind with the same columns: kind order, id, time, name, detail."""
    case, cert = ScreeningCase.__table__.c, Certificate.__table__.c
    cls, leave = TrainingClass.__table__.c, LeaveRequest.__table__.c
    person, teacher = Person.__table__, ClassTeacher.__table__.c
    trainee, holder, learner = aliased(person), aliased(person), aliased(person)
    klass = aliased(TrainingClass.__table__)

    def columns(
        kind: Kind, key: Any, at: Any, name: Any, detail: Any, who: Any = None
    ) -> list[Any]:
        return [
            literal(ORDER[kind]).label("kind"),
            key.label("id"),
            at.label("at"),
            name.label("name"),
            detail.label("detail"),
            (who if who is not None else cast(null(), Integer)).label("who"),
        ]

    cases = (
        select(
            *columns(
                Kind.CASE, case.id, case.created_at, trainee.c.first_name, literal(""), trainee.c.id
            )
        )
        .join(trainee, trainee.c.id == case.person_id)
        .where(case.decided.is_(None), case.institution_id.in_(sorted(scope.institution_ids)))
    )
    certificates = (
        select(
            *columns(
                Kind.CERTIFICATE,
                cert.id,
                cert.created_at,
                holder.c.first_name,
                cert.number,
                holder.c.id,
            )
        )
        .join(holder, holder.c.id == cert.person_id)
        .where(cert.status == CertificateStatus.PENDING)
    )
    if not scope.is_admin:
        certificates = certificates.where(
            cert.kind == CertificateKind.LECTURER, cert.region_id.in_(sorted(scope.region_ids))
        )
    classes = select(*columns(Kind.CLASS, cls.id, cls.submitted_at, cls.name, literal(""))).where(
        cls.status == ClassStatus.SUBMITTED
    )
    if not scope.is_admin:
        classes = classes.where(cls.region_id.in_(sorted(scope.region_ids)))
    leaves = (
        select(
            *columns(
                Kind.LEAVE,
                leave.id,
                leave.created_at,
                learner.c.first_name,
                klass.c.name,
                learner.c.id,
            )
        )
        .join(learner, learner.c.id == leave.person_id)
        .join(klass, klass.c.id == leave.class_id)
        .join(
            ClassTeacher.__table__,
            and_(teacher.class_id == leave.class_id, teacher.person_id == scope.person_id),
        )
        .where(leave.status == LEAVE_PENDING)
    )
    scoring, scored_class = ScoringAssignment.__table__.c, aliased(TrainingClass.__table__)
    assignments = (
        select(
            *columns(
                Kind.SCORING,
                scoring.id,
                scoring.deadline,
                literal("#", String) + cast(scoring.id, String),
                scored_class.c.name,
            )
        )
        .join(scored_class, scored_class.c.id == scoring.class_id)
        .where(scoring.scorer_id == scope.person_id, scoring.status.in_(("offered", "accepted")))
    )
    if not scope.scores:
        assignments = assignments.where(false())
    follow, followed = SupportFollowup.__table__.c, aliased(person)
    followups = (
        select(
            *columns(
                Kind.SUPPORT,
                follow.id,
                follow.created_at,
                followed.c.first_name,
                follow.need,
                followed.c.id,
            )
        )
        .join(followed, followed.c.id == follow.person_id)
        .where(
            follow.status == "open",
            follow.institution_id.in_(sorted(scope.followup_institution_ids)),
        )
    )
    asker = aliased(person)
    request = PersonalDataRequest.__table__.c
    erasures = (
        select(
            *columns(
                Kind.ERASURE,
                request.id,
                request.created_at,
                asker.c.first_name,
                literal(""),
                asker.c.id,
            )
        )
        .join(asker, asker.c.id == request.person_id)
        .where(personal_data.pending_for(scope.erasure_regions, scope.erases_all))
    )
    survey, called, surveyed_class = (
        FollowupSurvey.__table__.c,
        Person.__table__,
        aliased(TrainingClass.__table__),
    )
    calls = (
        select(
            *columns(
                Kind.CALL,
                survey.id,
                survey.sent_at,
                called.c.first_name,
                surveyed_class.c.name,
                called.c.id,
            )
        )
        .join(called, called.c.id == survey.person_id)
        .join(surveyed_class, surveyed_class.c.id == survey.class_id)
        .where(survey.institution_id.in_(sorted(scope.call_institution_ids)), *to_call())
    )
    applied, applied_class = CertificateApplication.__table__.c, aliased(TrainingClass.__table__)
    applications = (
        select(
            *columns(
                Kind.CERT_APPLICATION,
                applied.id,
                applied.submitted_at,
                applied_class.c.name,
                literal(""),
            )
        )
        .join(applied_class, applied_class.c.id == applied.class_id)
        .where(applied.status == "pending")
    )
    if not scope.is_admin:
        applications = applications.where(applied.region_id.in_(sorted(scope.region_ids)))
    return {
        Kind.CASE: cases,
        Kind.CERTIFICATE: certificates,
        Kind.CLASS: classes,
        Kind.LEAVE: leaves,
        Kind.SCORING: assignments,
        Kind.SUPPORT: followups,
        Kind.ERASURE: erasures,
        Kind.CALL: calls,
        Kind.CERT_APPLICATION: applications,
    }


def _inbox(scope: Scope) -> Any:
    return union_all(*_parts(scope).values()).subquery("inbox")


async def counts(session: AsyncSession, scope: Scope) -> dict[Kind, int]:
    """How many items of each kind wait for this scope (kinds with none are left out)."""
    inbox = _inbox(scope)
    query = select(inbox.c.kind, func.count()).group_by(inbox.c.kind).order_by(inbox.c.kind)
    kinds = list(Kind)
    return {kinds[kind]: number for kind, number in (await session.exec(query)).all()}


async def page(session: AsyncSession, scope: Scope, offset: int, limit: int) -> list[Item]:
    """One page of the inbox, kind by kind, oldest first; people named as others see them
    (`storage.people`)."""
    inbox = _inbox(scope)
    query = select(inbox).order_by(inbox.c.kind, inbox.c.at, inbox.c.id).offset(offset).limit(limit)
    kinds = list(Kind)
    rows = (await session.exec(query)).all()
    named = await people.names(session, [who for *_, who in rows if who is not None])
    return [
        Item(kinds[kind], key, at, named.get(who, name) or "", detail or "")
        for kind, key, at, name, detail, who in rows
    ]


async def waits_for(session: AsyncSession, scope: Scope, kind: Kind, item_id: int) -> bool:
    """Whether this item still waits and this scope may decide it (a card opened from the
    inbox shows nothing to anyone else)."""
    part = _parts(scope)[kind].subquery()
    query = select(func.count()).select_from(part).where(part.c.id == item_id)
    return bool((await session.exec(query)).scalar_one())
