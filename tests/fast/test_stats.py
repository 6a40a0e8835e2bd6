"""/stats in chat (S-17, S-41): institution staff pick a dimension and a period, see the table
and its chart, page through it, export it as XLSX; a trainee has no /stats. Fast tier."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.domain.roles import Role
from storage.models import Person
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button, buttons


async def press(user: ChatUser, message: dict, label: str) -> None:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer


async def fetch(user: ChatUser, message: dict) -> bytes:
    async with user.http.get(user.base_url + message["files"][0]["url"]) as response:
        return await response.read()


async def test_s17_stats_in_chat_picker_table_chart_pages_and_xlsx(fast, http):
    staff, _ = await member(fast, http, "机构", Role.INSTITUTION)
    async with fast.store() as session:
        people = [Person(tg_user_id=900 + n, first_name=f"学员{n}") for n in range(4)]
        session.add_all(people)
        await session.flush()
        trainees = [person.id for person in people]
    for n in range(10):  # 10 classes: two pages of 8
        await open_class(fast, date(2026, 1 + n % 6, 1 + n), (), tuple(trainees[: n % 4 + 1]))
    picker = await staff.reply_to("/stats")
    assert "培训统计" in body(picker) and "✓ 班级" in [b["text"] for b in buttons(picker)]
    await press(staff, picker, "机构")
    picked = await staff.expect(lambda m: "按机构统计" in body(m))
    await press(staff, picked, "显示")
    table, photo = await staff.expect_all(
        lambda m: "按机构" in body(m) and "在册" in body(m), lambda m: bool(m.get("photo"))
    )
    # 10 classes with 1, 2, 3, 4, 1, 2, 3, 4, 1, 2 learners: 23 places at one institution.
    assert "合计（10 个班）\n在册 23" in body(table)
    await press(staff, table, "换维度")
    again = await staff.expect(lambda m: "按机构统计" in body(m))
    await press(staff, again, "班级")
    by_class = await staff.expect(lambda m: "按班级统计" in body(m))
    await press(staff, by_class, "显示")
    first, _ = await staff.expect_all(
        lambda m: "第 1/2 页" in body(m), lambda m: bool(m.get("photo"))
    )
    assert "在册 <3" in body(first)
    await press(staff, first, "下一页")
    second = await staff.expect(lambda m: "第 2/2 页" in body(m))
    await press(staff, second, "Excel")
    attached = await staff.expect(lambda m: bool(m.get("document")))
    sheet = load_workbook(io.BytesIO(await fetch(staff, attached))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("班级", "班级数", "在册学员") and len(rows) == 1 + 10 + 1
    assert rows[-1][:3] == ("合计", 10, 23)
    trainee = await ChatUser.create(http, fast.base_url, "路人")
    await trainee.reply_to("/start")
    assert "培训统计" not in body(await trainee.reply_to("/stats"))
