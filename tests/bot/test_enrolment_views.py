"""The enrolment card as a pure function: built from rows in memory, no bot and no database."""

from __future__ import annotations

from datetime import date

from bot.i18n import I18n
from bot.services.enrolment import Card, capacity
from bot.views.pages import Page
from handlers.enrolment.common import (
    ClassImport,
    ClassInvite,
    EnrolAdd,
    EnrolClasses,
    EnrolList,
    Withdraw,
    WithdrawList,
)
from handlers.enrolment.views import candidates_view, card_view, classes_view, withdrawal_view
from storage.models import Enrollment, TrainingClass
from tests.pages import assert_fits, labels

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


def test_the_class_list_pages_twenty_at_a_time():
    classes = [(a_class(), f"2026-05-{n % 28 + 1:02d}") for n in range(25)]
    text, markup = classes_view(classes, 0, I18n("zh-CN"))
    assert "请选择班级（共 25 个，第 1/2 页）" in text
    assert len(callbacks(markup)) == 20 + 1 and callbacks(markup)[-1] == EnrolClasses(p=1).pack()
    text, markup = classes_view(classes, 5, I18n("en"))
    assert "page 2/2" in text and callbacks(markup)[-1] == EnrolClasses(p=0).pack()
    assert len(callbacks(markup)) == 5 + 1
    text, markup = classes_view(classes[:3], 0, I18n("zh-CN"))
    assert "页" not in text and len(callbacks(markup)) == 3


def test_the_withdrawal_list_pages_and_edits_in_place():
    places = [Enrollment(id=n, class_id=7, person_id=n, status="enrolled") for n in range(1, 31)]
    names = {n: f"学员{n:02d}" for n in range(1, 31)}
    text, markup = withdrawal_view(a_class(), places, names, 1, I18n("zh-CN"))
    assert "（共 30 人，第 2/2 页）" in text
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert labels == [f"学员{n}" for n in range(21, 31)] + ["◀ 上一页"]
    assert callbacks(markup)[0] == Withdraw(c=7, t=21).pack()
    assert callbacks(markup)[-1] == WithdrawList(c=7, p=0, e=True).pack()


def test_the_trainees_to_add_page_twenty_at_a_time_within_telegram_limits():
    """Issue 11: 45 suitable trainees are three pages; each message fits Telegram's limits."""
    people = list(range(1, 46))
    names = {n: f"学员{n:02d}" + "长" * 60 for n in people}
    text, markup = candidates_view(a_class(), Page.of(people, 0), names, I18n("zh-CN"))
    assert_fits(text, markup)
    assert "共 45 人，第 1/3 页" in text and len(labels(markup)) == 20 + 1
    assert callbacks(markup)[0] == EnrolAdd(c=7, t=1).pack()
    assert callbacks(markup)[-1] == EnrolList(c=7, p=1, e=True).pack()
    text, markup = candidates_view(a_class(), Page.of(people, 2), names, I18n("en"))
    assert_fits(text, markup)
    assert "page 3/3" in text and labels(markup)[-1] == "◀ Previous"
    assert len(labels(markup)) == 5 + 1
