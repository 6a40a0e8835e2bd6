"""The class activity report (T11) and the reporting bundle (S-15) from a small class counted by
hand: attendance per session and overall, feedback averages, pass rate, businesses and stores,
lecturers' comments; the PDF read back; the bundle's spreadsheets with masked numbers for staff
and full ones for the supervisor; the push to staff once the class is assessed; ZIP splitting."""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import col, select

from bot.commands import command_names
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import activity_report, bundle
from bot.services.actor import Actor
from bot.services.errors import NotAllowed
from bot.zips import pack
from storage import repo
from storage.db import unit_of_work
from storage.models import (
    AssessmentResult,
    AttendanceMark,
    ClassSession,
    FeedbackRequest,
    FormDraft,
    FormSubmission,
    Institution,
    IssuedCertificate,
    OutboxMessage,
    Person,
    Region,
    TrainingClass,
)
from tests.factories import make_class

START = date(2026, 5, 11)
AFTER = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
ID_NUMBER = "110101199003071234"
MOBILE = "13812345678"


@dataclass
class World:
    people: dict[str, tuple[int, tuple[Grant, ...]]]
    class_id: int
    region_id: int = 0

    def actor(self, name: str, now: datetime = AFTER) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)


async def hand_in(session, person_id: int, form_id: str, answers: dict, **context) -> int:
    draft = FormDraft(person_id=person_id, form_id=form_id, form_version=1, status="submitted")
    session.add(draft)
    await session.flush()
    submission = FormSubmission(
        draft_id=draft.id,
        person_id=person_id,
        form_id=form_id,
        form_version=1,
        context=context,
        answers=answers,
        submitted_by=person_id,
    )
    session.add(submission)
    await session.flush()
    return submission.id


