"""The class activity report (T11) printed: an A4 PDF (Jinja2 template
templates/pdf/activity_report.html.j2 → fpdf2, Noto Sans SC) and an XLSX workbook with Chinese
(or English) headers, one sheet per part. Pure: a built `Report` and the reader's I18n in,
bytes out (the use case draws them off the event loop)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.activity_report import Report, RoundLine, SessionLine
from bot.forms.pdf import html_pdf
from bot.forms.registry import form
from bot.i18n import I18n, environment
from bot.views.forms import display
from bot.views.pages import Page, turns, with_turns
from bot.xlsx import write_sheets

COMMENTS_FORM = "activity_comments"


class Use(StrEnum):
    """What a class picked from a reporting list gets: its activity report, its bundle, or the
    lecturer's comments form."""

    REPORT = "r"
    BUNDLE = "b"
    COMMENT = "c"


class RepAct(StrEnum):
    OPEN = "open"
    PAGE = "page"


class ReportCb(CallbackData, prefix="rpt"):
    """OPEN: class `c` for `u`; PAGE: page `n` (from 0) of the classes for `u`."""

    a: RepAct
    u: Use
    c: int = 0
    n: int = 0


def report_buttons(i18n: I18n, class_id: int, bundle: bool) -> list[InlineKeyboardButton]:
    """The class card's 活动报告 (and, for who may fetch it, 资料包) buttons."""
    shown = [(Use.REPORT, "reports.b_report")] + ([(Use.BUNDLE, "reports.b_bundle")] * bundle)
    return [
        InlineKeyboardButton(
            text=i18n(key), callback_data=ReportCb(a=RepAct.OPEN, u=use, c=class_id).pack()
        )
        for use, key in shown
    ]


