"""Campaigns in the store: supervisors' questionnaires, campaigns and their recipients.

Queries and writes only; the rules are bot/domain/campaigns.py, the decisions
bot/services/campaigns.py. A campaign's recipients are chosen with one INSERT ... SELECT, so a
push to ten thousand people is one statement; the scan takes queued recipients a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, literal, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.campaigns import STATE_ANSWERS, Reply, Selection, Status, TraineeState
from storage import followup
from storage.models import (
    Campaign,
    CampaignRecipient,
    ClassSession,
    CustomForm,
    Enrollment,
    FormAnswer,
    FormSubmission,
    Person,
    TrainingClass,
)
from storage.types import UtcDateTime

ENROLLED = "enrolled"


# --- supervisors' questionnaires ---------------------------------------------------------------


async def custom_form(session: AsyncSession, key: str) -> CustomForm | None:
    return (await session.exec(select(CustomForm).where(CustomForm.key == key))).first()


async def custom_forms(
    session: AsyncSession, region_ids: Iterable[int] | None = None
) -> list[CustomForm]:
    """Every stored questionnaire, or those added for the given regions; oldest first."""
    query = select(CustomForm).order_by(CustomForm.id)
    if region_ids is not None:
        query = query.where(col(CustomForm.region_id).in_(list(region_ids)))
    return list((await session.exec(query)).all())


async def save_custom_form(
    session: AsyncSession, key: str, text: str, region_id: int | None, added_by: int, now: datetime
) -> CustomForm:
    """Store a questionnaire, replacing the text of one with the same key."""
    found = await custom_form(session, key)
    if found is None:
        found = CustomForm(
            key=key,
            yaml=text,
            region_id=region_id,
            added_by=added_by,
            created_at=now,
            updated_at=now,
        )
    else:
        found.yaml, found.added_by, found.updated_at = text, added_by, now
    session.add(found)
    await session.flush()
    return found


# --- campaigns ---------------------------------------------------------------------------------


async def new_draft(
    session: AsyncSession,
    *,
    token: str,
    form_key: str,
    created_by: int,
    institution_id: int | None,
    region_id: int | None,
    now: datetime,
) -> Campaign:
    draft = Campaign(
        token=token,
        form_key=form_key,
        created_by=created_by,
        institution_id=institution_id,
        region_id=region_id,
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def campaign_count(
    session: AsyncSession, institution_ids: Sequence[int], region_ids: Sequence[int]
) -> int:
    query = select(func.count()).select_from(Campaign).where(_visible(institution_ids, region_ids))
    return (await session.exec(query)).one()


async def campaigns_page(
    session: AsyncSession,
    institution_ids: Sequence[int],
    region_ids: Sequence[int],
    offset: int,
    limit: int,
) -> list[Campaign]:
    """Confirmed and cancelled campaigns the scopes reach, newest first."""
    query = (
        select(Campaign)
        .where(_visible(institution_ids, region_ids))
        .order_by(col(Campaign.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def _visible(institution_ids: Sequence[int], region_ids: Sequence[int]) -> Any:
    return (col(Campaign.status) != Status.DRAFT) & or_(
        col(Campaign.institution_id).in_(list(institution_ids)),
        col(Campaign.region_id).in_(list(region_ids)),
    )


# --- selections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """A selection as the store reads it: its kind, scope and parameters."""

    kind: Selection
    institution_id: int | None
    region_id: int | None
    class_id: int | None = None
    ended_from: datetime | None = None
    ended_before: datetime | None = None
    state: TraineeState | None = None


def _classes_in_scope(chosen: Chosen) -> Any:
    if chosen.institution_id is not None:
        return TrainingClass.institution_id == chosen.institution_id
    return TrainingClass.region_id == chosen.region_id


BOUND = 10_000
"""Class ids bound into a selection's query at most; a scope with more classes is joined."""


async def _class_ids(session: AsyncSession, chosen: Chosen) -> Any:
    """The condition on `enrollment.class_id` of a selection: the matching classes' ids, read
    first and bound, so each database reads the enrolments through their class index (joined,
    PostgreSQL may read them all while the table is small)."""
    if chosen.kind is Selection.CLASS:
        return Enrollment.class_id == chosen.class_id
    classes = select(TrainingClass.id).where(_classes_in_scope(chosen))
    ids = list((await session.exec(classes)).all())
    if chosen.kind is Selection.ENDED:
        ended = (
            select(ClassSession.class_id)
            .where(col(ClassSession.class_id).in_(ids))
            .group_by(ClassSession.class_id)
            .having(
                func.max(ClassSession.ends_at) >= chosen.ended_from,
                func.max(ClassSession.ends_at) < chosen.ended_before,
            )
        )
        ids = list((await session.exec(ended)).all()) if ids else []
    if len(ids) > BOUND:
        return col(Enrollment.class_id).in_(classes)
    return col(Enrollment.class_id).in_(ids)


