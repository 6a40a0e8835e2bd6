"""The web console's use cases on the real store, no browser (issue 15; S-53 for the masking):
a one-time link opens one session within 10 minutes; sessions lapse idle, at their limit and at
sign-out; every list and page is scoped by the actor (another region's class is not found);
the class decision is the chat's use case; numbers are masked unless the role may see them;
exports carry labels or codes."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.console.views import (
    Format,
    Values,
    classes_table,
    encoded,
    recipients_table,
    stats_table,
    todo_table,
    trainees_table,
)
from bot.domain.campaigns import Reply
from bot.domain.classes import ClassStatus
from bot.domain.console import LinkState, csrf_ok, csrf_token
from bot.domain.stats import FEW, Dimension, Period
from bot.i18n import environment
from bot.services import console
from bot.services.errors import NotAllowed, NotFound, Refusal
from storage.console import ClassFilter
from storage.db import unit_of_work
from storage.models import (
    AuditEntry,
    Campaign,
    CampaignRecipient,
    FollowupSurvey,
    FormAnswer,
    FormSubmission,
    Institution,
    IssuedCertificate,
    OutboxMessage,
    Person,
    TrainingClass,
)
from storage.todo import Kind
from tests.services import test_decisions
from tests.services.test_decisions import NOW, World

ID_NUMBER, MOBILE = "110101199003071234", "13812345678"
world = test_decisions.world  # the fixture: two regions, people, one pending item of each kind


async def test_a_link_signs_in_once_within_ten_minutes(sessions, world: World) -> None:
    staff = world.actor("staff")
    async with unit_of_work(sessions) as session:
        first = await console.request_link(session, staff)
        second = await console.request_link(session, staff)
        late = await console.request_link(session, staff)
    async with unit_of_work(sessions) as session:
        assert await console.peek_link(session, first, NOW) is LinkState.VALID
        state, secret = await console.sign_in(session, first, NOW + timedelta(minutes=9))
        assert state is LinkState.VALID and secret
        assert await console.sign_in(session, first, NOW) == (LinkState.USED, None)
        assert await console.sign_in(session, late, NOW + timedelta(minutes=10)) == (
            LinkState.EXPIRED,
            None,
        )
        assert await console.sign_in(session, "forged", NOW) == (LinkState.UNKNOWN, None)
        assert await console.sign_in(session, "x" * 500 + "\x00", NOW) == (LinkState.UNKNOWN, None)
        assert (await console.sign_in(session, second, NOW))[0] is LinkState.VALID
        actor = await console.actor_for(session, secret, NOW + timedelta(hours=1))
        assert actor is not None and actor.person_id == staff.person_id
        stored = (await session.exec(select(AuditEntry.action))).all()
    assert stored.count("console.signed_in") == 2


async def test_a_trainee_gets_no_link(sessions, world: World) -> None:
    async with unit_of_work(sessions) as session:
        with pytest.raises(NotAllowed):
            await console.request_link(session, world.actor("trainee"))


async def test_sessions_lapse_idle_at_their_limit_and_at_sign_out(sessions, world: World) -> None:
    async def signed_in() -> str:
        async with unit_of_work(sessions) as session:
            link = await console.request_link(session, world.actor("supervisor"))
            return (await console.sign_in(session, link, NOW))[1]

    idle, busy, leaving = await signed_in(), await signed_in(), await signed_in()
    async with unit_of_work(sessions) as session:
        assert await console.actor_for(session, idle, NOW + timedelta(hours=8)) is None
        for hour in range(0, 24, 4):  # used every 4 hours: never idle, but 24 hours at most
            assert await console.actor_for(session, busy, NOW + timedelta(hours=hour))
        assert await console.actor_for(session, busy, NOW + timedelta(hours=24)) is None
        await console.sign_out(session, leaving, NOW)
        assert await console.actor_for(session, leaving, NOW) is None
        assert await console.actor_for(session, None, NOW) is None
    assert csrf_ok(busy, csrf_token(busy)) and not csrf_ok(busy, csrf_token(idle))
    assert not csrf_ok(busy, None) and not csrf_ok(busy, "é")


async def test_lists_and_pages_are_scoped_by_the_actor(sessions, world: World) -> None:
    async with unit_of_work(sessions) as session:
        here = await console.classes(session, world.actor("supervisor"), ClassFilter(), 0)
        there = await console.classes(session, world.actor("foreign_supervisor"), ClassFilter(), 0)
        submitted = await console.classes(
            session, world.actor("staff"), ClassFilter(phase="submitted"), 0
        )
        assert {r.training_class.id for r in here.items} == {world.class_id, world.running_class_id}
        assert there.total == 0 and there.items == []
        assert [r.training_class.id for r in submitted.items] == [world.class_id]
        shown = await console.class_page(session, world.actor("supervisor"), world.class_id)
        assert shown.may_decide
        assert not (
            await console.class_page(session, world.actor("staff"), world.class_id)
        ).may_decide
        for name in ("foreign_supervisor", "foreign_staff"):
            with pytest.raises((NotFound, NotAllowed)):
                await console.class_page(session, world.actor(name), world.class_id)
        with pytest.raises(NotFound):
            await console.class_page(session, world.actor("supervisor"), 99_999)
        board = await console.dashboard(session, world.actor("supervisor"))
        assert board.classes == 2 and board.todo == 2  # the application and the certificate


async def test_the_console_decides_a_class_with_the_chats_use_case(sessions, world) -> None:
    """S-10 from the console: the decision is applications.decide_application, told to the
    institution's staff; a second decision is refused naming the first."""
    async with unit_of_work(sessions) as session:
        with pytest.raises((NotFound, NotAllowed)):
            await console.decide_class(
                session, world.actor("foreign_supervisor"), world.class_id, True, None
            )
    async with unit_of_work(sessions) as session:
        decided = await console.decide_class(
            session, world.actor("supervisor"), world.class_id, True, None
        )
    assert decided.status == ClassStatus.APPROVED
    async with unit_of_work(sessions) as session:
        assert (await session.get(TrainingClass, world.class_id)).status == "approved"
        told = (await session.exec(select(OutboxMessage.chat_id))).all()
        assert told
        with pytest.raises(Refusal):
            await console.decide_class(
                session, world.actor("supervisor2"), world.class_id, False, "太晚了"
            )


