"""The running product's outbox against the web chat: what a person notices of queued pushes."""

from __future__ import annotations

from datetime import timedelta

from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel import col, select

from bot.domain.cycle import TraineeState
from bot.domain.roles import Role
from storage import intake, outbox, repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.models import OutboxMessage, Person
from tests.chat import ChatUser, body, buttons
from tests.outbox.conftest import until


async def _rows(app) -> list[OutboxMessage]:
    async with app.store() as session:
        return list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def test_a_push_arrives_once_even_across_a_restart(app_factory, http, clock):
    app = await app_factory(clock=clock)
    user = await ChatUser.create(http, app.base_url)
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text="知道了", callback_data="ok")
    for _ in range(2):
        async with app.store() as session:
            await outbox.enqueue(
                session,
                chat_id=user.user_id,
                text="<b>明天上午 9 点上课</b>",
                key="remind:1",
                reply_markup=keyboard.as_markup().model_dump(exclude_none=True),
            )
    reminder = await user.expect()
    assert body(reminder) == "明天上午 9 点上课"
    assert [b["text"] for b in buttons(reminder)] == ["知道了"]

    await app.stop()
    engine = create_engine(app.settings.database_url)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        await outbox.enqueue(session, chat_id=user.user_id, text="停机时排队", key="while-down")
        await outbox.enqueue(session, chat_id=user.user_id, text="again", key="remind:1")
    await engine.dispose()
    await app.start()
    user.base_url = app.base_url
    assert body(await user.expect()) == "停机时排队"
    assert await user.quiet() == []
    assert [row.status for row in await _rows(app)] == ["sent", "sent"]


async def test_a_429_pauses_sending_and_retries_the_same_message(app_factory, http, clock):
    app = await app_factory(clock=clock, webchat_flood_limits=True, outbox_chat_interval=0)
    user = await ChatUser.create(http, app.base_url)
    async with app.store() as session:
        for n in range(3):
            await outbox.enqueue(session, chat_id=user.user_id, text=f"第 {n} 条")
    assert [body(await user.expect()) for _ in range(3)] == ["第 0 条", "第 1 条", "第 2 条"]
    assert await user.quiet() == []
    assert app.product.outbox.stats["retry_after"] >= 1
    assert [(row.status, row.attempts) for row in await _rows(app)] == [("sent", 0)] * 3


async def _block(http, app, user: ChatUser, blocked: bool) -> None:
    async with http.post(
        f"{app.base_url}/api/chat/block", json={"blocked": blocked}, headers=user.headers
    ) as response:
        assert response.status == 200


async def test_a_person_who_blocked_the_bot_is_shown_to_the_institution(app_factory, http, clock):
    app = await app_factory(clock=clock)
    async with app.store() as session:
        invitation = next(
            i for i in await repo.demo_invitations(session) if i.role == Role.INSTITUTION
        )
    staff = await ChatUser.create(http, app.base_url, "机构老师")
    await staff.reply_to(f"/start {invitation.code}")
    user = await ChatUser.create(http, app.base_url, "王小明")
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        await intake.move(
            session, person.id, invitation.institution_id, TraineeState.REGISTERED, actor_id=None
        )
    await _block(http, app, user, True)
    async with app.store() as session:
        await outbox.enqueue(session, chat_id=user.user_id, text="上课提醒", person_id=person.id)
        await outbox.enqueue(session, chat_id=424242, text="no such chat")

    async def settled() -> bool:
        return all(row.status not in ("pending", "sending") for row in await _rows(app))

    await until(settled)
    clock.advance(timedelta(days=1))
    await user.quiet()
    blocked, failed = await _rows(app)
    assert (blocked.status, blocked.attempts) == ("blocked", 1)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "chat not found" in failed.last_error
    trainees = await staff.reply_to("/trainees", predicate=lambda m: "本机构学员" in body(m))
    assert "王小明：已报名（已屏蔽本机器人，收不到通知）" in body(trainees)

    await _block(http, app, user, False)
    async with app.store() as session:
        await outbox.enqueue(session, chat_id=user.user_id, text="恢复通知", person_id=person.id)
    assert body(await user.expect()) == "恢复通知"
    await app.idle()  # the delivery's outcome (reachable again) is written after the send
    trainees = await staff.reply_to("/trainees", predicate=lambda m: "本机构学员" in body(m))
    assert "王小明：已报名\n" in body(trainees) + "\n"
