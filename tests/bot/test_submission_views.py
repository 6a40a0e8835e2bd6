"""The submission screens as pure functions (bot/views/submissions.py): no bot, no database."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import command_names
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.views.submissions import (
    ExtAct,
    ExtCb,
    PlanAct,
    PlanCb,
    class_picker,
    days_picker,
    handed_in_view,
    learner_picker,
)
from tests.pages import assert_fits, labels

DEADLINE = datetime(2026, 5, 17, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai"))


def callbacks(markup) -> list[str]:
    return [button.callback_data for row in markup.inline_keyboard for button in row]


def test_a_plan_filled_in_chat_offers_printing_and_practice_results_do_not():
    text, markup = handed_in_view(
        I18n("zh-CN"), "business_plan", "网络创业规划书", 2, DEADLINE, "网创一班", True
    )
    assert "已提交《网络创业规划书》（第 2 版，「网创一班」）" in text
    assert "2026-05-17 23:59 前可以重新提交" in text
    assert callbacks(markup) == [PlanCb(a=PlanAct.PRINT).pack()]
    _, uploaded = handed_in_view(
        I18n("zh-CN"), "business_plan", "网络创业规划书", 1, DEADLINE, "网创一班", False
    )
    assert uploaded is None
    text, markup = handed_in_view(
        I18n("en"), "practice_results", "Practice results", 1, DEADLINE, "Class 1", False
    )
    assert "Non-teaching lecturers will score" in text and markup is None


def test_the_class_list_pages_by_20_within_telegram_limits():
    """Issue 11: an institution's 45 running classes are three pages, each message fits."""
    classes = [(n, f"网创{n:02d}班" + "长" * 50) for n in range(1, 46)]
    text, markup = class_picker(I18n("zh-CN"), classes)
    assert_fits(text, markup)
    assert "（共 45 个，第 1/3 页）" in text
    assert callbacks(markup)[:20] == [ExtCb(a=ExtAct.CLASS, c=n).pack() for n in range(1, 21)]
    assert callbacks(markup)[20:] == [ExtCb(a=ExtAct.CLASSES, c=0, n=1).pack()]
    text, markup = class_picker(I18n("en"), classes, 2)
    assert_fits(text, markup)
    assert "page 3/3" in text and labels(markup)[-1] == "◀ Previous"
    assert len(callbacks(markup)) == 5 + 1
    text, markup = class_picker(I18n("zh-CN"), classes[:2])
    assert "页" not in text and len(callbacks(markup)) == 2


def test_the_learner_list_pages_by_20_with_a_count():
    learners = [(100 + n, f"学员{n:02d}") for n in range(45)]
    text, markup = learner_picker(I18n("zh-CN"), 7, "网创一班", learners, 0)
    assert "共 45 人，第 1/3 页" in text
    data = callbacks(markup)
    assert data[:20] == [ExtCb(a=ExtAct.LEARNER, c=7, p=100 + n).pack() for n in range(20)]
    assert data[20:] == [ExtCb(a=ExtAct.PAGE, c=7, n=1).pack()]
    text, markup = learner_picker(I18n("zh-CN"), 7, "网创一班", learners, 2)
    assert "第 3/3 页" in text
    assert callbacks(markup)[5:] == [ExtCb(a=ExtAct.PAGE, c=7, n=1).pack()]
    text, markup = learner_picker(I18n("zh-CN"), 7, "网创一班", learners, 99)  # forged page
    assert "第 3/3 页" in text
    text, markup = learner_picker(I18n("en"), 7, "Class 1", learners[:3], 0)
    assert "(3)" in text and "page" not in text and len(callbacks(markup)) == 3
    text, markup = learner_picker(I18n("zh-CN"), 7, "网创一班", learners, 1)
    assert_fits(text, markup)
    assert labels(markup)[-2:] == ["◀ 上一页", "下一页 ▶"]


def test_the_days_offered_and_an_empty_institution():
    text, markup = days_picker(I18n("zh-CN"), 7, 11, "小王", "网创一班", DEADLINE)
    assert "小王 在「网创一班」的提交截止时间现在是 2026-05-17 23:59" in text
    assert [b.text for row in markup.inline_keyboard for b in row] == ["+1 天", "+3 天", "+7 天"]
    assert callbacks(markup)[1] == ExtCb(a=ExtAct.DAYS, c=7, p=11, n=3).pack()
    text, markup = class_picker(I18n("zh-CN"), [])
    assert "还没有开班中的班级" in text and callbacks(markup) == []


def test_trainees_have_the_hand_in_commands_and_staff_extend():
    trainee = command_names([Grant(Role.TRAINEE, 1, 10)])
    assert {"practice", "plan", "planpdf"} <= set(trainee) and "extend" not in trainee
    assert "extend" in command_names([Grant(Role.INSTITUTION, 1, 10)])
    assert "practice" not in command_names([Grant(Role.INSTITUTION, 1, 10)])