def comment_button(i18n: I18n, class_id: int) -> InlineKeyboardMarkup:
    """The button under the push that asks a teaching lecturer for their comments."""
    data = ReportCb(a=RepAct.OPEN, u=Use.COMMENT, c=class_id).pack()
    button = InlineKeyboardButton(text=i18n("reports.b_comment"), callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def class_list(i18n: I18n, use: Use, page: Page[Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The classes the person may pick for `use`, 20 a page."""
    rows = [
        [
            InlineKeyboardButton(
                text=f"{c.name}（{c.start_date.isoformat()}）",
                callback_data=ReportCb(a=RepAct.OPEN, u=use, c=c.id).pack(),
            )
        ]
        for c in page.items
    ]
    turn = turns(i18n, page.page, page.pages, lambda n: ReportCb(a=RepAct.PAGE, u=use, n=n))
    text = i18n(
        "reports.pick", use=use.value, count=page.total, page=page.page + 1, pages=page.pages
    )
    return text, InlineKeyboardMarkup(inline_keyboard=with_turns(rows, turn))


def answer(form_id: str, question_id: str, value: Any, i18n: I18n) -> str:
    """An answer as its form shows it (a choice's label, yes/no, a date), '' when unanswered."""
    if value is None or value == "" or value == []:
        return ""
    for question in form(form_id).questions():
        if question.id == question_id:
            return display(question, value, i18n)
    return str(value)


def rate(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def average(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def round_name(i18n: I18n, line: RoundLine) -> str:
    return i18n("reports.round", kind=line.kind, day=line.day)


def rating_name(i18n: I18n, line: RoundLine, question: str) -> str:
    return line.names.get(question) or i18n("reports.rating", question=question)


def session_row(line: SessionLine, i18n: I18n) -> list[Any]:
    return [
        line.on.isoformat(),
        line.day,
        i18n("attendance.slot_name", slot=line.slot),
        line.topic,
        line.hours,
        line.enrolled if line.held else "",
        line.attended if line.held else "",
        line.late if line.held else "",
        line.excused if line.held else "",
        line.absent if line.held else "",
        rate(line.rate),
    ]


def trainee_rows(built: Report, i18n: I18n) -> list[list[Any]]:
    """One row per trainee: business, stores, practice figures, result."""
    rows = []
    for t in built.facts.trainees:
        reg, app, practice = t.registration, t.appendix3, t.practice or {}
        rows.append(
            [
                t.name,
                answer("registration", "has_business", reg.get("has_business"), i18n),
                reg.get("business_name") or "",
                answer("appendix3", "store_status", app.get("store_status"), i18n),
                app.get("store_link") or "",
                practice.get("sim_store_name") or "",
                practice.get("sim_orders") if practice else "",
                answer("practice_results", "real_platform", practice.get("real_platform"), i18n),
                practice.get("real_store_name") or "",
                practice.get("real_store_link") or "",
                practice.get("real_orders") if practice.get("has_real_store") else "",
                practice.get("real_sales") if practice.get("has_real_store") else "",
                "" if t.final is None else t.final,
                i18n("reports.result", passed=t.passed),
            ]
        )
    return rows


def comment_items(built: Report, i18n: I18n) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each lecturer's comments as (label, text) pairs in the form's order."""
    questions = form(COMMENTS_FORM).questions()
    return [
        (
            comment.teacher,
            [
                (q.label(i18n.locale), answer(COMMENTS_FORM, q.id, comment.answers.get(q.id), i18n))
                for q in questions
                if comment.answers.get(q.id) not in (None, "")
            ],
        )
        for comment in built.facts.comments
    ]


def overview(built: Report, i18n: I18n) -> list[tuple[str, str]]:
    """The report's headline figures as (label, value)."""
    f, b = built.facts, built.businesses
    when = "—" if f.first is None else f"{f.first.isoformat()} – {f.last.isoformat()}"
    pairs = [
        ("class", f.class_name),
        ("programme", i18n("classes.programme_name", programme=f.programme)),
        ("institution", f.institution),
        ("region", f.region),
        ("dates", when),
        ("teachers", "、".join(f.teachers) or "—"),
        ("hours", str(built.hours_held)),
        ("enrolled", str(built.enrolled)),
        ("attendance", rate(built.overall_rate)),
        ("handed_in", str(built.handed_in)),
        ("scored", str(built.scored)),
        ("passed", str(built.passed)),
        ("pass_rate", rate(built.pass_rate)),
        ("pass_rate_enrolled", rate(built.pass_rate_enrolled)),
        ("running_business", str(b.running_business)),
        ("store_opened", str(b.store_opened)),
        ("store_operating", str(b.store_operating)),
        ("simulated", str(b.simulated)),
        ("real", str(b.real)),
        ("real_orders", str(b.real_orders)),
        ("real_sales", f"{b.real_sales:.2f}"),
    ]
    return [(i18n("reports.figure", name=name), value) for name, value in pairs]


def feedback_rows(built: Report, i18n: I18n) -> list[list[Any]]:
    rows = []
    for line in built.rounds:
        s = line.summary
        base = [round_name(i18n, line), s.asked, s.responses, rate(s.rate if s.asked else None)]
        if not s.detailed:
            rows.append([*base, i18n("reports.too_few"), ""])
            continue
        for rating in s.ratings:
            rows.append([*base, rating_name(i18n, line, rating.question), average(rating.average)])
        if s.scale is not None:
            rows.append([*base, i18n("reports.recommend"), average(s.scale.average)])
    return rows


def report_pdf(built: Report, i18n: I18n) -> bytes:
    html = (
        environment()
        .get_template("pdf/activity_report.html.j2")
        .render(
            t=i18n,
            title=i18n("reports.title"),
            overview=overview(built, i18n),
            sessions=[session_row(line, i18n) for line in built.sessions],
            feedback=feedback_rows(built, i18n),
            trainees=trainee_rows(built, i18n),
            comments=comment_items(built, i18n),
        )
    )
    return html_pdf(html, f"{i18n('reports.title')} {built.facts.class_name}")


def headers(i18n: I18n, part: str) -> list[str]:
    return i18n(f"reports.h_{part}").split("|")


def report_xlsx(built: Report, i18n: I18n) -> bytes:
    comments = [
        [teacher, label, text]
        for teacher, items in comment_items(built, i18n)
        for label, text in items
    ]
    return write_sheets(
        [
            (i18n("reports.s_overview"), headers(i18n, "overview"), overview(built, i18n)),
            (
                i18n("reports.s_attendance"),
                headers(i18n, "sessions"),
                [session_row(line, i18n) for line in built.sessions],
            ),
            (i18n("reports.s_feedback"), headers(i18n, "feedback"), feedback_rows(built, i18n)),
            (i18n("reports.s_trainees"), headers(i18n, "trainees"), trainee_rows(built, i18n)),
            (i18n("reports.s_comments"), headers(i18n, "comments"), comments),
        ]
    )
