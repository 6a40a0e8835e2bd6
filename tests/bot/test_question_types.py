"""A photo question's unfinished answer survives a restart of the bot (the rest of the question
types are in the fast tier: tests/fast/test_question_types.py)."""

from __future__ import annotations

from bot.forms import service
from tests.bot.test_intake import ask, pick
from tests.chat import body
from tests.fast.test_question_types import DEFINITIONS, png, start_form


async def test_photos_collected_so_far_survive_a_restart(app_factory, http):
    """Photos of an unfinished answer are kept in the draft: after a restart of the bot the
    next photo adds to them, and Done answers with all of them."""
    app = await app_factory(forms_dir=DEFINITIONS)
    user, person_id = await start_form(app, http)
    await user.send("你好")
    await pick(user, await ask(user, "下面是几个关于店铺的问题"), "继续")
    await pick(user, await ask(user, "同意我们保存"), "我同意")
    await ask(user, "店铺门头照片")
    await user.send_file(png(), "front.png")
    await ask(user, "商品照片")
    await user.send_file(png("green"), "1.png")
    await user.expect(lambda m: "已收到 1 张" in str(m.get("reply_markup")))
    await app.restart()
    await user.send_file(png("blue"), "2.png")
    collected = await user.expect(lambda m: "已收到 2 张" in str(m.get("reply_markup")))
    await pick(user, collected, "已收到 2 张")
    licence = await ask(user, "营业执照扫描件")
    await pick(user, licence, "上一题")
    products = await ask(user, "商品照片")
    assert "当前答案：2 张照片" in body(products)
    async with app.store() as session:
        draft = await service.active_draft(session, person_id)
    assert len(draft.answers["products"]) == 2 and draft.pending == []
