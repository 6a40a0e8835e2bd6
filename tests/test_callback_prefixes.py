"""Every button class has its own prefix: two classes sharing one would route a press to the
wrong handler (`EnrolClasses` page 1 opened the roster of class 1 when both were "enc")."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from aiogram.filters.callback_data import CallbackData

import bot
import handlers


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_callback_data_prefixes_are_unique():
    for package in (bot, handlers):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.endswith("__main__"):
                continue
            importlib.import_module(module.name)
    owners: dict[str, list[str]] = defaultdict(list)
    for cls in _all_subclasses(CallbackData):
        if cls.__module__.startswith(("bot.", "handlers.")):
            owners[cls.__prefix__].append(f"{cls.__module__}.{cls.__qualname__}")
    assert len(owners) > 30
    assert {prefix: names for prefix, names in owners.items() if len(names) > 1} == {}
