"""Leave end to end: asking, the 4-hour limit, teachers deciding, marks, /status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.commands import command_names
from bot.config import LOCALES
from bot.domain.attendance import AttendanceRecord, LeaveProblem, eligibility, session_view
from bot.domain.roles import Grant, Role
from bot.i18n import text
from bot.services.attendance import close_checkin
from handlers.leave import LeaveDecision
from scheduler.jobs import SummaryRow
from storage import attendance
from storage.db import unit_of_work
from storage.models import AttendanceMark, AuditEntry, ClassSession, LeaveRequest
from tests.bot.attendance_people import member, open_class
from tests.chat import body, button, buttons

START = date(2026, 5, 11)
EVE = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai, the day before


def has(text: str):
    return lambda m: text in body(m)


def asked(m) -> bool:
    """A leave request still waiting for this teacher (with its buttons)."""
    return "请假申请" in body(m) and bool(buttons(m))


async def test_leave_over_four_hours_is_refused_and_the_first_decision_wins(fast_factory, http):
    clock = ManualClock(EVE)
    app = await fast_factory(clock=clock)
    lecturer1, t1 = await member(app, http, "李老师", Role.LECTURER)
    lecturer2, t2 = await member(app, http, "周老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (t1, t2), (p,))

    picker = await trainee.reply_to("/leave")
    assert "请假：" in body(picker) and "已选：0 课时" in body(picker)
    assert len(buttons(picker)) == 14 + 1
    answer = await trainee.press(picker["message_id"], button(picker, "下一步"))
    assert answer["answered"]
    assert "还没有选择" in body(await trainee.expect())
    for label in ("5/11 上午", "5/11 下午"):
        await trainee.press(picker["message_id"], button(picker, label))
    picker = await trainee.expect(has("已选：8 课时"))
    assert "✓ 5/11 上午" in str(picker["reply_markup"])
    await trainee.press(picker["message_id"], button(picker, "下一步"))
    refused = await trainee.expect()
    assert "一次请假不能超过 4 课时，你选了 8 课时" in body(refused)
    await trainee.press(picker["message_id"], button(picker, "5/11 下午"))
    picker = await trainee.expect(has("已选：4 课时"))
    await trainee.press(picker["message_id"], button(picker, "下一步"))
    assert "请写明请假理由" in body(await trainee.expect(has("理由")))
    assert "理由需要 2-200 个字" in body(await trainee.reply_to("病"))
    assert "已提交" in body(await trainee.reply_to("孩子生病，需要去医院"))

    asks = [await t.expect(asked) for t in (lecturer1, lecturer2)]
    assert "小王" in body(asks[0]) and "5月11日上午 09:00–12:30" in body(asks[0])
    assert "孩子生病" in body(asks[0]) and "共 4 课时" in body(asks[0])
    await lecturer1.press(asks[0]["message_id"], button(asks[0], "批准"))
    await lecturer1.expect(has("已批准 小王 的请假申请"))  # its card's edit may come first
    late = await lecturer2.press(asks[1]["message_id"], button(asks[1], "不批准"))
    assert "已经处理过了：已批准（李老师）" in late["text"] and late["show_alert"]
    told = await trainee.expect(has("批准"))
    assert "已由 李老师 批准" in body(told)

    async with app.store() as session:
        leave = (await session.exec(select(LeaveRequest))).one()
        actions = (await session.exec(select(AuditEntry.action))).all()
    assert (leave.status, leave.decided_by, leave.hours) == ("approved", t1, 4)
    assert leave.session_ids == [timetable[0].id]
    assert "leave.requested" in actions and actions.count("leave.approved") == 1
    assert "leave.refused" not in actions

    again = await trainee.reply_to("/leave")
    assert "5/11 上午" not in str(again["reply_markup"]) and "5/11 下午" in str(
        again["reply_markup"]
    )


async def test_leave_during_the_day_excuses_a_closed_absence_and_a_refusal_is_told(
    fast_factory, http
):
    """S-11: approved leave excuses a closed absence; a refusal asks the teacher's reason
    through the one reason flow and the learner is told it."""
    clock = ManualClock(datetime(2026, 5, 11, 5, 0, tzinfo=UTC))  # 13:00, after the morning
    app = await fast_factory(clock=clock)
    lecturer, t1 = await member(app, http, "李老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (t1,), (p,))
    morning = timetable[0]
    async with app.store() as session:
        closing = await session.get(ClassSession, morning.id)
        closing.checkin_opened_at = morning.starts_at
        assert await close_checkin(session, closing, morning.ends_at) == [p]
    assert "已记为<b>缺勤</b>" in (await trainee.expect(has("缺勤")))["html"]

    picker = await trainee.reply_to("/leave")
    assert "5/11 上午" in str(picker["reply_markup"])
    assert "5/10" not in str(picker["reply_markup"])
    await trainee.press(picker["message_id"], button(picker, "5/11 上午"))
    picker = await trainee.expect(has("已选：4 课时"))
    await trainee.press(picker["message_id"], button(picker, "下一步"))
    await trainee.expect(has("理由"))
    await trainee.send("早上发烧去了诊所")
    await trainee.expect(has("已提交"))
    ask = await lecturer.expect(asked)
    assert "缺勤 1 次" in body(ask)
    await lecturer.press(ask["message_id"], button(ask, "批准"))
    await trainee.expect(has("批准"))
    async with app.store() as session:
        mark = await session.get(AttendanceMark, (morning.id, p))
    assert (mark.status, mark.marked_by) == ("excused", t1)

    status = await trainee.send("/status")
    assert status
    shown = await trainee.expect(has("考勤："))
    assert "缺勤 0，请假 1" in body(shown) and "最多还可缺勤或请假 1 次" in body(shown)

    picker = await trainee.reply_to("/leave")
    await trainee.press(picker["message_id"], button(picker, "5/12 上午"))
    picker = await trainee.expect(has("已选：4 课时"))
    await trainee.press(picker["message_id"], button(picker, "下一步"))
    await trainee.expect(has("理由"))
    await trainee.send("去办营业执照")
    await trainee.expect(has("已提交"))
    ask = await lecturer.expect(asked)
    await lecturer.press(ask["message_id"], button(ask, "不批准"))
    assert "学员会看到" in body(await lecturer.expect(has("请写明理由")))
    await lecturer.send("不")
    await lecturer.expect(has("2-200"))  # too short: asked again, nothing decided
    await lecturer.send("这天要做结业项目，不能缺")
    done, card = await lecturer.expect_all(
        has("已拒绝"),
        lambda m: m["message_id"] == ask["message_id"] and "结业项目" in body(m),
    )
    assert "已拒绝 小王 的请假申请" in body(done)
    assert "未批准（李老师）：这天要做结业项目，不能缺" in body(card) and not buttons(card)
    told = body(await trainee.expect(has("未获")))
    assert "未获 李老师 批准，理由：这天要做结业项目，不能缺" in told
    async with app.store() as session:
        statuses = [r.status for r in (await session.exec(select(LeaveRequest))).all()]
        record = await attendance.attendance_record(session, made.id, p)
    assert statuses == ["approved", "refused"] and record.excused == 1


async def test_classes_buttons_and_strangers(fast_factory, http):
    clock = ManualClock(EVE)
    app = await fast_factory(clock=clock)
    lecturer, t1 = await member(app, http, "李老师", Role.LECTURER)
    other, t2 = await member(app, http, "外班老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE, locale="en")
    assert "leave" in command_names([Grant(Role.TRAINEE)])
    assert "not in a class" in body(await trainee.reply_to("/leave"))
    first, _ = await open_class(app, START, (t1,), (p,))
    second, _ = await open_class(app, START + timedelta(days=14), (t2,), (p,))

    choose = await trainee.reply_to("/leave")
    assert "Leave from which class?" in body(choose) and len(buttons(choose)) == 2
    await trainee.press(choose["message_id"], button(choose, second.name))
    picker = await trainee.expect(has("Leave: "))
    assert "25 May morning 4h" in str(picker["reply_markup"])
    await trainee.press(picker["message_id"], button(picker, "25 May morning"))
    await trainee.expect(has("Chosen: 4 class hours"))
    await trainee.press(picker["message_id"], button(picker, "Next"))
    await trainee.expect(has("reason"))
    await trainee.send("/cancel")
    await trainee.expect()
    stale = await trainee.press(picker["message_id"], button(picker, "Next"))
    assert "no longer valid" in stale["text"] and stale["show_alert"]

    async with app.store() as session:
        leave = LeaveRequest(class_id=first.id, person_id=p, session_ids=[], hours=4, reason="x")
        session.add(leave)
        await session.flush()
        forged = LeaveDecision(r=leave.id, ok=True).pack()
    answer = await other.press((await other.reply_to("/help"))["message_id"], forged)
    assert "不在你的权限范围内" in answer["text"] and answer["show_alert"]
    refuse = LeaveDecision(r=leave.id, ok=False).pack()
    answer = await other.press((await other.reply_to("/help"))["message_id"], refuse)
    assert "不在你的权限范围内" in answer["text"] and answer["show_alert"]
    assert not [m for m in await other.quiet() if "理由" in body(m)], "no reason is asked"
    answer = await trainee.press((await trainee.reply_to("/help"))["message_id"], forged)
    assert "no longer valid" in answer["text"]
    missing = LeaveDecision(r=leave.id + 100, ok=False).pack()
    answer = await lecturer.press((await lecturer.reply_to("/help"))["message_id"], missing)
    assert "已失效" in answer["text"] and answer["show_alert"]
    async with app.store() as session:
        assert (await session.get(LeaveRequest, leave.id)).status == "pending"


async def test_status_shows_lost_eligibility_of_a_lecturer_class(fast_factory, http):
    clock = ManualClock(datetime(2026, 5, 11, 6, 0, tzinfo=UTC))
    app = await fast_factory(clock=clock)
    trainer, t1 = await member(app, http, "王培训师", Role.TRAINER)
    learner, p = await member(app, http, "赵讲师", Role.LECTURER)
    made, timetable = await open_class(app, START, (t1,), (p,), programme="lecturer")
    async with unit_of_work(app.sessions) as session:
        closing = await session.get(ClassSession, timetable[0].id)
        await close_checkin(session, closing, timetable[0].ends_at)
    lost = await learner.expect(has("已不能参加结业考核"))
    assert "任何缺勤或请假都将不能参加结业考核" in body(lost)
    told = await trainer.expect(has("赵讲师"))
    assert "不能参加结业考核" in body(told)
    await learner.send("/status")
    shown = await learner.expect(has("考勤："))
    assert "已记录 1/20 次课" in body(shown) and "❌ 已不能参加结业考核" in body(shown)


def test_every_attendance_and_leave_message_renders_in_both_languages():
    shown = session_view(2, "afternoon", EVE, EVE + timedelta(hours=3), 4, "开店", "Asia/Shanghai")
    one_leave = AttendanceRecord(sessions=14, present=3, absent=2, excused=1, leaves=1)
    e = eligibility("trainee", one_leave)
    row = SummaryRow(
        shown, held=True, present=20, late=["甲"], left_early=["丁"], absent=["乙"], excused=["丙"]
    )
    status = {"name": "一班", "programme": "trainee", "record": AttendanceRecord(), "e": e}
    samples = {
        "attendance.reminder": {"name": "一班", "s": shown, "venue": "文三路"},
        "attendance.absent": {"name": "一班", "s": shown},
        "attendance.warn": {"name": "一班", "programme": "lecturer", "e": e},
        "attendance.lost": {"name": "一班", "programme": "trainee", "e": e},
        "attendance.lost_teacher": {"trainee": "甲", "name": "一班", "programme": "x", "e": e},
        "attendance.day_summary": {
            "name": "一班",
            "day": 2,
            "date": shown.date,
            "rows": [row, SummaryRow(shown, held=False)],
        },
        "attendance.status": {"classes": [{**status, "pending": 1}, {**status, "pending": 0}]},
        "leave.request": {
            "learner": "甲",
            "name": "一班",
            "sessions": [shown],
            "hours": 4,
            "reason": "<b>病</b>",
            "e": e,
            "programme": "trainee",
        },
        "leave.decided": {
            "status": "refused",
            "name": "一班",
            "hours": 4,
            "teacher": "李",
            "reason": "<b>",
        },
        "leave.ask_refusal": {"learner": "<b>", "min": 2, "max": 200},
        "leave.already_decided": {"status": "approved", "by": "李"},
    }
    for problem in LeaveProblem:
        samples[f"leave.problem_{problem}"] = {"hours": 8, "max": 4}
    for locale in LOCALES:
        for key, context in samples.items():
            assert text(locale, key, **context), (locale, key)
        assert "&lt;b&gt;" in text(locale, "leave.request", **samples["leave.request"])
    assert "5月10日下午 20:00–23:00" in text(
        "zh-CN", "attendance.reminder", **samples["attendance.reminder"]
    )
    summary = samples["attendance.day_summary"]
    assert "早退 1" in text("zh-CN", "attendance.day_summary", **summary)
    assert "早退：丁" in text("zh-CN", "attendance.day_summary", **summary)
    assert "Left early: 丁" in text("en", "attendance.day_summary", **summary)


async def test_one_leave_over_two_sessions_counts_once_S11(fast_factory, http):
    """S-11 「请假超过2次（一次请假不能超过4课时）」: a 4-hour leave over two 2-hour sessions is
    one leave: /status counts 1 (over 2 sessions) and one more leave or absence is still
    allowed, so nobody is warned (before, it counted as 2 and the trainee was warned)."""
    clock = ManualClock(EVE)
    app = await fast_factory(clock=clock)
    lecturer, t1 = await member(app, http, "李老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (t1,), (p,))
    async with app.store() as session:
        for item in timetable[:2]:
            short = await session.get(ClassSession, item.id)
            short.hours = 2
            session.add(short)
    picker = await trainee.reply_to("/leave")
    for label in ("5/11 上午", "5/11 下午"):
        await trainee.press(picker["message_id"], button(picker, label))
    picker = await trainee.expect(has("已选：4 课时"))
    await trainee.press(picker["message_id"], button(picker, "下一步"))
    await trainee.expect(has("理由"))
    await trainee.send("家里有事，请一天假")
    await trainee.expect(has("已提交"))
    ask = await lecturer.expect(asked)
    await lecturer.press(ask["message_id"], button(ask, "批准"))
    await trainee.expect(has("批准"))
    assert not [m for m in await trainee.quiet() if "不能再缺课" in body(m)]

    await trainee.send("/status")
    shown = body(await trainee.expect(has("考勤：")))
    assert "请假 1（共 2 次课）" in shown and "最多还可缺勤或请假 1 次" in shown
    async with app.store() as session:
        record = await attendance.attendance_record(session, made.id, p)
    assert (record.excused, record.leaves) == (2, 1)
