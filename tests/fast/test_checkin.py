"""Check-in end to end: codes (current, previous window, expired, wrong), lateness, locations,
duplicates, the /start deep link, hand marks with their audit, rosters and the class summary."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.checkin import current_code
from bot.domain.roles import Role
from bot.forms import service
from storage.models import AttendanceMark, AuditEntry, ClassSession
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button, buttons, until_idle

START = date(2026, 6, 1)
NINE = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the first session starts
VENUE = (30.2741, 120.1551)  # tests.factories.make_class's default venue


def has(text: str):
    return lambda m: text in body(m)


def shown_code(message: dict) -> str:
    found = re.search(r"签到码：(\d{4})", body(message))
    assert found, body(message)
    return found[1]


async def secret_of(app, session_id: int) -> str:
    async with app.store() as session:
        return (await session.get(ClassSession, session_id)).checkin_secret


async def marks(app, session_id: int) -> dict[int, AttendanceMark]:
    async with app.store() as session:
        query = select(AttendanceMark).where(AttendanceMark.session_id == session_id)
        return {mark.person_id: mark for mark in await session.exec(query)}


async def open_morning(teacher: ChatUser) -> dict:
    """/checkin, pick the morning session: returns the panel with the code."""
    choose = await teacher.reply_to("/checkin", predicate=has("选择要开启签到的课程"))
    assert len(buttons(choose)) == 2, "today's two sessions"
    await teacher.press(choose["message_id"], button(choose, "上午 09:00–12:30"))
    return await teacher.expect(has("签到进行中"))


async def a_class(fast_factory, http, trainees: tuple[str, ...], **kw):
    clock = ManualClock(NINE - timedelta(minutes=5))
    app = await fast_factory(clock=clock)
    teacher, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    people = [await member(app, http, name, Role.TRAINEE) for name in trainees]
    made, timetable = await open_class(
        app, START, (teacher_id,), tuple(person_id for _, person_id in people), **kw
    )
    return app, clock, teacher, [user for user, _ in people], [p for _, p in people], timetable


async def test_codes_current_previous_expired_wrong_and_late(fast_factory, http):
    app, clock, teacher, users, ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红", "张伟", "赵敏")
    )
    wang, li, zhang, zhao = users
    morning = timetable[0]
    assert "现在没有正在签到的课程" in body(await wang.reply_to("1234"))

    panel = await open_morning(teacher)
    code = shown_code(panel)
    secret = await secret_of(app, morning.id)
    assert code == current_code(secret, clock.now())
    assert "已签到 0/4 人" in body(panel) and "/screen/" in str(panel.get("entities"))

    checked = await wang.reply_to(code)
    assert "签到成功" in body(checked) and "08:55" in body(checked)
    assert "你已经在 08:55 签到过了" in body(await wang.reply_to(code))

    clock.advance(timedelta(seconds=30))  # the code changed; the one just read still works
    assert current_code(secret, clock.now()) != code
    assert "签到成功" in body(await li.reply_to(code))

    clock.advance(timedelta(seconds=30))  # two windows on: expired
    expired = await zhang.reply_to(code)
    assert "签到码不对或已过期" in body(expired) and "还可以再试 4 次" in body(expired)
    valid = {current_code(secret, clock.now() - timedelta(seconds=s)) for s in (0, 30)}
    wrong = next(f"{n:04d}" for n in range(10_000) if f"{n:04d}" not in valid)
    assert "还可以再试 3 次" in body(await zhang.reply_to(wrong))
    assert "签到成功" in body(await zhang.reply_to(f" {current_code(secret, clock.now())} "))

    clock.set(NINE + timedelta(minutes=10, seconds=1))
    late = await zhao.reply_to(current_code(secret, clock.now()))
    assert "记为迟到" in body(late) and "开课已超过 10 分钟" in body(late)

    await teacher.press(panel["message_id"], button(panel, "刷新"))
    refreshed = await teacher.expect(has("已签到 4/4 人"))
    assert shown_code(refreshed) == current_code(secret, clock.now())

    recorded = await marks(app, morning.id)
    assert {recorded[p].status for p in ids[:3]} == {"present"}
    assert recorded[ids[3]].status == "late"
    assert recorded[ids[0]].checked_in_at == NINE - timedelta(minutes=5)
    assert not any(mark.outside_radius or mark.lat for mark in recorded.values())
    async with app.store() as session:
        query = select(AuditEntry).where(AuditEntry.action == "attendance.checked_in")
        assert len((await session.exec(query)).all()) == 4, "the duplicate changed nothing"

    await teacher.press(panel["message_id"], button(panel, "结束签到"))
    closed = await teacher.expect(has("签到已结束"))
    assert "✅ 3 · ⏰ 1 · ❌ 0" in body(closed)
    await until_idle(app)  # the edit is sent inside the closing transaction: wait for its commit
    assert "现在没有正在签到的课程" in body(await wang.reply_to(current_code(secret, clock.now())))
    again = await teacher.press(panel["message_id"], button(panel, "结束签到"))
    assert "已经结束" in again["text"] and again["show_alert"]


async def test_too_many_wrong_codes_lock_the_code_out(fast_factory, http):
    app, clock, teacher, (wang,), _, timetable = await a_class(fast_factory, http, ("王小明",))
    await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)
    valid = {current_code(secret, clock.now() - timedelta(seconds=s)) for s in (0, 30)}
    wrong = [f"{n:04d}" for n in range(10_000) if f"{n:04d}" not in valid][:5]
    for left, code in zip((4, 3, 2, 1), wrong, strict=False):
        assert f"还可以再试 {left} 次" in body(await wang.reply_to(code))
    assert "错的次数太多" in body(await wang.reply_to(wrong[4]))
    assert "错的次数太多" in body(await wang.reply_to(current_code(secret, clock.now())))
    assert await marks(app, timetable[0].id) == {}


async def test_location_inside_outside_and_skipped(fast_factory, http):
    app, clock, teacher, users, ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红", "张伟", "赵敏")
    )
    wang, li, zhang, _ = users
    await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)

    checked = await wang.reply_to(current_code(secret, clock.now()))
    keyboard = checked["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True and "发送我的位置" in keyboard[0][0]["text"]
    await wang.send_json({"location": {"latitude": VENUE[0] + 0.001, "longitude": VENUE[1]}})
    assert "你在上课地点附近" in body(await wang.expect())

    await li.reply_to(current_code(secret, clock.now()))
    await li.send_json({"location": {"latitude": VENUE[0] + 0.011, "longitude": VENUE[1]}})
    far = await li.expect()
    assert "约 1.2 公里" in body(far) and "超出了 300 米" in body(far) and "仍然有效" in body(far)

    await zhang.reply_to(current_code(secret, clock.now()))
    skipped = await zhang.reply_to("不发送位置")
    assert "签到已经完成" in body(skipped)

    recorded = await marks(app, timetable[0].id)
    assert recorded[ids[0]].outside_radius is False and recorded[ids[0]].distance_m < 300
    assert recorded[ids[1]].outside_radius is True
    assert 1200 < recorded[ids[1]].distance_m < 1250 and recorded[ids[1]].status == "present"
    assert recorded[ids[2]].lat is None and recorded[ids[2]].outside_radius is False

    roster = await teacher.reply_to("/roster", predicate=has("📋"))
    text = body(roster)
    assert "✅ 王小明 08:55\n" in text
    assert "✅ 李小红 08:55 ⚠️ 1.2 公里" in text
    assert "— 赵敏" in text
    assert "✅ 3 · ⏰ 0 · ❌ 0 · 📝 0 · — 1 · ⚠️ 1" in text


async def test_deep_link_and_a_form_being_filled(fast_factory, http):
    """A code wins over a form being filled until the person has checked in."""
    app, clock, teacher, (wang, li), ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红")
    )
    await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)
    linked = await wang.reply_to(f"/start ci_{current_code(secret, clock.now())}")
    assert "签到成功" in body(linked)

    async with app.store() as session:
        await service.start(session, ids[1], "needs", {"institution_id": None}, now=clock.now())
    assert "签到成功" in body(await li.reply_to(current_code(secret, clock.now())))
    answer = await li.reply_to(current_code(secret, clock.now()))
    assert "签到" not in body(answer), "once checked in, four digits are the form's answer"
    assert set(await marks(app, timetable[0].id)) == set(ids)


async def test_hand_marks_are_audited_and_eligibility_follows(fast_factory, http):
    """A lecturer class: any absence costs the assessment, so a hand mark's consequence shows."""
    app, clock, teacher, users, ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红", "张伟"), programme="lecturer"
    )
    wang, li, zhang = users
    outsider, _ = await member(app, http, "周老师", Role.LECTURER)
    staff, _ = await member(app, http, "机构老师", Role.INSTITUTION)
    panel = await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)
    await wang.reply_to(current_code(secret, clock.now()))
    await teacher.press(panel["message_id"], button(panel, "结束签到"))
    await teacher.expect(has("签到已结束"))
    assert "已记为缺勤" in body(await li.expect(has("没有签到")))

    roster = await teacher.reply_to("/roster", predicate=has("📋"))
    assert "❌ 李小红" in body(roster) and "❌ 张伟" in body(roster)
    await teacher.press(roster["message_id"], button(roster, "标记上午"))
    people = await teacher.expect(has("手工标记考勤"))
    await teacher.press(people["message_id"], button(people, "李小红"))
    choice = await teacher.expect(has("请选择考勤结果"))
    assert "当前：❌ 缺勤" in body(choice)
    pressed = await teacher.press(choice["message_id"], button(choice, "请假"))
    assert pressed["text"] == "已标记：李小红 请假"
    people = await teacher.expect(has("手工标记考勤"))  # the choice redrawn as the list
    twice = await teacher.press(choice["message_id"], button(choice, "请假"))
    assert "没有变化" in twice["text"], "a press on the redrawn message is a new press"

    await teacher.press(people["message_id"], button(people, "王小明"))
    choice = await teacher.expect(has("王小明"))
    assert "当前：✅ 出勤（08:55 签到）" in body(choice)
    await teacher.press(choice["message_id"], button(choice, "缺勤"))
    lost = await wang.expect(has("已不能参加结业考核"))
    assert "缺勤 1 次" in body(lost), "a hand mark re-evaluates eligibility"

    own = await outsider.reply_to("/lang")
    forged = await outsider.press(own["message_id"], button(choice, "出勤"))
    assert "不在你的权限范围内" in forged["text"] and forged["show_alert"]
    staff_roster = await staff.reply_to("/roster", predicate=has("📋"))
    assert "📝 李小红" in body(staff_roster) and "❌ 王小明" in body(staff_roster)
    assert "标记上午" not in str(buttons(staff_roster))
    own = await staff.reply_to("/lang")
    refused = await staff.press(own["message_id"], button(choice, "出勤"))
    assert refused["show_alert"], "staff see the roster but do not mark"

    async with app.store() as session:
        query = select(AuditEntry).where(AuditEntry.action == "attendance.marked")
        audited = (await session.exec(query.order_by(AuditEntry.id))).all()
    assert len(audited) == 2
    first, second = audited
    assert (first.subject_id, first.object_id) == (ids[1], timetable[0].id)
    assert first.details["before"] == {"status": "absent", "outside_radius": False}
    assert first.details["after"] == {"status": "excused", "outside_radius": False}
    assert second.subject_id == ids[0] and second.details["after"]["status"] == "absent"
    recorded = await marks(app, timetable[0].id)
    assert recorded[ids[1]].status == "excused" and recorded[ids[1]].marked_by is not None
    assert recorded[ids[0]].status == "absent"