async def selected(session: AsyncSession, chosen: Chosen) -> Any:
    """SELECT DISTINCT person_id of the people a selection reaches: enrolled in a class of the
    scope (the institution's, or the region's) that matches."""
    query = select(Enrollment.person_id).where(
        Enrollment.status == ENROLLED, await _class_ids(session, chosen)
    )
    if chosen.kind is Selection.STATE:
        assert chosen.state is not None
        form_id, question_id = STATE_ANSWERS[chosen.state]
        holders = (
            select(FormSubmission.person_id)
            .join(FormAnswer, col(FormAnswer.submission_id) == FormSubmission.id)
            .where(
                FormSubmission.form_id == form_id,
                col(FormSubmission.current),
                FormAnswer.form_id == form_id,
                FormAnswer.question_id == question_id,
                col(FormAnswer.flag),
            )
        )
        query = query.where(col(Enrollment.person_id).in_(holders))
    return query.distinct()


async def count_selected(session: AsyncSession, chosen: Chosen) -> int:
    inner = (await selected(session, chosen)).subquery()
    return (await session.exec(select(func.count()).select_from(inner))).one()


async def classes_count(session: AsyncSession, chosen: Chosen) -> int:
    query = select(func.count()).select_from(TrainingClass).where(_classes_in_scope(chosen))
    return (await session.exec(query.where(TrainingClass.status != "draft"))).one()