@pytest.fixture
async def world(sessions) -> World:
    """Four trainees; day 1's two sessions held (the others not yet): morning 2 of 4 attended
    (present, late; one absent, one on leave), afternoon 4 of 4: overall 6 of 8 = 75%."""
    async with unit_of_work(sessions) as session:
        here, there = Region(name="西湖区"), Region(name="上城区")
        session.add_all([here, there])
        await session.flush()
        school = Institution(name="杭州创业学校", region_id=here.id)
        session.add(school)
        await session.flush()
        people: dict[str, tuple[int, tuple[Grant, ...]]] = {}
        for serial, (name, grant) in enumerate(
            [
                ("王老师", Grant(Role.LECTURER, here.id, school.id)),
                ("李老师", Grant(Role.LECTURER, here.id, school.id)),
                ("staff", Grant(Role.INSTITUTION, here.id, school.id)),
                ("supervisor", Grant(Role.SUPERVISOR, here.id)),
                ("far supervisor", Grant(Role.SUPERVISOR, there.id)),
                *((f"t{i}", Grant(Role.TRAINEE, here.id, school.id)) for i in range(1, 5)),
            ],
            start=1,
        ):
            person = Person(tg_user_id=40_000 + serial, first_name=name)
            session.add(person)
            await session.flush()
            await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
            people[name] = (person.id, (grant,))
        ids = {name: pid for name, (pid, _) in people.items()}
        trainees = tuple(ids[f"t{i}"] for i in range(1, 5))
        made = await make_class(
            session,
            institution_id=school.id,
            region_id=here.id,
            start=START,
            teacher_ids=(ids["王老师"], ids["李老师"]),
            trainee_ids=trainees,
        )
        made.name = "西湖网创一班"
        timetable = (
            await session.exec(
                select(ClassSession)
                .where(ClassSession.class_id == made.id)
                .order_by(col(ClassSession.starts_at))
            )
        ).all()
        morning, afternoon = timetable[0], timetable[1]
        for person, status in zip(trainees, ("present", "late", "absent", "excused"), strict=True):
            session.add(AttendanceMark(session_id=morning.id, person_id=person, status=status))
            session.add(AttendanceMark(session_id=afternoon.id, person_id=person, status="present"))
        morning.checkin_closed_at = afternoon.checkin_closed_at = AFTER
        t1, t2, t3, _ = trainees
        registration = {"name": "小王", "has_business": True, "business_name": "小王茶叶铺"}
        registration |= {"id_number": ID_NUMBER, "mobile": MOBILE, "gender": "female"}
        await hand_in(session, t1, "registration", registration)
        await hand_in(session, t2, "registration", {"name": "小李", "has_business": False})
        await hand_in(session, t1, "appendix3", {"store_status": "operating"})
        await hand_in(session, t2, "appendix3", {"store_status": "idle"})
        await hand_in(session, t3, "appendix3", {"store_status": "none"})
        real = {"has_real_store": True, "real_platform": "taobao", "real_store_name": "茶香小铺"}
        real |= {"real_orders": 10, "real_sales": 1234.5, "sim_store_name": "模拟茶铺"}
        p1 = await hand_in(session, t1, "practice_results", real, class_id=made.id)
        p2 = await hand_in(
            session, t2, "practice_results", {"has_real_store": False}, class_id=made.id
        )
        for trainee, round_, final, passed, submission in (
            (t1, 1, 80.0, True, p1),
            (t2, 1, 40.0, False, p2),
            (t2, 2, 70.0, True, p2),  # passed after coaching: the latest round counts
        ):
            session.add(
                AssessmentResult(
                    class_id=made.id,
                    trainee_id=trainee,
                    round=round_,
                    submission_id=submission,
                    final=final,
                    plan_complete=True,
                    passed=passed,
                )
            )
        for trainee, overall in zip(trainees, (5, 4, 3, None), strict=True):
            answered = None
            if overall is not None:
                answered = await hand_in(
                    session, trainee, "daily_feedback", {"overall": overall, "usefulness": 4}
                )
            session.add(
                FeedbackRequest(
                    class_id=made.id,
                    kind="daily",
                    day=1,
                    person_id=trainee,
                    form_id="daily_feedback",
                    opens_at=AFTER,
                    closes_at=AFTER,
                    submission_id=answered,
                )
            )
        await hand_in(
            session,
            ids["王老师"],
            "activity_comments",
            {"summary": "本班学员积极参与，进步明显。", "problems": "网速偏慢"},
            class_id=made.id,
        )
        await hand_in(
            session,
            ids["staff"],
            "equipment",
            {"layout": True, "bandwidth": False},
            class_id=made.id,
        )
        made.equipment_confirmed_by = ids["staff"]
        made.stage, made.stage_at = "assessed", AFTER
        # Certificates: t1's valid, t2's revoked, t3's holder erased their personal data.
        for serial, (holder, trainee, revoked) in enumerate(
            (("小王", t1, None), ("小李", t2, AFTER), (None, t3, None)), start=1
        ):
            session.add(
                IssuedCertificate(
                    number=f"{here.id:04d}20260000{serial:02d}",
                    programme="trainee",
                    person_id=trainee if holder else None,
                    holder_name=holder,
                    class_id=made.id,
                    class_name=made.name,
                    institution_id=school.id,
                    institution_name=school.name,
                    region_id=here.id,
                    issued_on=date(2026, 5, 18),
                    revoked_at=revoked,
                )
            )
        return World(people, made.id, here.id)


