"""Handing in the assessment in chat (S-11, S-12): practice results (T8) with screenshot
albums, the business plan (T10) filled in chat with computed totals or uploaded as a file,
versions kept, refusals with their reason, staff extensions, and the printable plan (PDF)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from PIL import Image
from pypdf import PdfReader
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.domain.roles import Role
from bot.views.submissions import ExtAct, ExtCb
from storage.models import AttendanceMark, AuditEntry, FormSubmission, SubmissionExtension
from tests.bot.attendance_people import member, open_class
from tests.bot.test_intake import ask, pick
from tests.chat import ChatUser, body, button

START = date(2026, 5, 11)  # seven days: the last is 5/17
DURING = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, day 2
AFTER = datetime(2026, 5, 18, 2, 0, tzinfo=UTC)  # the day after the last
PDF = b"%PDF-1.4\n%test plan\n"


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def has(text: str):
    return lambda m: text in body(m)


async def setup(fast_factory, http, moment: datetime = DURING):
    clock = ManualClock(moment)
    app = await fast_factory(clock=clock)
    _, lecturer = await member(app, http, "李老师", Role.LECTURER)
    trainee, person_id = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (lecturer,), (person_id,))
    return app, clock, trainee, person_id, made, timetable


async def fill_practice(trainee: ChatUser, name: str = "小王的茶叶铺") -> dict:
    """Answer the practice-results form (a simulated store only) up to its review screen."""
    await trainee.send("/practice")
    await ask(trainee, "模拟商城店铺名称")
    await trainee.send(name)
    await ask(trainee, "店铺 ID 或链接")
    await trainee.send("https://mall.example.cn/shop/123")
    await ask(trainee, "已上架商品数")
    await trainee.send("12")
    await ask(trainee, "已处理订单数")
    await trainee.send("5")
    await ask(trainee, "店铺截图")
    for colour in ("green", "blue", "red"):
        await trainee.send_file(png(colour), f"{colour}.png")
    collected = await trainee.expect(lambda m: "已收到 3 张" in str(m.get("reply_markup")))
    await pick(trainee, collected, "已收到 3 张")
    await ask(trainee, "是否已在真实电商平台")
    await trainee.send("否")
    return await trainee.expect(has("请核对你的回答"))


async def submissions(app, person_id: int, form_id: str) -> list[FormSubmission]:
    async with app.store() as session:
        query = select(FormSubmission).where(
            FormSubmission.person_id == person_id, FormSubmission.form_id == form_id
        )
        return list((await session.exec(query.order_by(col(FormSubmission.id)))).all())


async def test_practice_results_are_handed_in_and_a_resubmission_keeps_the_first_S12(
    fast_factory, http
):
    app, _, trainee, person_id, made, _ = await setup(fast_factory, http)
    review = await fill_practice(trainee)
    assert "3 张照片" in body(review) and "小王的茶叶铺" in body(review)
    await pick(trainee, review, "提交")
    done = await trainee.expect(has("已提交《网络创业培训实践成果信息登记表》"))
    assert "第 1 版" in body(done) and "2026-05-17 23:59 前可以重新提交" in body(done)

    again = await trainee.reply_to("/practice")  # the last version, to change
    assert "请核对你的回答" in body(again) and "小王的茶叶铺" in body(again)
    await pick(trainee, again, "✏️ 1")
    await ask(trainee, "模拟商城店铺名称")
    await trainee.send("小王茶铺（新）")
    review = await trainee.expect(has("请核对你的回答"))
    await pick(trainee, review, "提交")
    assert "第 2 版" in body(await trainee.expect(has("已提交")))

    first, second = await submissions(app, person_id, "practice_results")
    assert (first.current, second.current) == (False, True)
    assert second.supersedes_id == first.id
    assert first.answers["sim_store_name"] == "小王的茶叶铺"
    assert second.answers["sim_store_name"] == "小王茶铺（新）"
    assert len(second.answers["sim_screenshots"]) == 3
    assert first.context == second.context == {"class_id": made.id}
    async with app.store() as session:
        actions = (await session.exec(select(AuditEntry.action))).all()
    assert actions.count("submission.handed_in") == 2


async def test_an_ineligible_trainee_is_told_why_S11(fast_factory, http):
    app, _, trainee, person_id, _, timetable = await setup(fast_factory, http)
    async with app.store() as session:
        for item in timetable[:3]:
            session.add(AttendanceMark(session_id=item.id, person_id=person_id, status="absent"))
    refusal = await trainee.reply_to("/practice")
    assert "你已不能参加考核" in body(refusal)
    assert "无故缺课 3 次、请假 0 次" in body(refusal) and "允许的 2 次" in body(refusal)
    assert "你已不能参加考核" in body(await trainee.reply_to("/plan"))
    assert await trainee.quiet() == []
    assert await submissions(app, person_id, "practice_results") == []


async def test_a_late_trainee_is_refused_with_the_deadline_until_staff_extend_it(
    fast_factory, http
):
    app, _, trainee, person_id, made, _ = await setup(fast_factory, http, AFTER)
    refusal = await trainee.reply_to("/practice")
    assert "提交截止时间 2026-05-17 23:59 已过" in body(refusal)

    staff, staff_id = await member(app, http, "机构老周", Role.INSTITUTION)
    classes = await staff.reply_to("/extend")
    await pick(staff, classes, made.name)
    learners = await staff.expect(has("给谁延期"))
    assert "共 1 人" in body(learners)
    await pick(staff, learners, "小王")
    days = await staff.expect(has("延长到"))
    assert "现在是 2026-05-17 23:59" in body(days)
    await pick(staff, days, "+3 天")
    assert "已把 小王 在" in body(await staff.expect(has("延至 2026-05-21 23:59")))
    told = await trainee.expect(has("延至"))
    assert "2026-05-21 23:59" in body(told)

    review = await fill_practice(trainee)
    await pick(trainee, review, "提交")
    assert "2026-05-21 23:59 前可以重新提交" in body(await trainee.expect(has("第 1 版")))
    async with app.store() as session:
        extension = (await session.exec(select(SubmissionExtension))).one()
        audit = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "submission.extended"))
        ).one()
    assert (extension.person_id, extension.granted_by) == (person_id, staff_id)
    assert audit.subject_id == person_id and audit.actor_id == staff_id


async def test_the_deadline_passing_while_filling_refuses_the_submission(fast_factory, http):
    app, clock, trainee, person_id, _, _ = await setup(fast_factory, http)
    clock.set(datetime(2026, 5, 17, 15, 50, tzinfo=UTC))  # 23:50 on the last day
    review = await fill_practice(trainee)
    clock.set(datetime(2026, 5, 17, 16, 0, tzinfo=UTC))  # midnight: the window has closed
    answer = await trainee.press(review["message_id"], button(review, "提交"))
    assert "截止时间 2026-05-17 23:59 已过" in answer["text"] and answer["show_alert"]
    assert await submissions(app, person_id, "practice_results") == []


async def test_someone_in_no_class_cannot_hand_in(fast_factory, http):
    app = await fast_factory(clock=ManualClock(DURING))
    trainee, _ = await member(app, http, "小李", Role.TRAINEE)
    assert "还没有在读的班级" in body(await trainee.reply_to("/practice"))


MONEY = {
    "设备": "3000",
    "首批进货": "5000",
    "平台保证金": "1000",
    "启动资金：其他": "500",
    "自有资金": "6000",
    "借款或创业担保贷款": "3000",
    "资金来源：其他": "0",
    "预计月销售额": "20000",
    "进货成本": "9000",
    "平台佣金": "2000",
    "物流和包装": "1500",
    "人员工资": "3000",
    "月成本：其他": "500",
}


async def test_a_plan_filled_in_chat_prints_with_its_text_and_totals_S12(fast_factory, http):
    app, _, trainee, person_id, made, _ = await setup(fast_factory, http)
    await trainee.send("/plan")
    mode = await ask(trainee, "你想怎样提交规划书")
    await pick(trainee, mode, "在这里逐项填写")
    texts = {
        "网店（项目）名称": "山里茶香",
        "项目简介": "把家乡的高山绿茶卖给城市白领，用短视频讲茶园故事。",
        "目标顾客": "25 到 40 岁、注重健康的城市上班族。",
        "主要竞争对手": "大品牌价格高，小店品质不稳定；我们是产地直发。",
        "主要产品": "明前绿茶 128 元/斤，雨前绿茶 68 元/斤。",
        "货源": "自家茶园和邻居合作社，供货稳定。",
        "开店平台": "抖音小店和微店。",
        "店铺定位": "中档价位，原产地、新鲜。",
        "推广方式": "每周三次直播，朋友圈社群。",
        "团队成员": "我负责运营，妻子负责包装发货。",
        "发货": "顺丰和邮政，48 小时内发货，七天无理由退换。",
    }
    for label, answer in texts.items():
        await ask(trainee, label)
        await trainee.send(answer)
    for label, amount in MONEY.items():
        await ask(trainee, label)
        await trainee.send(amount)
    await ask(trainee, "风险")
    await trainee.send("天气影响产量：提前和合作社签约。")
    review = await trainee.expect(has("请核对你的回答"))
    assert "＝ 启动资金合计（元）：9500" in body(review)
    assert "＝ 月利润（月销售额 − 月成本合计）（元）：4000" in body(review)
    assert len(body(review)) <= 4096

    printed = await trainee.reply_to("/planpdf")  # a draft prints too ("at any time")
    assert printed["document"]["file_name"] == "网络创业规划书.pdf"
    await pick(trainee, review, "提交")
    done = await trainee.expect(has("已提交《网络创业规划书》"))
    await pick(trainee, done, "打印规划书")
    document = await trainee.expect(lambda m: "document" in m)
    async with trainee.http.get(trainee.base_url + document["files"][0]["url"]) as response:
        pdf = PdfReader(io.BytesIO(await response.read()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert pdf.pages[0].mediabox.width == 595.28 or round(float(pdf.pages[0].mediabox.width)) == 595
    for expected in (
        "网络创业规划书",
        "山里茶香",
        "把家乡的高山绿茶卖给城市白领",
        "十、风险与对策",
    ):
        assert expected in text, expected
    for total in ("9500", "9000", "500", "16000", "4000", "48000"):
        assert total in text
    assert "学员：小王" in text and made.name in text
    [submitted] = await submissions(app, person_id, "business_plan")
    assert submitted.answers["capital_total"] == 9500
    assert (
        submitted.answers["monthly_profit"] == 4000 and submitted.answers["yearly_profit"] == 48000
    )


async def test_a_plan_uploaded_as_a_file_refuses_other_types_and_huge_files(fast_factory, http):
    app, _, trainee, person_id, _, _ = await setup(fast_factory, http)
    await trainee.send("/plan")
    mode = await ask(trainee, "你想怎样提交规划书")
    await pick(trainee, mode, "上传 PDF 或 Word 文件")
    await ask(trainee, "请把规划书作为文件发送")
    await trainee.send_file(b"plan", "plan.txt", kind="document", content_type="text/plain")
    assert "不支持「plan.txt」这种文件类型，可以发送：.pdf, .doc, .docx" in body(
        await trainee.expect(has("不支持"))
    )
    big = PDF + b"0" * (20 * 1024 * 1024)
    await trainee.send_file(big, "大.pdf", kind="document", content_type="application/pdf")
    assert "「大.pdf」太大了，每个文件最多 20 MB" in body(await trainee.expect(has("太大了")))
    await trainee.send_file(PDF, "规划书.docx", kind="document")
    review = await trainee.expect(has("请核对你的回答"))
    assert "1 个文件" in body(review)
    await pick(trainee, review, "提交")
    done = await trainee.expect(has("已提交《网络创业规划书》"))
    assert done.get("reply_markup") is None  # nothing filled in chat to print
    [submitted] = await submissions(app, person_id, "business_plan")
    assert submitted.answers["mode"] == "upload"
    assert submitted.answers["plan_file"][0]["name"] == "规划书.docx"
    assert "还没有在聊天里填写" in body(await trainee.reply_to("/planpdf"))


async def test_forged_extension_buttons_get_a_polite_alert(fast_factory, http):
    app, _, trainee, person_id, made, _ = await setup(fast_factory, http, AFTER)
    staff, _ = await member(app, http, "机构老周", Role.INSTITUTION)
    picker = await staff.reply_to("/extend")
    for forged, wording in [
        (ExtCb(a=ExtAct.DAYS, c=made.id, p=999_999, n=3), "这位学员已不在这个班级了"),
        (ExtCb(a=ExtAct.DAYS, c=made.id, p=person_id, n=5), "不能这样延期"),
        (ExtCb(a=ExtAct.LEARNER, c=made.id, p=999_999), "这位学员已不在这个班级了"),
        (ExtCb(a=ExtAct.CLASS, c=999_999), ""),
    ]:
        answer = await staff.press(picker["message_id"], forged.pack())
        assert answer["show_alert"] and wording in answer["text"], answer
    for data in ("ext:nonsense:1:2:3", "plan:burn"):
        answer = await staff.press(picker["message_id"], data)
        assert answer["answered"] and answer["show_alert"], answer
    # a trainee cannot extend their own deadline
    forged = ExtCb(a=ExtAct.DAYS, c=made.id, p=person_id, n=7).pack()
    last = await trainee.reply_to("/practice")
    answer = await trainee.press(last["message_id"], forged)
    assert answer["answered"]
    async with app.store() as session:
        assert (await session.exec(select(SubmissionExtension))).all() == []


async def test_before_the_class_starts_the_trainee_is_told_when_it_opens(fast_factory, http):
    app, _, trainee, _, _, _ = await setup(fast_factory, http, datetime(2026, 5, 9, tzinfo=UTC))
    refusal = await trainee.reply_to("/plan")
    assert "还没开课，2026-05-11 00:00 起可以提交" in body(refusal)
