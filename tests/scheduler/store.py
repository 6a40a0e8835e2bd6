"""A class with two teachers and three trainees, straight in the store, for the scan tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from storage import attendance, repo
from storage.db import unit_of_work
from storage.models import ClassSession, OutboxMessage, Person, TrainingClass
from tests.factories import make_class

START = date(2026, 5, 11)


@dataclass
class Setup:
    made: TrainingClass
    timetable: list[ClassSession]
    teachers: tuple[int, int]
    trainees: tuple[int, int, int]


async def people(session, *names: str, locale: str = "zh-CN") -> list[int]:
    ids = []
    for name in names:
        person = Person(tg_user_id=9_000 + len(ids) + 1, first_name=name, locale=locale)
        session.add(person)
        await session.flush()
        ids.append(person.id)
    return ids


async def setup_class(sessions, programme: str = "trainee", status: str = "approved") -> Setup:
    async with unit_of_work(sessions) as session:
        region = await repo.add_region(session, "杭州市")
        institution = await repo.add_institution(session, "西湖培训学校", region.id)
        t1, t2, a, b, c = await people(session, "李老师", "周老师", "小王", "小张", "小陈")
        made = await make_class(
            session,
            institution_id=institution.id,
            region_id=region.id,
            start=START,
            teacher_ids=(t1, t2),
            trainee_ids=(a, b, c),
            programme=programme,
            status=status,
        )
        timetable = list(await attendance.sessions_of(session, made.id))
    return Setup(made, timetable, (t1, t2), (a, b, c))


async def outbox(sessions) -> list[OutboxMessage]:
    async with unit_of_work(sessions) as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def keys(sessions) -> list[str]:
    return [row.key for row in await outbox(sessions)]
