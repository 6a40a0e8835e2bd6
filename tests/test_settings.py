"""Settings choose the run mode and refuse unsafe combinations with a clear reason."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import RunMode, Settings


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_modes():
    assert settings().mode is RunMode.WEBCHAT
    assert settings(bot_token="1:x").mode is RunMode.POLLING
    hook = settings(bot_token="1:x", webhook_url="https://h/x", webhook_secret="s")
    assert hook.mode is RunMode.WEBHOOK


def test_defaults_are_embedded_and_local():
    default = settings()
    assert default.database_url.startswith("sqlite+aiosqlite:///data/")
    assert (default.web_host, default.web_port) == ("127.0.0.1", 8080)
    assert default.default_locale == "zh-CN"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"web_host": "0.0.0.0"}, "WEBCHAT_SECRET"),
        ({"webhook_url": "https://h/x"}, "needs BOT_TOKEN"),
        ({"bot_token": "1:x", "webhook_url": "https://h/x"}, "WEBHOOK_SECRET"),
        ({"default_locale": "fr"}, "DEFAULT_LOCALE"),
    ],
)
def test_unsafe_or_wrong_settings_are_refused(values, reason):
    with pytest.raises(ValidationError, match=reason):
        settings(**values)


def test_lan_binding_with_a_secret_and_admin_ids_from_env(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "10000001, 42;7")
    lan = settings(web_host="0.0.0.0", webchat_secret="pw")
    assert lan.admin_ids == [10000001, 42, 7]
    assert settings(web_host="localhost").binds_loopback
