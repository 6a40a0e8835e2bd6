"""Fixtures of the fast tier (see tests/fast/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import Clock
from tests.conftest import make_settings
from tests.fast.harness import UNPACED, Harness


@pytest.fixture
async def fast_factory(tmp_path: Path, database_url: str) -> AsyncIterator[Any]:
    """Starts harnesses on a fresh migrated database of each kind; all stopped at the end."""
    started: list[Harness] = []

    async def start(clock: Clock | None = None, **overrides: Any) -> Harness:
        settings = make_settings(tmp_path, database_url, **{**UNPACED, **overrides})
        harness = await Harness(settings, clock).start()
        started.append(harness)
        return harness

    yield start
    for harness in started:
        await harness.stop()


@pytest.fixture
async def fast(fast_factory: Any) -> Harness:
    """The harness with demo data, on SQLite and on PostgreSQL."""
    return await fast_factory()
