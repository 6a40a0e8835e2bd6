"""/trainees as a pure view: 20 a page under their group's heading, ◀ ▶ with the count (S-6)."""

from __future__ import annotations

from bot.i18n import I18n
from bot.services.screening import TraineeLine
from bot.views.intake import TraineeCard, TraineesPage, trainees_view


def lines() -> list[TraineeLine]:
    taught = [TraineeLine("网创一班", 100 + n, f"班学员{n:02d}", "enrolled") for n in range(5)]
    empty = [TraineeLine("网创二班")]
    own = [
        TraineeLine(None, 200 + n, f"学员{n:02d}", "registered", unreachable=n == 0)
        for n in range(40)
    ]
    return [*taught, *empty, *own]


def labels(markup) -> list[str]:
    return [button.text for row in markup.inline_keyboard for button in row]


def test_the_first_page_shows_twenty_lines_with_the_count_and_a_way_on():
    text, markup = trainees_view(I18n("zh-CN"), lines(), 0)
    assert "共 45 人 · 第 1/3 页" in text
    assert "<b>网创一班</b>" in text and "<b>网创二班</b>" in text and "还没有学员" in text
    assert "• 学员00：" in text and "已屏蔽本机器人" in text and "学员13" in text
    assert "学员14" not in text, "5 + 1 empty group + 14 = 20 lines"
    assert labels(markup)[-1] == "▶" and "◀" not in labels(markup)
    assert len(labels(markup)) == 19 + 1, "a button for each trainee shown, none for a group"
    assert markup.inline_keyboard[0][0].callback_data == TraineeCard(p=100).pack()
    assert markup.inline_keyboard[-1][0].callback_data == TraineesPage(p=1).pack()


def test_later_pages_repeat_the_heading_and_go_back():
    text, markup = trainees_view(I18n("en"), lines(), 2)
    assert "page 3/3" in text and "Trainees of your institution" in text
    assert "学员34" in text and "学员33" not in text
    assert labels(markup)[-1] == "◀" and "▶" not in labels(markup)
    assert trainees_view(I18n("en"), lines(), 9)[0] == text, "a page past the end: the last"


def test_one_page_has_no_page_line_and_nobody_says_so():
    text, markup = trainees_view(I18n("zh-CN"), lines()[:3], 0)
    assert "页" not in text and "◀" not in labels(markup) and "▶" not in labels(markup)
    text, markup = trainees_view(I18n("zh-CN"), [], 0)
    assert "你还没有可查看的学员" in text and labels(markup) == []
