"""Small PNG charts for feedback summaries, sized for a phone (600 px wide).

Text is drawn in the bundled Noto Sans SC (`bot.fonts`), so Chinese renders with no system font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from bot import fonts
from bot.domain.feedback import Kind
from bot.i18n import I18n
from storage.feedback_views import RoundView

WIDTH, HEIGHT = 600, 360
MARGIN = 40
TOP = 64
BOTTOM = 48
BACKGROUND = "white"
INK = "#222222"
GRID = "#dddddd"
BAR = "#3b82f6"
LINE = "#16a34a"
CHART_QUESTION = "overall"
"""The rating a daily summary charts: the day's overall satisfaction."""

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int) -> Font:
    """The CJK font at `size`."""
    return fonts.pillow_font(size)


def _canvas(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 18), title, fill=INK, font=font(22))
    return image, draw


def _centred(draw: ImageDraw.ImageDraw, x: float, y: float, text: str, face: Font) -> None:
    left, _, right, _ = draw.textbbox((0, 0), text, font=face)
    draw.text((x - (right - left) / 2, y), text, fill=INK, font=face)


def _png(image: Image.Image, optimize: bool = True) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=optimize)
    return out.getvalue()


def distribution(
    title: str,
    counts: Sequence[int],
    labels: Sequence[str] = ("1", "2", "3", "4", "5"),
) -> bytes:
    """A bar per rating point with its count above it."""
    image, draw = _canvas(title)
    small = font(18)
    most = max([*counts, 1])
    base = HEIGHT - BOTTOM
    room = base - TOP - 28
    slot = (WIDTH - 2 * MARGIN) / max(len(counts), 1)
    draw.line((MARGIN, base, WIDTH - MARGIN, base), fill=INK, width=2)
    for index, (count, label) in enumerate(zip(counts, labels, strict=True)):
        middle = MARGIN + slot * (index + 0.5)
        height = room * count / most
        if count:
            draw.rectangle(
                (middle - slot * 0.3, base - height, middle + slot * 0.3, base), fill=BAR
            )
        _centred(draw, middle, base - height - 24, str(count), small)
        _centred(draw, middle, base + 8, label, small)
    return _png(image)


def trend(
    title: str,
    points: Sequence[tuple[str, float | None]],
    low: float = 1.0,
    high: float = 5.0,
) -> bytes:
    """The value of each day on a low..high axis, joined where consecutive days have one."""
    image, draw = _canvas(title)
    small = font(16)
    left, right = MARGIN + 24, WIDTH - MARGIN
    base, top = HEIGHT - BOTTOM, TOP + 10
    for value in range(int(low), int(high) + 1):
        y = base - (base - top) * (value - low) / (high - low)
        draw.line((left, y, right, y), fill=GRID, width=1)
        draw.text((MARGIN - 4, y - 9), str(value), fill=INK, font=small)
    step = (right - left) / max(len(points), 1)
    previous = None
    for index, (label, value) in enumerate(points):
        x = left + step * (index + 0.5)
        _centred(draw, x, base + 10, label, small)
        if value is None:
            previous = None
            continue
        y = base - (base - top) * (min(max(value, low), high) - low) / (high - low)
        if previous is not None:
            draw.line((*previous, x, y), fill=LINE, width=3)
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=LINE)
        _centred(draw, x, y - 26, f"{value:.1f}", small)
        previous = (x, y)
    return _png(image)


def averages(
    title: str,
    rows: Sequence[tuple[str, float]],
    high: float = 5.0,
) -> bytes:
    """One horizontal bar per question, as long as its average on a 0..high axis; the image
    grows with the number of questions (an evaluation has one per module and teacher)."""
    row_height, label_width = 40, 220
    height = TOP + row_height * max(len(rows), 1) + 24
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 18), title, fill=INK, font=font(22))
    small = font(16)
    left, right = MARGIN + label_width, WIDTH - MARGIN - 48
    for index, (label, value) in enumerate(rows):
        y = TOP + row_height * index
        shown = label if len(label) <= 12 else label[:11] + "…"
        draw.text((MARGIN, y + 8), shown, fill=INK, font=small)
        length = (right - left) * min(max(value, 0.0), high) / high
        draw.rectangle((left, y + 8, left + length, y + row_height - 8), fill=BAR)
        draw.text((left + length + 6, y + 8), f"{value:.2f}", fill=INK, font=small)
    return _png(image)


def round_chart(shown: RoundView, kind: str, day: int, i18n: I18n) -> bytes | None:
    """A day's overall-rating distribution, or an evaluation's average per question; none
    under the small-class rule (the summary then has no ratings)."""
    ratings = shown.summary.ratings
    if kind == Kind.DAILY:
        rating = next((r for r in ratings if r.question == CHART_QUESTION), None)
        if rating is None or not rating.count:
            return None
        title = i18n(
            "feedback_views.chart_title", kind=kind, day=day, q=CHART_QUESTION, names=shown.names
        )
        return distribution(title, rating.distribution)
    rows = [
        (i18n("feedback_views.question", q=r.question, names=shown.names), r.average)
        for r in ratings
        if r.average is not None
    ]
    if not rows:
        return None
    return averages(i18n("feedback_views.averages_title", kind=kind, day=day), rows)


def counts(title: str, rows: Sequence[tuple[str, int | float | str | None]]) -> bytes:
    """One horizontal bar per group, as long as its count (statistics); a value that is not a
    number ("<3", "—") is written with no bar. The image grows with the number of groups."""
    row_height, label_width = 36, 220
    height = TOP + row_height * max(len(rows), 1) + 24
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 18), title, fill=INK, font=font(22))
    small = font(16)
    left, right = MARGIN + label_width, WIDTH - MARGIN - 56
    numbers = [float(v) for _, v in rows if isinstance(v, int | float)]
    most = max([*numbers, 1.0])
    for index, (label, value) in enumerate(rows):
        y = TOP + row_height * index
        shown = label if len(label) <= 12 else label[:11] + "…"
        draw.text((MARGIN, y + 7), shown, fill=INK, font=small)
        if isinstance(value, int | float):
            length = (right - left) * float(value) / most
            draw.rectangle((left, y + 7, left + length, y + row_height - 7), fill=BAR)
            draw.text((left + length + 6, y + 7), f"{float(value):.0f}", fill=INK, font=small)
        else:
            draw.text((left + 6, y + 7), "—" if value is None else str(value), fill=INK, font=small)
    return _png(image, optimize=False)  # drawn per request: optimize costs ~8x, saves ~3%