async def test_the_report_counts_a_small_class_by_hand_T11(sessions, world):
    async with unit_of_work(sessions) as session:
        found = await session.get(TrainingClass, world.class_id)
        built = await activity_report.report(session, found)
    assert built.enrolled == 4
    assert [line.rate for line in built.sessions[:3]] == [50, 100, None]
    assert (built.sessions[0].late, built.sessions[0].excused, built.sessions[0].absent) == (
        1,
        1,
        1,
    )
    assert built.overall_rate == 75 and built.hours_held == 8
    assert (built.handed_in, built.scored, built.passed) == (2, 2, 2)
    assert (built.pass_rate, built.pass_rate_enrolled) == (100, 50)
    b = built.businesses
    assert (b.running_business, b.store_opened, b.store_operating) == (1, 2, 1)
    assert (b.simulated, b.real, b.real_orders, b.real_sales) == (2, 1, 10, 1234.5)
    (daily,) = built.rounds
    assert (daily.summary.asked, daily.summary.responses) == (4, 3)
    overall = next(r for r in daily.summary.ratings if r.question == "overall")
    assert overall.average == 4.0
    assert sorted(built.facts.teachers) == ["李老师", "王老师"]
    (comment,) = built.facts.comments
    assert comment.teacher == "王老师" and "积极参与" in comment.answers["summary"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # printing: any store
async def test_the_pdf_reads_back_with_the_class_and_its_figures_T11(sessions, world):
    async with unit_of_work(sessions) as session:
        files = await activity_report.for_actor(session, world.actor("王老师"), world.class_id)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(files.pdf[1])).pages)
    assert "西湖网创一班" in text and "学员班活动报告" in text
    assert "75%" in text and "1234.50" in text and "本班学员积极参与" in text
    assert files.pdf[0] == "活动报告-西湖网创一班.pdf"
    sheets = load_workbook(io.BytesIO(files.xlsx[1])).sheetnames
    assert sheets == ["概况", "出勤", "反馈与评估", "学员创业与店铺", "讲师评语"]


async def _bundle(sessions, world, who: str, **options):
    async with unit_of_work(sessions) as session:
        return await bundle.build(session, world.actor(who), world.class_id, **options)


def _sheet(archive: bytes, name: str) -> list[tuple]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        workbook = load_workbook(io.BytesIO(opened.read(name)))
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # printing: any store
async def test_the_bundle_masks_numbers_for_staff_and_shows_them_to_the_supervisor_S15(
    sessions, world
):
    made = await _bundle(sessions, world, "staff")
    ((name, archive),) = made.archives
    assert name == "资料包-西湖网创一班.zip"
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.namelist() == [
            "01-开班申请.xlsx",
            "02-课程表.xlsx",
            "03-教材设备教具清单.xlsx",
            "04-学员名册与考勤.xlsx",
            "05-请假记录.xlsx",
            "06-反馈与评估汇总.xlsx",
            "07-考核成绩.xlsx",
            "08-证书发放.xlsx",
            "活动报告-西湖网创一班.pdf",
            "活动报告-西湖网创一班.xlsx",
        ]
    roster = _sheet(archive, "04-学员名册与考勤.xlsx")
    assert roster[0][:4] == ("姓名", "性别", "身份证号", "手机号")
    assert roster[0][4].endswith("上午") and len(roster) == 5  # header + 4 trainees
    first = roster[1]
    assert first[:4] == ("小王", "女", "110101********1234", "138****5678")
    assert first[4:6] == ("出勤", "出勤") and first[-2:] == (2, "100%")
    assert len(_sheet(archive, "02-课程表.xlsx")) == 15  # header + 14 sessions
    checklist = _sheet(archive, "03-教材设备教具清单.xlsx")
    assert [row[1] for row in checklist] == ["确认", "是", "否"]
    scores = _sheet(archive, "07-考核成绩.xlsx")
    assert [row[1] for row in scores[1:]] == [1, 1, 2]
    number = f"{world.region_id:04d}20260000"
    assert _sheet(archive, "08-证书发放.xlsx") == [
        ("姓名", "证书编号", "发证日期", "状态"),
        ("小王", f"{number}01", "2026-05-18", "有效"),
        ("小李", f"{number}02", "2026-05-18", "已撤销（2026-05-20）"),
        ("（持证人信息已应本人要求撤回）", f"{number}03", "2026-05-18", "有效"),
    ]

    no_pdf = [part for part in bundle.PARTS if part is not bundle.report]
    full = await _bundle(sessions, world, "supervisor", parts=no_pdf)
    roster = _sheet(full.archives[0][1], "04-学员名册与考勤.xlsx")
    assert roster[1][2:4] == (ID_NUMBER, MOBILE)
    with pytest.raises(NotAllowed):
        await _bundle(sessions, world, "far supervisor")
    with pytest.raises(NotAllowed):
        await _bundle(sessions, world, "王老师")  # teachers read the report, not the bundle


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # printing: any store
async def test_a_bundle_over_the_limit_comes_in_numbered_archives_S15(sessions, world):
    parts = [part for part in bundle.PARTS if part is not bundle.report]  # no PDF: faster
    made = await _bundle(sessions, world, "staff", limit=6_000, parts=parts)
    names = [name for name, _ in made.archives]
    assert len(names) > 1 and names[0] == "资料包-西湖网创一班-1.zip"
    assert all(len(data) <= 6_000 for _, data in made.archives)
    inside = []
    for name, data in made.archives:
        if name.endswith(".zip"):
            inside += zipfile.ZipFile(io.BytesIO(data)).namelist()
        else:  # a piece of a file too large for one archive
            assert ".zip.0" in name
    big = b"".join(data for name, data in made.archives if ".zip.0" in name)
    if big:
        inside += zipfile.ZipFile(io.BytesIO(big)).namelist()
    assert sorted(inside) == sorted(made.files)


