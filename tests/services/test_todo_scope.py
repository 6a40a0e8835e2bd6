"""The to-do inbox lists exactly what the access policy lets its reader decide: for every role
with every scope, each pending item of each kind is in the inbox if and only if `allowed`
accepts the decision on it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.domain.roles import Grant, Role
from bot.policy import Target, allowed
from bot.services import todo
from bot.services.actor import Actor
from bot.services.issuing import application_target
from bot.services.targets import case_target, certificate_target, class_target
from storage import attendance, intake
from storage.db import unit_of_work
from storage.models import (
    Certificate,
    CertificateApplication,
    FollowupSurvey,
    FormDraft,
    FormSubmission,
    Institution,
    LeaveRequest,
    Person,
    Region,
    ScoringAssignment,
    ScreeningCase,
    SupportFollowup,
    TrainingClass,
)
from storage.todo import Kind
from tests.factories import make_class
from tests.services.test_decisions import NOW

START = date(2026, 5, 11)


async def _person(session, serial: int) -> int:
    person = Person(tg_user_id=20_000 + serial, first_name=f"P{serial}")
    session.add(person)
    await session.flush()
    return person.id


@pytest.fixture
async def store(sessions):
    """Two regions with an institution each; in each, a waiting screening, a lecturer and a
    trainer certificate, a submitted class, and a running class with a leave request (the
    first region's running class taught by `teacher`)."""
    async with unit_of_work(sessions) as session:
        teacher, other_teacher = await _person(session, 1), await _person(session, 2)
        places = []
        for index in range(2):
            region = Region(name=f"区{index}")
            session.add(region)
            await session.flush()
            institution = Institution(name=f"机构{index}", region_id=region.id)
            session.add(institution)
            await session.flush()
            places.append((region.id, institution.id))
            trainee = await _person(session, 10 + index)
            draft = FormDraft(person_id=trainee, form_id="registration", form_version=1)
            session.add(draft)
            await session.flush()
            registration = FormSubmission(
                draft_id=draft.id,
                person_id=trainee,
                form_id="registration",
                form_version=1,
                submitted_by=trainee,
            )
            session.add(registration)
            await session.flush()
            await intake.add_case(
                session,
                person_id=trainee,
                institution_id=institution.id,
                registration_id=registration.id,
                recommended="online",
            )
            for kind in ("lecturer", "trainer"):
                session.add(
                    Certificate(
                        person_id=other_teacher,
                        kind=kind,
                        number=f"{kind}-{index}",
                        course="课",
                        issued_on=START,
                        region_id=region.id,
                    )
                )
            common = {"institution_id": institution.id, "region_id": region.id, "start": START}
            await make_class(session, status="submitted", **common)
            running = await make_class(
                session,
                teacher_ids=(teacher if index == 0 else other_teacher,),
                trainee_ids=(trainee,),
                **common,
            )
            session.add(
                LeaveRequest(
                    class_id=running.id, person_id=trainee, session_ids=[], hours=4, reason="病"
                )
            )
            session.add(
                ScoringAssignment(
                    class_id=running.id,
                    trainee_id=trainee,
                    submission_id=registration.id,
                    scorer_id=teacher if index == 0 else other_teacher,
                    deadline=NOW,
                    seed=index,
                )
            )
            session.add(
                SupportFollowup(
                    institution_id=institution.id,
                    class_id=running.id,
                    person_id=trainee,
                    need="loan",
                    submission_id=registration.id,
                )
            )
            session.add(  # a tracking survey closed unanswered: a phone follow-up to make
                FollowupSurvey(
                    person_id=trainee,
                    class_id=running.id,
                    institution_id=institution.id,
                    wave=1,
                    months=6,
                    sent_at=NOW,
                    closed_at=NOW,
                )
            )
            session.add(
                CertificateApplication(
                    class_id=running.id,
                    institution_id=institution.id,
                    region_id=region.id,
                    programme="trainee",
                    status="pending",
                )
            )
        await session.flush()
    return teacher, places


def variants(teacher: int, places: list[tuple[int, int]]) -> list[tuple[int, tuple[Grant, ...]]]:
    """Every role in each of the two places and with no place; teachers are the person who
    teaches the first running class (only a teaching role is ever assigned to a class)."""
    (region, institution), (other_region, other_institution) = places
    nobody = 999_999
    found = []
    for role in Role:
        person = teacher if role in (Role.LECTURER, Role.TRAINER) else nobody
        for grant in (
            Grant(role),
            Grant(role, region),
            Grant(role, region, institution),
            Grant(role, other_region, other_institution),
        ):
            found.append((person, (grant,)))
    found.append(
        (teacher, (Grant(Role.SUPERVISOR, other_region), Grant(Role.LECTURER, region, institution)))
    )
    return found


async def _expected(session, actor: Actor) -> set[tuple[Kind, int]]:
    expected = set()
    for case in (await session.exec(select(ScreeningCase))).all():
        if allowed(actor, todo.DECISIONS[Kind.CASE], case_target(case)):
            expected.add((Kind.CASE, case.id))
    for found in (await session.exec(select(Certificate))).all():
        if allowed(actor, todo.DECISIONS[Kind.CERTIFICATE], certificate_target(found)):
            expected.add((Kind.CERTIFICATE, found.id))
    for made in (await session.exec(select(TrainingClass))).all():
        if made.status == "submitted" and allowed(
            actor, todo.DECISIONS[Kind.CLASS], await class_target(session, made)
        ):
            expected.add((Kind.CLASS, made.id))
    for leave in (await session.exec(select(LeaveRequest))).all():
        teachers = await attendance.teacher_ids(session, leave.class_id)
        target = Target.at(teachers=teachers, owner=leave.person_id)
        if allowed(actor, todo.DECISIONS[Kind.LEAVE], target):
            expected.add((Kind.LEAVE, leave.id))
    for assignment in (await session.exec(select(ScoringAssignment))).all():
        target = Target.at(owner=assignment.scorer_id)
        if allowed(actor, todo.DECISIONS[Kind.SCORING], target):
            expected.add((Kind.SCORING, assignment.id))
    for item in (await session.exec(select(SupportFollowup))).all():
        if allowed(actor, todo.DECISIONS[Kind.SUPPORT], Target.at(item.institution_id)):
            expected.add((Kind.SUPPORT, item.id))
    for survey in (await session.exec(select(FollowupSurvey))).all():
        if allowed(actor, todo.DECISIONS[Kind.CALL], Target.at(survey.institution_id)):
            expected.add((Kind.CALL, survey.id))
    for applied in (await session.exec(select(CertificateApplication))).all():
        if allowed(actor, todo.DECISIONS[Kind.CERT_APPLICATION], application_target(applied)):
            expected.add((Kind.CERT_APPLICATION, applied.id))
    return expected


async def test_the_inbox_lists_exactly_what_the_policy_allows(sessions, store):
    teacher, places = store
    checked = 0
    async with unit_of_work(sessions) as session:
        for person_id, grants in variants(teacher, places):
            actor = Actor.of(person_id, grants, "zh-CN", NOW)
            listed = {
                (item.kind, item.id) for item in await todo.page(session, person_id, grants, 0)
            }
            expected = await _expected(session, actor)
            assert listed == expected, grants
            assert await todo.total(session, person_id, grants) == len(expected), grants
            assert todo.decides(grants) or not expected, grants
            checked += bool(expected)
    assert checked >= 5, "the walk reaches items of every kind"
