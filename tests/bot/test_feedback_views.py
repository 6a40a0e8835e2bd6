"""The morning feedback summary is pushed once, even when the scan runs twice or after a
restart of the product (the rest of the feedback views are in the fast tier:
tests/fast/test_feedback_views.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from scheduler.feedback_summary import scan_feedback_summaries
from storage.models import OutboxMessage
from tests.chat import body, button
from tests.fast.test_feedback_views import MORNING, ask, daily_answers, has, setting


async def test_the_morning_push_comes_once_even_when_run_twice_or_after_a_restart(
    app_factory, http
):
    app, clock, teacher, teacher_id, people, made = await setting(app_factory, http)
    await ask(app, made.id, "daily", 1, people, daily_answers())
    sessions, settings = app.product.sessions, app.settings
    assert await scan_feedback_summaries(sessions, MORNING - timedelta(minutes=1), settings) == 0
    clock.set(MORNING)
    assert await scan_feedback_summaries(sessions, MORNING, settings) == 1
    assert await scan_feedback_summaries(sessions, MORNING + timedelta(minutes=5), settings) == 0
    pushed = await teacher.expect(has("早上好"))
    assert "已答 <b>" not in body(pushed) and "已答 20/25 人（80%）" in body(pushed)
    assert not any(f"学员{n}" in body(pushed) for n in range(1, 26))
    chart = await teacher.expect(lambda m: "photo" in m)
    assert chart["photo"][0]["width"] == 600, "the morning push brings its chart"
    await teacher.press(pushed["message_id"], button(pushed, "查看图表"))
    assert "已答 20/25 人（80%）" in body(await teacher.expect(has("匿名汇总")))
    assert (await teacher.expect(lambda m: "photo" in m))["photo"][0]["width"] == 600

    await app.restart()
    assert await scan_feedback_summaries(app.product.sessions, MORNING, settings) == 0
    async with app.store() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    keys = [row.key for row in rows if row.key and row.key.startswith("fbsum:")]
    assert keys == [f"fbsum:{made.id}:1:{teacher_id}", f"fbsum:{made.id}:1:{teacher_id}:chart"]
    late = MORNING + timedelta(hours=13)
    assert await scan_feedback_summaries(app.product.sessions, late, settings) == 0
