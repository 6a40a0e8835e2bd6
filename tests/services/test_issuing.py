"""Issued certificates on the real store, no bot (S-14, S-41): staff apply for an assessed
class, the supervisor approves some and rejects the rest with a reason, numbers come from the
region's yearly counter (contiguous under concurrent approvals on PostgreSQL), the holder's PDF
is queued by the scan, the check verifies, revocation shows at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.domain.issuing import Standing, check_of
from bot.domain.roles import Grant, Role
from bot.services import issuing
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale
from storage import repo
from storage.db import unit_of_work
from storage.models import (
    AssessmentResult,
    AuditEntry,
    CertificateApplicant,
    IssuedCertificate,
    OutboxMessage,
    Person,
    TraineeAssessment,
    TrainingClass,
)
from tests.factories import make_class
from tests.services.test_assessment import hand_in

START = date(2026, 5, 11)
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
SETTINGS = Settings(
    _env_file=None, certificate_secret="test-key", public_url="https://cert.example"
)


@pytest.fixture
def quick_pdf(monkeypatch):
    """The PDF's own test draws it (tests/bot/test_certificate_pdf.py); here a stand-in saves
    the two seconds each takes."""
    monkeypatch.setattr(issuing, "certificate_pdf", lambda cert, url, i18n: b"%PDF " + url.encode())


@dataclass
class World:
    region: int
    institution: int
    staff: Actor
    supervisor: Actor
    other_supervisor: Actor


async def _person(session, name: str, serial: int, *grants: Grant) -> int:
    person = Person(tg_user_id=70_000 + serial, first_name=name)
    session.add(person)
    await session.flush()
    for grant in grants:
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return person.id


async def _world(sessions) -> World:
    async with unit_of_work(sessions) as session:
        region = await repo.add_region(session, "测试市")
        elsewhere = await repo.add_region(session, "别的市")
        school = await repo.add_institution(session, "测试培训学校", region.id)
        staff = Grant(Role.INSTITUTION, region.id, school.id)
        boss, other = Grant(Role.SUPERVISOR, region.id), Grant(Role.SUPERVISOR, elsewhere.id)
        ids = [
            await _person(session, "王老师", 1, staff),
            await _person(session, "主管", 2, boss),
            await _person(session, "外地主管", 3, other),
        ]
    return World(
        region.id,
        school.id,
        Actor.of(ids[0], (staff,), "zh-CN", NOW),
        Actor.of(ids[1], (boss,), "zh-CN", NOW),
        Actor.of(ids[2], (other,), "zh-CN", NOW),
    )


async def _assessed_class(
    sessions, world: World, results: list[tuple[str, float | None]], serial=0
):
    """An assessed class whose trainees have these names and final scores (None: no result;
    60 and above passed)."""
    async with unit_of_work(sessions) as session:
        trainees = [
            await _person(session, name, 100 + serial * 50 + index)
            for index, (name, _) in enumerate(results)
        ]
        made = await make_class(
            session,
            institution_id=world.institution,
            region_id=world.region,
            start=START,
            trainee_ids=tuple(trainees),
        )
        made.stage = "assessed"
        for person_id, (_, final) in zip(trainees, results, strict=True):
            passed = final is not None and final >= 60
            stage = "passed" if passed else ("coaching" if final is not None else "training")
            session.add(
                TraineeAssessment(class_id=made.id, person_id=person_id, stage=stage, round=1)
            )
            if final is not None:
                handed = await hand_in(session, person_id, "practice_results", {})
                session.add(
                    AssessmentResult(
                        class_id=made.id,
                        trainee_id=person_id,
                        round=1,
                        submission_id=handed,
                        final=final,
                        plan_complete=True,
                        passed=passed,
                    )
                )
    return made.id, trainees


async def _applied(sessions, world: World, class_id: int) -> int:
    async with unit_of_work(sessions) as session:
        sheet = await issuing.draft(session, world.staff, class_id)
        await issuing.submit(session, world.staff, sheet.application.id, SETTINGS)
    return sheet.application.id


async def test_s14_apply_approve_some_reject_the_rest_verify_and_revoke(sessions, quick_pdf):
    world = await _world(sessions)
    class_id, (zhang, li, zhao) = await _assessed_class(
        sessions, world, [("张晓燕", 85.0), ("李雷", 72.5), ("赵四", 41.0)]
    )
    async with unit_of_work(sessions) as session:
        sheet = await issuing.draft(session, world.staff, class_id)
        # Every trainee is listed with their result; only those who passed are selected.
        assert [(line.name, line.final, line.selected) for line in sheet.lines] == [
            ("张晓燕", 85.0, True),
            ("李雷", 72.5, True),
            ("赵四", 41.0, False),
        ]
        with pytest.raises(NotFound):  # the failed trainee cannot be put on it
            await issuing.select(session, world.staff, sheet.application.id, zhao, True)
    application_id = await _applied(sessions, world, class_id)
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):  # another region's supervisor
            await issuing.pending(session, world.other_supervisor, application_id)
        await issuing.choose(session, world.supervisor, application_id, li, False)
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):  # rejecting someone needs a reason
            await issuing.decide(session, world.supervisor, application_id, SETTINGS)
    async with unit_of_work(sessions) as session:
        outcome = await issuing.decide(
            session, world.supervisor, application_id, SETTINGS, reason="缺少身份证明材料"
        )
    assert outcome.numbers == [f"{world.region:04d}2026000001"] and outcome.rejected == 1
    async with unit_of_work(sessions) as session:
        with pytest.raises(Stale):  # decided once
            await issuing.decide(
                session, world.supervisor, application_id, SETTINGS, reason="x" * 5
            )
        statuses = dict(
            (
                await session.exec(
                    select(CertificateApplicant.person_id, CertificateApplicant.status)
                )
            ).all()
        )
        assert statuses == {zhang: "approved", li: "rejected", zhao: "pending"}
        assert (await session.get(TrainingClass, class_id)).stage == "closed"
        texts = [
            row.payload.get("text", "") for row in (await session.exec(select(OutboxMessage))).all()
        ]
        assert any("缺少身份证明材料" in text and "未获批准" in text for text in texts)
        assert any("发证 1 人" in text for text in texts)
    # The holder gets the PDF from the scan, once.
    assert await issuing.send_pending(sessions, NOW, SETTINGS) == 1
    assert await issuing.send_pending(sessions, NOW, SETTINGS) == 0
    async with unit_of_work(sessions) as session:
        documents = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.method == "sendDocument"))
        ).all()
        assert [row.person_id for row in documents] == [zhang]
        assert documents[0].payload["filename"] == f"合格证书-{outcome.numbers[0]}.pdf"
    number = outcome.numbers[0]
    check = check_of(b"test-key", number)
    assert await issuing.verify_url(None, SETTINGS, number) == (
        f"https://cert.example/verify/{number}/{check}"
    )
    async with unit_of_work(sessions) as session:
        shown = await issuing.verify(session, SETTINGS, number, check)
        assert shown.standing is Standing.VALID and shown.holder == "张*燕"
        assert shown.institution == "测试培训学校" and shown.issued_on == date(2026, 5, 20)
        assert await issuing.verify(session, SETTINGS, number, "a" * 10) is None
        assert await issuing.verify(session, SETTINGS, "00012026999999", check) is None
        with pytest.raises(NotAllowed):
            await issuing.revoke(session, world.other_supervisor, number, "伪造材料", SETTINGS)
    async with unit_of_work(sessions) as session:
        await issuing.revoke(session, world.supervisor, number, "考核材料造假", SETTINGS)
    async with unit_of_work(sessions) as session:
        shown = await issuing.verify(session, SETTINGS, number, check)
        assert shown.standing is Standing.REVOKED and shown.revoked_on == date(2026, 5, 20)
        audit = (await session.exec(select(AuditEntry.action, AuditEntry.reason))).all()
        assert ("certificate.revoked", "考核材料造假") in audit
        assert ("certificate.issued", None) in audit
        # Erasure keeps the certificate verifiable, without the holder.
        await issuing.withdraw_holder(session, zhang)
        cert = (await session.exec(select(IssuedCertificate))).one()
        cert.revoked_at = None
    async with unit_of_work(sessions) as session:
        shown = await issuing.verify(session, SETTINGS, number, check)
        assert shown.standing is Standing.WITHDRAWN and shown.holder == ""


async def test_s14_concurrent_approvals_take_contiguous_numbers(sessions):
    """Two applications of one region approved at the same moment, in two transactions: every
    number is taken once and together they are 1..N with no gap (on PostgreSQL the counter
    row's lock orders them; on SQLite the write lock does)."""
    world = await _world(sessions)
    applications = []
    for serial in (1, 2):
        class_id, _ = await _assessed_class(
            sessions, world, [(f"学员{serial}-{i}", 80.0) for i in range(5)], serial=serial
        )
        applications.append(await _applied(sessions, world, class_id))

    async def approve(application_id: int) -> list[str]:
        async with unit_of_work(sessions) as session:
            outcome = await issuing.decide(session, world.supervisor, application_id, SETTINGS)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one runs
            return outcome.numbers

    first, second = await asyncio.gather(*(approve(i) for i in applications))
    numbers = sorted(first + second)
    assert len(set(numbers)) == 10
    assert [int(n[-6:]) for n in numbers] == list(range(1, 11))
    assert {n[:8] for n in numbers} == {f"{world.region:04d}2026"}
    assert sorted(first) == first and sorted(second) == second


async def test_s14_a_class_where_nobody_handed_in_is_assessed_when_its_window_closes(sessions):
    """Otherwise it would wait for results that never come and never reach its certificates
    and closing."""
    from bot.services import assessment

    world = await _world(sessions)
    async with unit_of_work(sessions) as session:
        made = await make_class(
            session, institution_id=world.institution, region_id=world.region, start=START
        )
        made.stage = "in_progress"
    async with unit_of_work(sessions) as session:
        await assessment.scan(session, datetime(2026, 5, 17, 16, 1, tzinfo=UTC))
    async with unit_of_work(sessions) as session:
        assert (await session.get(TrainingClass, made.id)).stage == "assessed"
