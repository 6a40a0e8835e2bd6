"""S-53 (PIPL) end to end in chat: /mydata exports everything stored about a person (JSON and
XLSX); erasure asked by the person, decided in /todo by their region's supervisor (or an admin),
then nothing they gave is left in any column of any table of either store, web chat included."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, func

from bot.domain.personal_data import RequestEvent
from bot.domain.roles import Role
from bot.webchat import store as webchat_tables
from storage.models import AuditEntry, FormAnswer, FormSubmission, Person, PersonalDataRequest
from tests.bot.test_intake import _code, ask, id_number, pick
from tests.chat import ChatUser, body

CHAT_NAME = "锦绣小号"
NAME = "欧阳锦绣"
ID_NUMBER = id_number(777)
PHONE = "13987654321"
SHOP = "锦绣云端山货铺"
GIVEN = (CHAT_NAME, NAME, ID_NUMBER, PHONE, SHOP)
"""Everything distinctive the person gives: none of it may survive an erasure anywhere."""


async def registered(app: Any, http: Any) -> ChatUser:
    """A trainee who registered, with a business, through the real form."""
    user = await ChatUser.create(http, app.base_url, CHAT_NAME)
    await user.send(f"/start {await _code(app, Role.TRAINEE)}")
    await pick(user, await ask(user, "个人信息"), "我同意")
    await user.send(NAME)
    await pick(user, await ask(user, "性别"), "女")
    await user.send(ID_NUMBER)
    await ask(user, "手机号码")
    await user.send(PHONE)
    await pick(user, await ask(user, "文化程度"), "大专")
    await pick(user, await ask(user, "户籍类型"), "农村")
    await ask(user, "常住地区")
    await user.send("福田")
    categories = await ask(user, "人员类别")
    await pick(user, categories, "退役军人")
    await pick(
        user, await user.expect(lambda m: "✓ 退役军人" in str(m.get("reply_markup"))), "完成"
    )
    await pick(user, await ask(user, "就业状态"), "未就业")
    await pick(user, await ask(user, "是否已经在经营"), "是")
    await ask(user, "企业或店铺名称")
    await user.send(SHOP)
    await ask(user, "所属行业")
    await user.send("农产品")
    await ask(user, "成立时间")
    await user.send("2023年5月1日")
    await ask(user, "员工人数")
    await user.send("3")
    await pick(user, await ask(user, "创业方向"), "SYB 创办你的企业")
    await pick(user, await ask(user, "了解到本次培训"), "跳过")
    await pick(user, await user.expect(lambda m: "请核对你的回答" in body(m)), "提交")
    await user.expect(lambda m: "已收到你的报名材料" in body(m))
    return user


async def joined(app: Any, http: Any, name: str, role: Role) -> ChatUser:
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to(f"/start {await _code(app, role)}")
    return user


async def download(user: ChatUser, message: dict) -> bytes:
    [link] = message["files"]
    async with user.http.get(user.base_url + link["url"], headers=user.headers) as response:
        assert response.status == 200
        return await response.read()


def _texts(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def leftovers(engine: AsyncEngine, strings: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, string) for every string found in any column of any table, read by
    reflecting the database itself: a table added later is scanned without being named."""
    found = []
    async with engine.connect() as conn:
        metadata = MetaData()
        await conn.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, int | float | bool):
                        continue
                    text = _texts(value)
                    found += [(table.name, column, s) for s in strings if s in text]
    return found


def files_holding(directory: Path, strings: tuple[str, ...]) -> list[str]:
    if not directory.exists():
        return []
    return [
        path.name
        for path in directory.iterdir()
        if any(s.encode() in path.read_bytes() for s in strings)
    ]