async def test_roster_and_summary_figures(fast_factory, http):
    app, clock, teacher, users, ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红", "张伟", "赵敏")
    )
    wang, li, zhang, _ = users
    panel = await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)
    await wang.reply_to(current_code(secret, clock.now()))
    await li.reply_to(current_code(secret, clock.now()))
    clock.set(NINE + timedelta(minutes=20))
    await zhang.reply_to(current_code(secret, clock.now()))
    await teacher.press(panel["message_id"], button(panel, "结束签到"))
    await teacher.expect(has("签到已结束"))

    clock.set(NINE + timedelta(hours=5, minutes=30))  # 14:30: the afternoon has begun
    roster = await teacher.reply_to("/roster", predicate=has("📋"))
    text = body(roster)
    assert "第 1 天" in text and "✅ 2 · ⏰ 1 · ❌ 1 · 📝 0 · — 0" in text
    assert "⏰ 张伟 09:20" in text and "❌ 赵敏" in text
    assert "✅ 0 · ⏰ 0 · ❌ 0 · 📝 0 · — 4" in text, "the afternoon, not opened"
    labels = str(buttons(roster))
    assert all(label in labels for label in ("标记上午", "标记下午", "后一天", "全班出勤汇总"))
    assert "前一天" not in str(buttons(roster))

    await teacher.press(roster["message_id"], button(roster, "标记下午"))
    people = await teacher.expect(has("手工标记考勤"))
    await teacher.press(people["message_id"], button(people, "赵敏"))
    choice = await teacher.expect(has("请选择考勤结果"))
    await teacher.press(choice["message_id"], button(choice, "出勤"))
    await teacher.expect(has("手工标记考勤"))

    await teacher.press(roster["message_id"], button(roster, "后一天"))
    day2 = await teacher.expect(has("第 2 天"))
    assert "前一天" in str(buttons(day2)) and "标记" not in str(buttons(day2)), "not begun"
    clock.set(NINE + timedelta(hours=9))  # 18:00, the first day is over
    await teacher.press(day2["message_id"], button(day2, "全班出勤汇总"))
    summary = body(await teacher.expect(has("出勤汇总")))
    assert "第 1 天上午：3/4 · 75%" in summary
    assert "第 1 天下午：1/4 · 25%" in summary
    assert "还有 12 次课未开始" in summary
    assert "王小明：50% · ✅1 ⏰0 ❌0 📝0 —1" in summary
    assert "张伟：50% · ✅0 ⏰1 ❌0 📝0 —1" in summary
    assert "赵敏：50% · ✅1 ⏰0 ❌1 📝0" in summary


