"""Router-level filters."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.policy import Action, may
from bot.services.actor import Actor


class Can(Filter):
    """Passes when one of the person's roles may do any of the actions somewhere (the roles
    come from bot/policy.py); whether they may do it to the object at hand the handler asks."""

    def __init__(self, *actions: Action) -> None:
        self.actions = actions

    async def __call__(self, event: TelegramObject, actor: Actor | None = None) -> bool:
        return actor is not None and any(may(actor, action) for action in self.actions)
