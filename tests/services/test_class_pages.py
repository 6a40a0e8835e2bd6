"""The class lists of /roster and /feedback are read from the store a page at a time (issue 11):
counted, then one query for the page, latest first; 45 classes are three pages of 20, each
message inside Telegram's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import checkin, feedback
from bot.services.actor import Actor
from bot.views.feedback import choose_class_view
from handlers.checkin.views import classes_view
from storage import repo
from storage.db import unit_of_work
from storage.models import Institution, Person, Region
from tests.factories import make_class
from tests.pages import assert_fits, labels

NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


async def _staff_with_45_classes(sessions) -> tuple[Actor, list[int]]:
    """Institution staff whose institution has 45 approved classes, one starting each day;
    another institution's class they never see. Their ids, latest first."""
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here, there = (
            Institution(name="机构", region_id=region.id),
            Institution(name="别家", region_id=region.id),
        )
        session.add_all([here, there])
        await session.flush()
        staff = Person(tg_user_id=1, first_name="staff")
        session.add(staff)
        await session.flush()
        grant = Grant(Role.INSTITUTION, region.id, here.id)
        await repo.add_grant(session, staff.id, grant, granted_by=None, invitation_id=None)
        ids = []
        for n in range(45):
            made = await make_class(
                session,
                institution_id=here.id,
                region_id=region.id,
                start=date(2026, 5, 1) + timedelta(days=n),
                days=1,
            )
            made.name = f"网创{n:02d}班" + "长" * 50
            ids.append(made.id)
        await make_class(
            session, institution_id=there.id, region_id=region.id, start=date(2026, 9, 1), days=1
        )
        return Actor.of(staff.id, (grant,), "zh-CN", NOW), ids[::-1]


async def test_the_roster_class_list_is_three_pages_latest_first(sessions):
    actor, ids = await _staff_with_45_classes(sessions)
    seen = []
    for number in range(3):
        async with unit_of_work(sessions) as session:
            found = await checkin.roster_classes(session, actor, number)
        assert (found.page, found.pages, found.total) == (number, 3, 45)
        text, markup = classes_view(found, I18n("zh-CN"))
        assert_fits(text, markup)
        assert f"第 {number + 1}/3 页" in text
        seen += [c.id for c in found.items]
    assert seen == ids, "every class once, latest first, never another institution's"
    assert labels(markup)[-1] == "◀ 上一页"
    async with unit_of_work(sessions) as session:
        past_the_end = await checkin.roster_classes(session, actor, 99)
    assert past_the_end.page == 2 and [c.id for c in past_the_end.items] == ids[40:]


async def test_the_feedback_class_list_is_three_pages(sessions):
    actor, ids = await _staff_with_45_classes(sessions)
    async with unit_of_work(sessions) as session:
        first = await feedback.class_page(session, actor, 0)
        second = await feedback.class_page(session, actor, 1)
    assert [c.id for c in first.items + second.items] == ids[:40]
    text, markup = choose_class_view(second, I18n("en"))
    assert_fits(text, markup)
    assert "(45 in all, page 2/3)" in text
    assert labels(markup)[-2:] == ["◀ Previous", "Next ▶"]
