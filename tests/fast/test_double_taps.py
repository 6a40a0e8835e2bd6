"""A repeated press of the same button on the same message has one effect (issue 10, "Double
taps"): three presses fired at once, without waiting, do what one press does."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Role
from storage.models import FormDraft, Invitation
from storage.types import utcnow
from tests.bot.test_intake import (
    ID_NUMBER,
    _code,
    ask,
    fill_appendix,
    fill_registration,
    join_as_trainee,
)
from tests.chat import ChatUser, body, button


async def _triple(user: ChatUser, message: dict, label: str) -> list[dict]:
    """Three presses of one button, fired together as a quick triple tap."""
    data = button(message, label)
    answers = await asyncio.gather(*(user.press(message["message_id"], data) for _ in range(3)))
    assert all(answer["answered"] for answer in answers), answers
    return list(answers)


def _texts(messages: list[dict], part: str) -> list[str]:
    return [body(m) for m in messages if part in body(m)]


async def test_triple_tap_on_the_needs_button_starts_one_questionnaire(fast_factory, http):
    app = await fast_factory(clock=ManualClock(utcnow().replace(microsecond=0)))
    staff = await ChatUser.create(http, app.base_url, "机构老师")
    await staff.reply_to(f"/start {await _code(app, Role.INSTITUTION)}")
    user, consent = await join_as_trainee(app, http)
    review = await fill_registration(user, consent)
    await user.press(review["message_id"], button(review, "提交"))
    await fill_appendix(user)
    case = await staff.expect(lambda m: "学员筛选待确认" in body(m))
    await staff.press(case["message_id"], button(case, "确认"))
    told = await user.expect(lambda m: "筛选结果已确认" in body(m))
    await user.quiet()

    await _triple(user, told, "培训需求问卷")
    said = await user.quiet()
    assert len(_texts(said, "网店或网络销售经验")) == 1, [body(m)[:40] for m in said]
    async with app.store() as session:
        drafts = (await session.exec(select(FormDraft))).all()
    assert [d.form_id for d in drafts].count("needs") == 1

    question = next(m for m in said if "网店或网络销售经验" in body(m))
    await _triple(user, question, "3")
    said = await user.quiet()
    assert len(_texts(said, "最难的是")) == 1, [body(m)[:40] for m in said]


async def test_triple_tap_on_single_use_creates_one_invitation(fast_factory, http):
    app = await fast_factory(admin_ids=[10_000_001], demo_data=False)
    admin = await ChatUser.create(http, app.base_url, "admin")
    choose = await admin.reply_to("/invite")
    await admin.press(choose["message_id"], button(choose, "创业培训主管部门"))
    scope = await admin.expect(lambda m: "属于哪个地区" in body(m))
    await admin.press(scope["message_id"], button(scope, "新建地区"))
    await admin.expect(lambda m: "名称" in body(m))
    usage = await admin.reply_to("杭州市")
    await admin.quiet()

    await _triple(admin, usage, "一人使用")
    said = await admin.quiet()
    assert len(_texts(said, "邀请已生成")) == 1
    async with app.store() as session:
        assert len((await session.exec(select(Invitation))).all()) == 1


async def test_a_message_redrawn_in_place_takes_the_same_press_again(fast_factory, http):
    """Ticking a choice redraws the question in place: the same button on the redrawn message
    is a new press, so it unticks at once."""
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    await user.press(consent["message_id"], button(consent, "我同意"))
    await user.send("王小明")
    gender = await ask(user, "性别")
    await user.press(gender["message_id"], button(gender, "男"))
    await user.send(ID_NUMBER)
    await ask(user, "手机号码")
    await user.send_json({"contact": {"phone_number": "+86 138 1234 5678"}})
    level = await ask(user, "文化程度")
    await user.press(level["message_id"], button(level, "大专"))
    kind = await ask(user, "户籍类型")
    await user.press(kind["message_id"], button(kind, "农村"))
    await ask(user, "常住地区")
    await user.send("西湖区")
    place = await ask(user, "常住地区")
    await user.press(place["message_id"], button(place, "杭州市 西湖区"))
    categories = await ask(user, "人员类别")
    await user.quiet()

    data = button(categories, "退役军人")
    await user.press(categories["message_id"], data)
    [ticked] = await user.quiet()
    assert "✓ 退役军人" in str(ticked["reply_markup"])
    await user.press(ticked["message_id"], data)  # the same button on the redrawn question
    [unticked] = await user.quiet()
    assert "✓ 退役军人" not in str(unticked["reply_markup"])


async def test_a_button_pressed_again_after_typing_something_is_a_new_press(fast_factory, http):
    """Anything the person does in between (here: a message) ends the double-tap claim: the
    same button pressed again is handled, and its handler answers."""
    app = await fast_factory(admin_ids=[10_000_001], demo_data=False)
    admin = await ChatUser.create(http, app.base_url, "admin")
    choose = await admin.reply_to("/invite")
    await admin.press(choose["message_id"], button(choose, "创业培训主管部门"))
    scope = await admin.expect(lambda m: "属于哪个地区" in body(m))
    await admin.press(scope["message_id"], button(scope, "新建地区"))
    await admin.expect(lambda m: "名称" in body(m))
    double = await admin.press(scope["message_id"], button(scope, "新建地区"))
    assert "不用重复点" in double["text"] and await admin.quiet() == []
    assert "已取消" in body(await admin.reply_to("/cancel"))
    await admin.press(scope["message_id"], button(scope, "新建地区"))
    assert "名称" in body(await admin.expect())
