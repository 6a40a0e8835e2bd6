"""Issue 11 through the chat: institution staff with 45 trainees and 45 classes turn the pages
of /trainees, /roster, /feedback and /extend with "下一页 ▶" / "◀ 上一页"; each list edits in
place, counts, and no message passes Telegram's limits."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.roles import Role
from storage import intake, repo
from storage.models import Person
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button, buttons


def fits(message: dict) -> None:
    assert len(body(message).encode("utf-16-le")) // 2 <= 4096
    assert len(buttons(message)) <= 100


async def turn(user: ChatUser, listing: dict, label: str, page: str) -> dict:
    await user.press(listing["message_id"], button(listing, label))
    turned = await user.expect(lambda m: page in body(m))
    assert turned["message_id"] == listing["message_id"], "paging edits the list in place"
    fits(turned)
    return turned


async def test_staff_turn_the_pages_of_45_trainees(fast_factory, http):
    app = await fast_factory()
    staff, _ = await member(app, http, "机构老师", Role.INSTITUTION)
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        for n in range(45):
            person = Person(tg_user_id=900_000 + n, first_name=f"学员{n:02d}" + "长" * 30)
            session.add(person)
            await session.flush()
            await intake.move(session, person.id, institution.id, "registered", actor_id=None)
    listing = await staff.reply_to("/trainees")
    fits(listing)
    assert "共 45 人 · 第 1/3 页" in body(listing) and "学员19" in body(listing)
    assert [b["text"] for b in buttons(listing)][-1] == "下一页 ▶"
    second = await turn(staff, listing, "下一页", "第 2/3 页")
    assert "学员20" in body(second) and "学员19" not in body(second)
    last = await turn(staff, second, "下一页", "第 3/3 页")
    assert "学员44" in body(last) and [b["text"] for b in buttons(last)][-1] == "◀ 上一页"
    await turn(staff, last, "上一页", "第 2/3 页")


async def test_staff_turn_the_pages_of_45_classes(fast_factory, http):
    app = await fast_factory()
    staff, _ = await member(app, http, "机构老师", Role.INSTITUTION)
    start = app.clock.now().date()
    for n in range(45):
        made, _ = await open_class(app, start + timedelta(days=n), (), (), days=1)
        async with app.store() as session:
            made = await session.merge(made)
            made.name = f"网创{n:02d}班"
    for command, heading in (("/roster", "选择班级"), ("/feedback", "选择要查看反馈的班级")):
        listing = await staff.reply_to(command, predicate=lambda m, h=heading: h in body(m))
        fits(listing)
        assert "共 45 个，第 1/3 页" in body(listing), command
        assert buttons(listing)[0]["text"] == "网创44班", "latest first"
        last = await turn(staff, listing, "下一页", "第 2/3 页")
        last = await turn(staff, last, "下一页", "第 3/3 页")
        assert buttons(last)[0]["text"] == "网创04班"
    listing = await staff.reply_to("/extend", predicate=lambda m: "请选择班级" in body(m))
    fits(listing)
    assert "共 45 个，第 1/3 页" in body(listing) and buttons(listing)[0]["text"] == "网创00班"
    await turn(staff, listing, "下一页", "第 2/3 页")
