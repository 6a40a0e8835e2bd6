"""Enrolment use cases (S-5, S-7): a trainee joins a class by its link, staff add or take out
one of their institution's trainees, import a trainee list, and a confirmed screening settles
the places that waited for it. A class never takes a 31st person.

Each takes an `Actor` and the unit of work, loads or raises (bot/services/targets.py), asks the
policy, writes through storage/enrolment.py and tells the trainees through the notifier; it
returns what happened for the adapter (a chat handler, later a web page) to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.enrolment import (
    ACTIVE,
    MAX_CLASS_SIZE,
    PLACED,
    Admission,
    Column,
    ImportRow,
    PlaceSource,
    PlaceStatus,
    check_rows,
    is_open,
)
from bot.policy import Action, institutions
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, Stale, found
from bot.services.targets import class_for, class_if_allowed
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import enrolment as store
from storage import enrolment_import, people
from storage.classes import get_class
from storage.enrolment_import import Planned
from storage.models import Enrollment, Invitation, TrainingClass


def capacity(training_class: TrainingClass) -> int:
    """The places a class offers: its own capacity, never more than 30 (S-7)."""
    return min(training_class.capacity, MAX_CLASS_SIZE)


async def class_facts(session: AsyncSession, training_class: TrainingClass) -> dict[str, Any]:
    """What every message about a class names: its name, days and venue."""
    span = await store.span_of(session, training_class)
    return {
        "name": training_class.name,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "venue": training_class.venue_address,
    }


@dataclass(frozen=True)
class Placed:
    """What asking for a place in a class came to: the verdict (a place, or why not) with what
    the messages about it name."""

    training_class: TrainingClass
    verdict: Admission
    other: str | None
    """The name of the trainee's other class that shares a day (OVERLAP)."""
    outcome: str | None
    """The trainee's screening outcome (UNSUITABLE)."""
    facts: dict[str, Any]
    trainee: str = ""
    taken: int = 0

    @property
    def placed(self) -> bool:
        return self.verdict in PLACED

    @property
    def verdict_context(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "other": self.other, "outcome": self.outcome}


async def _placed(
    session: AsyncSession,
    training_class: TrainingClass,
    assessment: store.Assessment,
    **more: Any,
) -> Placed:
    return Placed(
        training_class,
        assessment.verdict,
        assessment.other.name if assessment.other else None,
        assessment.outcome,
        await class_facts(session, training_class),
        **more,
    )


async def _tell_settled(session: AsyncSession, person_id: int, placed: Placed) -> None:
    await notifier.tell_person(
        session, person_id, "enrolment.settled", **placed.verdict_context, **placed.facts
    )


# --- trainees ----------------------------------------------------------------------------


async def join_by_link(session: AsyncSession, actor: Actor, class_id: int) -> Placed:
    """The actor opened the class's link (their invitation was redeemed): a place, enrolled
    when their screening found them suitable, pending while it is undecided, or why not."""
    training_class = found(await get_class(session, class_id, lock=True))
    assessment = await store.admit(
        session,
        training_class,
        actor.person_id,
        actor_id=actor.person_id,
        source=PlaceSource.LINK,
        now=actor.now,
    )
    return await _placed(session, training_class, assessment)


async def settle_after_screening(
    session: AsyncSession, actor: Actor, trainee_id: int
) -> list[Placed]:
    """A screening decision (taken by the actor) settles the trainee's pending places:
    enrolled when suitable for online training, otherwise given up; the trainee is told which
    and why. Called by the screening use case, which has asked the policy."""
    settled = []
    for training_class, assessment in await store.settle(
        session, trainee_id, actor_id=actor.person_id, now=actor.now
    ):
        placed = await _placed(session, training_class, assessment)
        await _tell_settled(session, trainee_id, placed)
        settled.append(placed)
    return settled


# --- staff -------------------------------------------------------------------------------


async def open_class(
    session: AsyncSession, actor: Actor, class_id: int, *, lock: bool = False
) -> TrainingClass:
    """The staff's class when it takes trainees now (approved, not over); Stale otherwise."""
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id, lock=lock)
    span = await store.span_of(session, training_class)
    if not is_open(training_class.status, span, store.today_of(training_class, actor.now)):
        raise Stale("enrolment.not_open", name=training_class.name)
    return training_class


async def classes(session: AsyncSession, actor: Actor) -> list[tuple[TrainingClass, str]]:
    """The approved classes of the actor's institutions, soonest first, with their first day."""
    found_classes = await store.classes_of(session, institutions(actor, Action.ENROLMENT_MANAGE))
    return [
        (training_class, str((await store.span_of(session, training_class)).first))
        for training_class in found_classes
    ]


@dataclass(frozen=True)
class Card:
    """A class's enrolment card: who is in or pending, places taken, whether it takes trainees."""

    training_class: TrainingClass
    facts: dict[str, Any]
    open_: bool
    taken: int
    capacity: int
    places: Sequence[Enrollment]
    names: dict[int, str]

    @property
    def enrolled(self) -> list[str]:
        return [self.names[p.person_id] for p in self.places if p.status == PlaceStatus.ENROLLED]

    @property
    def pending(self) -> list[str]:
        return [self.names[p.person_id] for p in self.places if p.status == PlaceStatus.PENDING]


