"""Re-delivered updates, failing handlers, restarts mid-step, and the webhook's answers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import pytest
from aiogram.filters import Command
from aiogram.types import Message, Update
from aiohttp import web
from sqlalchemy import text
from sqlmodel import func, select

from bot.domain.roles import Role
from bot.webchat.pages import Pages
from bot.webchat.server import create_webchat_app, webchat_token
from bot.webchat.store import WebchatStore
from storage import repo
from storage.db import create_engine, unit_of_work
from storage.models import AuditEntry, Person, ProcessedUpdate, RoleGrant
from tests.chat import ChatUser, body, button, serve
from tests.conftest import make_settings


async def _trainee_code(app) -> str:
    async with app.store() as session:
        return next(
            inv.code for inv in await repo.demo_invitations(session) if inv.role == Role.TRAINEE
        )


def _update(update_id: int, user: ChatUser, text: str, bot) -> Update:
    chat = {"id": user.user_id, "type": "private", "first_name": "张三"}
    sender = {"id": user.user_id, "is_bot": False, "first_name": "张三", "language_code": "zh"}
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 900 + update_id,
                "date": 0,
                "chat": chat,
                "from": sender,
                "text": text,
            },
        },
        context={"bot": bot},
    )


async def test_a_redelivered_update_has_no_second_effect(app_factory, http):
    app = await app_factory()
    user = await ChatUser.create(http, app.base_url)
    product = app.product
    code = await _trainee_code(app)
    update = _update(50_000, user, f"/start {code}", product.bot)
    await product.dp.feed_update(product.bot, update)
    await product.dp.feed_update(product.bot, update)
    await user.expect(lambda m: "你现在是学员" in body(m))
    await user.expect(lambda m: "入学登记表  1/" in body(m))
    assert await user.quiet() == [], "the second delivery sent nothing"
    async with unit_of_work(product.sessions) as session:
        assert len((await session.exec(select(RoleGrant))).all()) == 1
        invitation = await repo.invitation_by_code(session, code)
        assert invitation.uses == 1
        redeemed = (
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "invitation.redeemed")
        )
        assert (await session.exec(redeemed)).one() == 1


async def _boom(message: Message, session, person: Person) -> None:
    """A feature that writes, then fails: everything it wrote must disappear."""
    person.locale = "en"
    await repo.audit(session, "boom.partial", actor_id=person.id)
    await message.answer("half done")
    raise RuntimeError("feature bug")


async def test_a_failing_handler_leaves_no_partial_write(app_factory, http):
    app = await app_factory(
        prepare=lambda product: product.dp.message.register(_boom, Command("boom"))
    )
    user = await ChatUser.create(http, app.base_url)
    await user.reply_to("/start")
    await user.send("/boom")
    apology = await user.expect()
    assert "这一步没有保存" in body(apology), "what the failed step said is never sent"
    assert all(body(m) != "half done" for m in user.messages.values())
    async with app.store() as session:
        person = (await session.exec(select(Person))).one()
        assert person.locale == "zh-CN"
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
        assert "boom.partial" not in actions
        processed = (await session.exec(select(ProcessedUpdate))).all()
        assert len(processed) == 1, "the failed update must not be marked processed"
    assert "你好" in body(await user.reply_to("/start"))


async def test_a_step_in_progress_survives_a_restart(app_factory, http):
    app = await app_factory(admin_ids=[10_000_001])
    admin = await ChatUser.create(http, app.base_url, "admin")
    choose = await admin.reply_to("/invite")
    await admin.press(choose["message_id"], button(choose, "创业培训主管部门"))
    scope = await admin.expect()
    await admin.press(scope["message_id"], button(scope, "新建地区"))
    assert "名称" in body(await admin.expect())

    await app.restart()
    admin.base_url = app.base_url
    usage = await admin.reply_to("宁波市")
    assert "创业培训主管部门（宁波市）" in body(usage)
    await admin.press(scope["message_id"], button(scope, "新建地区"))
    assert "名称" in body(await admin.expect())


@pytest.fixture
async def telegram(tmp_path) -> AsyncIterator[tuple[str, str]]:
    """Only the web chat's Bot API server, standing in for Telegram: (base_url, token)."""
    settings = make_settings(tmp_path, "sqlite://", webchat_secret="telegram")
    store = WebchatStore(
        create_engine(f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}"), tmp_path / "tg-files"
    )
    await store.create_schema()
    token = webchat_token(settings)
    pages = Pages(settings, _no_cards, "网创助手")
    runner = web.AppRunner(
        create_webchat_app(settings, store, token=token, bot_name="网创助手", pages=pages)
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", token
    await runner.cleanup()
    await store.engine.dispose()


async def _no_cards(locale: str) -> list:
    return []


async def _webhook_app(app_factory, http, telegram):
    base_url, token = telegram
    async with http.post(
        f"{base_url}/api/chat/users",
        json={"first_name": "王五"},
        headers={"X-Webchat-Secret": "telegram"},
    ) as response:
        created = await response.json()
    person = ChatUser(http, base_url, created["user_id"], created["token"])
    app = await app_factory(
        bot_token=token,
        bot_api_base=base_url,
        webhook_url="https://bot.example.org/telegram/webhook",
        webhook_secret="s3cret",
    )
    serve(base_url, lambda: app.product)  # the person's chat is on the stand-in, not the product
    return app, person


async def _post(http, app, update: Update, secret: str = "s3cret") -> int:
    async with http.post(
        f"{app.base_url}/telegram/webhook",
        data=update.model_dump_json(exclude_none=True),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    ) as response:
        return response.status


async def test_webhook_checks_the_secret_and_asks_for_a_retry_when_storage_fails(
    app_factory, http, telegram
):
    app, person = await _webhook_app(app_factory, http, telegram)
    info = await app.product.bot.get_webhook_info()
    assert info.url == "https://bot.example.org/telegram/webhook"

    first = _update(1, person, "/start", app.product.bot)
    assert await _post(http, app, first, secret="wrong") == 401
    assert await _post(http, app, first) == 200
    assert "你好，张三" in body(await person.expect())
    assert await _post(http, app, first) == 200
    assert await person.quiet() == []

    async with app.product.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE processedupdate RENAME TO processedupdate_away"))
    second = _update(2, person, "/help", app.product.bot)
    assert await _post(http, app, second) == 500
    async with app.product.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE processedupdate_away RENAME TO processedupdate"))
    assert await _post(http, app, second) == 200
    assert "可用命令" in body(await person.expect())


async def test_redis_isolation_runs_the_same_conversation(app_factory, http):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set: Redis variant not run")
    app = await app_factory(redis_url=redis_url)
    user = await ChatUser.create(http, app.base_url)
    assert "你现在是学员" in body(await user.reply_to(f"/start {await _trainee_code(app)}"))


def test_webchat_token_is_stable_only_with_a_secret(tmp_path):
    with_secret = make_settings(tmp_path, "sqlite://", webchat_secret="abc")
    assert webchat_token(with_secret) == webchat_token(with_secret)
    assert hashlib.sha256(b"abc").hexdigest()[:10] not in webchat_token(with_secret)
    plain = make_settings(tmp_path, "sqlite://")
    assert webchat_token(plain) != webchat_token(plain)