async def _numbers(sessions, world: World) -> None:
    async with unit_of_work(sessions) as session:
        trainee_id = world.people["trainee"][0]
        registration = (
            await session.exec(select(FormSubmission).where(FormSubmission.person_id == trainee_id))
        ).one()
        registration.answers = {"name": "王小明"}
        for question, value in (("id_number", ID_NUMBER), ("mobile", MOBILE), ("name", "王小明")):
            session.add(
                FormAnswer(
                    submission_id=registration.id,
                    form_id="registration",
                    question_id=question,
                    text=value,
                )
            )


async def test_numbers_are_masked_unless_the_role_may_see_them_S53(sessions, world) -> None:
    await _numbers(sessions, world)
    async with unit_of_work(sessions) as session:
        # PERSONAL_DATA_FULL: the region's supervisor in full, the institution's staff masked
        masked = await console.trainees(session, world.actor("staff"), "1234", 0)
        full = await console.trainees(session, world.actor("supervisor"), "王小", 0)
        none = await console.trainees(session, world.actor("foreign_supervisor"), None, 0)
        assert [(t.id_number, t.mobile) for t in full.items] == [(ID_NUMBER, MOBILE)]
        assert [(t.name, t.id_number, t.mobile) for t in masked.items] == [
            ("王小明", "110101********1234", "138****5678")
        ]
        assert none.total == 0
        assert (await console.trainees(session, world.actor("staff"), "%", 0)).total == 0
        page = await console.trainee(session, world.actor("staff"), full.items[0].row.person_id)
        assert page.id_number == "110101********1234"
        assert [m.to_state for m in page.cycles[0].transitions] == ["registered", "screened"]
        with pytest.raises((NotFound, NotAllowed)):
            await console.trainee(
                session, world.actor("foreign_supervisor"), full.items[0].row.person_id
            )
        table = trainees_table("zh-CN", masked.items, Values.LABELS, NOW.tzinfo)
        codes = trainees_table("en", masked.items, Values.CODES, NOW.tzinfo)
    assert table.header[:4] == ["学员编号", "姓名", "身份证号", "手机号"]
    assert table.rows[0][2] == "110101********1234" and table.rows[0][6] == "已完成筛选，等待确认"
    assert codes.header[6] == "state" and codes.rows[0][6] == "screened"


