"""Tracking surveys in the web chat (S-16, T13): a trainee answers the pushed survey; one who
blocked the bot lands on the institution's phone list in /todo, whose card shows the mobile
to staff and takes the answers by phone; /stop and /start; /followup changes the schedule.
Fast tier: the scan is called, as the scheduler would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Role
from scheduler.followup import scan_followup
from storage.models import FollowupSurvey, FormDraft, FormSubmission
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button

START = date(2026, 1, 5)  # a 7-day class: its last day is 11 January
WAVE1 = datetime(2026, 7, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 6 months on


def has(text: str):
    return lambda m: text in body(m)


async def pick(user: ChatUser, message: dict, label: str) -> None:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer


async def fill_not_started(user: ChatUser) -> None:
    """Answer the tracking form for someone who has not started a business, then submit."""
    await pick(user, await user.expect(has("你是否已经创业或开设店铺")), "否")
    await pick(user, await user.expect(has("目前遇到的主要困难")), "跳过")
    await pick(user, await user.expect(has("希望得到哪些帮助")), "跳过")
    await pick(user, await user.expect(has("请核对你的回答")), "提交")


async def registered(app, person_id: int, name: str, mobile: str) -> None:
    async with app.store() as session:
        draft = FormDraft(
            person_id=person_id, form_id="registration", form_version=1, status="submitted"
        )
        session.add(draft)
        await session.flush()
        session.add(
            FormSubmission(
                draft_id=draft.id,
                person_id=person_id,
                form_id="registration",
                form_version=1,
                answers={"name": name, "mobile": mobile},
                submitted_by=person_id,
            )
        )


async def test_answer_block_phone_list_stop_and_schedule_in_chat_S16(fast_factory, http):
    clock = ManualClock(WAVE1)
    app = await fast_factory(clock=clock)
    staff, _ = await member(app, http, "机构小李", Role.INSTITUTION)
    wang, w = await member(app, http, "王小明", Role.TRAINEE)
    zhang, z = await member(app, http, "张伟", Role.TRAINEE)
    await open_class(app, START, (), (w, z))
    await registered(app, z, "张伟", "13812345671")
    async with http.post(
        f"{zhang.base_url}/api/chat/block", json={"blocked": True}, headers=zhang.headers
    ) as response:
        assert response.status == 200
    await scan_followup(app.sessions, clock.now(), app.settings)

    push = await wang.expect(has("创业情况跟踪调查"))
    assert "培训结束 6 个月" in body(push) and "/stop" in body(push)
    await pick(wang, push, "填写跟踪调查")
    await fill_not_started(wang)
    assert "跟踪调查已记录" in body(await wang.expect(has("已记录")))
    again = await wang.press(push["message_id"], button(push, "填写跟踪调查"))
    assert "已经填过了" in again["text"] and again["show_alert"]

    # 张伟 blocked the bot: the push met a 403; the next scan puts him on the phone list
    clock.advance(timedelta(minutes=1))
    async with app.store():
        pass  # idle: the outbox has tried the pushes
    await scan_followup(app.sessions, clock.now(), app.settings)
    inbox = await staff.reply_to("/todo")
    assert "电话回访：1" in body(inbox)
    await pick(staff, inbox, "张伟")
    card = await staff.expect(has("电话回访"))
    assert "+86 13812345671" in body(card) and "无法送达" in body(card)
    assert 'href="tel:+8613812345671"' in card["html"]  # the web chat's phone link
    await pick(staff, card, "电话中填写")
    await fill_not_started(staff)
    assert "张伟" in body(await staff.expect(has("标记为电话回访")))
    async with app.store() as session:
        called = (
            await session.exec(select(FollowupSurvey).where(FollowupSurvey.person_id == z))
        ).one()
        answer = await session.get(FormSubmission, called.submission_id)
    assert called.via_phone and answer.person_id == z and answer.answers["started"] is False
    closed = await staff.expect(has("已记录对 张伟 的回访"))  # the card, edited
    assert closed["message_id"] == card["message_id"]
    await staff.reply_to("/todo", predicate=has("🎉"))

    # /stop, and /start again undoes it
    stopped = await wang.reply_to("/stop")
    assert "不再给你发送跟踪调查" in body(stopped) and button(stopped, "恢复接收")
    assert "已恢复" in body(await wang.reply_to("/start"))

    # /followup: all classes' schedule, refused then changed
    menu = await staff.reply_to("/followup")
    assert "6、12、18、24 个月" in body(
        menu
    ) and "已发送 2 份，已回答 2 份（其中逾期 0、电话回访 1）" in body(menu)
    await pick(staff, menu, "全部班级")
    await pick(staff, await staff.expect(has("每次在当地 10:00–20:00 发送")), "修改时间")
    await staff.expect(has("第几个月发送"))
    assert "逐个增大" in body(await staff.reply_to("12 6"))
    assert "3、9 个月" in body(await staff.reply_to("3, 9"))