async def card(session: AsyncSession, actor: Actor, class_id: int) -> Card:
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id)
    span = await store.span_of(session, training_class)
    places = await store.roster(session, training_class.id)
    return Card(
        training_class,
        await class_facts(session, training_class),
        is_open(training_class.status, span, store.today_of(training_class, actor.now)),
        await store.taken(session, training_class.id, actor.now),
        capacity(training_class),
        places,
        await people.names(session, [place.person_id for place in places]),
    )


async def class_link(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, Invitation]:
    """The class's one multi-use link, made on first request, while the class takes trainees."""
    training_class = await open_class(session, actor, class_id)
    span = await store.span_of(session, training_class)
    invitation = await store.class_link(session, training_class, span, created_by=actor.person_id)
    return training_class, invitation


async def candidates(
    session: AsyncSession, actor: Actor, class_id: int, page: int = 0
) -> tuple[TrainingClass, Page[int], dict[int, str]]:
    """A page of the institution's suitable trainees not in the open class yet (in the order
    they registered), with their names: counted, then one query for the page."""
    training_class = await open_class(session, actor, class_id)
    institution_id = training_class.institution_id
    total = await store.candidate_count(session, institution_id, training_class.id)
    page, pages, offset = page_window(total, page)
    found = await store.candidates_page(
        session, institution_id, training_class.id, offset, PAGE_SIZE
    )
    names = await people.names(session, found)
    return training_class, Page(found, page, pages, total), names


async def add_trainee(
    session: AsyncSession, actor: Actor, class_id: int, trainee_id: int
) -> Placed:
    """Staff give one of their institution's trainees a place (enrolled, or pending while the
    screening is undecided); the trainee is told. A refusal (full, overlap, unsuitable)
    changes nothing and comes back as the verdict."""
    training_class = await open_class(session, actor, class_id, lock=True)
    if not await store.is_trainee_of(session, trainee_id, training_class.institution_id):
        raise NotAllowed("enrolment.not_yours")
    assessment = await store.admit(
        session,
        training_class,
        trainee_id,
        actor_id=actor.person_id,
        source=PlaceSource.STAFF,
        now=actor.now,
    )
    name = (await people.names(session, [trainee_id]))[trainee_id]
    taken = await store.taken(session, training_class.id, actor.now)
    placed = await _placed(session, training_class, assessment, trainee=name, taken=taken)
    if placed.placed:
        await _tell_settled(session, trainee_id, placed)
    return placed


async def active_places(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, Sequence[Enrollment], dict[int, str]]:
    """Who staff may take out of the class: its enrolled and pending trainees, by name."""
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id)
    places = await store.roster(session, training_class.id)
    return training_class, places, await people.names(session, [p.person_id for p in places])


@dataclass(frozen=True)
class Withdrawal:
    training_class: TrainingClass
    trainee: str
    facts: dict[str, Any]


async def withdrawal(
    session: AsyncSession, actor: Actor, class_id: int, trainee_id: int, *, confirmed: bool
) -> Withdrawal:
    """Take a trainee out of the class once `confirmed` (the trainee is told); unconfirmed,
    only checks they are still in it. Stale when they are not."""
    training_class = await class_for(
        session, actor, Action.ENROLMENT_MANAGE, class_id, lock=confirmed
    )
    place = await store.place_of(session, training_class.id, trainee_id)
    name = (await people.names(session, [trainee_id])).get(trainee_id, "")
    if place is None or place.status not in ACTIVE:
        raise Stale("enrolment.not_in_class", trainee=name)
    facts = await class_facts(session, training_class)
    if confirmed:
        await store.withdraw(session, place, actor_id=actor.person_id)
        await notifier.tell_person(session, trainee_id, "enrolment.withdrawn", **facts)
    return Withdrawal(training_class, name, facts)


@dataclass
class Imported:
    """An import: every row with its problems; written only when none has any (`done`)."""

    training_class: TrainingClass
    rows: list[ImportRow]
    planned: list[Planned] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    taken: int = 0

    @property
    def bad(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.valid]

    @property
    def done(self) -> bool:
        return not self.bad


async def importing_class(session: AsyncSession, actor: Actor, class_id: int) -> TrainingClass:
    """The class a list is about to be imported into (it must take trainees now)."""
    return await open_class(session, actor, class_id)


async def may_import(session: AsyncSession, actor: Actor, class_id: int | None) -> bool:
    """Whether the list the actor is sending may still go into the class (the step's own
    answer: the state it was started in ends either way)."""
    training_class = await class_if_allowed(session, actor, Action.ENROLMENT_MANAGE, class_id)
    return training_class is not None


async def import_list(
    session: AsyncSession,
    actor: Actor,
    class_id: int,
    columns: dict[Column, int],
    body: list,
) -> Imported:
    """Check every row of a trainee list (its format, then against the store) and import all
    of it, or nothing when any row has a problem. Registered trainees get places (and are
    told), the others personal invitations that hold their seats."""
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id, lock=True)
    checked = check_rows(body, columns, store.today_of(training_class, actor.now))
    rows, planned = await enrolment_import.plan(session, training_class, checked, actor.now)
    imported = Imported(training_class, rows)
    if not imported.done:
        return imported
    await enrolment_import.apply(session, training_class, planned, actor_id=actor.person_id)
    imported.planned = planned
    imported.facts = await class_facts(session, training_class)
    imported.taken = await store.taken(session, training_class.id, actor.now)
    for step in planned:
        if step.changed:
            await notifier.tell_person(
                session,
                step.person_id,
                "enrolment.settled",
                verdict=step.result,
                other=None,
                outcome=None,
                **imported.facts,
            )
    return imported