async def test_exports_open_as_xlsx_and_csv_with_labels_or_codes(sessions, world) -> None:
    async with unit_of_work(sessions) as session:
        rows = await console.all_classes(session, world.actor("supervisor"), ClassFilter())
        waiting = await console.all_todo(session, world.actor("supervisor"))
    inbox = todo_table("zh-CN", waiting, Values.LABELS, NOW.tzinfo)
    assert [row[0] for row in inbox.rows] == ["证书待审核", "开班申请待审批"]
    assert todo_table("en", waiting, Values.CODES, NOW.tzinfo).rows[1][:2] == [
        "class",
        world.class_id,
    ]
    rows[0].training_class.name = '=HYPERLINK("http://x")'
    data, mime = encoded(classes_table("zh-CN", rows, Values.LABELS), Format.XLSX)
    sheet = load_workbook(io.BytesIO(data)).active
    assert mime.endswith("spreadsheetml.sheet")
    assert [c.value for c in sheet[1]][:3] == ["编号", "名称", "类别"]
    assert sheet.cell(2, 2).value == '=HYPERLINK("http://x")' and sheet.cell(2, 2).data_type == "s"
    assert {sheet.cell(r, 6).value for r in (2, 3)} == {"待审批", "已批准开班"}
    data, mime = encoded(classes_table("en", rows, Values.CODES), Format.CSV)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert mime == "text/csv" and lines[0][:3] == ["id", "name", "programme"]
    assert lines[1][1].startswith("'=") and {lines[1][5], lines[2][5]} == {"submitted", "approved"}


# --- the pages wired to the features that landed since (brief W2) ----------------------------


async def test_dashboard_statistics_are_the_stats_use_case_S17(sessions, world) -> None:
    """S-17 on the dashboard: the figures are stats.figures for the actor (grouped by
    institution for a supervisor, "<3" kept as the service gives it), none for a trainee;
    the export carries labels or codes."""
    supervisor = world.actor("supervisor")
    async with unit_of_work(sessions) as session:
        dimension = console.stats_dimension(supervisor)
        table = await console.figures(session, supervisor, dimension, Period.ALL)
        foreign = await console.figures(
            session, world.actor("foreign_supervisor"), dimension, Period.ALL
        )
        assert await console.figures(session, world.actor("trainee"), dimension, Period.ALL) is None
    assert dimension is Dimension.INSTITUTION
    assert [row.label for row in table.rows] == [f"机构{world_institution(world)}"]
    assert table.total.figures["enrolled"] == FEW  # one learner: under the small-count rule
    assert foreign.rows == [] and foreign.total.classes == 0
    labels = stats_table("zh-CN", table, dimension, Values.LABELS)
    codes = stats_table("en", table, dimension, Values.CODES)
    assert labels.header[:2] == ["机构", "班级数"] and labels.rows[-1][0] == "合计"
    assert codes.header[:3] == ["institution", "classes", "enrolled"]
    assert codes.rows[-1][:3] == ["total", table.total.classes, FEW]
    data, _ = encoded(labels, Format.CSV)
    assert "<3" in data.decode("utf-8-sig")


def world_institution(world: World) -> int:
    return world.people["staff"][1][0].institution_id


async def test_class_papers_certificates_report_and_bundle_follow_the_policy(
    sessions, world
) -> None:
    """The class page lists the certificates issued (revoked and withdrawn ones marked) and
    offers the activity report and the bundle to whom ACTIVITY_REPORT / REPORT_BUNDLE allow;
    another region's supervisor gets neither by id."""
    class_id = world.running_class_id
    async with unit_of_work(sessions) as session:
        running = await session.get(TrainingClass, class_id)
        for number, holder, revoked in (("2026-0002", None, NOW), ("2026-0001", "小红", None)):
            session.add(
                IssuedCertificate(
                    number=number,
                    programme="trainee",
                    holder_name=holder,
                    class_id=class_id,
                    class_name=running.name,
                    institution_id=running.institution_id,
                    institution_name="机构",
                    region_id=running.region_id,
                    issued_on=NOW.date(),
                    revoked_at=revoked,
                )
            )
    async with unit_of_work(sessions) as session:
        shown = await console.class_page(session, world.actor("supervisor"), class_id)
        staff = await console.class_page(session, world.actor("staff"), class_id)
        pending = await console.class_page(session, world.actor("supervisor"), world.class_id)
        name, data = await console.bundle_archive(session, world.actor("staff"), class_id)
        files = await console.report_files(session, world.actor("supervisor"), class_id)
        for action in (console.bundle_archive, console.report_files):
            with pytest.raises((NotFound, NotAllowed)):
                await action(session, world.actor("foreign_supervisor"), class_id)
    assert shown.may_report and shown.may_bundle and staff.may_bundle
    assert [(c.number, c.holder_name, c.revoked_at is not None) for c in shown.certificates] == [
        ("2026-0001", "小红", False),
        ("2026-0002", None, True),
    ]
    assert not pending.may_bundle and pending.certificates is None
    assert name.endswith(".zip") and zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert files.pdf[1].startswith(b"%PDF") and files.xlsx[0].endswith(".xlsx")


