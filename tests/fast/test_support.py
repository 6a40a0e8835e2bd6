"""Follow-up support in chat (T12, S-16, S-42): staff add a service with /services, the class
is assessed and the scan pushes the needs survey, the trainee answers and gets the matching
service, the teaching lecturer completes the answers from /needs, and staff follow the need up
from /todo, recording a contact and marking it done. An Excel import with a wrong row is
refused naming the row."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import Workbook
from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Role
from scheduler.support import scan_support_needs
from storage.models import FormSubmission, SupportContact, SupportFollowup, TrainingClass
from tests.bot.attendance_people import member, open_class
from tests.chat import body, button

START = date(2026, 5, 11)
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, after the class


def has(text: str):
    return lambda m: text in body(m)


async def _fill(user, card, label: str):
    await user.press(card["message_id"], button(card, label))


async def test_s42_t12_needs_matched_completed_and_followed_up_in_chat(fast_factory, http):
    app = await fast_factory(clock=ManualClock(NOW))
    lecturer, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    staff, _ = await member(app, http, "王主任", Role.INSTITUTION)
    trainee, trainee_id = await member(app, http, "小王", Role.TRAINEE)
    made, _ = await open_class(app, START, (teacher_id,), (trainee_id,))

    catalogue = await staff.reply_to("/services")
    assert "后续服务资源：0 项" in body(catalogue)
    await _fill(staff, catalogue, "添加")
    kind = await staff.expect(has("服务类别"))
    await _fill(staff, kind, "创业担保贷款")
    await staff.expect(has("服务名称"))
    await staff.send("区人社局创业担保贷款")
    await staff.expect(has("提供什么服务"))
    await staff.send("个人最高 30 万元，财政贴息")
    conditions = await staff.expect(has("申请条件"))
    await _fill(staff, conditions, "跳过")
    await staff.expect(has("联系方式（电话"))
    await staff.send("0571-88888888")
    review = await staff.expect(lambda m: "提交" in str(m.get("reply_markup")))
    await _fill(staff, review, "提交")
    await staff.expect(has("已保存服务资源「区人社局创业担保贷款」"))

    async with app.store() as session:
        found = await session.get(TrainingClass, made.id)
        found.stage, found.stage_at = "assessed", NOW
    assert await scan_support_needs(app.sessions, NOW, app.settings) == 1
    push = await trainee.expect(has("后续支持服务需求调查"))
    await _fill(trainee, push, "填写需求")
    needs = await trainee.expect(has("你需要哪些后续支持"))
    await _fill(trainee, needs, "创业担保贷款")
    ticked = await trainee.expect(has("你需要哪些后续支持"))
    await _fill(trainee, ticked, "完成")
    await trainee.expect(has("请具体说说"))
    await trainee.send("想开一家农产品网店，需要 5 万元周转")
    way = await trainee.expect(has("怎样联系你"))
    await _fill(trainee, way, "电话")
    when = await trainee.expect(has("方便联系的时间"))
    await _fill(trainee, when, "跳过")
    review = await trainee.expect(lambda m: "提交" in str(m.get("reply_markup")))
    await _fill(trainee, review, "提交")
    received, matched = await trainee.expect_all(
        has("已收到你的需求：创业担保贷款"), has("为你匹配的后续服务")
    )
    assert "区人社局创业担保贷款" in body(matched) and "0571-88888888" in body(matched)

    listed = await lecturer.reply_to("/needs")
    await _fill(lecturer, listed, made.name)
    roster = await lecturer.expect(has("收到了需求调查"))
    await _fill(lecturer, roster, "✅ 小王")
    answers = await lecturer.expect(has("想开一家农产品网店"))
    await _fill(lecturer, answers, "补充或更正")
    again = await lecturer.expect(lambda m: "提交" in str(m.get("reply_markup")))
    await _fill(lecturer, again, "✏️ 1")
    needs = await lecturer.expect(has("你需要哪些后续支持"))
    await _fill(lecturer, needs, "专家指导")
    ticked = await lecturer.expect(has("你需要哪些后续支持"))
    await _fill(lecturer, ticked, "完成")
    review = await lecturer.expect(lambda m: "专家指导" in body(m) and "提交" in str(m))
    await _fill(lecturer, review, "提交")
    await lecturer.expect(has("已为 小王 保存后续支持需求：创业担保贷款、专家指导"))
    second = await trainee.expect(has("为你匹配的后续服务"))
    assert "【专家指导】" in body(second) and "本地区暂时没有登记这类服务" in body(second)

    announced = await staff.expect(has("新增 1 项待跟进"))  # the lecturer's added need
    assert "小王 提交了后续支持需求" in body(announced)
    inbox = await staff.reply_to("/todo", predicate=has("待办"))
    assert "后续支持需跟进：2" in body(inbox)
    await _fill(staff, inbox, "小王 · 创业担保贷款")
    card = await staff.expect(has("后续服务跟进"))
    assert "区人社局创业担保贷款" in body(card) and "还没有记录" in body(card)
    await _fill(staff, card, "记录一次联系")
    picker = await staff.expect(has("涉及哪项服务"))
    await _fill(staff, picker, "区人社局创业担保贷款")
    await staff.expect(has("联系日期"))
    await staff.send("2026-05-20")
    channel = await staff.expect(has("联系方式"))
    await _fill(staff, channel, "电话")
    await staff.expect(has("联系结果"))
    await staff.send("已介绍贷款条件，约好下周去人社局")
    review = await staff.expect(lambda m: "提交" in str(m.get("reply_markup")))
    await _fill(staff, review, "提交")
    await staff.expect(has("联系记录已保存"))
    updated = await staff.expect(has("联系记录（1 次）"))
    assert "5月20日 电话 · 区人社局创业担保贷款" in body(updated)
    await _fill(staff, updated, "标记完成")
    await staff.expect(has("（已完成）"))
    assert "后续支持需跟进：1" in body(await staff.reply_to("/todo", predicate=has("待办")))

    async with app.store() as session:
        submissions = (
            await session.exec(
                select(FormSubmission).where(FormSubmission.form_id == "support_needs")
            )
        ).all()
        items = (await session.exec(select(SupportFollowup))).all()
        contacts = (await session.exec(select(SupportContact))).all()
    assert [(s.person_id, s.submitted_by, s.current) for s in submissions] == [
        (trainee_id, trainee_id, False),
        (trainee_id, teacher_id, True),
    ]
    assert sorted((i.need, i.status) for i in items) == [("loan", "done"), ("mentor", "open")]
    assert [(c.channel, c.contacted_on) for c in contacts] == [("phone", date(2026, 5, 20))]


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_s42_a_service_list_with_a_wrong_row_is_refused_row_by_row_then_imported(
    fast_factory, http
):
    app = await fast_factory(clock=ManualClock(NOW))
    staff, _ = await member(app, http, "王主任", Role.INSTITUTION)
    catalogue = await staff.reply_to("/services")
    await _fill(staff, catalogue, "从 Excel 导入")
    template = await staff.expect(has("导入服务资源"))
    assert template["document"]["file_name"].endswith(".xlsx")
    header = ["类别", "名称", "服务内容", "联系方式"]
    wrong = _xlsx([header, ["专家指导", "导师团", "一对一", "0571-1"], ["火箭", "x", "y", ""]])
    await staff.send_file(wrong, "服务.xlsx", kind="document")
    refused = await staff.expect(has("没有导入"))
    assert "第 3 行（x）：类别不对" in body(refused) and "缺少联系方式" in body(refused)
    right = _xlsx([header, ["专家指导", "导师团", "一对一", "0571-1"]])
    await staff.send_file(right, "服务.xlsx", kind="document")
    await staff.expect(has("已导入 1 项服务资源"))
    listed = await staff.reply_to("/services")
    assert "1 项" in body(listed) and "专家指导 · 导师团" in str(listed["reply_markup"])
