"""Charts are phone-sized PNGs, with the CJK font or without it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot import charts

FONTS = [charts.FONT_PATH, None, Path("/nonexistent/font.ttc")]


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize("font_path", FONTS)
def test_distribution_is_a_600px_png_whatever_the_font(font_path):
    image = opened(
        charts.distribution("第 1 天反馈 · 整体评价分布", [0, 1, 3, 8, 8], font_path=font_path)
    )
    assert image.size == (600, 360)


@pytest.mark.parametrize("font_path", FONTS)
def test_trend_skips_days_without_a_point(font_path):
    points = [("第1天", 4.2), ("第2天", None), ("第3天", 3.8), ("第4天", 5.0)]
    image = opened(charts.trend("测试班 · 每日整体评价平均分", points, font_path=font_path))
    assert image.size == (600, 360)


def test_the_bars_are_as_high_as_their_counts():
    image = opened(charts.distribution("t", [0, 0, 0, 0, 4], font_path=None)).convert("RGB")
    slot = (600 - 2 * charts.MARGIN) / 5
    column = [image.getpixel((int(charts.MARGIN + slot * (i + 0.5)), 200)) for i in range(5)]
    blue = Image.new("RGB", (1, 1), charts.BAR).getpixel((0, 0))
    assert column == [(255, 255, 255)] * 4 + [blue]


@pytest.mark.parametrize("font_path", FONTS)
def test_averages_grow_with_the_questions(font_path):
    rows = [("课程「网店开设与基础运营管理」", 4.25), ("讲师「周老师」", 4.0), ("教学平台", 5.0)]
    three = opened(charts.averages("期末评估", rows, font_path=font_path))
    six = opened(charts.averages("期末评估", rows * 2, font_path=font_path))
    assert three.width == six.width == 600 and six.height - three.height == 3 * 40


def test_empty_and_out_of_range_inputs_do_not_crash():
    opened(charts.distribution("空", [0, 0, 0, 0, 0]))
    opened(charts.trend("空", []))
    opened(charts.trend("越界", [("a", 9.0), ("b", -1.0)]))
    opened(charts.averages("空", []))
    opened(charts.averages("越界", [("a", 7.0), ("b", -1.0)]))


def test_the_cjk_font_is_used_when_installed():
    if not charts.FONT_PATH.exists():
        pytest.skip("fonts-wqy-microhei is not installed")
    assert "WenQuanYi" in " ".join(charts.font(20).getname())
