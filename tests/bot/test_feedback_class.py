"""A restart of the product mid-evening pushes none of the day's feedback forms twice: the scan
after it finds every push claimed in the store, and each trainee gets the form once (the 7-day
class simulation is in the fast tier: tests/fast/test_feedback_class.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.clock import ManualClock
from bot.domain.roles import Role
from tests.bot.attendance_people import member, open_class
from tests.chat import body
from tests.fast.test_feedback import attend, has, scan
from tests.fast.test_feedback_class import Sim

START = date(2026, 6, 1)
DAY1_END = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


async def test_a_restart_mid_evening_pushes_nothing_twice(app_factory, http):
    clock = ManualClock(DAY1_END)
    app = await app_factory(clock=clock)
    wang, w = await member(app, http, "王小明", Role.TRAINEE)
    zhang, z = await member(app, http, "张伟", Role.TRAINEE)
    made, timetable = await open_class(app, START, (), (w, z))
    await attend(app, timetable, 1, w, z)
    sim = Sim(app, clock, [w, z], {0: wang, 1: zhang})
    await scan(app, clock)
    before = await sim.keys("fb:")
    assert len(before) == 2 and set(await sim.requests("daily", 1, made.id)) == {0, 1}

    await app.restart()
    await sim.scan()
    assert sorted(await sim.keys("fb:")) == sorted(before)
    await app.idle()
    for user in (wang, zhang):
        await user.expect(has("第 1 天每日反馈"))
        await user.poll()
        pushed = [m for m in user.messages.values() if "第 1 天每日反馈" in body(m)]
        assert len(pushed) == 1