async def test_early_leave_is_marked_and_shown_but_does_not_bar_the_assessment(fast_factory, http):
    """「严禁迟到早退」: a teacher marks 早退 by hand; the roster, the class summary and the
    learner's /status show it; it counts as attended and does not touch eligibility (S-11)."""
    app, clock, teacher, users, ids, timetable = await a_class(
        fast_factory, http, ("王小明", "李小红")
    )
    wang, li = users
    panel = await open_morning(teacher)
    secret = await secret_of(app, timetable[0].id)
    await wang.reply_to(current_code(secret, clock.now()))
    await li.reply_to(current_code(secret, clock.now()))
    clock.set(NINE + timedelta(hours=2))
    await teacher.press(panel["message_id"], button(panel, "结束签到"))
    await teacher.expect(has("签到已结束"))

    roster = await teacher.reply_to("/roster", predicate=has("📋"))
    assert "🏃 早退" in body(roster), "the legend names it"
    await teacher.press(roster["message_id"], button(roster, "标记上午"))
    people = await teacher.expect(has("手工标记考勤"))
    await teacher.press(people["message_id"], button(people, "王小明"))
    choice = await teacher.expect(has("请选择考勤结果"))
    pressed = await teacher.press(choice["message_id"], button(choice, "早退"))
    assert pressed["text"] == "已标记：王小明 早退"
    assert not [m for m in await wang.quiet() if "考核" in body(m)], "no eligibility notice"

    roster = await teacher.reply_to("/roster", predicate=has("📋"))
    assert "🏃 王小明" in body(roster) and "✅ 1 · ⏰ 0 · 🏃 1 · ❌ 0" in body(roster)
    clock.set(NINE + timedelta(hours=9))
    await teacher.press(roster["message_id"], button(roster, "全班出勤汇总"))
    summary = body(await teacher.expect(has("出勤汇总")))
    assert "第 1 天上午：2/2 · 100%" in summary, "早退 attended"
    assert "王小明：100% · ✅0 ⏰0 🏃1 ❌0 📝0" in summary

    await wang.send("/status")
    status = body(await wang.expect(has("考勤：")))
    assert "迟到 0，早退 1，缺勤 0" in status and "最多还可缺勤或请假 2 次" in status
    recorded = await marks(app, timetable[0].id)
    assert recorded[ids[0]].status == "left_early" and recorded[ids[1]].status == "present"
