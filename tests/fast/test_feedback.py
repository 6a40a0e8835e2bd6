"""Filling in the daily feedback and the mid-term evaluation from the pushed button, in the
web chat: once, only while open, a thank-you with what comes next, and /myfeedback. Fast tier
(tests/fast/harness.py): the scan is called, as the scheduler would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.checkin import Mark
from bot.domain.roles import Role
from scheduler.feedback import scan_feedback
from storage import attendance
from storage.models import FeedbackRequest, FormAnswer, FormSubmission
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button

START = date(2026, 6, 1)
DAY1_END = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
DAY2_START = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 the next morning


def has(text: str):
    return lambda m: text in body(m)


async def ask(user: ChatUser, label: str) -> dict:
    return await user.expect(lambda m: label in body(m) and "/" in body(m))


async def pick(user: ChatUser, message: dict, label: str) -> None:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer


async def attend(app, timetable, day: int, *people: int) -> None:
    async with app.store() as session:
        for item in (s for s in timetable if s.day == day):
            for person_id in people:
                await attendance.set_mark(
                    session, item.id, person_id, Mark.PRESENT, item.starts_at, marked_by=None
                )


async def scan(app, clock: ManualClock) -> None:
    """What the scheduler's feedback job does at `clock`'s time (the harness runs no scheduler;
    a full product's `Running` has its sessions on its `product`)."""
    await scan_feedback(getattr(app, "product", app).sessions, clock.now(), app.settings)


async def requests(app) -> dict[int, FeedbackRequest]:
    async with app.store() as session:
        rows = (await session.exec(select(FeedbackRequest))).all()
    return {(row.kind, row.person_id): row for row in rows}


async def fill_daily(user: ChatUser, push: dict) -> dict:
    """Press the push's button and answer every question; returns the review screen."""
    await pick(user, push, "填写")
    await pick(user, await ask(user, "总体打几分"), "5")
    await pick(user, await ask(user, "对你有用吗"), "4")
    await pick(user, await ask(user, "老师讲得怎么样"), "5")
    await pick(user, await ask(user, "进度"), "合适")
    await ask(user, "最有用的是什么")
    await user.send("直播带货的话术")
    await pick(user, await ask(user, "建议"), "跳过")
    return await user.expect(has("请核对你的回答"))


async def test_daily_feedback_answered_once_then_closed(fast_factory, http):
    clock = ManualClock(DAY1_END - timedelta(hours=1))
    app = await fast_factory(clock=clock)
    _, teacher = await member(app, http, "李老师", Role.LECTURER)
    wang, w = await member(app, http, "王小明", Role.TRAINEE)
    zhang, z = await member(app, http, "张伟", Role.TRAINEE)
    made, timetable = await open_class(app, START, (teacher,), (w, z))
    await attend(app, timetable, 1, w, z)
    clock.set(DAY1_END)
    await scan(app, clock)

    push = await wang.expect(has("第 1 天每日反馈"))
    assert "6月2日 09:00 前填写" in body(push) and "匿名" in body(push)
    review = await fill_daily(wang, push)
    assert "直播带货的话术" in body(review)
    await pick(wang, review, "提交")
    thanks = await wang.expect(has("谢谢你的反馈"))
    assert "下一次课：6月2日 09:00" in body(thanks) and "/myfeedback" in body(thanks)

    found = await requests(app)
    answered = found["daily", w]
    assert answered.answered_at == DAY1_END and answered.submission_id is not None
    async with app.store() as session:
        submitted = await session.get(FormSubmission, answered.submission_id)
        rows = (
            await session.exec(select(FormAnswer).where(FormAnswer.submission_id == submitted.id))
        ).all()
    assert submitted.answers == {
        "overall": 5,
        "usefulness": 4,
        "teachers": 5,
        "pace": "right",
        "most_useful": "直播带货的话术",
        "suggestions": None,
    }
    assert submitted.context["request_id"] == answered.id
    assert {(r.question_id, r.number or r.choice) for r in rows} >= {("pace", "right")}

    again = await wang.press(push["message_id"], button(push, "填写"))
    assert "已经填过了" in again["text"] and again["show_alert"]
    mine = await wang.reply_to("/myfeedback")
    assert "第 1 天每日反馈" in body(mine) and "今天的进度：合适" in body(mine)
    assert "今天的培训总体打几分？（1 = 很不满意，5 = 非常满意）：5" in body(mine)

    # 张伟 starts before the close and submits after it: refused, not counted
    other = await zhang.expect(has("第 1 天每日反馈"))
    review = await fill_daily(zhang, other)
    clock.set(DAY2_START)
    await pick(zhang, review, "提交")
    assert "你的回答未计入" in body(await zhang.expect(has("未计入")))
    assert not [m for m in zhang.messages.values() if "已提交《" in body(m)]
    assert (await requests(app))["daily", z].submission_id is None
    closed = await zhang.press(other["message_id"], button(other, "填写"))
    assert "已经截止" in closed["text"] and closed["show_alert"]
    assert "还没有填写过" in body(await zhang.reply_to("/myfeedback"))


async def test_a_forged_button_is_refused_politely(fast_factory, http):
    clock = ManualClock(DAY1_END)
    app = await fast_factory(clock=clock)
    wang, w = await member(app, http, "王小明", Role.TRAINEE)
    zhang, z = await member(app, http, "张伟", Role.TRAINEE)
    _, timetable = await open_class(app, START, (), (w, z))
    await attend(app, timetable, 1, w)
    await scan(app, clock)
    push = await wang.expect(has("第 1 天每日反馈"))
    forged = await zhang.press((await zhang.reply_to("/help"))["message_id"], button(push, "填写"))
    assert "不在你的权限范围内" in forged["text"] and forged["show_alert"]


async def test_the_midterm_asks_about_each_module_and_teacher_by_name(fast_factory, http):
    day5_end = datetime(2026, 6, 5, 9, 30, tzinfo=UTC)
    clock = ManualClock(day5_end)
    app = await fast_factory(clock=clock)
    _, trainer = await member(app, http, "王培训师", Role.TRAINER)
    learner, p = await member(app, http, "赵讲师", Role.LECTURER, locale="en")
    made, timetable = await open_class(app, START, (trainer,), (p,), programme="lecturer")
    await attend(app, timetable, 5, p)
    await scan(app, clock)

    await learner.expect(has("Day 5 feedback"))
    push = await learner.expect(has("Mid-term evaluation"))
    await pick(learner, push, "Fill in")
    for number in range(1, 11):
        day, slot = (number + 1) // 2, "morning" if number % 2 else "afternoon"
        question = await ask(learner, f"the module “第{day}天 {slot}”")
        await pick(learner, question, "4")
    await pick(learner, await ask(learner, "王培训师's teaching"), "5")
    for label in ("organisation", "venue", "teaching platform"):
        await pick(learner, await ask(learner, label), "3")
    await pick(learner, await ask(learner, "recommend"), "9")
    await pick(learner, await ask(learner, "Comments"), "Skip")
    await pick(learner, await learner.expect(has("check your answers")), "Submit")
    thanks = await learner.expect(has("Thank you for your feedback"))
    assert "Next session" in body(thanks)

    found = (await requests(app))["midterm", p]
    async with app.store() as session:
        submitted = await session.get(FormSubmission, found.submission_id)
        rows = (
            await session.exec(select(FormAnswer).where(FormAnswer.submission_id == submitted.id))
        ).all()
    assert submitted.context["modules"][:2] == ["第1天 morning", "第1天 afternoon"]
    assert submitted.context["teachers"] == ["王培训师"]
    answers = submitted.answers
    assert [answers[f"module.{n}"] for n in range(1, 11)] == [4] * 10
    assert (answers["teacher.1"], answers["organisation"], answers["recommend"]) == (5, 3, 9)
    numbers = {row.question_id: row.number for row in rows}
    assert numbers["module.1"] == 4.0 and numbers["teacher.1"] == 5.0
