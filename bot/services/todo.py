"""The to-do inbox: who may decide what now (a decided card is closed by `bot.notifier`).

`scope_of` reads the access policy's table (`bot.policy.RULES`) to map a person's grants to the
ids the inbox queries take, so the inbox lists exactly what its buttons accept
(tests/services/test_todo_scope.py walks every role and scope to hold it to that).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.roles import Grant
from bot.policy import RULES, Action, Reach
from bot.views import pages
from storage import todo
from storage.models import (
    Certificate,
    CertificateApplication,
    FollowupSurvey,
    LeaveRequest,
    PersonalDataRequest,
    ScoringAssignment,
    ScreeningCase,
    SupportFollowup,
    TrainingClass,
)
from storage.todo import Item, Kind, Scope

PAGE_SIZE = pages.PAGE_SIZE

DECISIONS = {
    Kind.CASE: Action.SCREENING_DECIDE,
    Kind.CERTIFICATE: Action.CERTIFICATE_VERIFY,
    Kind.CLASS: Action.CLASS_DECIDE,
    Kind.LEAVE: Action.LEAVE_DECIDE,
    Kind.SCORING: Action.ASSESSMENT_SCORE,
    Kind.SUPPORT: Action.SUPPORT_FOLLOWUP,
    Kind.ERASURE: Action.PERSONAL_DATA_ERASE,
    Kind.CALL: Action.FOLLOWUP_CALL,
    Kind.CERT_APPLICATION: Action.CERTIFICATE_ISSUE,
}
"""The decision each kind of item waits for."""


def _reaching(grants: Iterable[Grant], action: Action, reach: Reach) -> list[Grant]:
    """The grants whose rule for `action` reaches objects by `reach`."""
    return [g for g in grants if reach in getattr(RULES[action].get(g.role), "reaches", ())]


def scope_of(person_id: int, grants: Iterable[Grant]) -> Scope:
    """Screenings of the institutions the person decides by institution; certificates and
    class applications of the regions they decide by region (everything when their rule
    reaches all); leave requests of the classes they teach (the query joins on that)."""
    grants = list(grants)
    by_region = (Action.CERTIFICATE_VERIFY, Action.CLASS_DECIDE, Action.CERTIFICATE_ISSUE)
    return Scope(
        person_id=person_id,
        institution_ids=frozenset(
            g.institution_id
            for g in _reaching(grants, Action.SCREENING_DECIDE, Reach.INSTITUTION)
            if g.institution_id is not None
        ),
        region_ids=frozenset(
            g.region_id
            for action in by_region
            for g in _reaching(grants, action, Reach.REGION)
            if g.region_id is not None
        ),
        is_admin=any(_reaching(grants, action, Reach.ALL) for action in by_region),
        scores=bool(_reaching(grants, Action.ASSESSMENT_SCORE, Reach.SELF)),
        followup_institution_ids=frozenset(
            g.institution_id
            for g in _reaching(grants, Action.SUPPORT_FOLLOWUP, Reach.INSTITUTION)
            if g.institution_id is not None
        ),
        erasure_regions=frozenset(
            g.region_id
            for g in _reaching(grants, Action.PERSONAL_DATA_ERASE, Reach.REGION)
            if g.region_id is not None
        ),
        erases_all=bool(_reaching(grants, Action.PERSONAL_DATA_ERASE, Reach.ALL)),
        call_institution_ids=frozenset(
            g.institution_id
            for g in _reaching(grants, Action.FOLLOWUP_CALL, Reach.INSTITUTION)
            if g.institution_id is not None
        ),
    )


def decides(grants: Iterable[Grant]) -> bool:
    """Whether any role held may have decisions waiting (a trainee's has none)."""
    return any(g.role in RULES[action] for g in grants for action in DECISIONS.values())


async def counts(session: AsyncSession, person_id: int, grants: Iterable[Grant]) -> dict[Kind, int]:
    grants = list(grants)
    if not decides(grants):
        return {}
    return await todo.counts(session, scope_of(person_id, grants))


async def total(session: AsyncSession, person_id: int, grants: Iterable[Grant]) -> int:
    """How many decisions wait for this person (shown by /start and /help)."""
    return sum((await counts(session, person_id, grants)).values())


async def page(
    session: AsyncSession, person_id: int, grants: Iterable[Grant], number: int
) -> list[Item]:
    """Page `number` (from 0) of the inbox."""
    return await todo.page(session, scope_of(person_id, grants), number * PAGE_SIZE, PAGE_SIZE)


async def waits_for(
    session: AsyncSession, person_id: int, grants: Iterable[Grant], kind: Kind, item_id: int
) -> bool:
    return await todo.waits_for(session, scope_of(person_id, grants), kind, item_id)


ROWS = {
    Kind.CASE: ScreeningCase,
    Kind.CERTIFICATE: Certificate,
    Kind.CLASS: TrainingClass,
    Kind.LEAVE: LeaveRequest,
    Kind.SCORING: ScoringAssignment,
    Kind.SUPPORT: SupportFollowup,
    Kind.ERASURE: PersonalDataRequest,
    Kind.CALL: FollowupSurvey,
    Kind.CERT_APPLICATION: CertificateApplication,
}


async def subject(session: AsyncSession, kind: Kind, item_id: int) -> object | None:
    """The row an inbox item stands for (to draw the card its push showed)."""
    return await session.get(ROWS[kind], item_id)
