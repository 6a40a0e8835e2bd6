"""Attendance use cases that tell people: closing a check-in, and the eligibility notices
after marks change. Storage records the marks; this decides who is told, and the notifier
tells them once per key however often the code runs (a re-delivered update, a repeated job, a
second process).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.attendance import Notice, eligibility, notice
from bot.views.timetable import session_shown
from storage import attendance, people, repo
from storage.models import ClassSession, Person, TrainingClass


async def close_checkin(
    session: AsyncSession,
    class_session: ClassSession,
    now: datetime,
    *,
    actor_id: int | None = None,
) -> list[int]:
    """Close the session's check-in (`storage.attendance.close_checkin`), tell who became
    absent, and give everyone it marked their eligibility notices. Returns who became absent;
    [] when it was closed already."""
    closed = await attendance.close_checkin(session, class_session, now, actor_id=actor_id)
    if closed is None:
        return []
    training_class = await session.get(TrainingClass, class_session.class_id)
    shown = session_shown(class_session, training_class)
    readers = await notifier.readers(session, closed.absent)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                readers[person_id],
                "attendance.absent",
                key=f"absent:{class_session.id}:{person_id}",
                name=training_class.name,
                s=shown,
            )
            for person_id in closed.absent
        ],
    )
    await after_marks_changed(session, training_class, [*closed.absent, *closed.excused], now)
    return closed.absent


async def after_marks_changed(
    session: AsyncSession,
    training_class: TrainingClass,
    person_ids: Iterable[int],
    now: datetime,
) -> None:
    """Warn a learner once when one more miss would cost the assessment; tell them and the
    class's teachers once when it is lost."""
    class_id = training_class.id
    for person_id in sorted(set(person_ids)):
        record = await attendance.attendance_record(session, class_id, person_id)
        result = eligibility(training_class.programme, record)
        context = {
            "name": training_class.name,
            "programme": training_class.programme,
            "e": result,
        }
        match notice(result):
            case Notice.WARN:
                await notifier.tell_person(
                    session,
                    person_id,
                    "attendance.warn",
                    key=f"elig_warn:{class_id}:{person_id}",
                    **context,
                )
            case Notice.LOST:
                await _lost(session, training_class, person_id, now, context)


async def _lost(
    session: AsyncSession,
    training_class: TrainingClass,
    person_id: int,
    now: datetime,
    context: dict,
) -> None:
    """The learner lost the assessment: they and every teacher of the class are told once,
    and the first time is audited."""
    class_id = training_class.id
    trainee = await session.get(Person, person_id)
    first = await notifier.tell(
        session, trainee, "attendance.lost", key=f"elig_lost:{class_id}:{person_id}", **context
    )
    teachers = await notifier.readers(session, await attendance.teacher_ids(session, class_id))
    name = await people.name(session, trainee)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                teacher,
                "attendance.lost_teacher",
                key=f"elig_lost:{class_id}:{person_id}:{teacher.person_id}",
                trainee=name,
                **context,
            )
            for teacher in teachers.values()
        ],
    )
    if first:
        result = context["e"]
        await repo.audit(
            session,
            "attendance.eligibility_lost",
            actor_id=None,
            subject_id=person_id,
            object_type="training_class",
            object_id=class_id,
            absences=result.absences,
            leaves=result.leaves,
            at=now.isoformat(),
        )
