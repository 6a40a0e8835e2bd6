"""Every user-facing string comes from templates/: one Jinja2 macro per message and locale.

`templates/i18n/<locale>/<feature>.j2` holds the macros of one feature; a message key is
`<feature>.<macro>`. Autoescaping is on, so user text in a message is always HTML-escaped.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.config import LOCALES
from bot.privacy import mask_id_number, mask_phone

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
    )
    env.filters["mask_id"] = mask_id_number
    env.filters["mask_phone"] = mask_phone
    return env


def locale_for(language_code: str | None, default: str) -> str:
    """Map a Telegram language_code to one of our locales (zh* -> zh-CN, en* -> en)."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return default


@cache
def _module(locale: str, feature: str) -> Any:
    return environment().get_template(f"i18n/{locale}/{feature}.j2").module


def text(locale: str, key: str, /, **context: Any) -> str:
    """Render message `key` ("feature.name") in `locale`, trimmed of outer whitespace."""
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    if not context:
        return _plain(locale, key)
    feature, _, name = key.partition(".")
    macro = getattr(_module(locale, feature), name)
    return str(macro(**context)).strip()


@cache
def _plain(locale: str, key: str) -> str:
    """A message without context (a button label) is the same text every time: rendered once
    per locale (a scan labels thousands of buttons)."""
    feature, _, name = key.partition(".")
    return str(getattr(_module(locale, feature), name)()).strip()


class I18n:
    """The texts of one person's locale, injected into every handler as `i18n`."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, key: str, /, **context: Any) -> str:
        return text(self.locale, key, **context)
