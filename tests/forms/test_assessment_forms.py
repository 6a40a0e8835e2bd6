"""The assessment forms as data (SPEC §7 T8, T10): they load and validate, their skip logic and
computed totals, the review screen of a long plan staying within Telegram's limit, the uploaded
plan file's checks (property-based), and the printable A4 PDF read back with pypdf."""

from __future__ import annotations

import io
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from bot.forms.answers import FileRef, Input, Rejected, parse
from bot.forms.pdf import form_pdf
from bot.forms.registry import form
from bot.forms.render import review_view
from bot.forms.runner import FormRun
from bot.forms.schema import QuestionType
from bot.i18n import I18n, text
from storage.models import FormDraft

TODAY = date(2026, 5, 12)
MB = 1024 * 1024


def plan_answers(long: bool = False) -> dict:
    """A business plan filled in chat: every text answer, every amount."""
    definition = form("business_plan")
    answers: dict = {"mode": "chat"}
    for question in definition.questions():
        if question.type is QuestionType.TEXT:
            answers[question.id] = ("茶" * question.max_length) if long else f"{question.id}的回答"
        elif question.type is QuestionType.DECIMAL:
            answers[question.id] = 1000.0
    answers["monthly_sales"] = 20000.0
    return answers


def test_both_forms_load_with_both_languages():
    for form_id in ("practice_results", "business_plan"):
        definition = form(form_id)
        assert definition.title("zh-CN") and definition.title("en")
        for question in definition.questions():
            assert question.label("zh-CN") and question.label("en")


def test_practice_results_ask_about_the_real_store_only_when_there_is_one_T8():
    definition = form("practice_results")
    screenshots = [q for q in definition.questions() if q.type is QuestionType.PHOTO]
    assert [q.max_files for q in screenshots] == [9, 9]
    none = FormRun(definition, {"has_real_store": False}, TODAY)
    some = FormRun(definition, {"has_real_store": True}, TODAY)
    assert not any(slot.key.startswith("real_") for slot in none.asked)
    asked = {slot.key for slot in some.asked}
    assert {"real_platform", "real_store_link", "real_opened_on", "real_sales"} <= asked


def test_an_opening_date_after_today_is_refused():
    opened = next(q for q in form("practice_results").questions() if q.id == "real_opened_on")
    assert parse(opened, Input(text="2026-05-01"), answers={}, today=TODAY) == "2026-05-01"
    try:
        parse(opened, Input(text="2026-06-01"), answers={}, today=TODAY)
    except Rejected as rejected:
        assert rejected.problem.custom("zh-CN") == "开店日期不能晚于今天"
    else:
        raise AssertionError("a future opening date was accepted")


def test_the_plan_totals_are_computed_T10():
    run = FormRun(form("business_plan"), plan_answers(), TODAY)
    answers = run.final_answers()
    assert answers["capital_total"] == 4000
    assert answers["fund_total"] == 3000 and answers["fund_gap"] == 1000
    assert answers["monthly_costs"] == 5000
    assert answers["monthly_profit"] == 15000 and answers["yearly_profit"] == 180000


def test_an_uploaded_plan_asks_nothing_else():
    run = FormRun(form("business_plan"), {"mode": "upload"}, TODAY)
    assert [slot.key for slot in run.asked] == ["mode", "plan_file"]


def test_the_review_of_the_longest_plan_fits_in_one_message():
    definition = form("business_plan")
    draft = FormDraft(id=1, person_id=1, form_id="business_plan", form_version=1)
    for locale in ("zh-CN", "en"):
        run = FormRun(definition, plan_answers(long=True), TODAY)
        shown, markup = review_view(run, draft, I18n(locale))
        assert len(shown) <= 4000
        assert "＝" in shown  # the totals are listed
        edits = [b for row in markup.inline_keyboard for b in row if b.text.startswith("✏️")]
        assert len(edits) == len(run.asked)


PLAN_FILE = next(q for q in form("business_plan").questions() if q.id == "plan_file")
NAMES = st.sampled_from(
    ["规划书.pdf", "plan.PDF", "plan.docx", "plan.doc", "plan.txt", "plan.exe", "plan", "a.pdf.zip"]
)
MIMES = st.sampled_from(
    ["application/pdf", "application/msword", "text/plain", "application/octet-stream", "image/png"]
)
SIZES = st.one_of(st.just(0), st.integers(1, 20 * MB), st.integers(20 * MB + 1, 2**40))


@settings(max_examples=200)
@given(name=NAMES, mime=MIMES, size=SIZES)
def test_an_uploaded_plan_is_a_pdf_or_word_file_not_empty_not_huge(name, mime, size):
    """Wrong types, empty and huge files are refused with a message naming the file; the rest
    is accepted as the one file of the answer."""
    ref = FileRef("id", "unique", name, size, mime)
    good_type = name.lower().endswith((".pdf", ".doc", ".docx"))
    try:
        value = parse(PLAN_FILE, Input(files=(ref,)), answers={}, today=TODAY)
    except Rejected as rejected:
        problem = rejected.problem
        expected = "file_type" if not good_type else "file_empty" if size == 0 else "file_too_big"
        assert problem.key == expected
        for locale in ("zh-CN", "en"):
            assert name in text(locale, "forms.problem", key=problem.key, params=problem.params)
    else:
        assert good_type and 0 < size <= 20 * MB
        assert value == [ref.as_dict()]


def test_two_files_at_once_are_refused():
    ref = FileRef("id", "unique", "a.pdf", 10, "application/pdf")
    try:
        parse(PLAN_FILE, Input(files=(ref, ref)), answers={}, today=TODAY)
    except Rejected as rejected:
        assert rejected.problem.key == "too_many_files"
    else:
        raise AssertionError("two files were accepted")


def test_the_printed_plan_is_a4_with_the_chinese_text_and_the_totals():
    answers = plan_answers()
    answers["overview"] = "把家乡的高山绿茶卖给城市白领。\n第二行：用短视频讲茶园故事。"
    pdf = form_pdf(form("business_plan"), answers, TODAY, {}, I18n("zh-CN"), heading=["学员：小王"])
    reader = PdfReader(io.BytesIO(pdf))
    shown = "".join(page.extract_text() for page in reader.pages)
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4: 210 mm
    assert round(float(reader.pages[0].mediabox.height)) == 842
    for expected in (
        "网络创业规划书",
        "学员：小王",
        "一、项目概况",
        "把家乡的高山绿茶卖给城市白领。",
        "第二行：用短视频讲茶园故事。",
        "启动资金合计（元）",
        "180000",
        "15000",
    ):
        assert expected in shown, expected
    assert "填写方式" in shown  # every section that applies is printed


def test_the_longest_plan_prints_on_several_pages_in_english_too():
    pdf = form_pdf(
        form("business_plan"), plan_answers(long=True), TODAY, {}, I18n("en"), heading=["x"]
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 3
    shown = "".join(page.extract_text() for page in reader.pages)
    assert "Online business plan" in shown and "茶茶茶" in shown and "Amount (yuan)" in shown


def test_what_a_trainee_types_prints_as_typed_never_as_markup():
    """Answers are escaped by the template: tags and entities print literally; a character the
    font lacks (an emoji) is left out rather than failing the print."""
    answers = plan_answers()
    answers["overview"] = "A&B <b>粗体</b> &amp; 好😀 ¥100 — “引号”"
    pdf = form_pdf(form("business_plan"), answers, TODAY, {}, I18n("zh-CN"), heading=["x"])
    shown = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "A&B <b>粗体</b> &amp; 好 ¥100 — “引号”" in shown
