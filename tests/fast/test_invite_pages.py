"""Issue 11: /invite's choice of region (and of a region's institutions) is read from the store a
page at a time, 20 a page with ◀ ▶ and the count, however many there are."""

from __future__ import annotations

from storage import repo
from storage.db import unit_of_work
from tests.chat import ChatUser, body, button, buttons


def fits(message: dict) -> None:
    assert len(body(message).encode("utf-16-le")) // 2 <= 4096
    assert len(buttons(message)) <= 100


async def test_forty_five_regions_are_three_pages_and_one_is_chosen(fast_factory, http):
    app = await fast_factory(admin_ids=[10_000_001], demo_data=False)
    async with unit_of_work(app.sessions) as session:
        for n in range(1, 46):
            await repo.add_region(session, f"地区{n:02d}" + "长" * 40)
    admin = await ChatUser.create(http, app.base_url, "admin")
    choose = await admin.reply_to("/invite")
    await admin.press(choose["message_id"], button(choose, "创业培训主管部门"))
    first = await admin.expect(lambda m: "属于哪个地区" in body(m))
    fits(first)
    labels = [item["text"] for item in buttons(first)]
    assert "（共 45 个，第 1/3 页）" in body(first)
    assert labels[0].startswith("地区01") and labels[19].startswith("地区20")
    assert labels[20:] == ["下一页 ▶", "＋ 新建地区"]

    await admin.press(first["message_id"], button(first, "下一页"))
    second = await admin.expect(lambda m: "第 2/3 页" in body(m))
    assert second["message_id"] == first["message_id"], "paging edits the list in place"
    await admin.press(second["message_id"], button(second, "下一页"))
    last = await admin.expect(lambda m: "第 3/3 页" in body(m))
    fits(last)
    labels = [item["text"] for item in buttons(last)]
    assert labels[0].startswith("地区41") and labels[5:] == ["◀ 上一页", "＋ 新建地区"]

    await admin.press(last["message_id"], button(last, "地区45"))
    usage = await admin.expect(lambda m: "给几个人用" in body(m))
    assert "地区45" in body(usage)
