"""An issued certificate as an A4 PDF: the programme's Jinja2 template (bot/domain/issuing
DESIGNS, templates/pdf/certificate_*.html.j2) rendered to the HTML subset fpdf2 writes, with
Noto Sans SC embedded (bot/fonts.py, never a system font), a frame, and the QR code of its
verification page (segno PNG) in the lower right corner. Drawn off the event loop by callers
(`asyncio.to_thread`)."""

from __future__ import annotations

import io
from typing import Protocol

import segno
from fpdf import FPDF

from bot.domain.issuing import design_of
from bot.fonts import static_font
from bot.i18n import I18n, environment

FAMILY = "notosanssc"
QR_SIZE_MM = 38


class Printed(Protocol):
    number: str
    programme: str
    holder_name: str | None
    class_name: str
    institution_name: str
    first_day: object
    last_day: object
    issued_on: object


def qr_png(url: str) -> bytes:
    """The verification link as a PNG QR code, large enough for a phone and for decoding."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def certificate_pdf(cert: Printed, verify_url: str, i18n: I18n) -> bytes:
    """The PDF's bytes for `cert`, its QR code pointing at `verify_url`."""
    design = design_of(cert.programme)
    if design is None:
        raise ValueError(f"no certificate design for programme {cert.programme!r}")
    days = [d.isoformat() for d in (cert.first_day, cert.last_day) if d is not None]
    labels = {
        key: i18n(f"issuing.pdf_{key}")
        for key in ("number", "body", "programme", "class_name", "institution", "dates")
    }
    labels |= {"issued_on": i18n("issuing.pdf_issued_on"), "verify": i18n("issuing.pdf_verify")}
    html = (
        environment()
        .get_template(design.template)
        .render(
            title=i18n(design.title_key),
            programme=i18n("issuing.programme", programme=cert.programme),
            cert=cert,
            dates=" – ".join(days),
            labels=labels,
        )
    )
    document = FPDF(format="A4")
    font = str(static_font())
    document.add_font(FAMILY, fname=font)
    document.set_title(i18n(design.title_key))
    document.set_margins(28, 24, 28)
    document.set_auto_page_break(False)
    document.add_page()
    document.set_line_width(1.2)
    document.rect(10, 10, 190, 277)
    document.set_line_width(0.3)
    document.rect(13, 13, 184, 271)
    document.set_font(FAMILY, size=12)
    document.write_html(html, font_family=FAMILY)
    x, y = 210 - 28 - QR_SIZE_MM, 297 - 30 - QR_SIZE_MM
    document.image(io.BytesIO(qr_png(verify_url)), x=x, y=y, w=QR_SIZE_MM, h=QR_SIZE_MM)
    document.set_xy(28, y + QR_SIZE_MM - 6)
    document.set_font(FAMILY, size=8)
    document.cell(0, 6, verify_url)
    return bytes(document.output())
