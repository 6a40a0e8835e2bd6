"""A filled form as a printable A4 PDF (「学员打印《网络创业规划书》」): a Jinja2 template
(templates/pdf/form.html.j2) rendered to the HTML subset fpdf2 writes, with Noto Sans SC
embedded (bot/fonts.py), so the Chinese is real, searchable text with no system font.

Sections follow the definition; long answers are paragraphs, and runs of numbers (amounts and
their computed totals) are tables. Any form prints; the business plan is the one people ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fpdf import FPDF

from bot.fonts import static_font
from bot.forms.render import display
from bot.forms.runner import FormRun
from bot.forms.schema import FormDefinition, QuestionType
from bot.i18n import I18n, environment

NUMBERS = {QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.COMPUTED}
HIDDEN = {QuestionType.NOTE, QuestionType.ACKNOWLEDGEMENT, QuestionType.REPEAT}
FAMILY = "notosanssc"


@dataclass
class Item:
    label: str
    value: str
    computed: bool = False

    @property
    def lines(self) -> list[str]:
        return self.value.splitlines() or [""]


@dataclass
class Block:
    table: bool
    items: list[Item] = field(default_factory=list)


@dataclass
class Part:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, item: Item, numeric: bool) -> None:
        if not self.blocks or self.blocks[-1].table != numeric or not numeric:
            self.blocks.append(Block(numeric))
        self.blocks[-1].items.append(item)


def parts(
    definition: FormDefinition,
    answers: dict[str, Any],
    today: date,
    context: dict[str, Any],
    i18n: I18n,
) -> list[Part]:
    """The answered questions that apply, section by section, as people read them."""
    run = FormRun(definition, answers, today, context)
    section_of = {q.id: s.id for s in definition.sections for q in s.questions}
    found = {s.id: Part(s.title(i18n.locale)) for s in definition.sections}
    for slot in run.slots:
        question = slot.question
        if question.type in HIDDEN or slot.key not in run.answers:
            continue
        label = question.label(i18n.locale)
        if slot.index is not None:
            label = f"{label} ({slot.index})"
        value = display(question, run.answers[slot.key], i18n)
        part = found[section_of[slot.group or question.id]]
        numeric = question.type in NUMBERS
        part.add(Item(label, value, question.type is QuestionType.COMPUTED), numeric)
    return [part for part in found.values() if part.blocks]


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.cell(0, 8, f"{self.page_no()} / {{nb}}", align="C")


def form_pdf(
    definition: FormDefinition,
    answers: dict[str, Any],
    today: date,
    context: dict[str, Any],
    i18n: I18n,
    *,
    heading: list[str],
) -> bytes:
    """The PDF's bytes: A4, the form's title, `heading` lines (who, which class, when) and
    every answer."""
    html = (
        environment()
        .get_template("pdf/form.html.j2")
        .render(
            title=definition.title(i18n.locale),
            heading=heading,
            sections=parts(definition, answers, today, context, i18n),
            item_header=i18n("submissions.pdf_item"),
            value_header=i18n("submissions.pdf_value"),
        )
    )
    return html_pdf(html, definition.title(i18n.locale))


def html_pdf(html: str, title: str) -> bytes:
    """An A4 PDF of fpdf2's HTML subset, in Noto Sans SC, with page numbers (any printout: a
    form, the class activity report)."""
    document = _Document(format="A4")
    font = str(static_font())
    document.add_font(FAMILY, fname=font)
    document.add_font(FAMILY, style="B", fname=font)  # headings: one embedded weight is enough
    document.set_title(title)
    document.set_margins(18, 18, 18)
    document.set_auto_page_break(True, margin=18)
    document.add_page()
    document.set_font(FAMILY, size=11)
    document.write_html(html, font_family=FAMILY)
    return bytes(document.output())
