"""At-least-once updates: nothing a person did is lost when the process dies, and nothing is
told to them before it is stored (polling through the update inbox, replies after the commit,
callbacks answered too late)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sqlite3
import sys
import time
from pathlib import Path

import aiohttp
from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy import text
from sqlmodel import func, select

from bot.forms import service
from bot.forms.registry import load as load_forms
from bot.webchat import content
from bot.webchat.server import WEBCHAT_BOT_ID
from bot.webchat.store import WebchatStore
from storage import inbox, repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.models import AuditEntry, FormSubmission, Person, UpdateInbox
from storage.types import utcnow
from tests.bot.test_reliability import _trainee_code
from tests.chat import ChatUser, body, button

ROOT = Path(__file__).parents[2]
FORM = """\
id: one_line
title: {zh-CN: 一句话, en: One line}
sections:
  - id: only
    title: {zh-CN: 只有一题, en: Only one}
    questions:
      - id: line
        type: text
        required: true
        label: {zh-CN: 写一句话, en: Write one line}
"""
SUBMITTED = "已提交《一句话》，谢谢！"


def _forms_dir(tmp_path: Path) -> Path:
    forms = tmp_path / "forms"
    forms.mkdir(exist_ok=True)
    (forms / "one_line.yaml").write_text(FORM, encoding="utf-8")
    return forms


async def _person_id(sessions, user: ChatUser) -> int:
    async with unit_of_work(sessions) as session:
        query = select(Person.id).where(Person.tg_user_id == user.user_id)
        return (await session.exec(query)).one()


async def _to_review(user: ChatUser, sessions) -> dict:
    """The person at the review screen of the one-line form, as a feature's begin() leaves it."""
    await user.reply_to("/start")
    async with unit_of_work(sessions) as session:
        person_id = await _person_id(sessions, user)
        await service.start(session, person_id, "one_line", {}, now=utcnow())
    await user.send("好")
    await user.expect(lambda m: "写一句话" in body(m))
    await user.send("今天学到了很多")
    return await user.expect(lambda m: "请核对你的回答" in body(m))


async def _submissions(sessions, person_id: int) -> int:
    async with unit_of_work(sessions) as session:
        query = (
            select(func.count())
            .select_from(FormSubmission)
            .where(FormSubmission.person_id == person_id, FormSubmission.form_id == "one_line")
        )
        return (await session.exec(query)).one()


ZYGOTE = """
import os, signal, sys
import bot.__main__ as entry  # aiogram, handlers, storage: the slow imports, done once
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "start":
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            os._exit(entry.main([]))
        print(pid, flush=True)
    else:
        os.kill(int(argument), signal.SIGKILL)
        os.waitpid(int(argument), 0)
        print("dead", flush=True)
"""


class BotProcess:
    """`python -m bot` in web chat mode on SQLite files, as a separate process killed with
    SIGKILL. The web chat (Telegram's stand-in) keeps its queue and history in its own file, so
    both survive the kill. Each run is forked from a process that has done the imports once
    (they take seconds: aiogram builds its models), so 20 restarts stay cheap."""

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.webchat_db = tmp_path / "webchat.db"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "WEBHOOK_URL")},
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "WEBCHAT_DATABASE_URL": f"sqlite+aiosqlite:///{self.webchat_db}",
            "WEBCHAT_FILES_DIR": str(tmp_path / "files"),
            "WEB_PORT": str(self.port),
            "FORMS_DIR": str(_forms_dir(tmp_path)),
            "DEMO_DATA": "false",
            "LOG_LEVEL": "ERROR",
        }
        self.zygote: asyncio.subprocess.Process | None = None
        self.pid: int | None = None
        self.start_times: list[float] = []

    async def _ask(self, line: str) -> str:
        self.zygote.stdin.write(line.encode() + b"\n")
        await self.zygote.stdin.drain()
        return (await asyncio.wait_for(self.zygote.stdout.readline(), 60)).decode().strip()

    async def start(self, http: aiohttp.ClientSession) -> None:
        if self.zygote is None:
            self.zygote = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                ZYGOTE,
                cwd=ROOT,
                env=self.env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        began = time.monotonic()
        self.pid = int(await self._ask("start"))
        while True:
            try:
                async with http.get(f"{self.base_url}/api/chat/commands") as response:
                    if response.status == 401:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.02)
            assert time.monotonic() - began < 60, "the bot did not start"
        self.start_times.append(time.monotonic() - began)

    async def kill(self) -> None:
        assert await self._ask(f"kill {self.pid}") == "dead"
        self.pid = None

    async def stop(self) -> None:
        if self.zygote is None:
            return
        if self.pid is not None:
            await self.kill()
        self.zygote.stdin.close()
        await self.zygote.wait()

    def updates_received(self) -> int:
        """How many updates the web chat has ever queued (its ids keep growing)."""
        with sqlite3.connect(self.webchat_db) as conn:
            row = conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'webchat_update'"
            ).fetchone()
        return row[0] if row else 0


