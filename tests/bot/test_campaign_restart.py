"""A campaign through a restart of the running product in the middle of sending (issue 14): part
of it queued in the outbox and going out slowly, the rest still waiting for the scan; after the
restart the product's own scheduler pushes the rest. Everyone gets the questionnaire once: no one
twice, no one missed."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from sqlmodel import select

from bot.domain.campaigns import Reply
from bot.domain.roles import Grant, Role
from bot.services import campaigns
from bot.services.actor import Actor
from scheduler.campaigns import push_batch
from storage import repo
from storage.db import unit_of_work
from storage.models import CampaignRecipient
from tests.bot.attendance_people import member, open_class
from tests.chat import body

PEOPLE = 4


def pushed(user) -> int:
    return sum("培训需求分析问卷" in body(m) for m in user.messages.values())


async def until_all(users, at_least: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for user in users:
            await user.poll()
        if sum(pushed(u) for u in users) >= at_least:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {sum(pushed(u) for u in users)} of {at_least} pushes arrived")


async def test_s42_a_campaign_reaches_everyone_once_across_a_restart(app_factory, http):
    app = await app_factory(outbox_rate=4, outbox_chat_interval=0, scan_interval_seconds=3600)
    trainees = [await member(app, http, f"学员{n}", Role.TRAINEE) for n in range(PEOPLE)]
    made, _ = await open_class(app, date(2026, 3, 2), (), tuple(p for _, p in trainees))
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        staff = Actor.of(
            trainees[0][1],
            (Grant(Role.INSTITUTION, region.id, made.institution_id),),
            "zh-CN",
            app.product.clock.now(),
        )
        draft = await campaigns.begin(session, staff, "needs")
        await campaigns.choose(session, staff, draft.id, {"kind": "class", "class_id": made.id})
        await campaigns.confirm(session, staff, draft.id, app.settings.tz)
    async with unit_of_work(app.product.sessions) as session:
        assert await push_batch(session, app.product.clock.now(), limit=3) == 3

    users = [user for user, _ in trainees]
    await until_all(users, 1)  # sending at 4 a second: stop while the outbox is mid-way
    assert sum(pushed(user) for user in users) < 3
    await app.restart()  # the product's scan at start-up pushes the one still queued
    for user in users:
        user.base_url = app.base_url
    await until_all(users, PEOPLE)
    await app.idle()
    for user in users:
        await user.poll()
    assert [pushed(user) for user in users] == [1] * PEOPLE
    async with app.store() as session:
        states = (
            await session.exec(
                select(CampaignRecipient.state).where(CampaignRecipient.campaign_id == draft.id)
            )
        ).all()
    assert states == [Reply.SENT] * PEOPLE
