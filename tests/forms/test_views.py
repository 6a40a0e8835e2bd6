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
