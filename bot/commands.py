"""The command menu each person sees, by their roles and language (setMyCommands scopes)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.config import LOCALES
from bot.domain.roles import INVITES, Grant, Role
from bot.i18n import text

BASE_COMMANDS = ("start", "help", "lang", "cancel", "mydata")


ROLE_COMMANDS = {
    Role.TRAINEE: (
        "status",
        "forms",
        "leave",
        "myfeedback",
        "practice",
        "plan",
        "planpdf",
        "stop",
        "certificate",
    ),
    Role.LECTURER: (
        "todo",
        "trainees",
        "checkin",
        "roster",
        "feedback",
        "profile",
        "coaching",
        "assessment",
        "comments",
        "report",
        "needs",
    ),
    Role.TRAINER: (
        "todo",
        "checkin",
        "roster",
        "feedback",
        "profile",
        "coaching",
        "assessment",
        "comments",
        "report",
    ),
    Role.INSTITUTION: (
        "todo",
        "classes",
        "trainees",
        "enrol",
        "roster",
        "feedback",
        "extend",
        "assessment",
        "report",
        "bundle",
        "needs",
        "services",
        "campaign",
        "followup",
        "stats",
        "console",
    ),
    Role.SUPERVISOR: (
        "todo",
        "dispatch",
        "assessment",
        "certificate",
        "revoke",
        "report",
        "bundle",
        "services",
        "campaign",
        "stats",
        "console",
    ),
    Role.ADMIN: (
        "todo",
        "assessment",
        "revoke",
        "report",
        "bundle",
        "services",
        "stats",
        "console",
    ),
}


def roles_for(command: str) -> list[Role]:
    """The roles whose menu has `command` (empty for a command everyone has, or none has)."""
    roles = [role for role, names in ROLE_COMMANDS.items() if command in names]
    return roles or (list(INVITES) if command == "invite" else [])


def command_names(grants: list[Grant]) -> list[str]:
    names = list(BASE_COMMANDS)
    for grant in grants:
        names.extend(name for name in ROLE_COMMANDS.get(grant.role, ()) if name not in names)
    if any(grant.role in INVITES for grant in grants):
        names.append("invite")
    return names


def _commands(names: list[str], locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=text(locale, f"commands.{name}")) for name in names
    ]


async def set_default_commands(bot: Bot, default_locale: str) -> None:
    """The menu of people the bot has not personalised yet, in each language we speak."""
    names = list(BASE_COMMANDS)
    await bot.set_my_commands(_commands(names, default_locale), scope=BotCommandScopeDefault())
    for locale in LOCALES:
        await bot.set_my_commands(
            _commands(names, locale), scope=BotCommandScopeDefault(), language_code=locale[:2]
        )


async def set_person_commands(bot: Bot, chat_id: int, grants: list[Grant], locale: str) -> None:
    """The menu of one person: their roles' commands in their chosen language."""
    await bot.set_my_commands(
        _commands(command_names(grants), locale), scope=BotCommandScopeChat(chat_id=chat_id)
    )
