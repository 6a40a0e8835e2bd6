"""S-53 use cases with no bot: a lecturer's erasure (teacher profile, certificates, coaching notes
they are named in) leaves nothing of theirs in any column, keeps codes; who may decide; a
request decided once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.domain.roles import Grant, Role
from bot.services import personal_data
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, Stale
from storage import repo
from storage.db import unit_of_work
from storage.models import (
    Certificate,
    FormDraft,
    FormSubmission,
    Institution,
    LeaveRequest,
    Person,
    Region,
    TrainingClass,
)
from tests.factories import make_class
from tests.fast.test_personal_data import leftovers

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
NAME, MOBILE, NUMBER, COURSE = "司马青云", "13711112222", "JS-2026-887766", "青云讲师班第九期"


async def _person(session, name: str, serial: int, *grants: Grant) -> Person:
    person = Person(tg_user_id=20_000 + serial, first_name=name)
    session.add(person)
    await session.flush()
    for grant in grants:
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return person


@pytest.fixture
async def world(sessions):
    async with unit_of_work(sessions) as session:
        here, there = Region(name="西湖区"), Region(name="上城区")
        session.add_all([here, there])
        await session.flush()
        place = Institution(name="机构", region_id=here.id)
        session.add(place)
        await session.flush()
        lecturer = await _person(session, "青云", 1, Grant(Role.LECTURER, here.id, place.id))
        supervisor = await _person(session, "周", 2, Grant(Role.SUPERVISOR, here.id))
        foreign = await _person(session, "郑", 3, Grant(Role.SUPERVISOR, there.id))
        learner = await _person(session, "小红", 4, Grant(Role.TRAINEE))
        answers = {
            "name": NAME,
            "mobile": MOBILE,
            "region": "330106",
            "institution": "西湖培训学校",
            "certificate_count": 1,
            "certificates.0.kind": "lecturer",
            "certificates.0.number": NUMBER,
            "certificates.0.course": COURSE,
            "certificates.0.issued_on": "2025-03-01",
        }
        draft = FormDraft(
            person_id=lecturer.id,
            form_id="teacher_profile",
            form_version=1,
            status="submitted",
            answers=answers,
        )
        session.add(draft)
        await session.flush()
        session.add(
            FormSubmission(
                draft_id=draft.id,
                person_id=lecturer.id,
                form_id="teacher_profile",
                form_version=1,
                answers=answers,
                submitted_by=lecturer.id,
            )
        )
        session.add(
            Certificate(
                person_id=lecturer.id,
                kind="lecturer",
                number=NUMBER,
                course=COURSE,
                issued_on=date(2025, 3, 1),
                region_id=here.id,
                status="verified",
            )
        )
        klass: TrainingClass = await make_class(
            session,
            institution_id=place.id,
            region_id=here.id,
            start=date(2026, 5, 11),
            teacher_ids=(lecturer.id,),
            trainee_ids=(learner.id,),
        )
        session.add(
            LeaveRequest(
                class_id=klass.id,
                person_id=learner.id,
                hours=4,
                reason=f"家里有事，已告知{NAME}老师",
            )
        )
        await repo.audit(
            session, "certificate.declared", actor_id=lecturer.id, number=NUMBER, kind="lecturer"
        )
        ids = lecturer.id, supervisor.id, foreign.id, learner.id
    return ids, here.id


def _actor(person_id: int, *grants: Grant) -> Actor:
    return Actor.of(person_id, grants, "zh-CN", NOW)


async def test_s53_a_lecturers_erasure_leaves_nothing_of_their_profile(sessions, world):
    (lecturer_id, supervisor_id, foreign_id, _), region = world
    lecturer = _actor(lecturer_id, Grant(Role.LECTURER, region, None))
    settings = Settings(_env_file=None)
    async with unit_of_work(sessions) as session:
        request = await personal_data.request_erasure(session, lecturer, settings)
        again = await personal_data.request_erasure(session, lecturer, settings)
        assert again.id == request.id and request.region_id == region
    async with unit_of_work(sessions) as session:
        foreign = _actor(foreign_id, Grant(Role.SUPERVISOR, region + 1))
        with pytest.raises(NotAllowed):
            await personal_data.erase(session, foreign, request.id, None)
    supervisor = _actor(supervisor_id, Grant(Role.SUPERVISOR, region))
    async with unit_of_work(sessions) as session:
        done = await personal_data.erase(session, supervisor, request.id, None)
        assert done.status == "erased"
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):
            await personal_data.refuse(session, supervisor, request.id, "太晚了吧")
        [submission] = (await session.exec(select(FormSubmission))).all()
        assert submission.answers == {
            "region": "330106",
            "certificate_count": 1,
            "certificates.0.kind": "lecturer",
        }, "codes kept, texts, numbers and dates gone"
        [certificate] = (await session.exec(select(Certificate))).all()
        assert certificate.status == "verified" and certificate.kind == "lecturer"
    engine = sessions.kw["bind"]
    assert await leftovers(engine, (NAME, MOBILE, NUMBER, COURSE, "青云")) == []
