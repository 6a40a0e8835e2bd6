"""Opening a class end to end: staff create it, assign certified teachers, generate and adjust
the timetable, confirm the equipment checklist and submit it; the supervisor returns it with
a reason, staff fix and resubmit, the supervisor approves. Everyone concerned is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.domain.roles import Grant, Role
from storage import classes, repo
from storage.models import AuditEntry, Certificate, Person, TrainingClass
from tests.bot.test_intake import ask, pick
from tests.chat import ChatUser, body, button, buttons, until_idle
from tests.factories import make_class
from tests.fast.test_teachers import joined

NAME = "2025年第3期网络创业培训班"


async def teacher(app, http, name: str, status: str | None) -> ChatUser:
    """A lecturer of the demo institution, with a lecturer certificate in `status` (or none)."""
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        await repo.add_grant(
            session,
            person.id,
            Grant(Role.LECTURER, region.id, institution.id),
            granted_by=None,
            invitation_id=None,
        )
        if status is not None:
            session.add(
                Certificate(
                    person_id=person.id,
                    kind="lecturer",
                    number=f"LC-{person.id:04d}",
                    course="网络创业培训（电商）",
                    issued_on=date(2023, 9, 1),
                    region_id=region.id,
                    status=status,
                )
            )
    return user


def start_date() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=30)


async def create_class(
    staff: ChatUser, capacity: str | None = "28", programme: str = "学员培训班"
) -> dict:
    """Fill the class form from /classes; returns the class card."""
    listing = await staff.reply_to("/classes", predicate=lambda m: "我的班级" in body(m))
    assert "还没有班级" in body(listing)
    await pick(staff, listing, "新建班级")
    await pick(staff, await ask(staff, "培训班类别"), programme)
    await ask(staff, "班级名称")
    await staff.send(NAME)
    await ask(staff, "开班日期")
    await staff.send((date.today() - timedelta(days=3)).isoformat())
    assert body(await staff.expect()) == "开班日期不能早于今天。"
    await ask(staff, "开班日期")
    await staff.send(start_date().isoformat())
    await ask(staff, "计划招收人数")
    await staff.send("35")
    assert body(await staff.expect()) == "每班最多 30 人（25 人为宜），请重新输入。"
    question = await ask(staff, "计划招收人数")
    if capacity is None:
        await pick(staff, question, "跳过")
    else:
        await staff.send(capacity)
    await ask(staff, "培训场地地址")
    await staff.send("杭州市西湖区文三路 90 号")
    await ask(staff, "场地位置")
    await staff.send_json({"location": {"latitude": 30.2741, "longitude": 120.1551}})
    await pick(staff, await staff.expect(lambda m: "请核对你的回答" in body(m)), "提交")
    return await staff.expect(lambda m: NAME in body(m) and "培训机构：" in body(m))


async def press_and_see(user: ChatUser, message: dict, label: str, seen: str) -> dict:
    """Press a button of `message` and return that message once edited to show `seen`."""
    await pick(user, message, label)
    return await user.expect(lambda m: m["message_id"] == message["message_id"] and seen in body(m))


async def test_a_class_is_prepared_returned_resubmitted_and_approved(fast_factory, http):
    app = await fast_factory()
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    zhang = await teacher(app, http, "张老师", "verified")
    zhao = await teacher(app, http, "赵老师", "verified")
    await teacher(app, http, "钱老师", "pending")
    await teacher(app, http, "周老师", "verified")

    card = await create_class(staff)
    text = body(card)
    assert "学员培训班｜筹备中" in text and "计划人数：28 人" in text
    for needed in (
        "开班前还需要",
        "⚠️ 计划招收 28 人，超过 25 人的建议规模",
        "授课老师需要 2 名，目前安排了 0 名。",
        "还没有课程表（至少 7 天、56 课时）。",
        "教材设备教具清单还没有确认。",
    ):
        assert needed in text, needed
    refused = await staff.press(card["message_id"], button(card, "提交主管部门审批"))
    assert refused["text"] == "还有 3 项条件未满足，暂不能提交。"
    reasons = await staff.expect(lambda m: "暂不能提交审批" in body(m))
    assert "授课老师需要 2 名" in body(reasons) and "超过 25 人" not in body(reasons)

    # teachers: only holders of a verified lecturer certificate, two at most
    view = await press_and_see(staff, card, "授课老师", "每班由 2 名老师共同授课")
    twice = await staff.press(view["message_id"], button(card, "授课老师"))
    assert twice["answered"] and not twice["text"], "a second tap leaves the view as it is"
    before = view
    assert "钱老师：⏳ 证书审核中" in body(view) and "张老师：✅ 证书已审核" in body(view)
    refused = await staff.press(view["message_id"], button(view, "钱老师"))
    assert refused["text"] == "钱老师 还没有通过审核的讲师培训合格证书，不能安排授课。"
    for name in ("张老师", "赵老师"):
        view = await press_and_see(staff, view, name, f"{name}：✓ 已安排")
    again = await staff.press(view["message_id"], button(before, "张老师"))
    assert again["text"] == "已安排 张老师，并已通知本人。"
    refused = await staff.press(view["message_id"], button(view, "周老师"))
    assert "已经安排了 2 名老师" in refused["text"]
    for user in (zhang, zhao):
        told = await user.expect(lambda m: "安排你担任" in body(m))
        assert NAME in body(told) and "示范网创培训学校" in body(told)

    # timetable: generated from the standard one, then a session removed: short of hours
    card = await press_and_see(staff, view, "返回班级", "授课老师：张老师、赵老师")
    table = await press_and_see(staff, card, "课程表", "还没有课程表")
    table = await press_and_see(staff, table, "按标准课程表生成", "共 7 天 / 56 课时")
    day = await press_and_see(staff, table, "第7天", "第7天")
    assert "编写网络创业规划书" in body(day) and "实践成果展示与结业" in body(day)
    confirm = await press_and_see(staff, day, "删除", "确定删除第7天上午这节课吗")
    day = await press_and_see(staff, confirm, "确定删除", "第7天")
    assert "编写网络创业规划书" not in body(day)
    table = await press_and_see(staff, day, "返回课程表", "共 7 天 / 52 课时")
    assert "⚠️ 还不够" in body(table)
    card = await press_and_see(staff, table, "返回班级", "课程表共 52 课时，至少需要 56 课时。")

    # equipment checklist: every item must be ready; the 100 Mbit/s network is only advised
    await pick(staff, card, "设备清单")
    layout = await ask(staff, "U 型")
    await pick(staff, layout, "否")
    assert "这一项须在开班前落实" in body(await staff.expect())
    await pick(staff, await ask(staff, "U 型"), "是")
    for label in ("一台电脑", "教学辅助平台", "实践操作手册", "测试过设备和网络"):
        await pick(staff, await ask(staff, label), "是")
    await pick(staff, await ask(staff, "100 兆"), "否")
    warning = await ask(staff, "⚠️ 文件建议配备不低于 100 兆")
    assert "不影响开班" in body(warning)
    await pick(staff, warning, "继续")
    await pick(staff, await ask(staff, "正版教材"), "是")
    await pick(staff, await staff.expect(lambda m: "请核对你的回答" in body(m)), "提交")
    card = await staff.expect(lambda m: "设备清单：已确认" in body(m))
    refused = await staff.press(card["message_id"], button(card, "提交主管部门审批"))
    assert refused["text"] == "还有 1 项条件未满足，暂不能提交。"
    reasons = await staff.expect(lambda m: "暂不能提交审批" in body(m))
    assert "课程表共 52 课时，至少需要 56 课时。" in body(reasons)

    # put a session back (a half day holds one session; hours must fit the time)
    table = await press_and_see(staff, card, "课程表", "共 7 天 / 52 课时")
    day = await press_and_see(staff, table, "第7天", "第7天")
    await pick(staff, day, "第7天加一节课")
    await staff.expect(lambda m: "给第7天加一节课" in body(m))
    await staff.send("14:00-17:00")
    assert "第7天下午已经有一节课了" in body(await staff.expect())
    await staff.send("下午两点")
    assert "没看懂这个时间" in body(await staff.expect())
    await staff.send("9:00-12:30")
    assert "最多 5 课时" in body(await staff.expect())
    await staff.send("6")
    assert "6 课时放不进这个时间段" in body(await staff.expect())
    await staff.send("4")
    await staff.expect(lambda m: "主题是" in body(m))
    await staff.send("网络创业规划书编写与答辩")
    await staff.expect(lambda m: body(m) == "已调整。")
    day = await staff.expect(lambda m: "网络创业规划书编写与答辩" in body(m))
    await pick(staff, day, "上午时间")
    await staff.expect(lambda m: "现在是 09:00-12:30" in body(m))
    await staff.send("8:30-12:00")
    await staff.expect(lambda m: body(m) == "已调整。")
    day = await staff.expect(lambda m: "上午 08:30-12:00" in body(m))
    table = await press_and_see(
        staff, day, "返回课程表", "共 7 天 / 56 课时（至少 7 天 / 56 课时） ✅"
    )
    card = await press_and_see(staff, table, "返回班级", "各项条件都已满足")

    submitted = await staff.press(card["message_id"], button(card, "提交主管部门审批"))
    assert submitted["text"] == "已提交主管部门审批，结果会通知你。"
    waiting = await staff.expect(
        lambda m: m["message_id"] == card["message_id"] and "⏳" in body(m)
    )
    stale = await staff.press(waiting["message_id"], button(card, "修改基本信息"))
    assert "班级现在是“待审批”，不能修改" in stale["text"]

    # the supervisor returns it with a reason
    application = await supervisor.expect(lambda m: "开班申请" in body(m))
    text = body(application)
    assert NAME in text and "7 天 / 56 课时" in text and "张老师（证书 LC-" in text
    await pick(supervisor, application, "查看课程表")
    listing = await supervisor.expect(lambda m: "课程表" in body(m) and "第1天" in body(m))
    assert "开班与破冰" in body(listing) and "08:30-12:00" in body(listing)
    await pick(supervisor, application, "退回修改")
    await supervisor.expect(lambda m: "请写明退回" in body(m))
    await supervisor.send("场地地址请写到门牌号和楼层")
    await supervisor.expect(lambda m: "已退回" in body(m))
    notice = await staff.expect(lambda m: "主管部门退回了" in body(m))
    assert "场地地址请写到门牌号和楼层" in body(notice)

    # staff fix the address and resubmit
    card = await press_and_see(
        staff, notice, NAME, "↩️ 主管部门退回理由：场地地址请写到门牌号和楼层"
    )
    await pick(staff, card, "修改基本信息")
    review = await staff.expect(lambda m: "请核对你的回答" in body(m))
    assert "杭州市西湖区文三路 90 号" in body(review)
    await pick(staff, review, "✏️ 5")
    await ask(staff, "培训场地地址")
    await staff.send("杭州市西湖区文三路 90 号东部软件园 3 号楼 201 室")
    await pick(staff, await staff.expect(lambda m: "请核对你的回答" in body(m)), "提交")
    card = await staff.expect(lambda m: "3 号楼 201 室" in body(m) and "培训机构：" in body(m))
    await staff.press(card["message_id"], button(card, "重新提交主管部门审批"))

    # a supervisor of another region cannot approve it, even with the button in hand
    application = await supervisor.expect(lambda m: "上次退回理由" in body(m))
    assert "3 号楼 201 室" in body(application)
    elsewhere = await ChatUser.create(http, app.base_url, "外地科长")
    await elsewhere.reply_to("/start")
    async with app.store() as session:
        region = await repo.add_region(session, "外地")
        person = (
            await session.exec(select(Person).where(Person.tg_user_id == elsewhere.user_id))
        ).one()
        scope = Grant(Role.SUPERVISOR, region.id)
        await repo.add_grant(session, person.id, scope, granted_by=None, invitation_id=None)
    own = await elsewhere.reply_to("/help")
    forged = await elsewhere.press(own["message_id"], button(application, "批准开班"))
    assert forged["text"] == "这不在你的权限范围内，无法操作。" and forged["show_alert"]
    async with app.store() as session:
        assert (await session.exec(select(TrainingClass))).one().status == "submitted"

    # and the supervisor of its region approves
    answer = await supervisor.press(application["message_id"], button(application, "批准开班"))
    assert answer["text"] == "已批准开班，培训机构和授课老师都已收到通知。"
    await until_idle(app)  # the card shows the decision: pressing it again is not a double tap
    again = await supervisor.press(application["message_id"], button(application, "批准开班"))
    assert again["text"] == "这个开班申请已经处理过了：已批准开班。"
    approved = await staff.expect(lambda m: "已批准" in body(m))
    assert "现在可以招收学员了" in body(approved)
    await staff.press(
        approved["message_id"], approved["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    board = await staff.expect(lambda m: "👥 学员报名" in str(m.get("reply_markup")))
    await staff.press(board["message_id"], button(board, "👥 学员报名"))
    assert "名额：已占 0/28" in body(await staff.expect(lambda m: "名额：" in body(m)))
    for user in (zhang, zhao):
        told = await user.expect(lambda m: "已获主管部门批准开班" in body(m))
        assert "共 7 天 / 56 课时" in body(told)

    async with app.store() as session:
        found = (await session.exec(select(TrainingClass))).one()
        actions = (
            await session.exec(
                select(AuditEntry.action, AuditEntry.reason)
                .where(AuditEntry.object_type == "training_class")
                .order_by(AuditEntry.id)
            )
        ).all()
        sessions = await classes.sessions_of(session, found.id)
        teacher_ids = await classes.teacher_ids(session, found.id)
    assert found.status == "approved" and found.capacity == 28 and found.region_id is not None
    assert found.venue_lat == 30.2741 and found.equipment_confirmed_at is not None
    assert len(teacher_ids) == 2 and sum(s.hours for s in sessions) == 56
    assert [a for a, _ in actions] == [
        "class.created",
        "class.teacher_assigned",
        "class.teacher_assigned",
        "class.timetable_generated",
        "class.session_removed",
        "class.equipment_confirmed",
        "class.session_added",
        "class.session_time",
        "class.submitted",
        "class.returned",
        "class.edited",
        "class.submitted",
        "class.approved",
    ]
    assert ("class.returned", "场地地址请写到门牌号和楼层") in actions


async def test_only_staff_manage_classes_and_only_the_region_decides(fast_factory, http):
    app = await fast_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    lecturer = await teacher(app, http, "张老师", "verified")
    card = await create_class(staff, capacity=None)
    assert "计划人数：30 人" in body(card) and "建议规模" in body(card)
    await lecturer.send("/classes")
    assert body(await lecturer.expect()) == (
        "/classes 是培训机构使用的命令，你目前没有这个身份。发送 /help 查看你能用的命令。"
    )
    own = await lecturer.reply_to("/help")
    forged = await lecturer.press(own["message_id"], button(card, "授课老师"))
    assert "按钮已失效" in forged["text"]


async def test_a_forged_card_action_gets_a_polite_alert_and_changes_nothing(fast_factory, http):
    """Card buttons are routed on their action: an action that does not exist (here on the
    class card and on the timetable) fails every filter and the catch-all answers it."""
    app = await fast_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    card = await create_class(staff)
    submit = button(card, "主管部门审批")
    for forged_data in (submit.rsplit(":", 1)[0] + ":approve", submit.replace("cld:", "ttg:")):
        forged = await staff.press(card["message_id"], forged_data)
        assert forged["text"] == "这个按钮已失效。请发送 /start 重新开始。" and forged["show_alert"]
    async with app.store() as session:
        found = (await session.exec(select(TrainingClass))).one()
    assert found.status == "draft"


async def test_a_long_list_of_classes_is_paged(fast_factory, http):
    """Lists in chat are paged: 20 classes at once, ▶ to the next page, the count shown."""
    app = await fast_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        for number in range(21):
            await make_class(
                session,
                institution_id=institution.id,
                region_id=region.id,
                start=start_date() + timedelta(days=number),
                status="draft",
                days=1,
            )
    listing = await staff.reply_to("/classes", predicate=lambda m: "我的班级" in body(m))
    assert "第 1/2 页，共 21 个班级" in body(listing)
    assert len([b for b in buttons(listing) if "筹备中" in b["text"]]) == 20
    last = await press_and_see(staff, listing, "下一页", "第 2/2 页")
    assert len([b for b in buttons(last) if "筹备中" in b["text"]]) == 1
    assert "新建班级" in str(last["reply_markup"])


async def test_a_trainer_class_checklist_asks_only_the_room_and_the_books(fast_factory, http):
    """S-10, article 19 (四): a trainer class needs the room and each person's 学员教材、讲师手册
    and 培训师指南 — no computers, platform or network."""
    app = await fast_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    card = await create_class(staff, programme="培训师培训班")
    assert "教材设备教具清单还没有确认。" in body(card)
    await pick(staff, card, "设备清单")
    asked = []
    for label in ("U 型", "学员教材", "讲师手册", "培训师指南"):
        question = await ask(staff, label)
        asked.append(body(question))
        await pick(staff, question, "是")
    review = await staff.expect(lambda m: "请核对你的回答" in body(m))
    for absent in ("电脑", "平台", "100 兆", "网络"):
        assert all(absent not in text for text in asked) and absent not in body(review), absent
    await pick(staff, review, "提交")
    await staff.expect(lambda m: "设备清单：已确认" in body(m))


async def test_the_supervisor_dispatches_verified_lecturers_of_the_region(fast_factory, http):
    """S-8 (「由当地创业培训主管部门选派」): the region's supervisor dispatches verified lecturers
    of the region to a trainee class being prepared; the lecturer and the institution are told
    and the class card shows them; an unverified lecturer is refused, a trainer class is not
    the region's to staff."""
    app = await fast_factory()
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    zhang = await teacher(app, http, "张老师", "verified")
    await teacher(app, http, "钱老师", "pending")
    card = await create_class(staff)
    async with app.store() as session:
        made = (await session.exec(select(TrainingClass))).one()
        for programme in ("trainer", "lecturer"):
            await make_class(
                session,
                institution_id=made.institution_id,
                region_id=made.region_id,
                start=start_date(),
                programme=programme,
                status="draft",
            )

    listing = await supervisor.reply_to("/dispatch", predicate=lambda m: "选派授课讲师" in body(m))
    assert "共 1 个" in body(listing) and len(buttons(listing)) == 1
    view = await press_and_see(supervisor, listing, NAME, "授课老师")
    refused = await supervisor.press(view["message_id"], button(view, "钱老师"))
    assert "还没有通过审核的讲师培训合格证书" in refused["text"]
    view = await press_and_see(supervisor, view, "张老师", "张老师：✓ 已安排")
    told = await zhang.expect(lambda m: "主管部门选派你" in body(m))
    assert NAME in body(told)
    notice = await staff.expect(lambda m: "主管部门选派 张老师" in body(m))
    assert NAME in body(notice)
    board = await press_and_see(staff, card, "授课老师", "张老师：✓ 已安排")
    assert "已安排 1/2 名" in body(board)
    await press_and_see(supervisor, view, "返回班级列表", "选派授课讲师")

    outsider = await staff.reply_to("/dispatch")
    assert "选派授课讲师" not in body(outsider), "staff invite teachers; they do not dispatch"
    forged = await staff.press(card["message_id"], button(view, "张老师"))
    assert "按钮已失效" in forged["text"] or "没有权限" in forged["text"]
    async with app.store() as session:
        audit = (
            await session.exec(
                select(AuditEntry).where(AuditEntry.action == "class.teacher_assigned")
            )
        ).one()
    assert audit.details["dispatched"] is True
