"""Newly issued certificates go to their holders as PDF documents (bot/services/issuing.py
send_pending): the approval only records them, this scan draws and queues the PDFs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.services import issuing


async def send_certificates(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    return await issuing.send_pending(sessions, now, settings)
