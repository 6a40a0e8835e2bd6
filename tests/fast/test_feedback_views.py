"""What teachers and institution staff see of feedback, end to end in the web chat.

Answers are put straight into the store as the feedback contract describes them (one
FeedbackRequest per person asked; a FormSubmission for each answer), so the figures shown can
be checked against the answers given. Fast tier (tests/fast/harness.py); the morning push
across a restart is in tests/bot/test_feedback_views.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.roles import Role
from bot.feedback_view_callbacks import FeedbackClass, FeedbackRound
from scheduler.feedback_summary import scan_feedback_summaries
from storage.db import unit_of_work
from storage.models import (
    ClassSession,
    FeedbackRequest,
    FormDraft,
    FormSubmission,
    Person,
)
from tests.bot.attendance_people import member, open_class
from tests.chat import body, button, buttons
from tests.scheduler.store import outbox, setup_class

START = date(2026, 6, 1)
EVENING = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai: day 1 is over
MORNING = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 07:30 the next morning in Shanghai
FORMS = {"daily": "daily_feedback", "midterm": "midterm_eval", "final": "final_eval"}

OVERALL = [5] * 8 + [4] * 7 + [3] * 3 + [2] * 2  # 20 answers: mean 4.05
PACE = ["right"] * 12 + ["too_fast"] * 6 + ["too_slow"] * 2


def has(text: str):
    return lambda m: text in body(m)


async def trainees(app, count: int, prefix: str = "学员") -> list[int]:
    async with app.store() as session:
        made = [
            Person(tg_user_id=700_000 + n + hash(prefix) % 1000 * 100, first_name=f"{prefix}{n}")
            for n in range(1, count + 1)
        ]
        session.add_all(made)
        await session.flush()
        return [person.id for person in made]


async def ask(
    app,
    class_id: int,
    kind: str,
    day: int,
    people: list[int],
    answers: list[dict],
    context: dict | None = None,
) -> None:
    """Everyone in `people` was asked; the first len(answers) answered, in that order."""
    async with app.store() as session:
        for n, person_id in enumerate(people):
            request = FeedbackRequest(
                class_id=class_id,
                kind=kind,
                day=day,
                person_id=person_id,
                form_id=FORMS[kind],
                opens_at=EVENING + timedelta(days=day - 1),
                closes_at=EVENING + timedelta(days=day - 1, hours=15),
            )
            if n < len(answers):
                full = {"class_id": class_id, "kind": kind, "day": day, **(context or {})}
                draft = FormDraft(
                    person_id=person_id,
                    form_id=FORMS[kind],
                    form_version=1,
                    context=full,
                    status="submitted",
                    answers=answers[n],
                )
                session.add(draft)
                await session.flush()
                submission = FormSubmission(
                    draft_id=draft.id,
                    person_id=person_id,
                    form_id=FORMS[kind],
                    form_version=1,
                    context=full,
                    answers=answers[n],
                    submitted_by=person_id,
                )
                session.add(submission)
                await session.flush()
                request.submission_id = submission.id
                request.answered_at = EVENING + timedelta(days=day - 1, minutes=n)
            session.add(request)


def daily_answers() -> list[dict]:
    return [
        {
            "overall": OVERALL[n],
            "usefulness": 4 if n % 2 else 5,
            "teachers": 5,
            "pace": PACE[n],
            "most_useful": "开店流程" if n == 3 else "",
            "suggestions": "希望多讲直播" if n == 5 else None,
        }
        for n in range(20)
    ]


async def setting(factory, http):
    """A lecturer with a class of 25 trainees, the clock the next morning (`factory`:
    `fast_factory`, or `app_factory` for a test that restarts)."""
    clock = ManualClock(MORNING + timedelta(hours=1))
    app = await factory(clock=clock, scan_interval_seconds=3600)
    teacher, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    people = await trainees(app, 25)
    made, _ = await open_class(app, START, (teacher_id,), tuple(people))
    return app, clock, teacher, teacher_id, people, made


async def test_a_teacher_sees_the_day_figures_computed_from_the_answers_and_no_names(
    fast_factory, http
):
    app, clock, teacher, _, people, made = await setting(fast_factory, http)
    await ask(app, made.id, "daily", 1, people, daily_answers())
    await ask(app, made.id, "daily", 2, people[:20], daily_answers()[:4])

    menu = await teacher.reply_to("/feedback", predicate=has("学员反馈"))
    assert "第 1 天反馈：已答 20/25 人（80%）" in body(menu)
    assert "第 2 天反馈：已答 4/20 人（20%）" in body(menu)
    await teacher.press(menu["message_id"], button(menu, "第 1 天反馈 20/25"))
    shown = await teacher.expect(has("匿名汇总"))
    text = body(shown)
    assert "已答 20/25 人（80%）" in text
    given = daily_answers()
    for label, question in (
        ("整体评价", "overall"),
        ("今日内容实用性", "usefulness"),
        ("讲师授课", "teachers"),
    ):
        mean = round(sum(a[question] for a in given) / len(given), 2)
        assert f"{label}：平均 {mean} 分（20 人）" in text
    assert "整体评价：平均 4.05 分" in text
    for point in (5, 4, 3, 2, 1):
        assert f"\n{point}分 " in text
    assert "5分 ▇▇▇▇▇▇▇▇▇▇ 8" in text and "4分 ▇▇▇▇▇▇▇▇▇ 7" in text and "1分  0" in text
    assert "合适 ▇▇▇▇▇▇▇▇▇▇ 12" in text and "太快 ▇▇▇▇▇ 6" in text and "太慢 ▇▇ 2" in text
    assert "· 开店流程" in text and "· 希望多讲直播" in text
    assert not any(f"学员{n}" in text for n in range(1, 26)), "no trainee is named"
    chart = await teacher.expect(lambda m: "photo" in m)
    assert chart["photo"][0]["width"] == 600

    await teacher.press(menu["message_id"], button(menu, "趋势"))
    trend = await teacher.expect(lambda m: "photo" in m)
    assert "每日整体评价平均分" in body(trend), "day 1 and day 2 (4 answers) make a trend"


async def test_two_responses_show_no_breakdown_and_no_chart(fast_factory, http):
    app, clock, teacher, _, people, made = await setting(fast_factory, http)
    await ask(app, made.id, "daily", 1, people, daily_answers()[:2])
    menu = await teacher.reply_to("/feedback", predicate=has("学员反馈"))
    await teacher.press(menu["message_id"], button(menu, "第 1 天反馈 2/25"))
    shown = await teacher.expect(has("匿名汇总"))
    assert "已答 2/25 人（8%）" in body(shown) and "回答不足 3 人" in body(shown)
    assert "平均" not in body(shown) and "进度" not in body(shown) and "▇" not in body(shown)
    assert not [m for m in await teacher.quiet() if "photo" in m]
    trend = await teacher.press(menu["message_id"], button(menu, "趋势"))
    assert "至少要有两天" in trend["text"] and trend["show_alert"]


async def test_a_teacher_cannot_see_another_class_nor_the_evaluations(fast_factory, http):
    app, clock, teacher, teacher_id, people, made = await setting(fast_factory, http)
    other_teacher, other_id = await member(app, http, "周老师", Role.LECTURER)
    others = await trainees(app, 5, prefix="别班")
    other, _ = await open_class(app, START + timedelta(days=30), (other_id,), tuple(others))
    await ask(app, other.id, "daily", 1, others, daily_answers()[:5])
    await ask(app, made.id, "midterm", 5, people, [{"organisation": 5}] * 3)

    menu = await teacher.reply_to("/feedback", predicate=has("学员反馈"))
    assert "期中评估" not in body(menu) and not buttons(menu)
    for forged in (
        FeedbackClass(c=other.id),
        FeedbackRound(c=other.id, k="daily", d=1),
        FeedbackRound(c=made.id, k="midterm", d=5),
    ):
        answer = await teacher.press(menu["message_id"], forged.pack())
        assert "不在你的权限范围内" in answer["text"] and answer["show_alert"]
    # a day nobody was asked about; a kind no round has (forged: it fails the typed filter)
    for gone in (FeedbackRound(c=made.id, k="daily", d=9).pack(), f"fvr:{made.id}:zz:1"):
        stale = await teacher.press(menu["message_id"], gone)
        assert "不在你的权限范围内" in stale["text"] or "已失效" in stale["text"]
        assert stale["show_alert"]
    gone = await teacher.press(menu["message_id"], FeedbackClass(c=10_000).pack())
    assert "已失效" in gone["text"] and gone["show_alert"]
    assert "学员反馈" in body(await other_teacher.reply_to("/feedback"))

    staff, _ = await member(app, http, "王主任", Role.INSTITUTION)
    choose = await staff.reply_to("/feedback", predicate=has("选择要查看反馈的班级"))
    assert len(buttons(choose)) == 2, "staff see every class of their institution"
    await staff.press(choose["message_id"], button(choose, other.name))
    menu = await staff.expect(has("学员反馈"))
    assert other.name in body(menu) and "第 1 天反馈：已答 5/5 人（100%）" in body(menu)


async def test_institution_staff_see_evaluations_with_response_rates(fast_factory, http):
    app, clock, teacher, _, people, made = await setting(fast_factory, http)
    staff, _ = await member(app, http, "王主任", Role.INSTITUTION, locale="en")
    context = {"modules": ["网店开设", "网店运营"], "teachers": ["李老师", "周老师"]}
    evaluations = [
        {
            "module.1": m,
            "module.2": 4,
            "teacher.1": 5,
            "teacher.2": 4,
            "organisation": 4,
            "venue": 3,
            "platform": 5,
            "recommend": r,
            "comments": "很有收获" if m == 5 else "",
        }
        for m, r in ((5, 10), (4, 9), (3, 8), (5, 7))
    ]
    await ask(app, made.id, "daily", 1, people, daily_answers())
    await ask(app, made.id, "midterm", 5, people[:24], evaluations[:3], context)
    await ask(app, made.id, "final", 7, people, evaluations, context)

    menu = await staff.reply_to("/feedback", predicate=has("trainee feedback"))
    assert "Day 1 feedback: 20/25 answered (80%)" in body(menu)
    assert "Mid-term evaluation: 3/24 answered (12%)" in body(menu)
    assert "Final evaluation: 4/25 answered (16%)" in body(menu)
    await staff.press(menu["message_id"], button(menu, "Final evaluation"))
    shown = body(await staff.expect(has("anonymous summary")))
    assert "Module “网店开设”: average 4.25 (4 answers)" in shown
    assert "Teacher “周老师”: average 4.0 (4 answers)" in shown
    assert "Would recommend (0–10): average 8.5 (4 answers)" in shown
    assert "· 很有收获" in shown and "学员" not in shown
    chart = await staff.expect(lambda m: "photo" in m)
    assert chart["photo"][0]["width"] == 600

    await staff.press(menu["message_id"], button(menu, "Mid-term evaluation"))
    shown = body(await staff.expect(has("anonymous summary")))
    assert "3/24 answered (12%)" in shown and "Module “网店开设”: average 4.0 (3 answers)" in shown


async def store_answers(sessions, setup, day: int, count: int) -> None:
    """`count` of the class's three trainees answered day `day` (store level, no web chat)."""
    async with unit_of_work(sessions) as session:
        for n, person_id in enumerate(setup.trainees):
            request = FeedbackRequest(
                class_id=setup.made.id,
                kind="daily",
                day=day,
                person_id=person_id,
                form_id=FORMS["daily"],
                opens_at=setup.timetable[2 * day - 1].ends_at,
                closes_at=setup.timetable[2 * day - 1].ends_at + timedelta(hours=15),
            )
            if n < count:
                answers = daily_answers()[n]
                draft = FormDraft(
                    person_id=person_id,
                    form_id=FORMS["daily"],
                    form_version=1,
                    status="submitted",
                    answers=answers,
                )
                session.add(draft)
                await session.flush()
                submission = FormSubmission(
                    draft_id=draft.id,
                    person_id=person_id,
                    form_id=FORMS["daily"],
                    form_version=1,
                    answers=answers,
                    submitted_by=person_id,
                )
                session.add(submission)
                await session.flush()
                request.submission_id = submission.id
            session.add(request)


