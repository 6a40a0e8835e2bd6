"""Follow-up support on the real store, no bot (S-16, S-42, T12): the survey is pushed once a
class is assessed, a teaching lecturer completes a trainee's answers, the trainee is told the
services of the region that match, the institution follows each need up in /todo with recorded
contacts, and the catalogue is kept in chat and imported from Excel with row errors."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.config import LOCALES
from bot.domain.forms import FOR_PERSON
from bot.domain.roles import Grant, Role
from bot.domain.support import NEEDS_FORM, Need
from bot.forms import service as form_service
from bot.i18n import I18n
from bot.services import support, todo
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale
from bot.xlsx import read_rows
from scheduler.support import scan_support_needs
from storage import repo
from storage import support as support_store
from storage.db import unit_of_work
from storage.models import (
    FormDraft,
    FormSubmission,
    Institution,
    OutboxMessage,
    Person,
    SupportContact,
    SupportFollowup,
    SupportService,
    TrainingClass,
)
from storage.todo import Kind
from tests.factories import make_class

START = date(2026, 5, 11)
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


@dataclass
class World:
    people: dict[str, tuple[int, tuple[Grant, ...]]]
    regions: dict[str, int]
    class_id: int
    trainees: list[int]
    services: dict[str, int]

    def id(self, name: str) -> int:
        return self.people[name][0]

    def actor(self, name: str, now: datetime = NOW) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)


@pytest.fixture
async def world(sessions) -> World:
    async with unit_of_work(sessions) as session:
        regions: dict[str, int] = {}
        for name, parent in (
            ("浙江省", None),
            ("杭州市", "浙江省"),
            ("西湖区", "杭州市"),
            ("上城区", "杭州市"),
        ):
            made = await repo.add_region(session, name, regions.get(parent))
            regions[name] = made.id
        school = Institution(name="西湖培训学校", region_id=regions["西湖区"])
        session.add(school)
        await session.flush()
        people: dict[str, tuple[int, tuple[Grant, ...]]] = {}
        here = (regions["西湖区"], school.id)
        for serial, (name, grants) in enumerate(
            {
                "teacher": (Grant(Role.LECTURER, *here),),
                "colleague": (Grant(Role.LECTURER, *here),),
                "staff": (Grant(Role.INSTITUTION, *here),),
                "city": (Grant(Role.SUPERVISOR, regions["杭州市"]),),
                "sibling": (Grant(Role.SUPERVISOR, regions["上城区"]),),
                "trainee0": (Grant(Role.TRAINEE, *here),),
                "trainee1": (Grant(Role.TRAINEE, *here),),
            }.items()
        ):
            person = Person(tg_user_id=40_000 + serial, first_name=name)
            session.add(person)
            await session.flush()
            for grant in grants:
                await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
            people[name] = (person.id, grants)
        trainees = [people["trainee0"][0], people["trainee1"][0]]
        made = await make_class(
            session,
            institution_id=school.id,
            region_id=regions["西湖区"],
            start=START,
            teacher_ids=(people["teacher"][0],),
            trainee_ids=tuple(trainees),
        )
        services = {}
        for name, kind, region, active in (
            ("省创业担保贷款", "loan", "浙江省", True),
            ("杭州市创业担保贷款", "loan", "杭州市", True),
            ("上城区创业担保贷款", "loan", "上城区", True),
            ("停办的贷款", "loan", "西湖区", False),
            ("西湖区创业导师团", "mentor", "西湖区", True),
        ):
            row = SupportService(
                kind=kind,
                name=name,
                offer=f"{name}的服务",
                contact="0571-0000000",
                region_id=regions[region],
                active=active,
            )
            session.add(row)
            await session.flush()
            services[name] = row.id
        return World(people, regions, made.id, trainees, services)


async def _assess(sessions, class_id: int) -> None:
    async with unit_of_work(sessions) as session:
        found = await session.get(TrainingClass, class_id)
        found.stage, found.stage_at = "assessed", NOW


async def _asked(sessions) -> list[str]:
    async with unit_of_work(sessions) as session:
        rows = await session.exec(
            select(OutboxMessage.key).where(OutboxMessage.key.like("needs:ask:%"))
        )
        return sorted(rows.all())


async def test_t12_the_survey_is_pushed_once_to_each_trainee_when_the_class_is_assessed(
    sessions, world
):
    assert await scan_support_needs(sessions, NOW, None) == 0, "not before it is assessed"
    await _assess(sessions, world.class_id)
    assert await scan_support_needs(sessions, NOW, None) == 2
    assert await _asked(sessions) == [f"needs:ask:{world.class_id}:{p}" for p in world.trainees]
    assert await scan_support_needs(sessions, NOW + timedelta(days=1), None) == 0, "once"
    async with unit_of_work(sessions) as session:
        old = await make_class(
            session,
            institution_id=(await session.get(TrainingClass, world.class_id)).institution_id,
            region_id=world.regions["西湖区"],
            start=date(2026, 1, 5),
            trainee_ids=(world.id("trainee1"),),
        )
        old.stage, old.stage_at = "closed", NOW - timedelta(days=31)
    assert await scan_support_needs(sessions, NOW, None) == 0, "a class assessed long ago"
    async with unit_of_work(sessions) as session:
        pushed = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key.like("needs:ask:%")))
        ).first()
        text = pushed.payload["text"]
    assert "后续支持服务需求调查" in text and "测试班" in text


async def _submit(session, filler: int, context: dict, answers: dict) -> FormSubmission:
    person = await session.get(Person, filler)
    draft = await form_service.start(session, filler, NEEDS_FORM, context, answers=answers, now=NOW)
    submission, first = await form_service.submit(session, draft, person, NOW, NOW.date())
    assert first
    return submission


ANSWERS = {"needs": ["loan", "mentor"], "details": "想开网店，需要 5 万元", "contact_way": "phone"}


async def _answered(sessions, world) -> None:
    """The trainee answers: follow-up items, the matching services told, staff announced."""
    await _assess(sessions, world.class_id)
    await scan_support_needs(sessions, NOW, None)
    trainee = world.trainees[0]
    async with unit_of_work(sessions) as session:
        opening = await support.open_needs(session, world.actor("trainee0"), world.class_id, [])
        assert opening.context == {"class_id": world.class_id}
        with pytest.raises(NotFound):  # a class they were not asked about
            await support.open_needs(session, world.actor("trainee1"), 999, [])
    async with unit_of_work(sessions) as session:
        submission = await _submit(session, trainee, opening.context, ANSWERS)
        settled = await support.settle_needs(session, submission, NOW)
    assert settled.needs == [Need.LOAN, Need.MENTOR] and settled.new_items == 2
    assert [s.name for s in settled.matched[Need.LOAN]] == ["杭州市创业担保贷款", "省创业担保贷款"]
    async with unit_of_work(sessions) as session:
        told = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"needs:match:{submission.id}")
            )
        ).one()
        assert told.person_id == trainee
        text = told.payload["text"]
        assert "杭州市创业担保贷款" in text and "西湖区创业导师团" in text
        assert "上城区" not in text, "a sibling district's service is not theirs"
        assert "停办" not in text, "a withdrawn service is not offered"
        announced = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key.like("needs:new:%")))
        ).all()
        assert [m.person_id for m in announced] == [world.id("staff")]
        assert "2 项待跟进" in announced[0].payload["text"]
        with pytest.raises(Stale):
            await support.open_needs(session, world.actor("trainee0"), world.class_id, [])


async def test_t12_a_teaching_lecturer_completes_the_answers_as_a_new_submission_marked_by_them(
    sessions, world
):
    await _assess(sessions, world.class_id)
    await scan_support_needs(sessions, NOW, None)
    trainee = world.trainees[0]
    async with unit_of_work(sessions) as session:
        first = await _submit(session, trainee, {"class_id": world.class_id}, ANSWERS)
        await support.settle_needs(session, first, NOW)
    async with unit_of_work(sessions) as session:
        for name in ("colleague", "staff"):
            with pytest.raises(NotAllowed):
                await support.complete_for(session, world.actor(name), world.class_id, trainee)
        context, answers = await support.complete_for(
            session, world.actor("teacher"), world.class_id, trainee
        )
        assert context == {"class_id": world.class_id, FOR_PERSON: trainee}
        assert answers["needs"] == ["loan", "mentor"]
        changed = {**answers, "needs": ["loan", "mentor", "premises"]}
        second = await _submit(session, world.id("teacher"), context, changed)
        settled = await support.settle_needs(session, second, NOW)
        assert settled.new_items == 1, "only the need added is a new follow-up"
    async with unit_of_work(sessions) as session:
        rows = (
            await session.exec(select(FormSubmission).where(FormSubmission.form_id == NEEDS_FORM))
        ).all()
        by_id = {row.id: row for row in rows}
        assert by_id[second.id].person_id == trainee
        assert by_id[second.id].submitted_by == world.id("teacher")
        assert by_id[second.id].supersedes_id == first.id and not by_id[first.id].current
        needs = await support.class_needs(session, world.actor("staff"), world.class_id)
        assert not needs.may_complete, "staff read, lecturers complete"
        shown = {t.person_id: t.submission for t in needs.trainees.items}
        assert shown[trainee].id == second.id and shown[world.trainees[1]] is None
        classes = await support.classes_with_needs(session, world.actor("teacher"))
        assert [c.id for c in classes] == [world.class_id]
        assert await support.classes_with_needs(session, world.actor("colleague")) == []
        drafts = (await session.exec(select(FormDraft.person_id))).all()
        assert world.id("teacher") in drafts


async def test_s42_answers_are_matched_and_staff_follow_each_need_up_with_countable_contacts(
    sessions, world
):
    """The trainee is told the services of their region that match; each need is an item in
    the institution's /todo, where staff record contacts (date, channel, outcome, service)
    and close it."""
    await _answered(sessions, world)
    staff_id, staff_grants = world.people["staff"]
    async with unit_of_work(sessions) as session:
        items = await todo.page(session, staff_id, staff_grants, 0)
        followups = [item for item in items if item.kind is Kind.SUPPORT]
        assert sorted(item.detail for item in followups) == ["loan", "mentor"]
        assert followups[0].name == "trainee0"
        teacher_id, teacher_grants = world.people["teacher"]
        teacher_items = await todo.page(session, teacher_id, teacher_grants, 0)
        assert not [i for i in teacher_items if i.kind is Kind.SUPPORT], "the institution's"
    loan = next(i for i in followups if i.detail == "loan")
    async with unit_of_work(sessions) as session:
        card = await support.followup_card(session, await support_store.followup(session, loan.id))
        assert [s.name for s in card.services] == ["杭州市创业担保贷款", "省创业担保贷款"]
        with pytest.raises(NotFound):  # a service that does not match this need
            await support.contact_context(
                session, world.actor("staff"), loan.id, world.services["西湖区创业导师团"]
            )
        with pytest.raises(NotAllowed):
            await support.contact_context(session, world.actor("teacher"), loan.id, 0)
        context = await support.contact_context(
            session, world.actor("staff"), loan.id, world.services["杭州市创业担保贷款"]
        )
        for channel, outcome in (("phone", "已介绍贷款条件"), ("visit", "陪同去人社局")):
            recorded = FormSubmission(
                draft_id=0,
                person_id=staff_id,
                form_id="support_contact",
                form_version=1,
                context=context,
                answers={"contacted_on": "2026-05-19", "channel": channel, "outcome": outcome},
                submitted_by=staff_id,
            )
            await support.record_contact(session, world.actor("staff"), recorded)
        await support.close_followup(session, world.actor("staff"), loan.id)
    async with unit_of_work(sessions) as session:
        contacts = (await session.exec(select(SupportContact))).all()
        assert [(c.channel, c.contacted_on, c.service_id) for c in contacts] == [
            ("phone", date(2026, 5, 19), world.services["杭州市创业担保贷款"]),
            ("visit", date(2026, 5, 19), world.services["杭州市创业担保贷款"]),
        ]
        assert await support_store.contact_counts(session, [card.item.institution_id]) == {
            "phone": 1,
            "visit": 1,
        }
        left = await todo.page(session, staff_id, staff_grants, 0)
        assert [i.detail for i in left if i.kind is Kind.SUPPORT] == ["mentor"]
        with pytest.raises(Stale):
            await support.close_followup(session, world.actor("staff"), loan.id)
        closed = await session.get(SupportFollowup, loan.id)
        assert (closed.status, closed.done_by) == ("done", staff_id)


def _form(context: dict, **answers) -> FormSubmission:
    return FormSubmission(
        draft_id=0,
        person_id=0,
        form_id="support_service",
        form_version=1,
        context=context,
        answers=answers,
        submitted_by=0,
    )


async def test_s42_the_catalogue_is_kept_by_region_in_chat_and_imported_from_excel(sessions, world):
    async with unit_of_work(sessions) as session:
        staff = world.actor("staff")
        context, answers = await support.service_form(session, staff, None)
        assert context == {"region_id": world.regions["西湖区"]} and answers is None
        added = await support.save_service(
            session,
            staff,
            _form(
                context,
                kind="premises",
                name="西湖创业园",
                offer="免费工位一年",
                contact="西湖区文三路",
            ),
        )
        assert (added.region_id, added.kind, added.conditions) == (
            world.regions["西湖区"],
            "premises",
            "",
        )
        city = world.actor("city")
        context, answers = await support.service_form(session, city, added.id)
        assert answers["name"] == "西湖创业园", "a city's supervisor keeps its districts' services"
        answers["conditions"] = "须在本区注册"
        edited = await support.save_service(session, city, _form(context, **answers))
        assert edited.id == added.id and edited.conditions == "须在本区注册"
        with pytest.raises(NotAllowed):
            await support.service_for(session, world.actor("sibling"), added.id)
        with pytest.raises(NotAllowed):
            await support.service_for(session, world.actor("teacher"), added.id)
        page = await support.catalogue(session, city, 0)
        assert page.total == 5, "the city's, its districts' (not the province's)"
        assert "省创业担保贷款" not in [s.name for s in page.items]
        matched = await support.matching(session, world.regions["西湖区"], [Need.PREMISES])
        assert [s.name for s in matched[Need.PREMISES]] == ["西湖创业园"]
        await support.set_active(session, staff, added.id, False)
        matched = await support.matching(session, world.regions["西湖区"], [Need.PREMISES])
        assert matched[Need.PREMISES] == []
    await _import(sessions, world)


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["类别", "名称", "服务内容", "联系方式", "服务地区"]


async def _import(sessions, world) -> None:
    """An Excel import is all or nothing, each wrong row named with its reasons."""
    headers = support.header_names([I18n(locale) for locale in LOCALES])
    bad = _xlsx(
        [
            HEADER,
            ["创业担保贷款", "上城贷款", "30 万", "0571-1", "上城区"],
            ["火箭", "", "上天", "0571-2", ""],
            ["专家指导", "导师团", "一对一", "", "西湖区"],
            ["Skills training", "电商技能班", "免费", "0571-3", ""],
        ]
    )
    async with unit_of_work(sessions) as session:
        data = support.read_sheet(read_rows(bad), headers, 200)
        imported = await support.import_services(session, world.actor("staff"), data)
        assert imported.added == 0
        assert [(row.number, row.problems) for row in imported.bad] == [
            (2, ("region",)),
            (3, ("kind", "name")),
            (4, ("contact",)),
        ]
        before = len((await session.exec(select(SupportService))).all())
    good = _xlsx(
        [
            ["kind", "name", "offer", "contact"],
            ["mentor", "导师团", "一对一", "0571-9"],
            ["平台对接", "抖音电商服务站", "开店指导", "0571-8"],
        ]
    )
    async with unit_of_work(sessions) as session:
        assert len((await session.exec(select(SupportService))).all()) == before
        data = support.read_sheet(read_rows(good), headers, 200)
        imported = await support.import_services(session, world.actor("staff"), data)
        assert imported.added == 2 and not imported.bad
        rows = (
            await session.exec(
                select(SupportService).where(SupportService.name == "抖音电商服务站")
            )
        ).one()
        assert (rows.kind, rows.region_id) == ("platform", world.regions["西湖区"])
    with pytest.raises(support.SheetRefused) as refused:
        support.read_sheet(read_rows(_xlsx([["名称"], ["x"]])), headers, 200)
    assert refused.value.code == "missing_columns"
