"""The form view builders, called without a bot: what a person reads and which buttons they
get, in both languages. ID and mobile numbers are shown masked (S-53)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.forms.callbacks import FormEdit, FormNav, FormPick, Nav
from bot.forms.registry import form
from bot.forms.runner import FormRun
from bot.i18n import I18n
from bot.views.forms import (
    my_forms_view,
    offer_view,
    question_view,
    review_view,
    saved_text,
)
from storage.models import FormDraft, FormSubmission

TODAY = date(2026, 6, 1)
ZH, EN = I18n("zh-CN"), I18n("en")


def labels(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.text for row in markup.inline_keyboard for b in row]


def data(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def draft(**values) -> FormDraft:
    return FormDraft(id=7, person_id=1, form_id="daily_feedback", form_version=1, **values)


def test_a_rating_question_shows_progress_its_scale_and_the_runner_buttons():
    filling = draft(position="usefulness", answers={"overall": 5})
    run = FormRun(form(filling.form_id), filling.answers, TODAY)
    text, markup = question_view(run, run.slot("usefulness"), filling, ZH, TODAY)
    assert "2/6" in text and "对你有用吗" in text
    assert labels(markup) == ["1", "2", "3", "4", "5", "◀ 上一题", "✖ 暂停"]
    assert data(markup)[0] == FormPick(d=7, q=1, v="1").pack()
    assert FormNav(d=7, q=1, a=Nav.BACK).pack() in data(markup)


def test_an_optional_question_can_be_skipped_and_the_english_reads_english():
    filling = draft(position="suggestions")
    run = FormRun(form(filling.form_id), {}, TODAY)
    text, markup = question_view(run, run.slot("suggestions"), filling, EN, TODAY)
    assert "Any suggestions for tomorrow?" in text
    assert FormNav(d=7, q=5, a=Nav.SKIP).pack() in data(markup)


def test_the_review_lists_every_answer_with_an_edit_button_each_then_submit():
    answers = {"overall": 5, "usefulness": 4, "teachers": 5, "pace": "right"}
    answers |= {"most_useful": "直播", "suggestions": None}
    filling = draft(reviewing=True, answers=answers)
    run = FormRun(form(filling.form_id), answers, TODAY)
    text, markup = review_view(run, filling, ZH)
    assert "请核对你的回答" in text and "今天的进度：合适" in text and "直播" in text
    assert FormNav(d=7, q=3, a=Nav.EDIT).pack() in data(markup)
    assert labels(markup)[-2:] == ["✅ 提交", "✖ 暂停"]


def test_the_offer_to_continue_counts_the_answers_and_offers_both_ways():
    text, markup = offer_view(draft(), 2, 6, ZH)
    assert "2/6" in text or ("2" in text and "6" in text)
    assert data(markup) == [
        FormNav(d=7, q=0, a=Nav.RESUME).pack(),
        FormNav(d=7, q=0, a=Nav.RESTART).pack(),
    ]


def test_my_forms_lists_each_editable_submission_in_local_time():
    row = FormSubmission(
        id=3,
        draft_id=1,
        person_id=1,
        form_id="needs",
        form_version=1,
        submitted_by=1,
        submitted_at=datetime(2026, 6, 1, 1, 30, tzinfo=UTC),
    )
    text, markup = my_forms_view([row], ZH, ZoneInfo("Asia/Shanghai"))
    assert "2026-06-01 09:30" in text
    assert data(markup) == [FormEdit(s=3).pack()]


def test_an_id_or_mobile_answer_is_echoed_masked_and_a_choice_is_not_echoed():
    registration = form("registration")
    by_type = {q.type: q for q in registration.questions()}
    echo = saved_text(by_type["mobile"], "13812345678", ZH)
    assert echo is not None and "13812345678" not in echo and "5678" in echo
    assert saved_text(by_type["single"], "x", ZH) is None


def _class_draft(**values) -> FormDraft:
    return FormDraft(id=9, person_id=1, form_id="class", form_version=1, **values)


def _calendar_of(today: date, **values) -> list[list]:
    filling = _class_draft(position="start_date", answers={"name": "福田区第3期"}, **values)
    run = FormRun(form("class"), filling.answers, today)
    _, markup = question_view(run, run.slot("start_date"), filling, ZH, today)
    return markup.inline_keyboard


def test_the_calendar_has_a_weekday_header_and_puts_each_day_under_its_weekday():
    """1 December 2026 is a Tuesday: second column under 二, Monday first; the month label
    shares its row with two arrows only, so it does not wrap on a phone."""
    rows = _calendar_of(date(2026, 11, 20), pending=["2026-12"])
    header, weekdays, first_week = rows[0], rows[1], rows[2]
    assert [b.text for b in header] == ["‹", "2026年12月", "›"]
    assert [b.text for b in weekdays] == ["一", "二", "三", "四", "五", "六", "日"]
    assert [b.text for b in first_week] == [" ", "1", "2", "3", "4", "5", "6"]
    assert first_week[1].callback_data == FormPick(d=9, q=2, v="2026-12-01").pack()
    assert all(len(row) == 7 for row in rows[1:-2])


def test_the_calendar_offers_no_day_the_constraint_forbids():
    """The class's first day cannot be in the past: earlier days are shown as · and are not
    buttons that answer; the month before, all in the past, is not offered."""
    rows = _calendar_of(date(2026, 6, 10))
    picks = [
        FormPick.unpack(b.callback_data).v
        for row in rows
        for b in row
        if b.callback_data.startswith("fp:")
    ]
    assert picks[0] == "2026-06-10" and len(picks) == 21
    days = [b.text for row in rows[2:] for b in row]
    assert days.count("·") == 9
    assert rows[0][0].text == " " and rows[0][2].text == "›"
    assert [b.text for b in rows[-2]] == ["2027年 »"]  # no year back: all of it is past


def test_a_question_asked_again_offers_to_keep_its_answer():
    """Back (or ✏️) on a typed question shows the current answer and a button to keep it."""
    filling = draft(position="most_useful", answers={"most_useful": "直播"})
    run = FormRun(form(filling.form_id), filling.answers, TODAY)
    text, markup = question_view(run, run.slot("most_useful"), filling, ZH, TODAY)
    assert "当前答案：直播" in text
    assert FormNav(d=7, q=4, a=Nav.KEEP).pack() in data(markup)
    assert "✔ 保留当前答案" in labels(markup)
    fresh = draft(position="most_useful")
    _, markup = question_view(
        run := FormRun(form("daily_feedback"), {}, TODAY), run.slot("most_useful"), fresh, ZH, TODAY
    )
    assert FormNav(d=7, q=4, a=Nav.KEEP).pack() not in data(markup)


def test_the_progress_bar_is_drawn_with_solid_shapes():
    filling = draft(position="usefulness", answers={"overall": 5})
    run = FormRun(form(filling.form_id), filling.answers, TODAY)
    text, _ = question_view(run, run.slot("usefulness"), filling, ZH, TODAY)
    assert "●●●○○○○○○○" in text and "░" not in text and "▓" not in text


def test_review_lines_do_not_end_a_question_mark_with_a_colon():
    answers = {"overall": 5, "usefulness": 4, "teachers": 5, "pace": "right"}
    answers |= {"most_useful": "直播", "suggestions": None}
    filling = draft(reviewing=True, answers=answers)
    run = FormRun(form(filling.form_id), answers, TODAY)
    for i18n in (ZH, EN):
        text, _ = review_view(run, filling, i18n)
        assert "？：" not in text and "?：" not in text and "?:" not in text


def test_a_typed_district_is_echoed_as_the_place_it_was_read_as():
    region = next(q for q in form("registration").questions() if q.type == "region")
    echo = saved_text(region, "440304", ZH, typed=True)
    assert echo == "已记录：广东省 深圳市 福田区"
    assert saved_text(region, "440304", ZH) is None  # picked with buttons: seen already


def test_a_chinese_hint_is_not_set_in_italics():
    """CJK fonts have no italic; a slanted hint is a synthetic one."""
    filling = _class_draft(position="name")
    run = FormRun(form("class"), {}, TODAY)
    text, _ = question_view(run, run.slot("name"), filling, ZH, TODAY)
    assert "福田区第 3 期" in text and "<i>" not in text and "2025" not in text
