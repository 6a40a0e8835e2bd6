"""The assessment cards, built without a bot: blind answers, one criterion at a time with the
running total and a button per score, the confirm screen, the trainee's result, progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.assessment import load_rubric
from bot.i18n import I18n
from bot.views.assessment import (
    CARD_LIMIT,
    Do,
    ScoreCb,
    assignment_view,
    blind_answers,
    confirm_view,
    criterion_view,
    progress_text,
    result_text,
    sheet_lines,
)
from storage.assessment import Progress

ZH, EN = I18n("zh-CN"), I18n("en")
DEADLINE = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_blind_answers_leave_out_who_the_trainee_is():
    answers = {
        "name": "王小明",
        "mobile": "13812345678",
        "mall_store": "茶叶小店",
        "note": "联系 13812345678",
        "screenshots": [{"file_id": "a"}, {"file_id": "b"}],
        "empty": "",
    }
    shown = dict(blind_answers(answers))
    assert "name" not in shown and "mobile" not in shown and "empty" not in shown
    assert shown["mall_store"] == "茶叶小店"
    assert "13812345678" not in shown["note"]
    assert shown["screenshots"] == "🖼 ×2"


def test_assignment_card_offers_accept_and_two_declines_then_start():
    text, markup = assignment_view(
        ZH,
        assignment_id=7,
        status="offered",
        deadline=DEADLINE,
        round_=1,
        practice={"mall_store": "茶叶小店"},
        plan=None,
        tz=SHANGHAI,
    )
    assert "评分任务 #7" in text and "2026-05-21 00:00" in text and "未提交" in text
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == [
        ScoreCb(a=Do.ACCEPT, i=7).pack(),
        ScoreCb(a=Do.DECLINE, i=7, v=1).pack(),
        ScoreCb(a=Do.DECLINE, i=7, v=0).pack(),
    ]
    _, markup = assignment_view(
        EN,
        assignment_id=7,
        status="accepted",
        deadline=DEADLINE,
        round_=2,
        practice={},
        plan={"overview": "tea"},
        tz=SHANGHAI,
    )
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == [
        ScoreCb(a=Do.START, i=7).pack()
    ]
    text, markup = assignment_view(
        EN,
        assignment_id=7,
        status="done",
        deadline=DEADLINE,
        round_=1,
        practice={"long": "x" * 5000, **{f"q{i}": "y" * 290 for i in range(30)}},
        plan=None,
        tz=SHANGHAI,
    )
    assert markup is None and len(text) <= CARD_LIMIT


def test_every_criterion_shows_its_maximum_and_a_button_per_score():
    rubric = load_rubric()
    for index, criterion in enumerate(rubric.criteria):
        text, markup = criterion_view(EN, 3, rubric, index, {"basics": 10})
        assert f"0-{criterion.maximum} points" in text and "Running total: 10" in text
        values = [b.text for row in markup.inline_keyboard for b in row]
        assert values == [str(v) for v in range(criterion.maximum + 1)]
        assert all(len(row) <= 6 for row in markup.inline_keyboard)
        assert all(
            len(b.callback_data.encode()) <= 64 for row in markup.inline_keyboard for b in row
        )


def test_confirm_shows_every_criterion_and_the_total():
    rubric = load_rubric()
    scores = {c.id: c.maximum for c in rubric.criteria}
    text, _ = confirm_view(ZH, 3, rubric, scores, "很好", True)
    assert "合计：100" in text and "评语：很好" in text and "店铺装修：10/10" in text


def test_result_numbers_scorers_and_names_none():
    rubric = load_rubric()
    lines = sheet_lines(EN, rubric, {c.id: 1 for c in rubric.criteria})
    text = result_text(
        EN,
        class_name="Class 1",
        passed=False,
        final=35.0,
        plan_complete=False,
        sheets=[(lines, 7, "more products")],
        pass_mark=60,
    )
    assert "not passed yet" in text and "35.0" in text and "Scorer 1: 7" in text
    assert "more products" in text and "coach you" in text


def test_progress_shows_overdue_with_its_age():
    now = DEADLINE + timedelta(hours=30)
    row = Progress(1, 25, 24, 20, 18, 2, 3, DEADLINE)
    text = progress_text(EN, [("Class 1", row)], now)
    assert "24 handed in" in text and "18 passed" in text and "3 overdue (oldest 30 h)" in text


def test_class_buttons_show_where_the_class_stands():
    from datetime import date

    from storage.models import TrainingClass

    found = TrainingClass(
        programme="trainee",
        name="一班",
        institution_id=1,
        region_id=1,
        start_date=date(2026, 5, 11),
        status="approved",
        stage="ended",
    )
    assert ZH("classes.b_open", cls=found) == "一班（已批准开班｜已结束，考核中）"
    assert EN("classes.b_open", cls=found).endswith("ended, being assessed)")
    found.stage = None
    assert ZH("classes.b_open", cls=found) == "一班（已批准开班）"


def test_answers_show_their_question_labels_when_the_form_is_known():
    from bot.forms import registry
    from bot.services.assessment import question_labels

    shown = blind_answers({"mall_store": "茶叶小店"}, {"mall_store": "模拟商城店铺名称"})
    assert shown == [("模拟商城店铺名称", "茶叶小店")]
    registration = registry.forms()["registration"]
    first = registration.questions()[0]
    labels = question_labels("en", "registration", "not_a_form")
    assert labels[first.id] == first.label("en")


def test_screenshots_get_their_own_button_on_an_open_card():
    shots = [
        {"file_id": "p1", "mime_type": "image/png"},
        {"file_id": "p2", "mime_type": "image/jpeg"},
    ]
    plan = {"upload": [{"file_id": "d1", "mime_type": "application/pdf"}]}
    from bot.views.assessment import attached_files

    assert attached_files({"screenshots": shots}, plan) == [
        ("photo", "p1"),
        ("photo", "p2"),
        ("document", "d1"),
    ]
    _, markup = assignment_view(
        ZH,
        assignment_id=5,
        status="offered",
        deadline=DEADLINE,
        round_=1,
        practice={"screenshots": shots},
        plan=plan,
        tz=SHANGHAI,
    )
    first = markup.inline_keyboard[0][0]
    assert first.text == "📷 截图和文件（3）"
    assert first.callback_data == ScoreCb(a=Do.FILES, i=5).pack()
