"""Charts are phone-sized PNGs whose Chinese renders with the bundled font alone."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot import charts, fonts


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_distribution_is_a_600px_png_whatever_the_font():
    image = opened(charts.distribution("第 1 天反馈 · 整体评价分布", [0, 1, 3, 8, 8]))
    assert image.size == (600, 360)


def test_trend_skips_days_without_a_point():
    points = [("第1天", 4.2), ("第2天", None), ("第3天", 3.8), ("第4天", 5.0)]
    image = opened(charts.trend("测试班 · 每日整体评价平均分", points))
    assert image.size == (600, 360)


def test_the_bars_are_as_high_as_their_counts():
    image = opened(charts.distribution("t", [0, 0, 0, 0, 4])).convert("RGB")
    slot = (600 - 2 * charts.MARGIN) / 5
    column = [image.getpixel((int(charts.MARGIN + slot * (i + 0.5)), 200)) for i in range(5)]
    blue = Image.new("RGB", (1, 1), charts.BAR).getpixel((0, 0))
    assert column == [(255, 255, 255)] * 4 + [blue]


def test_averages_grow_with_the_questions():
    rows = [("课程「网店开设与基础运营管理」", 4.25), ("讲师「周老师」", 4.0), ("教学平台", 5.0)]
    three = opened(charts.averages("期末评估", rows))
    six = opened(charts.averages("期末评估", rows * 2))
    assert three.width == six.width == 600 and six.height - three.height == 3 * 40


def test_empty_and_out_of_range_inputs_do_not_crash():
    opened(charts.distribution("空", [0, 0, 0, 0, 0]))
    opened(charts.trend("空", []))
    opened(charts.trend("越界", [("a", 9.0), ("b", -1.0)]))
    opened(charts.averages("空", []))
    opened(charts.averages("越界", [("a", 7.0), ("b", -1.0)]))


def ink(text: str) -> Image.Image:
    image = Image.new("L", (120, 40), 255)
    ImageDraw.Draw(image).text((4, 4), text, fill=0, font=charts.font(24))
    return image


def test_chinese_is_drawn_with_real_glyphs_without_any_system_font():
    """The font comes from a Python dependency: no fontconfig, no /usr/share/fonts."""
    assert fonts.VARIABLE_FONT.is_file()
    assert charts.font(20).getname() == ("Noto Sans SC", "Regular")
    missing = ink("\U0010fffd\U0010fffd")  # a private-use code point: the font's empty box
    assert ink("网创").tobytes() != missing.tobytes()
    assert ink("网创").tobytes() != ink("学员").tobytes()
    assert ink("网创").getextrema()[0] < 64