async def _campaign(sessions, world: World, states: tuple[str, ...]) -> int:
    async with unit_of_work(sessions) as session:
        here = await session.get(Institution, world_institution(world))
        campaign = Campaign(
            token="t" * 16,
            form_key="needs",
            created_by=world.people["staff"][0],
            institution_id=here.id,
            region_id=here.region_id,
            selection={"kind": "all"},
            status="confirmed",
            confirmed_at=NOW,
        )
        session.add(campaign)
        await session.flush()
        for serial, state in enumerate(states):
            person = Person(tg_user_id=90_000 + serial, first_name=f"学员{serial}")
            session.add(person)
            await session.flush()
            session.add(
                CampaignRecipient(campaign_id=campaign.id, person_id=person.id, state=state)
            )
        return campaign.id


async def test_campaign_pages_show_progress_per_state_within_scope(sessions, world) -> None:
    """A campaign's counts and percentages per state and every recipient with their state, for
    the institution's staff and the region's supervisor (CAMPAIGN_PUSH); another region's
    supervisor neither lists nor opens it."""
    campaign_id = await _campaign(sessions, world, ("sent", "completed", "completed", "queued"))
    async with unit_of_work(sessions) as session:
        listed = await console.campaign_list(session, world.actor("supervisor"), 0)
        hidden = await console.campaign_list(session, world.actor("foreign_supervisor"), 0)
        view = await console.campaign(session, world.actor("staff"), campaign_id, 0)
        everyone = await console.all_recipients(session, world.actor("supervisor"), campaign_id)
        for name in ("foreign_supervisor", "foreign_staff"):
            with pytest.raises((NotFound, NotAllowed)):
                await console.campaign(session, world.actor(name), campaign_id, 0)
    assert [c.id for c, _ in listed.items] == [campaign_id] and hidden.total == 0
    assert view.counts.total == 4 and view.counts.percent(Reply.COMPLETED) == 50
    assert view.recipients.total == 4
    assert sorted(state for _, state in view.recipients.items) == sorted(
        [Reply.SENT, Reply.COMPLETED, Reply.COMPLETED, Reply.QUEUED]
    )
    table = recipients_table("zh-CN", campaign_id, everyone, Values.LABELS)
    codes = recipients_table("en", campaign_id, everyone, Values.CODES)
    assert len(table.rows) == 4 and table.header == ["姓名", "所处环节"]
    assert sorted(row[1] for row in table.rows) == ["已完成", "已完成", "已推送", "待推送"]
    assert sorted(row[1] for row in codes.rows) == ["completed", "completed", "queued", "sent"]


async def test_phone_followups_dial_only_where_FOLLOWUP_MOBILE_allows_S53(sessions, world) -> None:
    """A phone follow-up in the console's inbox: the institution's staff get the number in
    full (a tel: link); a lecturer who calls too sees it masked (S-53)."""
    trainee_id = world.people["trainee"][0]
    async with unit_of_work(sessions) as session:
        registration = (
            await session.exec(select(FormSubmission).where(FormSubmission.person_id == trainee_id))
        ).one()
        registration.answers = {"mobile": MOBILE}
        session.add(registration)
        survey = FollowupSurvey(
            person_id=trainee_id,
            class_id=world.running_class_id,
            institution_id=world_institution(world),
            wave=1,
            months=6,
            sent_at=NOW,
            closed_at=NOW,
        )
        session.add(survey)
        await session.flush()
        survey_id = survey.id
    async with unit_of_work(sessions) as session:
        staff = await console.inbox(session, world.actor("staff"), 0)
        lecturer = await console.inbox(session, world.actor("teacher"), 0)
    assert Kind.CALL in {item.kind for item in staff.items}
    assert staff.phones[survey_id] == console.Phone(MOBILE, MOBILE)
    assert lecturer.phones[survey_id] == console.Phone("138****5678", None)
    for inbox, dialable in ((staff, True), (lecturer, False)):
        html = (
            environment()
            .get_template("console/todo.html")
            .render(
                locale="zh-CN",
                nonce="n",
                csrf="c",
                bot_name="b",
                current="todo",
                notice=None,
                inbox=inbox,
                tz=NOW.tzinfo,
            )
        )
        assert ('href="tel:+8613812345678"' in html) is dialable
        assert ("138****5678" in html) is not dialable and "电话回访" in html
