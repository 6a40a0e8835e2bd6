"""Importing a trainee list into a class: check every row against the store first, then
write all of it or nothing. Runs inside the caller's single unit of work."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.enrolment import (
    MAX_CLASS_SIZE,
    Admission,
    ImportRow,
    PlaceSource,
    RowProblem,
    RowResult,
    needs_seat,
    room_left,
)
from storage import enrolment as store
from storage import repo
from storage.models import Invitation, TrainingClass

REFUSALS = {
    Admission.DUPLICATE,
    Admission.NOT_OPEN,
    Admission.UNSUITABLE,
    Admission.OVERLAP,
    Admission.FULL,
}


@dataclass
class Planned:
    """What importing one good row will do."""

    row: ImportRow
    result: RowResult
    person_id: int | None = None
    assessment: store.Assessment | None = None
    invitation: Invitation | None = None
    changed: bool = False


async def plan(
    session: AsyncSession, training_class: TrainingClass, rows: list[ImportRow], now: datetime
) -> tuple[list[ImportRow], list[Planned]]:
    """Every row with its problems (format ones from the file, then the store's), and the plan
    for the good ones. Rows take the places left in file order."""
    span = await store.span_of(session, training_class)
    today = store.today_of(training_class, now)
    capacity = min(training_class.capacity, MAX_CLASS_SIZE)
    room = room_left(await store.taken(session, training_class.id, now), capacity)
    good = [row for row in rows if row.valid]
    matches = await store.registered(
        session,
        training_class.institution_id,
        [row.id_number for row in good],
        [row.mobile for row in good],
    )
    unused: dict[str, list[Invitation]] = defaultdict(list)
    for invitation in await store.open_personal(session, training_class.id, now):
        unused[invitation.label or ""].append(invitation)
    seen: dict[int, int] = {}
    checked, planned = [], []
    for row in rows:
        problem, step = None, None
        if row.valid:
            people = matches.get(f"id:{row.id_number}", set()) | matches.get(
                f"mobile:{row.mobile}", set()
            )
            if len(people) > 1:
                problem = RowProblem("ambiguous")
            elif people:
                (person_id,) = people
                if person_id in seen:
                    problem = RowProblem("duplicate", other_row=seen[person_id])
                else:
                    seen[person_id] = row.number
                    found = await store.assess(
                        session, training_class, span, person_id, today=today, room=room
                    )
                    if found.verdict in REFUSALS:
                        problem = RowProblem(
                            str(found.verdict),
                            class_name=found.other.name if found.other else None,
                            seats=capacity,
                            outcome=found.outcome,
                        )
                    else:
                        current = found.current.status if found.current else None
                        if needs_seat(current, found.verdict):
                            room -= 1
                        result = RowResult(str(found.verdict))
                        step = Planned(row, result, person_id=person_id, assessment=found)
            elif unused[row.name]:
                step = Planned(row, RowResult.INVITED, invitation=unused[row.name].pop(0))
            elif room < 1:
                problem = RowProblem("full", seats=capacity)
            else:
                room -= 1
                step = Planned(row, RowResult.INVITED)
        if problem is not None:
            row = dataclasses.replace(row, problems=(*row.problems, problem))
        checked.append(row)
        if step is not None:
            planned.append(step)
    return checked, planned


async def apply(
    session: AsyncSession,
    training_class: TrainingClass,
    planned: list[Planned],
    *,
    actor_id: int,
) -> None:
    """Write the plan: places for registered trainees, personal invitations for the rest."""
    span = await store.span_of(session, training_class)
    for step in planned:
        if step.person_id is not None:
            step.changed = await store.place(
                session,
                training_class,
                step.person_id,
                step.assessment,
                actor_id=actor_id,
                source=PlaceSource.IMPORT,
            )
        elif step.invitation is None:
            step.invitation = await store.personal_invitation(
                session, training_class, span, step.row.name, created_by=actor_id
            )
    counts = {result: 0 for result in RowResult}
    for step in planned:
        counts[step.result] += 1
    await repo.audit(
        session,
        "enrolment.imported",
        actor_id=actor_id,
        object_type="training_class",
        object_id=training_class.id,
        rows=len(planned),
        **{str(result): count for result, count in counts.items()},
    )
