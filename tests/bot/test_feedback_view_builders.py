"""The feedback view builders, called without a bot: the class menu, a round's aggregate (no
names), the thank-you, and /myfeedback as the person gave their answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiogram.types import InlineKeyboardMarkup

from bot.domain import feedback_summary
from bot.domain.feedback import Kind
from bot.feedback_view_callbacks import FeedbackClasses
from bot.forms.registry import form
from bot.forms.runner import FormRun
from bot.i18n import I18n
from bot.services.feedback import Count, Counted, Given, Menu, RoundSummary
from bot.views.feedback import (
    choose_class_view,
    counted_text,
    menu_view,
    my_feedback_text,
    summary_view,
)
from bot.views.pages import Page
from storage.feedback_views import Round, RoundView
from storage.models import ClassSession, FeedbackRequest, TrainingClass
from tests.pages import assert_fits, labels

ZH, EN = I18n("zh-CN"), I18n("en")
SHANGHAI = "Asia/Shanghai"


def data(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def _request(**values) -> FeedbackRequest:
    return FeedbackRequest(
        id=1,
        class_id=4,
        kind=Kind.DAILY,
        day=1,
        person_id=1,
        form_id="daily_feedback",
        opens_at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
        closes_at=datetime(2026, 6, 2, 1, 0, tzinfo=UTC),
        **values,
    )


def _class() -> TrainingClass:
    return TrainingClass(
        id=4, name="网创一班", institution_id=1, region_id=1, timezone="Asia/Shanghai"
    )


def test_the_class_menu_has_a_button_per_round_and_the_trend():
    rounds = [Round(Kind.DAILY, 1, 20, 18), Round(Kind.MIDTERM, 5, 20, 10)]
    text, markup = menu_view(Menu(_class(), rounds), ZH)
    assert "网创一班" in text
    assert data(markup) == ["fvr:4:daily:1", "fvr:4:midterm:5", "fvt:4"]


def test_the_thanks_names_the_next_session_and_a_late_answer_is_told_so():
    request = _request()
    following = ClassSession(
        id=9,
        class_id=4,
        day=2,
        slot="morning",
        starts_at=datetime(2026, 6, 2, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 2, 4, 0, tzinfo=UTC),
        hours=4,
        topic="网店运营",
    )
    thanks = counted_text(Counted(Count.COUNTED, request, _class(), following), ZH)
    assert "谢谢你的反馈" in thanks and "6月2日 09:00" in thanks
    assert "未计入" in counted_text(Counted(Count.LATE, request), ZH)


def test_a_teacher_with_several_classes_chooses_one():
    text, markup = choose_class_view(Page.of([_class(), TrainingClass(id=5, name="二班")], 0), ZH)
    assert "选择要查看反馈的班级" in text and data(markup) == ["fvc:4", "fvc:5"]
    assert "页" not in text


def test_the_class_list_of_a_region_pages_twenty_at_a_time_within_telegram_limits():
    """Issue 11: 45 classes are three pages of 20, ◀ ▶ edit the list, each message fits."""
    classes = [TrainingClass(id=n, name=f"网创{n:02d}班" + "长" * 50) for n in range(1, 46)]
    text, markup = choose_class_view(Page.of(classes, 0), ZH)
    assert_fits(text, markup)
    assert "共 45 个，第 1/3 页" in text and data(markup)[:2] == ["fvc:1", "fvc:2"]
    assert labels(markup)[-1] == "下一页 ▶" and data(markup)[-1] == FeedbackClasses(p=1).pack()
    assert len(data(markup)) == 20 + 1
    text, markup = choose_class_view(Page.of(classes, 2), EN)
    assert_fits(text, markup)
    assert "page 3/3" in text and labels(markup)[-1] == "◀ Previous"
    assert data(markup)[:-1] == [f"fvc:{n}" for n in range(41, 46)]


def test_a_round_summary_shows_the_aggregate_and_never_a_name():
    answers = [
        {"overall": 5, "usefulness": 4, "teachers": 5, "pace": "right", "most_useful": "直播"},
        {"overall": 4, "usefulness": 4, "teachers": 4, "pace": "right"},
        {"overall": 3, "usefulness": 5, "teachers": 5, "pace": "too_fast"},
    ]
    shown = RoundView(feedback_summary.daily(answers, 4), date(2026, 6, 1), {})
    text, markup = summary_view(RoundSummary(_class(), Kind.DAILY, 1, shown), ZH)
    assert "网创一班" in text and "已答 <b>3/4</b> 人（75%）" in text and "6月1日" in text
    assert "直播" in text and data(markup) == ["fvc:4"]


def test_my_feedback_lists_my_answers_as_i_gave_them_in_local_time():
    answers = {"overall": 5, "usefulness": 4, "teachers": 5, "pace": "right"}
    run = FormRun(form("daily_feedback"), answers, date(2026, 6, 1))
    answered = _request(answered_at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    text = my_feedback_text([Given(answered, "网创一班", run)], ZH, UTC)
    assert "网创一班" in text and "今天的进度：合适" in text and "10:00" in text
    assert "还没有填写过" in my_feedback_text([], ZH, UTC)
    assert "feedback" in my_feedback_text([], EN, UTC).lower()