async def test_kill_during_submit_never_tells_submitted_before_it_is_stored(tmp_path, http):
    """S-50, S-51: kill -9 at a random moment 0-150 ms after pressing Submit, 20 times: whoever
    was told "submitted" has it stored exactly once, and a press that reached the server is
    stored."""
    bot = BotProcess(tmp_path)
    load_forms(Path(bot.env["FORMS_DIR"]))  # this process starts drafts of the test form
    engine = create_engine(bot.env["DATABASE_URL"])
    sessions = create_sessionmaker(engine)
    rng = random.Random(9)
    outcomes: list[tuple[bool, bool, int]] = []
    began = time.monotonic()
    try:
        await bot.start(http)
        for attempt in range(20):
            user = await ChatUser.create(http, bot.base_url, f"学员{attempt}")
            review = await _to_review(user, sessions)
            person_id = await _person_id(sessions, user)
            before = bot.updates_received()
            press = asyncio.create_task(user.press(review["message_id"], button(review, "提交")))
            await asyncio.sleep(rng.uniform(0, 0.15))
            await bot.kill()
            await asyncio.gather(press, return_exceptions=True)
            reached = bot.updates_received() > before
            await bot.start(http)
            await user.reply_to("/help")  # handled after the press, so the press is done
            await user.poll()
            told = any(SUBMITTED in body(m) for m in user.messages.values())
            stored = await _submissions(sessions, person_id)
            outcomes.append((told, reached, stored))
            assert not told or stored == 1, f"try {attempt}: told submitted, {stored} stored"
            assert not reached or stored == 1, f"try {attempt}: press reached, {stored} stored"
            assert stored <= 1
    finally:
        await bot.stop()
        await engine.dispose()
    print(
        f"\nkill test: {sum(t for t, _, _ in outcomes)} told, "
        f"{sum(r for _, r, _ in outcomes)} reached of {len(outcomes)}; "
        f"start-up {min(bot.start_times):.2f}-{max(bot.start_times):.2f} s; "
        f"total {time.monotonic() - began:.1f} s"
    )
    assert any(reached for _, reached, _ in outcomes), "some presses must reach the server"


async def _stale_press(product, user: ChatUser, message_id: int, data: str) -> None:
    """A press delivered again after a restart: its callback query can no longer be answered
    ("query is too old and response timeout expired or query ID is invalid")."""
    message = await product.webchat_store.message(user.user_id, message_id)
    sender = {"id": user.user_id, "is_bot": False, "first_name": "张三", "language_code": "zh"}
    await product.webchat_store.enqueue_update(
        {
            "callback_query": {
                "id": "424242",
                "from": sender,
                "message": content.for_bot(message),
                "chat_instance": str(user.user_id),
                "data": data,
            }
        }
    )


async def _broken_button(query: CallbackQuery) -> None:
    raise RuntimeError("feature bug")


async def test_a_callback_answered_too_late_keeps_its_action_and_the_person_hears_it(
    app_factory, http, tmp_path
):
    """S-51: the answer to a re-delivered press is refused; the submission stays stored, the
    outcome arrives as a message, an alert's text too, and so does on_error's apology."""
    app = await app_factory(
        forms_dir=_forms_dir(tmp_path),
        prepare=lambda p: p.dp.callback_query.register(_broken_button, F.data == "broken"),
    )
    product = app.product
    user = await ChatUser.create(http, app.base_url)
    review = await _to_review(user, product.sessions)

    await _stale_press(product, user, review["message_id"], button(review, "提交"))
    assert body(await user.expect()) == SUBMITTED
    assert await _submissions(product.sessions, await _person_id(product.sessions, user)) == 1

    await user.reply_to("/help")  # something in between: the next press is not a double tap
    await _stale_press(product, user, review["message_id"], button(review, "提交"))
    assert "已经提交" in body(await user.expect()), "the alert's text comes as a message"
    assert await _submissions(product.sessions, await _person_id(product.sessions, user)) == 1

    await _stale_press(product, user, review["message_id"], "broken")
    assert "这一步没有保存" in body(await user.expect())


