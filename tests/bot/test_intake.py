"""Trainee intake: the helpers that fill its forms in a chat (shared by other tests), and the
form that resumes after a restart (the product's start-up). The other intake tests are in the
fast tier: tests/fast/test_intake.py."""

from __future__ import annotations

from sqlmodel import select
from stdnum.cn import ric

from bot.domain.roles import Role
from storage import repo
from storage.models import (
    FormDraft,
)
from tests.chat import ChatUser, body, button

BASE = "33010619950615123"
ID_NUMBER = BASE + ric.calc_check_digit(BASE + "0")  # stdnum skips the last character
WRONG_ID = BASE + ("0" if ID_NUMBER[-1] != "0" else "1")


async def _code(app, role: Role) -> str:
    async with app.store() as session:
        return next(i.code for i in await repo.demo_invitations(session) if i.role == role)


async def ask(user: ChatUser, label: str) -> dict:
    """The next question whose text contains `label` (questions show their progress n/N)."""
    return await user.expect(lambda m: label in body(m) and "●" in body(m) + "●○")


async def pick(user: ChatUser, message: dict, label: str) -> None:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer


async def join_as_trainee(app, http, name: str = "王小明") -> tuple[ChatUser, dict]:
    user = await ChatUser.create(http, app.base_url, name)
    await user.send(f"/start {await _code(app, Role.TRAINEE)}")
    return user, await ask(user, "个人信息")


def id_number(serial: int) -> str:
    """Another valid ID number (same birth date and place), one per person in a test."""
    base = BASE[:-3] + f"{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


async def fill_registration(
    user: ChatUser,
    consent: dict,
    *,
    direction: str = "网络创业",
    has_business: bool = False,
    name: str = "王小明",
    number: str = ID_NUMBER,
) -> dict:
    """Answer every registration question correctly; returns the review screen."""
    await pick(user, consent, "我同意")
    await user.send(name)
    await pick(user, await ask(user, "性别"), "男")
    await user.send(number)
    await ask(user, "手机号码")
    await user.send_json({"contact": {"phone_number": "+86 138 1234 5678"}})
    await pick(user, await ask(user, "文化程度"), "大专")
    await pick(user, await ask(user, "户籍类型"), "农村")
    await ask(user, "常住地区")
    await user.send("西湖区")
    assert "有 3 个地方叫这个名字" in body(await user.expect())
    await pick(user, await ask(user, "常住地区"), "杭州市 西湖区")
    categories = await ask(user, "人员类别")
    await pick(user, categories, "返乡入乡创业人员")
    await pick(user, categories, "退役军人")
    await pick(
        user, await user.expect(lambda m: "✓ 退役军人" in str(m.get("reply_markup"))), "完成"
    )
    await pick(user, await ask(user, "就业状态"), "未就业")
    business = await ask(user, "是否已经在经营")
    await pick(user, business, "是" if has_business else "否")
    if has_business:
        await fill_business(user)
    await pick(user, await ask(user, "创业方向"), direction)
    heard = await ask(user, "了解到本次培训")
    await pick(user, heard, "跳过")
    return await user.expect(lambda m: "请核对你的回答" in body(m))


async def fill_business(user: ChatUser) -> None:
    await ask(user, "企业或店铺名称")
    await user.send("小明土特产店")
    await ask(user, "所属行业")
    await user.send("农产品")
    founded = await ask(user, "成立时间")
    assert "2026年11月" in str(founded["reply_markup"]) or "年" in str(founded["reply_markup"])
    await user.send("2023年5月1日")
    await ask(user, "员工人数")
    await user.send("3")


async def fill_appendix(
    user: ChatUser, *, project: str = "依托互联网的新项目", skill: str = "一般"
) -> dict:
    await pick(user, await ask(user, "读写中文"), "是")
    await pick(user, await ask(user, "熟练程度"), skill)
    await pick(user, await ask(user, "使用一台电脑"), "是")
    await pick(user, await ask(user, "全程参加培训"), "是")
    await pick(user, await ask(user, "创业的意愿"), "强烈")
    await pick(user, await ask(user, "项目属于哪一种"), project)
    if project != "暂无具体项目":
        await ask(user, "简单介绍你的项目")
        await user.send("在拼多多上卖家乡的高山茶叶和笋干")
    await pick(user, await ask(user, "平台"), "跳过")
    await pick(user, await ask(user, "网店现状"), "未开店")
    await pick(user, await ask(user, "货源"), "自产")
    await pick(user, await ask(user, "启动资金"), "1 万元以下")
    expectations = await ask(user, "希望从培训中获得")
    await pick(user, expectations, "学会开店")
    await pick(
        user, await user.expect(lambda m: "✓ 学会开店" in str(m.get("reply_markup"))), "完成"
    )
    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    await pick(user, review, "提交")
    return await user.expect(lambda m: "已收到你的报名材料" in body(m))


async def test_a_form_resumes_at_the_same_question_after_a_restart(app_factory, http):
    app = await app_factory()
    user, consent = await join_as_trainee(app, http)
    await pick(user, consent, "我同意")
    await ask(user, "姓名")
    await user.send("王小明")
    gender = await ask(user, "性别")

    await app.restart()
    user.base_url = app.base_url
    await pick(user, gender, "男")
    await ask(user, "身份证号码")

    await app.restart()
    user.base_url = app.base_url
    offer = await user.reply_to("/start", predicate=lambda m: "要接着填吗" in body(m))
    assert "3/" in body(offer) or "已答 3/" in body(offer)
    await pick(user, offer, "接着填")
    question = await ask(user, "身份证号码")
    assert "4/" in body(question)
    async with app.store() as session:
        draft = (await session.exec(select(FormDraft))).one()
    assert draft.answers == {"consent": True, "name": "王小明", "gender": "male"}
