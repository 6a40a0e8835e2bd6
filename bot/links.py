"""Deep links and QR codes for invitations, in Telegram or in the built-in web chat."""

from __future__ import annotations

import io

import segno

from bot.config import RunMode, Settings


def invite_link(settings: Settings, bot_username: str, code: str) -> str:
    if settings.mode is RunMode.WEBCHAT:
        return f"{settings.base_url}/chat?start={code}"
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True)