async def _slow_write(message: Message, session, person: Person) -> None:
    """Writes, replies, and takes a while longer before its unit of work commits."""
    await repo.audit(session, "slow.written", actor_id=person.id)
    await message.answer("记下了")
    await asyncio.sleep(0.4)


async def test_a_reply_is_never_seen_before_its_writes_are_committed(app_factory, http):
    """S-50: the store is read the instant the reply arrives, from outside the product and
    without waiting: the write it announces is already there."""
    app = await app_factory(prepare=lambda p: p.dp.message.register(_slow_write, Command("slow")))
    url = app.settings.database_url
    user = await ChatUser.create(http, app.base_url)
    await user.reply_to("/start")
    await user.send("/slow")
    await user.expect(lambda m: body(m) == "记下了")
    query = "SELECT count(*) FROM audit_log WHERE action = 'slow.written'"
    if url.startswith("sqlite"):  # a plain reader sees committed data only, and never waits
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            written = conn.execute(query).fetchone()[0]
    else:
        engine = create_engine(url)
        async with engine.connect() as conn:
            written = (await conn.execute(text(query))).scalar_one()
        await engine.dispose()
    assert written == 1


def _text_update(user: ChatUser, message_id: int, words: str) -> dict:
    chat = {"id": user.user_id, "type": "private", "first_name": "张三"}
    sender = {"id": user.user_id, "is_bot": False, "first_name": "张三", "language_code": "zh"}
    return {
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": words,
        }
    }


async def test_updates_fetched_but_not_handled_when_the_process_died_are_handled_after_restart(
    app_factory, http
):
    """S-50, S-51, as a kill leaves them: one update stored in the inbox with its offset
    confirmed, one stored but still at the server too. After the restart each is handled
    exactly once."""
    app = await app_factory()
    user = await ChatUser.create(http, app.base_url)
    code = await _trainee_code(app)
    await user.reply_to("/start")
    await app.stop()

    telegram = WebchatStore(
        create_engine(app.settings.webchat_database_url), app.settings.webchat_files_dir
    )
    confirmed = _text_update(user, 9001, f"/start {code}")
    confirmed["update_id"] = await telegram.enqueue_update(confirmed)
    at_server = _text_update(user, 9002, "/help")
    at_server["update_id"] = await telegram.enqueue_update(at_server)
    await telegram.pending_updates(confirmed["update_id"] + 1, 100, 0)  # the offset confirmed
    await telegram.engine.dispose()
    engine = create_engine(app.settings.database_url)
    await inbox.store(
        engine,
        WEBCHAT_BOT_ID,
        [(u["update_id"], json.dumps(u, ensure_ascii=False)) for u in (confirmed, at_server)],
    )
    await engine.dispose()

    await app.start()
    user.base_url = app.base_url
    await user.expect(lambda m: "你现在是学员" in body(m))
    await user.expect(lambda m: "可用命令：" in body(m))
    assert await user.quiet() == []
    replies = [body(m) for m in user.messages.values()]
    assert sum("你现在是学员" in r for r in replies) == 1
    assert sum("可用命令：" in r for r in replies) == 1
    async with app.store() as session:
        invitation = await repo.invitation_by_code(session, code)
        assert invitation.uses == 1
        assert (await session.exec(select(func.count()).select_from(UpdateInbox))).one() == 0
        redeemed = select(func.count()).select_from(AuditEntry)
        redeemed = redeemed.where(AuditEntry.action == "invitation.redeemed")
        assert (await session.exec(redeemed)).one() == 1


async def test_an_update_that_cannot_be_stored_is_retried_then_given_up_once(app_factory, http):
    """Polling retries an update whose unit of work failed on storage, and after the last
    attempt tells the person once; it neither loops nor stays in the inbox."""
    app = await app_factory()
    user = await ChatUser.create(http, app.base_url)
    await user.reply_to("/start")
    engine = app.product.engine
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE processedupdate RENAME TO processedupdate_away"))
    began = time.monotonic()
    await user.send("/help")
    apology = await user.expect(timeout=15)
    assert "系统暂时无法保存" in body(apology)
    assert time.monotonic() - began >= 2.5, "tried three times, waiting between attempts"
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE processedupdate_away RENAME TO processedupdate"))
    assert "可用命令：" in body(await user.reply_to("/help"))
    assert await user.quiet() == []
    async with app.store() as session:
        assert (await session.exec(select(func.count()).select_from(UpdateInbox))).one() == 0
