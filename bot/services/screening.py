"""Intake and screening (S-2 to S-6): the recommendation recorded as a case, a reviewer's
decision (which settles the trainee's pending class places, bot/services/enrolment.py), the
cycle moves the intake forms make, and the trainees a reviewer or teacher may list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.classes import ClassStatus
from bot.domain.cycle import TraineeState, TransitionRefused
from bot.domain.screening import Outcome, Recommendation
from bot.policy import Action, institutions
from bot.services import enrolment
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.outcomes import Decided
from bot.services.targets import case_for
from bot.views.intake import case_view, result_view
from bot.views.pages import PAGE_SIZE, page_window
from storage import intake, people, repo
from storage.classes import classes_taught_by
from storage.models import Person, ScreeningCase, TraineeCycle

OUTCOME_STATE = {
    Outcome.ONLINE: TraineeState.SUITABLE_ONLINE,
    Outcome.SIYB: TraineeState.REFERRED_SIYB,
    Outcome.NOT_NOW: TraineeState.NOT_SUITABLE_NOW,
}


async def close_copies(
    session: AsyncSession, trainee: Person, case: ScreeningCase, decider: Person | None
) -> None:
    """The case's pushed cards show how it ended, with no buttons left."""
    name = await people.name(session, trainee)
    by = await people.name(session, decider)
    await notifier.close_copies(
        session, f"case:{case.id}:", lambda reader: case_view(reader, name, case, by)[0]
    )


async def recommend(
    session: AsyncSession,
    trainee: Person,
    institution_id: int | None,
    registration_id: int,
    appendix_id: int | None,
    recommendation: Recommendation,
) -> tuple[ScreeningCase, bool]:
    """Record the recommendation as a case (superseding undecided earlier ones) and push it to
    the institution's reviewers; returns the case and whether anyone reviews it yet."""
    for superseded in await intake.supersede_open_cases(session, trainee.id):
        await close_copies(session, trainee, superseded, None)
    await intake.move(
        session,
        trainee.id,
        institution_id,
        TraineeState.SCREENED,
        actor_id=None,
        reason=recommendation.outcome,
    )
    case = await intake.add_case(
        session,
        person_id=trainee.id,
        institution_id=institution_id,
        registration_id=registration_id,
        appendix_id=appendix_id,
        recommended=recommendation.outcome,
        reasons=[*recommendation.reasons, *recommendation.flags],
    )
    await repo.audit(
        session,
        "screening.recommended",
        actor_id=None,
        subject_id=trainee.id,
        object_type="screening_case",
        object_id=case.id,
        outcome=recommendation.outcome,
        reasons=list(recommendation.reasons),
        flags=list(recommendation.flags),
    )
    reviewer_ids = await intake.reviewers(session, institution_id)
    name = await people.name(session, trainee)
    for reviewer_id in reviewer_ids:
        await notifier.tell_person(
            session,
            reviewer_id,
            lambda reader: case_view(reader, name, case),
            key=f"case:{case.id}:{reviewer_id}",
        )
    await flag_duplicate(session, trainee, reviewer_ids)
    return case, bool(reviewer_ids)


async def flag_duplicate(session: AsyncSession, trainee: Person, reviewer_ids: list[int]) -> None:
    """An ID number already registered by another person: the reviewers are told once, with
    the earlier record (the enrolment rules keep the two out of one class together)."""
    twins = await intake.same_id_number(session, trainee.id)
    if not twins:
        return
    earlier_id, registered_at = twins[0]
    named = await people.names(session, [trainee.id, earlier_id])
    await repo.audit(
        session,
        "screening.possible_duplicate",
        actor_id=None,
        subject_id=trainee.id,
        object_type="person",
        object_id=earlier_id,
    )
    for reviewer_id in reviewer_ids:
        await notifier.tell_person(
            session,
            reviewer_id,
            "intake.possible_duplicate",
            key=f"duplicate:{trainee.id}:{earlier_id}:{reviewer_id}",
            name=named[trainee.id],
            earlier=named[earlier_id],
            registered=registered_at.date().isoformat(),
            others=len(twins) - 1,
        )


async def reopen(
    session: AsyncSession, person_id: int, institution_id: int | None, reason: str
) -> bool:
    """The trainee's cycle back to registered, so they are screened (again); False once they
    are past screening for good (enrolled)."""
    cycle = await intake.cycle_of(session, person_id, institution_id)
    if cycle is not None and cycle.state == TraineeState.REGISTERED:
        return True
    try:
        await intake.move(
            session,
            person_id,
            institution_id,
            TraineeState.REGISTERED,
            actor_id=person_id,
            reason=reason,
        )
    except TransitionRefused:
        return False
    return True


async def needs_given(session: AsyncSession, person_id: int, institution_id: int | None) -> None:
    """The needs questionnaire of a trainee found suitable: their needs are analysed (S-6)."""
    cycle = await intake.cycle_of(session, person_id, institution_id)
    if cycle is not None and cycle.state == TraineeState.SUITABLE_ONLINE:
        await intake.move(
            session,
            person_id,
            institution_id,
            TraineeState.NEEDS_ANALYSED,
            actor_id=person_id,
            reason="needs questionnaire submitted",
        )


