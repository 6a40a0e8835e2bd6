"""The campaign cards as pure functions (issue 14): the live counts with percentages, and the
paged lists (campaigns, classes, who has not answered) at 45 items within Telegram's limits, in
both languages; the counting and export rules of bot/domain/campaigns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.campaigns import Counts, Export, Reply, cell, tallies
from bot.forms.registry import form
from bot.i18n import I18n
from bot.services.campaigns import Dashboard
from bot.views.campaigns import campaigns_list, classes_menu, dashboard_card, waiting_card
from bot.views.pages import Page
from storage.models import Campaign, TrainingClass
from tests.pages import assert_fits, labels

TZ = ZoneInfo("Asia/Shanghai")
LONG = "长" * 60


def _campaign(n: int = 7, **kw) -> Campaign:
    return Campaign(
        id=n,
        token="t",
        form_key="needs",
        created_by=1,
        institution_id=1,
        selection={"kind": "class", "class_id": 3},
        status="confirmed",
        **kw,
    )


def test_the_dashboard_shows_counts_and_percentages_per_state():
    counts = Counts.of([("sent", 5), ("completed", 3), ("stopped", 1), ("queued", 1)])
    shown = Dashboard(_campaign(), "培训需求分析问卷", counts, "网创一班", True)
    text, markup = dashboard_card(shown, TZ, I18n("zh-CN"))
    assert "已推送：5 人（50%）" in text and "已完成：3 人（30%）" in text
    assert "不再接收：1 人（10%）" in text and "回复率（已完成/已推送）：33%" in text
    assert "班级「网创一班」的学员" in text
    assert "⏰ 提醒未填写的 5 人（仅一次）" in labels(markup)
    assert "✖ 取消尚未推送的 1 人" in labels(markup)
    reminded = _campaign(reminded_at=datetime(2026, 9, 1, 2, tzinfo=UTC))
    text, markup = dashboard_card(
        Dashboard(reminded, "Needs", counts, "Class 1", False), TZ, I18n("en")
    )
    assert "reminded on 01 Sep 2026 10:00" in text
    assert not any("Remind" in label for label in labels(markup))


def test_45_item_lists_page_within_telegrams_limits():
    for locale in ("zh-CN", "en"):
        i18n = I18n(locale)
        names = [(f"学员{n}{LONG}", Reply.SENT) for n in range(45)]
        page = Page.of(names, 2)
        text, markup = waiting_card(7, page, i18n)
        assert_fits(text, markup)
        assert "学员40" in text and "学员39" not in text
        classes = [
            TrainingClass(id=n, name=f"网创{n}班{LONG}", start_date=date(2026, 3, 2))
            for n in range(45)
        ]
        text, markup = classes_menu(7, Page.of(classes, 1), i18n)
        assert_fits(text, markup)
        listed = [(_campaign(n), f"问卷{n}{LONG}") for n in range(45)]
        text, markup = campaigns_list(Page.of(listed, 0), True, i18n)
        assert_fits(text, markup)
        assert labels(markup)[-2:] == [i18n("common.next"), i18n("campaigns.new")]


def test_answers_are_tallied_and_exported_as_labels_or_codes():
    needs = form("needs")
    hardest = next(q for q in needs.questions() if q.id == "hardest")
    given = [{"hardest": ["traffic", "money"]}, {"hardest": ["traffic"]}, {}]
    tally = next(t for t in tallies(needs, given) if t.question.id == "hardest")
    assert tally.answered == 2 and dict(tally.options)["traffic"] == 2
    yes_no = ("是", "否")
    assert cell(hardest, ["traffic", "money"], Export.CODES, "zh-CN", yes_no) == "traffic money"
    assert cell(hardest, ["traffic", "money"], Export.LABELS, "en", yes_no) == (
        "Getting traffic Not enough money"
    )
    assert cell(hardest, None, Export.LABELS, "zh-CN", yes_no) is None
