"""/campaign in the web chat (issue 14): staff push the needs questionnaire to a class — form →
selection → count → now → confirm (a double tap confirms one campaign) — the scan pushes it, a
trainee fills it in and another stops receiving, and the live counts say so; a supervisor's
broken YAML questionnaire is refused with its reasons and a good one is accepted and pushable.
Fast tier: the scan is called, as the scheduler would."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import func, select

from bot.clock import ManualClock
from bot.domain.roles import Role
from scheduler.campaigns import scan_campaigns
from storage.models import Campaign, CampaignRecipient
from tests.bot.attendance_people import member, open_class
from tests.chat import body, button, buttons

START = date(2026, 3, 2)


def has(text: str):
    return lambda m: text in body(m)


async def pick(user, message: dict, label: str) -> dict:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer
    return answer


async def test_s42_staff_push_a_questionnaire_to_a_class_and_follow_it(fast, http):
    staff, _ = await member(fast, http, "刘老师", Role.INSTITUTION)
    wang, w = await member(fast, http, "王小明", Role.TRAINEE)
    zhang, z = await member(fast, http, "张伟", Role.TRAINEE)
    made, _ = await open_class(fast, START, (), (w, z))

    card = await staff.reply_to("/campaign")
    assert "还没有推送过问卷" in body(card)
    await pick(staff, card, "新建推送")
    card = await staff.expect(has("选择要推送的问卷"))
    await pick(staff, card, "培训需求分析问卷")
    card = await staff.expect(has("推送给谁"))
    await pick(staff, card, "某个班级的学员")
    card = await staff.expect(has("选择班级"))
    await pick(staff, card, made.name)
    card = await staff.expect(has("什么时候推送"))
    assert "共 2 人" in body(card) and made.name in body(card)
    await pick(staff, card, "立即推送")
    card = await staff.expect(has("确认后开始推送"))
    data = button(card, "确认推送给 2 人")
    first = await staff.press(card["message_id"], data)
    second = await staff.press(card["message_id"], data)
    assert "已确认，共 2 人" in first["text"]
    assert "已确认" not in (second.get("text") or "")
    dashboard = await staff.expect(has("回复率"))
    assert "待推送：2 人（100%）" in body(dashboard)
    async with fast.store() as session:
        assert (await session.exec(select(func.count()).select_from(Campaign))).one() == 1
        assert (await session.exec(select(func.count()).select_from(CampaignRecipient))).one() == 2

    assert await scan_campaigns(fast.sessions, fast.clock.now(), fast.settings) == 2
    push = await wang.expect(has("培训需求分析问卷"))
    assert "不再接收" in str(push["reply_markup"])
    await pick(wang, push, "填写问卷")
    for label in ("网店或网络销售经验", "网络创业最难的是", "更方便的上课时间", "最想问讲师"):
        question = await wang.expect(has(label))
        await pick(wang, question, "跳过")
    review = await wang.expect(has("请核对你的回答"))
    await pick(wang, review, "提交")
    await wang.expect(has("已提交"))
    other = await zhang.expect(has("培训需求分析问卷"))
    stopped = await pick(zhang, other, "不再接收")
    assert "不再向你推送" in stopped["text"]

    await pick(staff, dashboard, "刷新")
    dashboard = await staff.expect(has("已完成：1 人（50%）"))
    assert "不再接收：1 人（50%）" in body(dashboard)
    assert "回复率（已完成/已推送）：50%" in body(dashboard)
    answer = await wang.press(push["message_id"], button(push, "填写问卷"))
    assert "已经填写过" in answer["text"]


BROKEN = b"""id: followup
title: {zh-CN: \xe5\x9b\x9e\xe8\xae\xbf}
sections: []
"""

GOOD = """id: followup_store
title: {zh-CN: 网店经营回访, en: Online store follow-up}
pushable: true
sections:
  - id: s
    title: {zh-CN: 经营, en: Business}
    questions:
      - id: still_open
        type: yes_no
        label: {zh-CN: 你的网店还在经营吗, en: Is your store still open}
