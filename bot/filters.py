"""Router-level filters."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.domain.roles import Grant, Role


class HasRole(Filter):
    """Passes when the person holds any of the roles (in any scope)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, grants: list[Grant] | None = None) -> bool:
        return any(grant.role in self.roles for grant in grants or ())
