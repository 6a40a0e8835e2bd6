"""/trainees as a pure view of one page (read from the store by bot/services/screening.py):
its lines under their group's heading, ◀ ▶ with the count (S-6)."""

from __future__ import annotations

from bot.i18n import I18n
from bot.services.screening import TraineeLine
from bot.views.intake import TraineeCard, TraineesPage, trainees_view
from tests.pages import assert_fits, labels


def first_page() -> list[TraineeLine]:
    taught = [TraineeLine("网创一班", 100 + n, f"班学员{n:02d}", "enrolled") for n in range(5)]
    empty = [TraineeLine("网创二班")]
    own = [
        TraineeLine(None, 200 + n, f"学员{n:02d}", "registered", unreachable=n == 0)
        for n in range(14)
    ]
    return [*taught, *empty, *own]


def test_a_page_shows_its_lines_with_the_count_and_a_way_on():
    text, markup = trainees_view(I18n("zh-CN"), first_page(), 0, 3, 45)
    assert_fits(text, markup)
    assert "共 45 人 · 第 1/3 页" in text
    assert "<b>网创一班</b>" in text and "<b>网创二班</b>" in text and "还没有学员" in text
    assert "• 学员00：" in text and "已屏蔽本机器人" in text and "学员13" in text
    assert labels(markup)[-1] == "下一页 ▶" and "◀ 上一页" not in labels(markup)
    assert len(labels(markup)) == 19 + 1, "a button for each trainee shown, none for a group"
    assert markup.inline_keyboard[0][0].callback_data == TraineeCard(p=100).pack()
    assert markup.inline_keyboard[-1][0].callback_data == TraineesPage(p=1).pack()


def test_the_last_page_goes_back():
    lines = [TraineeLine(None, 300 + n, f"学员{n:02d}", "registered") for n in range(34, 40)]
    text, markup = trainees_view(I18n("en"), lines, 2, 3, 45)
    assert "page 3/3" in text and "Trainees of your institution" in text
    assert labels(markup)[-1] == "◀ Previous" and "Next ▶" not in labels(markup)


def test_one_page_has_no_page_line_and_nobody_says_so():
    text, markup = trainees_view(I18n("zh-CN"), first_page()[:3], 0, 1, 3)
    assert "页" not in text and labels(markup) == ["班学员00", "班学员01", "班学员02"]
    text, markup = trainees_view(I18n("zh-CN"), [], 0, 1, 0)
    assert "你还没有可查看的学员" in text and labels(markup) == []