async def classes_page(
    session: AsyncSession, chosen: Chosen, offset: int, limit: int
) -> list[TrainingClass]:
    """The scope's classes past drafting, newest first: those a campaign may go to."""
    query = (
        select(TrainingClass)
        .where(_classes_in_scope(chosen), TrainingClass.status != "draft")
        .order_by(col(TrainingClass.start_date).desc(), col(TrainingClass.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def add_recipients(
    session: AsyncSession, campaign_id: int, chosen: Chosen, now: datetime
) -> int:
    """Every person the selection reaches becomes a queued recipient: one INSERT ... SELECT."""
    people = (await selected(session, chosen)).subquery()
    rows = select(
        literal(campaign_id),
        people.c.person_id,
        literal(Reply.QUEUED.value),
        literal(now, UtcDateTime()),
    )
    statement = insert(CampaignRecipient).from_select(
        ["campaign_id", "person_id", "state", "updated_at"], rows
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount


# --- recipients --------------------------------------------------------------------------------


async def recipient(
    session: AsyncSession, campaign_id: int, person_id: int
) -> CampaignRecipient | None:
    return await session.get(CampaignRecipient, (campaign_id, person_id))


async def counts(session: AsyncSession, campaign_id: int) -> list[tuple[str, int]]:
    """Recipients by state; a pushed one whose person has since blocked the bot counts as
    unreachable."""
    state = CampaignRecipient.state
    query = (
        select(state, col(Person.unreachable), func.count())
        .join(Person, col(Person.id) == CampaignRecipient.person_id)
        .where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(state, col(Person.unreachable))
    )
    found: list[tuple[str, int]] = []
    for shown, unreachable, count in await session.exec(query):
        blocked = unreachable and shown == Reply.SENT
        found.append((Reply.UNREACHABLE.value if blocked else shown, count))
    return found


async def waiting_count(session: AsyncSession, campaign_id: int, states: Sequence[str]) -> int:
    query = select(func.count()).where(
        CampaignRecipient.campaign_id == campaign_id, col(CampaignRecipient.state).in_(states)
    )
    return (await session.exec(query)).one()


async def waiting_page(
    session: AsyncSession, campaign_id: int, states: Sequence[str], offset: int, limit: int
) -> list[tuple[int, str]]:
    """(person id, state) of recipients in `states`, a page at a time."""
    query = (
        select(CampaignRecipient.person_id, CampaignRecipient.state)
        .where(
            CampaignRecipient.campaign_id == campaign_id, col(CampaignRecipient.state).in_(states)
        )
        .order_by(CampaignRecipient.person_id)
        .offset(offset)
        .limit(limit)
    )
    return [(person_id, state) for person_id, state in await session.exec(query)]


@dataclass(frozen=True)
class Due:
    """A recipient to push (or remind) now, with what addressing them needs."""

    campaign_id: int
    person_id: int
    chat_id: int
    locale: str
    unreachable: bool
    form_key: str


@cache
def _due_pushes() -> Any:
    """Built once (a scan runs it every interval): parameters `now` and `most`."""
    now = bindparam("now", type_=UtcDateTime)
    return (
        select(CampaignRecipient.campaign_id, CampaignRecipient.person_id, Campaign.form_key)
        .join(Campaign, col(Campaign.id) == CampaignRecipient.campaign_id)
        .where(
            CampaignRecipient.state == Reply.QUEUED,
            Campaign.status == Status.CONFIRMED,
            or_(col(Campaign.send_at).is_(None), col(Campaign.send_at) <= now),
        )
        .order_by(CampaignRecipient.campaign_id, CampaignRecipient.person_id)
        .limit(bindparam("most"))
    )


async def due_pushes(session: AsyncSession, now: datetime, limit: int) -> list[Due]:
    """Queued recipients of confirmed campaigns whose time has come, `limit` at most."""
    found = await session.exec(_due_pushes(), params={"now": now, "most": limit})
    return await _addressed(session, list(found))


@cache
def _due_reminders() -> Any:
    """Built once (a scan runs it every interval): parameter `most`."""
    return (
        select(CampaignRecipient.campaign_id, CampaignRecipient.person_id, Campaign.form_key)
        .join(Campaign, col(Campaign.id) == CampaignRecipient.campaign_id)
        .where(
            col(CampaignRecipient.state).in_((Reply.SENT, Reply.STARTED)),
            col(CampaignRecipient.reminded_at).is_(None),
            Campaign.status == Status.CONFIRMED,
            col(Campaign.reminded_at).is_not(None),
        )
        .order_by(CampaignRecipient.campaign_id, CampaignRecipient.person_id)
        .limit(bindparam("most"))
    )


async def due_reminders(session: AsyncSession, limit: int) -> list[Due]:
    """Recipients still waiting in campaigns whose reminder was asked for, not reminded yet."""
    found = await session.exec(_due_reminders(), params={"most": limit})
    return await _addressed(session, list(found))


async def _addressed(session: AsyncSession, rows: list[Any]) -> list[Due]:
    """The recipients with their chats, languages and reachability: the people looked up by
    id in a second query (joined in one, a planner may read every person first)."""
    if not rows:
        return []
    ids = sorted({person_id for _, person_id, _ in rows})
    query = select(Person.id, Person.tg_user_id, Person.locale, Person.unreachable).where(
        col(Person.id).in_(ids)
    )
    people = {row[0]: row[1:] for row in await session.exec(query)}
    return [
        Due(campaign_id, person_id, *people[person_id], form_key)
        for campaign_id, person_id, form_key in rows
        if person_id in people
    ]


async def set_state(
    session: AsyncSession,
    campaign_id: int,
    person_ids: Sequence[int],
    state: Reply,
    now: datetime,
    *,
    only_from: Sequence[Reply] | None = None,
) -> int:
    """Move these recipients of one campaign to `state` (only those in `only_from`, if given)."""
    if not person_ids:
        return 0
    statement = (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            col(CampaignRecipient.person_id).in_(list(person_ids)),
        )
        .values(state=state.value, updated_at=now)
    )
    if only_from is not None:
        statement = statement.where(col(CampaignRecipient.state).in_(list(only_from)))
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount


async def mark_reminded(
    session: AsyncSession, campaign_id: int, person_ids: Sequence[int], now: datetime
) -> None:
    statement = (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            col(CampaignRecipient.person_id).in_(list(person_ids)),
        )
        .values(reminded_at=now)
    )
    await session.exec(statement)  # type: ignore[call-overload]


async def cancel_queued(session: AsyncSession, campaign_id: int, now: datetime) -> int:
    """Every recipient not pushed yet is cancelled; returns how many."""
    statement = (
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.state == Reply.QUEUED,
        )
        .values(state=Reply.CANCELLED.value, updated_at=now)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount


async def answers(session: AsyncSession, campaign_id: int) -> list[tuple[int, datetime, dict]]:
    """(person id, submitted at, answers) of every completed recipient, by person."""
    query = (
        select(FormSubmission.person_id, FormSubmission.submitted_at, FormSubmission.answers)
        .join(CampaignRecipient, col(CampaignRecipient.submission_id) == FormSubmission.id)
        .where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.state == Reply.COMPLETED,
        )
        .order_by(FormSubmission.person_id)
    )
    return [(p, at, given or {}) for p, at, given in await session.exec(query)]


async def stopped_people(session: AsyncSession, person_ids: Sequence[int]) -> set[int]:
    """Which of these people stopped follow-ups (/stop, or 不再接收 on a campaign): the one
    record is `storage.followup`'s."""
    return await followup.followup_stopped(session, person_ids)
