"""Submit hooks belong to the Dispatcher that was built with them, not to the process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import create_dispatcher
from bot.forms.service import FormHooks, Submitted
from tests.conftest import make_settings


async def _hook(done: Submitted) -> None:
    return None


def test_each_dispatcher_gets_its_own_hooks_and_a_test_may_pass_a_subset(tmp_path: Path):
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    first = create_dispatcher(settings, sessions=None)["form_hooks"]
    second = create_dispatcher(settings, sessions=None)["form_hooks"]
    assert first is not second
    assert first.of("registration") is not None and first.announces("daily_feedback")
    assert not first.announces("registration")

    subset = FormHooks()
    subset.add("registration", _hook)
    built = create_dispatcher(settings, sessions=None, form_hooks=subset)["form_hooks"]
    assert built is subset and built.of("needs") is None
    assert first.of("registration") is not _hook, "a subset leaves other Dispatchers alone"


def test_a_form_has_at_most_one_hook():
    hooks = FormHooks()
    hooks.add("needs", _hook)
    with pytest.raises(ValueError, match="needs"):
        hooks.add("needs", _hook)
