"""/trainees read a page at a time from the store (issue 11): the groups counted, then one query
for the page's trainees; 45 trainees are three pages, each message inside Telegram's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import screening
from bot.services.actor import Actor
from bot.views.intake import TraineesPage, trainees_view
from storage import intake, repo
from storage.db import unit_of_work
from storage.models import Institution, Person, Region
from tests.factories import make_class
from tests.pages import assert_fits, labels

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
LONG = "长" * 40
"""Long names: 20 lines of them still fit one message."""


async def _place(sessions) -> Actor:
    """Staff of an institution who also teach two open classes: one with 5 trainees, one with
    none; the institution has 40 registered trainees of its own."""
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here = Institution(name="机构", region_id=region.id)
        session.add(here)
        await session.flush()
        staff = Person(tg_user_id=1, first_name="staff")
        session.add(staff)
        await session.flush()
        grant = Grant(Role.INSTITUTION, region.id, here.id)
        await repo.add_grant(session, staff.id, grant, granted_by=None, invitation_id=None)
        taught = []
        for n in range(5):
            person = Person(tg_user_id=100 + n, first_name=f"班学员{n:02d}")
            session.add(person)
            await session.flush()
            taught.append(person.id)
        for n in range(40):
            person = Person(tg_user_id=200 + n, first_name=f"学员{n:02d}{LONG}", unreachable=n == 0)
            session.add(person)
            await session.flush()
            await intake.move(session, person.id, here.id, "registered", actor_id=None)
        full = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=date(2026, 5, 20),
            teacher_ids=(staff.id,),
            trainee_ids=tuple(taught),
        )
        full.name = "网创一班"
        empty = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=date(2026, 5, 10),
            teacher_ids=(staff.id,),
        )
        empty.name = "网创二班"
        return Actor.of(staff.id, (grant,), "zh-CN", NOW)


async def _page(sessions, actor: Actor, number: int, locale: str = "zh-CN"):
    async with unit_of_work(sessions) as session:
        found = await screening.trainees_page(session, actor, number)
    text, markup = trainees_view(I18n(locale), found.lines, found.page, found.pages, found.count)
    assert_fits(text, markup)
    return text, markup


async def test_forty_five_trainees_are_three_pages_read_from_the_store(sessions):
    actor = await _place(sessions)
    text, markup = await _page(sessions, actor, 0)
    assert "共 45 人 · 第 1/3 页" in text
    assert "<b>网创一班</b>" in text and "<b>网创二班</b>" in text and "还没有学员" in text
    assert text.index("网创一班") < text.index("网创二班") < text.index("本机构学员")
    assert "• 学员00" in text and "已屏蔽本机器人" in text and "学员13" in text
    assert "学员14" not in text, "5 + 1 empty group + 14 = 20 lines"
    assert labels(markup)[-1] == "下一页 ▶" and "◀ 上一页" not in labels(markup)
    assert len(labels(markup)) == 19 + 1, "a button for each trainee shown, none for a group"
    assert markup.inline_keyboard[-1][0].callback_data == TraineesPage(p=1).pack()

    text, markup = await _page(sessions, actor, 1)
    assert "第 2/3 页" in text and "本机构学员" in text and "网创一班" not in text
    assert "学员14" in text and "学员33" in text and "学员34" not in text
    assert labels(markup)[-2:] == ["◀ 上一页", "下一页 ▶"]

    text, markup = await _page(sessions, actor, 2, "en")
    assert "page 3/3" in text and "Trainees of your institution" in text
    assert "学员34" in text and "学员39" in text and "学员33" not in text
    assert labels(markup)[-1] == "◀ Previous" and len(labels(markup)) == 6 + 1
    assert (await _page(sessions, actor, 9, "en"))[0] == text, "a page past the end: the last"


async def test_one_page_has_no_page_line_and_nobody_says_so(sessions):
    actor = await _place(sessions)
    async with unit_of_work(sessions) as session:
        nobody = Actor.of(actor.person_id + 999, (), "zh-CN", NOW)
        found = await screening.trainees_page(session, nobody, 0)
    text, markup = trainees_view(I18n("zh-CN"), found.lines, found.page, found.pages, found.count)
    assert "你还没有可查看的学员" in text and labels(markup) == [] and "页" not in text
