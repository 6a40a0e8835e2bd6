"""/stats views, pure: the picker, the table page by page inside Telegram's limits however many
groups, "<3" and "—" as people read them, the chart's Chinese and the XLSX."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot import charts
from bot.domain.stats import COLUMNS, FEW, Dimension, Period, Span
from bot.i18n import I18n
from bot.services.stats import Row, Table
from bot.views.stats import ROWS_PER_PAGE, Do, StatsCb, chart, picker_view, table_view, workbook
from tests.pages import assert_fits, labels

LONG = "网络创业培训班" * 30


def _row(n: int, label: str) -> Row:
    figures = {c.key: 1234 for c in COLUMNS}
    figures.update(attendance=0.9234, feedback=4.256, coaching=FEW, certificates=None, jobs=12.0)
    return Row(str(n), label, figures, classes=n)


def _table(count: int) -> Table:
    rows = [_row(n, f"{n:03d}{LONG}") for n in range(count)]
    return Table(Dimension.CLASS, Span(date(2026, 4, 1), date(2026, 7, 1)), rows, _row(0, ""))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_forty_five_groups_page_inside_the_limits(locale):
    i18n = I18n(locale)
    table = _table(45)
    pages = -(-45 // ROWS_PER_PAGE)
    seen = []
    for page in range(pages + 1):  # one past the end shows the last
        text, markup = table_view(i18n, table, Dimension.CLASS, Period.QUARTER, page)
        assert_fits(text, markup)
        seen.append(text)
    assert f"6/{pages}" in seen[5] and seen[pages] == seen[pages - 1]
    assert "044" in seen[-1] and "000" in seen[0]
    first = table_view(i18n, table, Dimension.CLASS, Period.QUARTER, 0)[0]
    assert "92%" in first and "4.26" in first and "&lt;3" in first and "—" in first
    assert "2026-04-01" in first and "2026-06-30" in first


def test_the_picker_marks_the_choice_and_every_button_unpacks():
    text, markup = picker_view(I18n("zh-CN"), Dimension.REGION, Period.MONTH)
    assert "按区域" in text
    shown = labels(markup)
    assert "✓ 区域" in shown and "✓ 本月" in shown and "班级" in shown
    packed = [StatsCb.unpack(b.callback_data) for row in markup.inline_keyboard for b in row]
    assert packed[-1] == StatsCb(a=Do.SHOW, d=Dimension.REGION, p=Period.MONTH)
    assert all(len(b.callback_data) <= 64 for row in markup.inline_keyboard for b in row)


def test_the_chart_is_a_png_with_a_bar_per_group_in_chinese():
    png = chart(I18n("zh-CN"), _table(20), Dimension.CLASS, Period.ALL)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 600
    assert image.height > 15 * 36  # 15 groups charted, the rest in the table


def test_the_chart_draws_chinese_names_with_the_bundled_font():
    def drawn(label: str) -> bytes:
        return Image.open(io.BytesIO(charts.counts("统计", [(label, 5), ("乙", FEW)]))).tobytes()

    missing = drawn("\U0010fffd\U0010fffd")  # the font's empty box
    assert drawn("网创") != missing and drawn("网创") != drawn("学员")


def test_the_xlsx_holds_every_group_and_the_total():
    data = workbook(I18n("zh-CN"), _table(45), Dimension.CLASS, Period.ALL)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("班级", "班级数", "在册学员") and len(rows) == 1 + 45 + 1
    assert rows[1][0].startswith("000网络创业") and rows[-1][0] == "合计"
    header = list(rows[0])
    assert rows[1][header.index("出勤率")] == 0.9234
    assert rows[1][header.index("辅导中")] == "<3" and rows[1][header.index("已发证书")] == "—"
