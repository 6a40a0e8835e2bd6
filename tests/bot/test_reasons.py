"""The one decide-with-a-reason flow, for each decision that asks a reason (S-5 override, S-8
certificate rejection, S-10 class return, S-11 leave request): a text too short is refused
and the reason is still awaited; a command typed instead cancels the reason visibly and then
runs as usual; the text typed after that is no longer taken as a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Role
from storage.models import Certificate, LeaveRequest, ScreeningCase, TrainingClass
from tests.bot.attendance_people import member, open_class
from tests.bot.test_intake import pick
from tests.bot.test_todo import case_card, registered
from tests.chat import body
from tests.fast.test_classes import teacher
from tests.fast.test_teachers import joined

START = date(2026, 5, 11)
EVE = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
CANCELLED = "已取消填写理由"
NOT_UNDERSTOOD = "没看懂这条消息"


def has(text: str):
    return lambda m: text in body(m)


async def test_screening_override_reason_is_cancelled_by_todo(app_factory, http):
    """S-5: /todo typed instead of the override's reason cancels it and lists the inbox."""
    app = await app_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    await registered(app, http)
    card = await staff.expect(case_card)
    await pick(staff, card, "改为：适合参加网络创业培训")
    await staff.expect(has("请写明理由"))

    assert CANCELLED in body(await staff.reply_to("/todo"))
    assert "学员筛选待确认：1" in body(await staff.expect())
    assert NOT_UNDERSTOOD in body(await staff.reply_to("面谈后确认有茶叶货源"))
    async with app.store() as session:
        assert (await session.exec(select(ScreeningCase))).one().decided is None

    await pick(staff, card, "改为：适合参加网络创业培训")
    await staff.expect(has("请写明理由"))
    assert "理由需要 4-200 个字" in body(await staff.reply_to("好"))
    await staff.send("面谈后确认有茶叶货源")
    await staff.expect(lambda m: "已记录结论" in body(m))  # the card's edit may come first
    async with app.store() as session:
        case = (await session.exec(select(ScreeningCase))).one()
    assert (case.decided, case.override_reason) == ("online", "面谈后确认有茶叶货源")


async def test_certificate_rejection_reason_is_cancelled_by_start(app_factory, http):
    """S-8: /start typed instead of the rejection's reason cancels it and greets as usual;
    the certificate still waits."""
    app = await app_factory()
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    await teacher(app, http, "张老师", "pending")
    await pick(supervisor, await supervisor.reply_to("/todo"), "张老师")
    card = await supervisor.expect(has("证书审核"))
    await pick(supervisor, card, "不通过")
    await supervisor.expect(has("不通过的理由"))

    assert CANCELLED in body(await supervisor.reply_to("/start"))
    assert "你有 1 项待办" in body(await supervisor.expect())
    assert NOT_UNDERSTOOD in body(await supervisor.reply_to("查不到这个编号"))

    await pick(supervisor, card, "不通过")
    await supervisor.expect(has("不通过的理由"))
    assert "理由需要 4-200 个字" in body(await supervisor.reply_to("不行"))
    await supervisor.send("部中心名单中查不到这个编号")
    await supervisor.expect(lambda m: "未通过审核" in body(m))  # the card's edit may come first
    async with app.store() as session:
        found = (await session.exec(select(Certificate))).one()
    assert (found.status, found.reason) == ("rejected", "部中心名单中查不到这个编号")


async def test_class_return_reason_is_cancelled_by_help(app_factory, http):
    """S-10: /help typed instead of the return's reason cancels it and shows the help."""
    app = await app_factory()
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    await open_class(app, START, (), (), status="submitted")
    await pick(supervisor, await supervisor.reply_to("/todo"), "测试班")
    application = await supervisor.expect(has("开班申请"))
    await pick(supervisor, application, "退回修改")
    await supervisor.expect(has("请写明退回"))

    assert CANCELLED in body(await supervisor.reply_to("/help"))
    assert "/todo — 待办" in body(await supervisor.expect())
    assert NOT_UNDERSTOOD in body(await supervisor.reply_to("场地地址请写到门牌号"))

    await pick(supervisor, application, "退回修改")
    await supervisor.expect(has("请写明退回"))
    assert "理由需要 4-200 个字" in body(await supervisor.reply_to("改"))
    await supervisor.send("场地地址请写到门牌号")
    await supervisor.expect(lambda m: "已退回" in body(m))  # the card's edit may come first
    async with app.store() as session:
        found = (await session.exec(select(TrainingClass))).one()
    assert (found.status, found.return_reason) == ("returned", "场地地址请写到门牌号")


async def test_leave_reason_is_cancelled_by_cancel(app_factory, http):
    """S-11: /cancel typed instead of the leave's reason says the reason is cancelled, once
    (no second "nothing to cancel"), and no request is made."""
    app = await app_factory(clock=ManualClock(EVE))
    _, t1 = await member(app, http, "李老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE)
    await open_class(app, START, (t1,), (p,))

    async def up_to_the_reason() -> None:
        picker = await trainee.reply_to("/leave")
        await pick(trainee, picker, "5/11 上午")
        picker = await trainee.expect(has("已选：4 课时"))
        await pick(trainee, picker, "下一步")
        await trainee.expect(has("请写明请假理由"))

    await up_to_the_reason()
    assert CANCELLED in body(await trainee.reply_to("/cancel"))
    assert "可用命令" in body(await trainee.reply_to("/help")), "/cancel said nothing more"
    assert NOT_UNDERSTOOD in body(await trainee.reply_to("孩子生病，需要去医院"))
    async with app.store() as session:
        assert (await session.exec(select(LeaveRequest))).all() == []

    await up_to_the_reason()
    assert "理由需要 2-200 个字" in body(await trainee.reply_to("病"))
    assert "已提交" in body(await trainee.reply_to("孩子生病，需要去医院"))
    async with app.store() as session:
        assert (await session.exec(select(LeaveRequest))).one().reason == "孩子生病，需要去医院"


async def test_an_english_reader_is_told_in_english(app_factory, http):
    """The cancellation is worded in the reader's language."""
    app = await app_factory(clock=ManualClock(EVE))
    _, t1 = await member(app, http, "Li", Role.LECTURER)
    trainee, p = await member(app, http, "Wang", Role.TRAINEE, locale="en")
    await open_class(app, START, (t1,), (p,))
    picker = await trainee.reply_to("/leave")
    await pick(trainee, picker, "11 May morning")
    picker = await trainee.expect(has("4"))
    await pick(trainee, picker, "Next")
    await trainee.expect(has("reason"))
    assert "Reason cancelled" in body(await trainee.reply_to("/todo"))
