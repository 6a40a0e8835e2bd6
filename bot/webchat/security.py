"""Response headers that keep what people send from ever running as the page.

The page (and the classroom screen) get a strict Content-Security-Policy: scripts and styles
only from /static, or inline with this response's nonce. Files sent in the chat are served
with a type that cannot run (known images as themselves, the rest as an octet-stream
attachment), `nosniff`, and a CSP that runs nothing even when opened directly."""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import quote

INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Image types a browser shows and never runs (SVG can hold scripts: it is an attachment)."""

MEDIA_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]")


TOKEN_COOKIE_AGE = 10 * 365 * 24 * 3600  # kept like the page's localStorage was


def token_cookie(profile: str) -> str:
    """The name of the HttpOnly cookie that holds the token of one page profile (one person
    per profile, so one browser can hold several)."""
    name = profile.encode("utf-8", "surrogatepass")
    return "webchat-" + hashlib.sha256(name).hexdigest()[:24]


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def page_csp(nonce: str | None = None) -> str:
    inline = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{inline}",
            f"style-src 'self'{inline}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def page_headers(nonce: str | None = None) -> dict[str, str]:
    return {
        "Content-Security-Policy": page_csp(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


def media_headers(mime_type: str, name: str) -> dict[str, str]:
    """Headers for a stored file: inline only for the known image types."""
    inline = mime_type in INLINE_IMAGES
    fallback = NOT_ASCII_NAME.sub("_", name) or "file"
    disposition = "inline" if inline else "attachment"
    encoded = quote(name, safe="", errors="replace")
    return {
        "Content-Type": mime_type if inline else "application/octet-stream",
        "Content-Disposition": (
            f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
    }
