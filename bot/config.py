"""Settings from environment variables and an optional `.env` file (see README for the table)."""

from __future__ import annotations

import ipaddress
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCALES = ("zh-CN", "en")


class RunMode(StrEnum):
    WEBCHAT = "webchat"
    POLLING = "polling"
    WEBHOOK = "webhook"


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_base: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/wangchuang.db"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram/webhook"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_url: str | None = None
    default_locale: str = "zh-CN"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    webchat_database_url: str = "sqlite+aiosqlite:///data/webchat.db"
    webchat_files_dir: Path = Path("data/webchat-files")
    webchat_secret: SecretStr | None = None
    webchat_flood_limits: bool = False
    certificate_secret: SecretStr | None = None
    demo_data: bool = False
    bot_username: str = "wangchuang_bot"
    forms_dir: Path | None = None
    log_level: str = "INFO"
    timezone: str = "Asia/Shanghai"
    reminder_lead_minutes: int = Field(default=30, ge=1)
    checkin_window_minutes: int | None = Field(default=None, ge=1)
    scan_interval_seconds: int = Field(default=30, ge=1)
    feedback_summary_time: time = time(7, 30)
    feedback_reminder_minutes: int = Field(default=120, ge=1)
    outbox_rate: float = Field(default=25.0, ge=0)
    outbox_chat_interval: float = Field(default=1.0, ge=0)
    outbox_concurrency: int = Field(default=32, ge=1)
    outbox_lease: float = Field(default=60.0, gt=0)
    outbox_max_attempts: int = Field(default=5, ge=1)
    outbox_backoff: float = Field(default=5.0, ge=0)
    outbox_poll: float = Field(default=0.2, gt=0)
    outbox_keep_days: int = Field(default=7, ge=1)
    assessment_scorers: int = Field(default=1, ge=1, le=3)
    scoring_deadline_hours: int = Field(default=72, ge=1)
    assessment_rounds: int = Field(default=3, ge=1)
    followup_reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [3, 7])
    followup_close_days: int = Field(default=30, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _parse_lists(cls, data: dict) -> dict:
        for key in ("admin_ids", "ADMIN_IDS", "followup_reminder_days", "FOLLOWUP_REMINDER_DAYS"):
            if key in data:
                data[key] = _split_ids(data[key])
        return data

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.default_locale not in LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        if self.webhook_url and not self.bot_token:
            raise ValueError("WEBHOOK_URL needs BOT_TOKEN")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "WEBHOOK_URL needs WEBHOOK_SECRET (Telegram sends it back on every update)"
            )
        if self.mode is RunMode.WEBCHAT and not self.binds_loopback and not self.webchat_secret:
            raise ValueError(
                f"WEB_HOST={self.web_host} is reachable from other machines: "
                "set WEBCHAT_SECRET so that only people who know it can create web-chat users"
            )
        return self

    @property
    def mode(self) -> RunMode:
        if not self.bot_token:
            return RunMode.WEBCHAT
        return RunMode.WEBHOOK if self.webhook_url else RunMode.POLLING

    @property
    def binds_loopback(self) -> bool:
        if self.web_host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.web_host).is_loopback
        except ValueError:
            return False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.web_host}:{self.web_port}"
