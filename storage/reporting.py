"""Reads for the class activity report (T11) and the reporting bundle (S-15): a class's marks,
leave requests, forms handed in for it, and the set-based scan for reports not sent yet."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AttendanceMark,
    ClassSession,
    ClassTeacher,
    FormSubmission,
    LeaveRequest,
    RoleGrant,
    ScoringAssignment,
    TrainingClass,
)
from storage.outbox import key_of, not_queued
from storage.types import UtcDateTime


async def marks_of_class(session: AsyncSession, class_id: int) -> list[tuple[int, int, str]]:
    """(session id, person id, status) of every mark given in the class's sessions."""
    query = (
        select(AttendanceMark.session_id, AttendanceMark.person_id, AttendanceMark.status)
        .join(ClassSession, col(ClassSession.id) == col(AttendanceMark.session_id))
        .where(ClassSession.class_id == class_id)
        .order_by(AttendanceMark.session_id, AttendanceMark.person_id)
    )
    return [tuple(row) for row in (await session.exec(query)).all()]


async def leaves_of_class(session: AsyncSession, class_id: int) -> list[LeaveRequest]:
    query = (
        select(LeaveRequest)
        .where(LeaveRequest.class_id == class_id)
        .order_by(LeaveRequest.created_at, LeaveRequest.id)
    )
    return list((await session.exec(query)).all())


async def class_forms(
    session: AsyncSession, form_id: str, class_id: int, person_id: int
) -> list[FormSubmission]:
    """The current submissions of `form_id` the person made for the class (its context names
    it), oldest first: e.g. the equipment checklist by whoever confirmed it."""
    query = (
        select(FormSubmission)
        .where(
            FormSubmission.person_id == person_id,
            FormSubmission.form_id == form_id,
            col(FormSubmission.current).is_(True),
        )
        .order_by(FormSubmission.id)
    )
    rows = (await session.exec(query)).all()
    return [row for row in rows if (row.context or {}).get("class_id") == class_id]


@cache
def _reports_due(role: str, stages: tuple[str, ...]) -> Any:
    """Built once per role and stages (a scan runs it every interval): parameter `since`."""
    return (
        select(TrainingClass.id, RoleGrant.person_id)
        .join(RoleGrant, col(RoleGrant.institution_id) == col(TrainingClass.institution_id))
        .where(
            col(TrainingClass.stage).in_(stages),
            col(TrainingClass.stage_at) >= bindparam("since", type_=UtcDateTime),
            RoleGrant.role == role,
            not_queued(key_of("report", TrainingClass.id, RoleGrant.person_id)),
        )
        .distinct()
        .order_by(TrainingClass.id, RoleGrant.person_id)
    )


async def reports_due(
    session: AsyncSession, role: str, since: datetime, stages: Collection[str]
) -> list[tuple[int, int]]:
    """(class id, person id) for each class in `stages` since `since` and each holder of `role`
    at its institution who has not been queued its report (outbox key `report:<class>:<person>`)."""
    query = _reports_due(role, tuple(sorted(stages)))
    return [tuple(row) for row in (await session.exec(query, params={"since": since})).all()]


async def done_assignments(session: AsyncSession, class_id: int) -> list[ScoringAssignment]:
    """The finished score sheets of the class, by trainee, round and position."""
    query = (
        select(ScoringAssignment)
        .where(ScoringAssignment.class_id == class_id, ScoringAssignment.status == "done")
        .order_by(ScoringAssignment.trainee_id, ScoringAssignment.round, ScoringAssignment.position)
    )
    return list((await session.exec(query)).all())


@cache
def _comments_due(stages: tuple[str, ...]) -> Any:
    """Built once per stages (a scan runs it every interval): parameter `since`."""
    return (
        select(TrainingClass.id, ClassTeacher.person_id, TrainingClass.name)
        .join(ClassTeacher, col(ClassTeacher.class_id) == col(TrainingClass.id))
        .where(
            col(TrainingClass.stage).in_(stages),
            col(TrainingClass.stage_at) >= bindparam("since", type_=UtcDateTime),
            not_queued(key_of("comments", TrainingClass.id, ClassTeacher.person_id)),
        )
        .order_by(TrainingClass.id, ClassTeacher.person_id)
    )


async def comments_due(
    session: AsyncSession, since: datetime, stages: Collection[str]
) -> list[tuple[int, int, str]]:
    """(class id, teacher id, class name) for each teacher of a class in `stages` since `since`
    not yet asked for their comments (outbox key `comments:<class>:<person>`)."""
    query = _comments_due(tuple(sorted(stages)))
    return [tuple(row) for row in (await session.exec(query, params={"since": since})).all()]