def test_one_file_over_the_limit_is_cut_into_pieces_that_join_S15():
    blob = random.Random(1).randbytes(100_000)  # does not compress
    parts = pack("p", [("a.txt", b"small"), ("b.bin", blob)], limit=30_000)
    names = [name for name, _ in parts]
    assert names[0] == "p-1.zip" and names[1].startswith("p-2.zip.00")
    joined = b"".join(data for name, data in parts[1:])
    assert zipfile.ZipFile(io.BytesIO(joined)).read("b.bin") == blob
    assert all(len(data) <= 30_000 for _, data in parts)


async def test_staff_are_sent_the_report_once_when_the_class_is_assessed_T11(sessions, world):
    for _ in range(2):  # a second scan sends nothing again
        async with unit_of_work(sessions) as session:
            waiting = await activity_report.due(session, AFTER)
        prints = await activity_report.printed(waiting)
        async with unit_of_work(sessions) as session:
            await activity_report.push(session, waiting, prints)
    async with unit_of_work(sessions) as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    staff_id = world.people["staff"][0]
    assert [(row.person_id, row.method) for row in rows] == [
        (staff_id, "sendDocument"),
        (staff_id, "sendDocument"),
    ]
    assert rows[0].payload["filename"] == "活动报告-西湖网创一班.pdf"
    assert "已完成考核" in rows[0].payload["caption"]
    assert I18n("zh-CN")("reports.title") in rows[0].payload["caption"]


async def test_the_teaching_lecturers_are_asked_for_their_comments_once_T11(sessions, world):
    async with unit_of_work(sessions) as session:
        assert await activity_report.ask_comments(session, AFTER) == 2
        assert await activity_report.ask_comments(session, AFTER) == 0
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    teachers = {world.people[name][0] for name in ("王老师", "李老师")}
    assert {row.person_id for row in rows} == teachers
    assert "西湖网创一班" in rows[0].payload["text"] and "讲师评语" in rows[0].payload["text"]
    (button,) = rows[0].payload["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "✍️ 写讲师评语" and button["callback_data"].startswith("rpt:open:c:")


def test_the_reporting_commands_are_in_the_menus_of_the_roles_that_use_them():
    assert {"report", "bundle"} <= set(command_names([Grant(Role.SUPERVISOR, 1)]))
    assert {"report", "bundle"} <= set(command_names([Grant(Role.INSTITUTION, 1, 10)]))
    assert {"report", "comments"} <= set(command_names([Grant(Role.LECTURER, 1, 10)]))
    assert not {"report", "bundle", "comments"} & set(command_names([Grant(Role.TRAINEE, 1, 10)]))
