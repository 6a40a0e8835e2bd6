"""The class activity report (T11) and the reporting bundle (S-15) in chat: a teaching lecturer
writes the comments with /comments; the institution's staff press 活动报告 and 资料包 on the
class card and get the PDF, the XLSX and the ZIP, the comments in the report; a trainee has no
such commands."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from bot.clock import ManualClock
from bot.domain.roles import Role
from scheduler.reports import scan_reports
from storage.models import TrainingClass
from tests.bot.attendance_people import member, open_class
from tests.bot.test_intake import ask, pick
from tests.chat import body

START = date(2026, 5, 11)
AFTER = datetime(2026, 5, 18, 2, 0, tzinfo=UTC)


async def download(user, message: dict) -> bytes:
    async with user.http.get(user.base_url + message["files"][0]["url"]) as response:
        return await response.read()


def document(name_part: str):
    return lambda m: name_part in (m.get("document") or {}).get("file_name", "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PDFs: CPU, not the store
async def test_comments_then_the_report_and_bundle_from_the_class_card_T11_S15(fast_factory, http):
    app = await fast_factory(clock=ManualClock(AFTER))
    lecturer, lecturer_id = await member(app, http, "王老师", Role.LECTURER)
    staff, _ = await member(app, http, "机构老师", Role.INSTITUTION)
    trainee, trainee_id = await member(app, http, "小王", Role.TRAINEE)
    supervisor, _ = await member(app, http, "主管", Role.SUPERVISOR)
    made, _ = await open_class(app, START, (lecturer_id,), (trainee_id,))

    listing = await lecturer.reply_to("/comments", predicate=lambda m: "请选择班级" in body(m))
    await pick(lecturer, listing, made.name)
    question = await ask(lecturer, "培训活动总结")
    await lecturer.send("太短")
    await lecturer.expect(lambda m: "至少 10 个字" in body(m))
    await lecturer.send("学员积极参与，模拟商城全部开店。")
    for label in ("主要收获", "网店经营情况", "改进建议"):
        question = await ask(lecturer, label)
        await pick(lecturer, question, "跳过")
    review = await lecturer.expect(lambda m: "请核对你的回答" in body(m))
    await pick(lecturer, review, "提交")
    await lecturer.expect(lambda m: "已提交" in body(m) or "提交成功" in body(m))

    listing = await staff.reply_to("/classes", predicate=lambda m: "我的班级" in body(m))
    await pick(staff, listing, made.name)
    card = await staff.expect(lambda m: "活动报告" in str(m.get("reply_markup")))
    await pick(staff, card, "活动报告")
    pdf, xlsx = await staff.expect_all(document(".pdf"), document(".xlsx"))
    assert pdf["document"]["file_name"] == f"活动报告-{made.name}.pdf"
    assert f"「{made.name}」学员班活动报告" in body(pdf)
    printed = PdfReader(io.BytesIO(await download(staff, pdf)))
    text = "".join(page.extract_text() for page in printed.pages)
    assert made.name in text and "学员积极参与" in text and "王老师" in text

    await pick(staff, card, "资料包")
    zipped = await staff.expect(document(".zip"))
    assert "共 10 个文件" in body(zipped)
    names = zipfile.ZipFile(io.BytesIO(await download(staff, zipped))).namelist()
    assert "04-学员名册与考勤.xlsx" in names and f"活动报告-{made.name}.pdf" in names

    async with app.store() as session:  # the class is assessed: the scan pushes the report
        found = await session.get(TrainingClass, made.id)
        found.stage, found.stage_at = "assessed", AFTER
    assert await scan_reports(app.sessions, AFTER, app.settings) == 3  # + the lecturer's ask
    pushed = await staff.expect(lambda m: "已完成考核" in body(m))
    assert pushed["document"]["file_name"] == f"活动报告-{made.name}.pdf"
    await staff.expect(document(".xlsx"))
    assert "学员积极参与" in "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(await download(staff, pushed))).pages
    )

    listing = await supervisor.reply_to("/bundle", predicate=lambda m: "资料包" in body(m))
    assert made.name in str(listing["reply_markup"])  # any class of the region

    for command in ("/report", "/bundle", "/comments"):
        refused = await trainee.reply_to(command)
        assert "活动报告" not in body(refused) and "请选择班级" not in body(refused)