async def test_s53_export_then_erasure_leaves_nothing_the_person_gave(fast, http):
    """S-53: /mydata exports the person's data in full (JSON, XLSX); an erasure confirmed by
    the region's supervisor from /todo leaves none of their name, ID number, mobile or free
    texts in any column of either store nor in the web chat's files, while the rows that
    statistics count stay, and the audit row names tables and counts only."""
    app = fast
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    user = await registered(app, http)
    await staff.expect(lambda m: "学员筛选待确认" in body(m))  # a card naming them elsewhere

    menu = await user.reply_to("/mydata")
    assert "导出" in body(menu)
    await pick(user, menu, "导出我的信息")
    exported, workbook = await user.expect_all(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".json"),
        lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"),
    )
    document = json.loads(await download(user, exported))
    whole = json.dumps(document, ensure_ascii=False)
    assert ID_NUMBER in whole and PHONE in whole and NAME in whole and SHOP in whole
    shown = {(a["question"], a["value"]) for a in document["answers"]}
    assert any(value == ID_NUMBER for _, value in shown), "their own ID number in full"
    assert any("姓名" in question and value == NAME for question, value in shown)
    assert {"person", "form_submission", "form_answer", "trainee_cycle"} <= set(document["tables"])
    assert any(SHOP in json.dumps(m, ensure_ascii=False) for m in document["web_chat"])
    sheets = load_workbook(io.BytesIO(await download(user, workbook)), read_only=True)
    assert sheets.sheetnames[0] == "表单回答" and "form_submission" in sheets.sheetnames
    cells = {c for row in sheets["表单回答"].iter_rows(values_only=True) for c in row}
    assert ID_NUMBER in cells and PHONE in cells

    async with app.store() as session:
        person = (
            await session.exec(select(Person).where(Person.tg_user_id == user.user_id))
        ).scalar_one()
        person_id = person.id
        counted = (
            await session.exec(
                select(func.count())
                .select_from(FormAnswer)
                .join(FormSubmission, col(FormSubmission.id) == FormAnswer.submission_id)
                .where(FormSubmission.person_id == person_id)
            )
        ).scalar_one()

    before = {(table, s) for table, _, s in await leftovers(app.engine, GIVEN)}
    assert {("form_submission", ID_NUMBER), ("outbox", NAME), ("person", CHAT_NAME)} <= before, (
        before
    )
    assert await leftovers(app.webchat_store.engine, GIVEN), "the scan sees what is there"
    assert files_holding(app.settings.webchat_files_dir, (ID_NUMBER,)), "the export's files"
    await pick(user, await user.reply_to("/mydata"), "删除我的个人信息")
    warning = await user.expect(lambda m: "这意味着什么" in body(m))
    assert "无法恢复" in body(warning) and "已撤回" in body(warning)
    await pick(user, warning, "确定，申请删除")
    await user.expect(lambda m: "删除申请已提交" in body(m))
    assert "正在等待" in body(await user.reply_to("/mydata"))

    card = await supervisor.expect(lambda m: "个人信息删除申请" in body(m))
    assert NAME in body(card)
    todo = await supervisor.reply_to("/todo", predicate=lambda m: "待办" in body(m))
    assert "个人信息删除申请：1" in body(todo)
    await pick(supervisor, card, "确认删除")
    await supervisor.expect(lambda m: "已删除，申请人已收到通知" in body(m))
    await user.expect(lambda m: "你的个人信息已按你的申请删除" in body(m))
    await user.quiet()

    assert await leftovers(app.engine, GIVEN) == []
    assert await leftovers(app.webchat_store.engine, GIVEN) == []
    assert files_holding(app.settings.webchat_files_dir, GIVEN) == []
    async with app.store() as session:
        answers = (
            (
                await session.exec(
                    select(FormAnswer)
                    .join(FormSubmission, col(FormSubmission.id) == FormAnswer.submission_id)
                    .where(FormSubmission.person_id == person_id)
                )
            )
            .scalars()
            .all()
        )
        assert len(answers) == counted, "rows kept: statistics keep counting"
        assert ("education", "college") in {(a.question_id, a.choice) for a in answers} or any(
            a.question_id == "education" and a.choice for a in answers
        ), "a coded answer is kept"
        assert not [a for a in answers if a.text and a.question_id in ("name", "id_number")]
        [audit] = (
            (await session.exec(select(AuditEntry).where(AuditEntry.action == RequestEvent.ERASED)))
            .scalars()
            .all()
        )
        assert audit.subject_id == person_id and audit.actor_id != person_id
        assert audit.details["tables"]["form_submission"] == 1
        assert "webchat_message" in audit.details["tables"]
        request = (await session.exec(select(PersonalDataRequest))).scalar_one()
        assert request.status == "erased" and request.tables == audit.details["tables"]
    async with app.webchat_store.engine.connect() as conn:
        kept = (
            (
                await conn.execute(
                    select(webchat_tables.messages.c.payload).where(
                        webchat_tables.messages.c.chat_id == user.user_id,
                        webchat_tables.messages.c.deleted.is_(False),
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [body(m) for m in kept] == [
        "✅ 你的个人信息已按你的申请删除。统计数据中保留的内容已无法识别出你。"
    ], "the chat's history is gone but for the notice"


async def test_s53_an_erasure_can_be_refused_with_a_reason(fast_factory, http):
    """S-53: someone of no region asks; an admin refuses with a reason from the card; the person
    is told the reason and nothing is erased; a second press finds it decided."""
    app = await fast_factory(admin_ids=[10_000_001])
    admin = await ChatUser.create(http, app.base_url, "管理员")
    await admin.reply_to("/start")
    user = await ChatUser.create(http, app.base_url, CHAT_NAME)
    await pick(user, await user.reply_to("/mydata"), "删除我的个人信息")
    await pick(user, await user.expect(lambda m: "这意味着什么" in body(m)), "确定，申请删除")
    card = await admin.expect(lambda m: "个人信息删除申请" in body(m))
    await pick(admin, card, "拒绝")
    await admin.expect(lambda m: "拒绝删除申请" in body(m))
    await admin.send("培训补贴审计期间需保留")
    await admin.expect(lambda m: "已拒绝申请" in body(m))
    told = await user.expect(lambda m: "未获同意" in body(m))
    assert "培训补贴审计期间需保留" in body(told)
    again = await admin.press(card["message_id"], next(iter_buttons(card, "确认删除")))
    assert "已经处理过了" in again["text"]
    async with app.store() as session:
        person = (
            await session.exec(select(Person).where(Person.tg_user_id == user.user_id))
        ).scalar_one()
        assert person.first_name == CHAT_NAME


def iter_buttons(message: dict, label: str):
    for row in message["reply_markup"]["inline_keyboard"]:
        for item in row:
            if label in item["text"]:
                yield item["callback_data"]