async def test_each_teacher_gets_the_morning_summary_once_in_their_language(sessions):
    setup = await setup_class(sessions)
    teacher_zh, teacher_en = setup.teachers
    async with unit_of_work(sessions) as session:
        (await session.get(Person, teacher_en)).locale = "en"
    await store_answers(sessions, setup, 1, 3)
    await store_answers(sessions, setup, 2, 1)
    settings = Settings(_env_file=None)
    due = datetime(2026, 5, 11, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai the day after day 1
    assert await scan_feedback_summaries(sessions, due - timedelta(seconds=1), settings) == 0
    runs = await asyncio.gather(*(scan_feedback_summaries(sessions, due, settings) for _ in "ab"))
    assert sorted(runs) == [0, 2], "two processes at once: each teacher once"
    rows = {row.key: row for row in await outbox(sessions)}
    mine = rows[f"fbsum:{setup.made.id}:1:{teacher_zh}"]
    theirs = rows[f"fbsum:{setup.made.id}:1:{teacher_en}"]
    assert "昨天的学员反馈" in mine.payload["text"] and "已答 <b>3/3</b> 人" in mine.payload["text"]
    assert "yesterday's trainee feedback" in theirs.payload["text"]
    assert mine.expires_at == due + timedelta(hours=12)
    assert not any(name in mine.payload["text"] for name in ("小王", "小张", "小陈"))
    assert "意见和建议" not in mine.payload["text"], "nobody wrote one: no empty section"

    day_two = due + timedelta(days=1)
    assert await scan_feedback_summaries(sessions, day_two, settings) == 2
    text = (await outbox(sessions))[-1].payload["text"]
    assert "1/3" in text and ("Fewer than 3" in text or "回答不足 3 人" in text)


async def test_a_moved_day_moves_its_summary(sessions):
    setup = await setup_class(sessions)
    await store_answers(sessions, setup, 1, 3)
    async with unit_of_work(sessions) as session:
        for class_session in setup.timetable[:2]:
            moved = await session.get(ClassSession, class_session.id)
            moved.starts_at += timedelta(days=1)
            moved.ends_at += timedelta(days=1)
    settings = Settings(_env_file=None, feedback_summary_time="08:00")
    old_due = datetime(2026, 5, 11, 23, 30, tzinfo=UTC)
    new_due = datetime(2026, 5, 13, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai after the moved day
    assert await scan_feedback_summaries(sessions, old_due, settings) == 0
    assert await scan_feedback_summaries(sessions, new_due - timedelta(seconds=1), settings) == 0
    assert await scan_feedback_summaries(sessions, new_due, settings) == 2


async def test_a_summary_the_scheduler_missed_by_half_a_day_is_dropped(sessions):
    """A morning summary is news only that day: a scheduler down until 12 hours after it was
    due sends nothing late."""
    setup = await setup_class(sessions)
    await store_answers(sessions, setup, 1, 3)
    due = datetime(2026, 5, 11, 23, 30, tzinfo=UTC)
    settings = Settings(_env_file=None)
    assert await scan_feedback_summaries(sessions, due + timedelta(hours=12), settings) == 0
    assert not [row for row in await outbox(sessions) if row.key.startswith("fbsum:")]