""".encode()


async def test_a_supervisors_questionnaire_file_is_checked_then_pushable(fast, http):
    supervisor, _ = await member(fast, http, "赵主任", Role.SUPERVISOR)
    await supervisor.send_file(BROKEN, "followup.yaml", kind="document")
    refused = await supervisor.expect(has("问卷定义有问题"))
    assert "form title.en: 缺少必填项" in body(refused)

    await supervisor.send_file(GOOD, "store.yaml", kind="document")
    added = await supervisor.expect(has("网店经营回访"))
    assert "已保存" in body(added) and "/campaign" in body(added)
    card = await supervisor.reply_to("/campaign")
    await pick(supervisor, card, "新建推送")
    card = await supervisor.expect(has("选择要推送的问卷"))
    assert "网店经营回访" in str(card["reply_markup"])


async def test_a_campaign_at_a_chosen_time_waits_for_it(fast_factory, http):
    """选择时间 asks the day on the runner's calendar and the hour; the trainees of classes that
    ended in a range (chosen the same way) get it only from then on."""
    clock = ManualClock(datetime(2026, 9, 1, 1, 0, tzinfo=UTC))  # 09:00 in Beijing
    app = await fast_factory(clock=clock)
    staff, _ = await member(app, http, "刘老师", Role.INSTITUTION)
    wang, w = await member(app, http, "王小明", Role.TRAINEE)
    await open_class(app, START, (), (w,))

    await pick(staff, await staff.reply_to("/campaign"), "新建推送")
    await pick(staff, await staff.expect(has("选择要推送的问卷")), "培训需求分析问卷")
    await pick(staff, await staff.expect(has("推送给谁")), "某段时间结业的班级")
    await staff.expect(has("从哪天起结业"))
    await staff.send("2026-03-01")
    await staff.expect(has("到哪天为止"))
    await staff.send("2026-02-01")
    await staff.expect(has("结束日期不能早于开始日期"))
    await staff.send("2026-03-31")
    await pick(staff, await staff.expect(has("请核对你的回答")), "提交")
    card = await staff.expect(has("什么时候推送"))
    assert "2026-03-01 至 2026-03-31 结业的班级的学员" in body(card) and "共 1 人" in body(card)
    await pick(staff, card, "选择时间")
    day = await staff.expect(has("哪一天推送"))
    assert any(b["text"] == "2026年9月" for b in buttons(day)), buttons(day)
    await staff.send("2026-09-02")
    await pick(staff, await staff.expect(has("几点推送")), "10:00")
    await pick(staff, await staff.expect(has("请核对你的回答")), "提交")
    card = await staff.expect(has("确认后开始推送"))
    assert "时间：2026-09-02 10:00" in body(card)
    await pick(staff, card, "确认推送给 1 人")
    await staff.expect(has("回复率"))

    assert await scan_campaigns(app.sessions, clock.now(), app.settings) == 0
    clock.set(datetime(2026, 9, 2, 2, 0, tzinfo=UTC))  # 10:00 in Beijing
    assert await scan_campaigns(app.sessions, clock.now(), app.settings) == 1
    await wang.expect(has("培训需求分析问卷"))


async def test_forged_or_foreign_campaign_buttons_are_refused_politely(fast, http):
    """A form that may not be pushed, a campaign that is not one's own, a selection out of range
    and a reply to a campaign one was never sent: each gets an alert, nothing is created."""
    staff, _ = await member(fast, http, "刘老师", Role.INSTITUTION)
    wang, _ = await member(fast, http, "王小明", Role.TRAINEE)
    card = await staff.reply_to("/campaign")
    for data in ("cpf:registration", "cpn:open:999:0", "cpn:kind:999:1", "cpn:confirm:999:0"):
        answer = await staff.press(card["message_id"], data)
        assert answer["show_alert"], (data, answer)
    menu = await wang.reply_to("/help")
    answer = await wang.press(menu["message_id"], "cpr:fill:999")
    assert answer["show_alert"] and "不存在" in answer["text"], answer
    async with fast.store() as session:
        assert (await session.exec(select(func.count()).select_from(Campaign))).one() == 0