async def pending_case(session: AsyncSession, actor: Actor, case_id: int) -> ScreeningCase:
    """The case, when the actor may decide it and it still waits; Stale names the decision."""
    case = await case_for(session, actor, case_id)
    if case.decided is not None:
        raise Stale("intake.already_decided", outcome=case.decided)
    return case


def needs_reason(case: ScreeningCase, outcome: Outcome) -> bool:
    """Overriding the recommendation asks a reason; confirming it does not."""
    return outcome != case.recommended


async def decide_screening(
    session: AsyncSession, actor: Actor, case_id: int, outcome: Outcome, reason: str | None
) -> Decided:
    """Confirm the recommendation, or override it with a reason: the trainee's cycle moves, the
    trainee is told, the pushed cards close, and pending class places settle."""
    case = await pending_case(session, actor, case_id)
    if needs_reason(case, outcome) and reason is None:
        raise Stale  # an override is only ever sent with its reason
    decided = await intake.decide_case(
        session, case, outcome, by=actor.person_id, at=actor.now, reason=reason
    )
    if not decided:
        raise Stale("intake.already_decided", outcome=case.decided)
    await intake.move(
        session,
        case.person_id,
        case.institution_id,
        OUTCOME_STATE[outcome],
        actor_id=actor.person_id,
        reason=reason or "confirmed",
    )
    await repo.audit(
        session,
        "screening.decided",
        actor_id=actor.person_id,
        subject_id=case.person_id,
        object_type="screening_case",
        object_id=case.id,
        reason=reason,
        outcome=outcome,
        recommended=case.recommended,
        override=outcome != case.recommended,
    )
    trainee = await session.get(Person, case.person_id)
    reviewer = await session.get(Person, actor.person_id)
    await close_copies(session, trainee, case, reviewer)
    await notifier.tell(
        session,
        trainee,
        lambda reader: result_view(reader, outcome, case),
        key=f"case-decided:{case.id}",
    )
    await enrolment.settle_after_screening(session, actor, case.person_id)
    return Decided(case.id, outcome)


@dataclass(frozen=True)
class TraineeLine:
    """One line of /trainees: under a class the actor teaches (its name) or their
    institution's trainees (None); `person_id` None marks a group with nobody in it."""

    group: str | None
    person_id: int | None = None
    name: str = ""
    state: str = ""
    unreachable: bool = False


@dataclass(frozen=True)
class TraineeList:
    """One page of /trainees: its lines, which page of how many, and the trainees in all."""

    lines: list[TraineeLine]
    page: int
    pages: int
    count: int


async def trainees_page(session: AsyncSession, actor: Actor, page: int) -> TraineeList:
    """Page `page` of the trainees the actor may see (S-6): those of each open class they
    teach (before the class starts too), then their institutions' trainees. A group with
    nobody in it takes one line. Counted first, then one query for the page's trainees."""
    taught = [
        (found.id, found.name)
        for found in await classes_taught_by(session, actor.person_id)
        if found.status == ClassStatus.APPROVED
    ]
    groups = await intake.trainee_groups(session, taught, institutions(actor, Action.TRAINEE_LIST))
    starts, slots = [], 0
    for group in groups:
        starts.append(slots)
        slots += max(1, group.count)
    page, pages, first = page_window(slots, page)
    last = first + PAGE_SIZE
    empty_before = sum(
        1 for group, start in zip(groups, starts, strict=True) if not group.count and start < first
    )
    empty_on_page = sum(
        1
        for group, start in zip(groups, starts, strict=True)
        if not group.count and first <= start < last
    )
    rows = await intake.trainee_rows(
        session, groups, first - empty_before, PAGE_SIZE - empty_on_page
    )
    named = await people.names(session, [row.person_id for row in rows])
    lines: list[tuple[float, TraineeLine]] = [
        (starts[n], TraineeLine(group.name))
        for n, group in enumerate(groups)
        if not group.count and first <= starts[n] < last
    ]
    lines += [
        (
            starts[row.group] + 0.5,
            TraineeLine(
                groups[row.group].name,
                row.person_id,
                named.get(row.person_id, row.name),
                row.state,
                row.unreachable,
            ),
        )
        for row in rows
    ]
    lines.sort(key=lambda pair: pair[0])
    return TraineeList(
        [line for _, line in lines], page, pages, sum(group.count for group in groups)
    )


async def latest_case(session: AsyncSession, person_id: int) -> ScreeningCase | None:
    """The person's most recent screening case, if any."""
    return await intake.latest_case(session, person_id)


async def cycles(session: AsyncSession, person_id: int) -> Sequence[TraineeCycle]:
    """The person's intake cycles, oldest first (for /status)."""
    return await intake.cycles_of(session, person_id)
