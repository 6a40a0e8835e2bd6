"""The enrolment card as a pure function: built from rows in memory, no bot and no database."""

from __future__ import annotations

from datetime import date

from bot.i18n import I18n
from bot.services.enrolment import Card, capacity
from handlers.enrolment.common import ClassImport, ClassInvite, EnrolList, WithdrawList
from handlers.enrolment.views import card_view
from storage.models import Enrollment, TrainingClass

FACTS = {"name": "网创一班", "first": "2026-05-11", "last": "2026-05-18", "venue": "文三路 90 号"}


def a_class(capacity: int = 30) -> TrainingClass:
    return TrainingClass(
        id=7, programme="trainee", name="网创一班", institution_id=1, region_id=1,
        start_date=date(2026, 5, 11), status="approved", capacity=capacity,
    )  # fmt: skip


def callbacks(markup) -> list[str]:
    return [button.callback_data for row in markup.inline_keyboard for button in row]


def test_an_open_card_names_who_is_in_and_counts_reserved_places():
    """S-7: enrolled, pending and unused personal invitations all take a place."""
    places = [
        Enrollment(id=1, class_id=7, person_id=11, status="enrolled"),
        Enrollment(id=2, class_id=7, person_id=12, status="pending"),
    ]
    names = {11: "王小明", 12: "李小红"}
    text, markup = card_view(Card(a_class(), FACTS, True, 3, 30, places, names), I18n("zh-CN"))
    assert "名额：已占 3/30" in text and "不接受报名" not in text
    assert "已入班（1）：王小明" in text and "待筛选确认（1）：李小红" in text
    assert "个人邀请未使用：1 个" in text
    assert callbacks(markup) == [
        ClassInvite(c=7).pack(),
        EnrolList(c=7).pack(),
        ClassImport(c=7).pack(),
        WithdrawList(c=7).pack(),
    ]


def test_a_closed_empty_card_offers_nothing_and_caps_the_capacity_at_30():
    """S-7: a class never offers more than 30 places, whatever its capacity says."""
    text, markup = card_view(
        Card(a_class(40), FACTS, False, 0, capacity(a_class(40)), [], {}), I18n("zh-CN")
    )
    assert "名额：已占 0/30（不接受报名）" in text and "已入班（0）：暂无" in text
    assert callbacks(markup) == []
