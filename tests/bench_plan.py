"""`make bench`: printing the longest business plan (every answer at its maximum length) as
an A4 PDF, with the font already made (start-up warms it): `plan_pdf_ms` (median of 5) and
`plan_pdf_pages`."""

from __future__ import annotations

import io
import statistics
import time
from datetime import date

from pypdf import PdfReader

from bot.fonts import static_font
from bot.forms.pdf import form_pdf
from bot.forms.registry import form
from bot.forms.schema import QuestionType
from bot.i18n import I18n


def measure(runs: int = 5) -> list[str]:
    definition = form("business_plan")
    answers: dict = {"mode": "chat"}
    for question in definition.questions():
        if question.type is QuestionType.TEXT:
            answers[question.id] = "网络创业规划" * (question.max_length // 6)
        elif question.type is QuestionType.DECIMAL:
            answers[question.id] = 12345.5
    static_font()
    timings, pdf = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        pdf = form_pdf(definition, answers, date(2026, 5, 12), {}, I18n("zh-CN"), heading=["x"])
        timings.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return [
        f"plan_pdf_ms={statistics.median(timings) * 1000:.0f}",
        f"plan_pdf_pages={pages}",
    ]


if __name__ == "__main__":
    print("\n".join(measure()))
