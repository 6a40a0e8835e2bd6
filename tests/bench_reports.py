"""`make bench`: printing the class activity report (T11) of the largest class: 30 trainees
with every business and store answered, 14 sessions held, seven daily-feedback rounds of 30
answers, the final evaluation, two lecturers' comments at their maximum length; with the font
already made (start-up warms it). `report_pdf_ms` and `report_xlsx_ms` (medians; the PDF's
CPU time too, `report_pdf_cpu_ms`, steadier on a busy machine),
`report_pdf_pages`, `report_zip_kb` (both files zipped as the bundle does). `BENCH_SCALE`
below 1 takes one run instead of three."""

from __future__ import annotations

import io
import os
import statistics
import time
from datetime import date, timedelta

from pypdf import PdfReader

from bot.domain import activity_report as domain
from bot.fonts import static_font
from bot.i18n import I18n
from bot.views.activity_report import report_pdf, report_xlsx
from bot.zips import pack

START = date(2026, 5, 11)


def largest_class() -> domain.Report:
    trainees = [
        domain.Trainee(
            person_id=n,
            name=f"学员{n:02d}",
            registration={"has_business": n % 2 == 0, "business_name": "网创小店" * 5},
            appendix3={"store_status": ("none", "idle", "operating")[n % 3], "store_link": "x"},
            practice={
                "sim_store_name": "模拟商城店铺" * 3,
                "sim_orders": 12,
                "has_real_store": True,
                "real_platform": "taobao",
                "real_store_name": "真实店铺" * 4,
                "real_store_link": "https://shop.example.cn/" + "a" * 60,
                "real_orders": 30,
                "real_sales": 12345.5,
            },
            passed=n % 5 != 0,
            final=72.5,
        )
        for n in range(1, 31)
    ]
    marks = {n: ("present", "late", "excused", "absent")[n % 4] for n in range(1, 31)}
    sessions = [
        domain.HeldSession(
            day, slot, START + timedelta(days=day - 1), "网店运营" * 4, 4, True, marks
        )
        for day in range(1, 8)
        for slot in ("morning", "afternoon")
    ]
    answers = [{"overall": 1 + n % 5, "usefulness": 4, "teachers": 5} for n in range(30)]
    rounds = [domain.FeedbackRound("daily", day, 30, answers) for day in range(1, 8)]
    final = {f"module.{m}": 4 for m in range(1, 9)} | {"organisation": 5, "recommend": 9}
    rounds.append(domain.FeedbackRound("final", 7, 30, [final] * 30, {"modules": ["模块"] * 8}))
    long = "学员积极参与，模拟商城全部开店，部分学员已在真实平台开店并产生订单。" * 30
    comments = [
        domain.Comment(name, {"summary": long[:1000], "gains": long[:1000]})
        for name in ("王老师", "李老师")
    ]
    return domain.build(
        domain.Facts(
            "西湖网创一班",
            "trainee",
            "杭州创业学校",
            "西湖区",
            START,
            START + timedelta(days=6),
            ["王老师", "李老师"],
            sessions,
            trainees,
            rounds,
            comments,
        )
    )


def measure() -> list[str]:
    runs = 3 if float(os.environ.get("BENCH_SCALE", "1")) >= 1 else 1
    built, i18n = largest_class(), I18n("zh-CN")
    static_font()
    pdf_times, pdf_cpu, xlsx_times, pdf, xlsx = [], [], [], b"", b""
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        pdf = report_pdf(built, i18n)
        pdf_times.append(time.perf_counter() - started)
        pdf_cpu.append(time.process_time() - cpu)
        started = time.perf_counter()
        xlsx = report_xlsx(built, i18n)
        xlsx_times.append(time.perf_counter() - started)
    ((_, zipped),) = pack("bundle", [("report.pdf", pdf), ("report.xlsx", xlsx)])
    return [
        f"report_pdf_ms={statistics.median(pdf_times) * 1000:.0f}",
        f"report_pdf_cpu_ms={statistics.median(pdf_cpu) * 1000:.0f}",
        f"report_pdf_pages={len(PdfReader(io.BytesIO(pdf)).pages)}",
        f"report_xlsx_ms={statistics.median(xlsx_times) * 1000:.0f}",
        f"report_zip_kb={len(zipped) / 1024:.0f}",
    ]


if __name__ == "__main__":
    print("\n".join(measure()))
