"""The one decide-with-a-reason flow: a decision asks (`ask`), the next text is checked with
`bot.domain.reasons.reason_from` and handed to what that decision registered for its
`Purpose`. A command typed meanwhile cancels the reason visibly and then runs as usual.

Tried before every feature router, so no command handler sees the state first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.reasons import reason_from
from bot.i18n import I18n
from bot.services.actor import Actor
from bot.services.errors import Refusal
from bot.services.reasons import LENGTHS, Purpose
from handlers.refusals import wording

PURPOSE = "for"


class ReasonStates(StatesGroup):
    reason = State()


@dataclass(frozen=True)
class Given:
    """A valid reason with the step it completes: what `ask` kept, and the update's context."""

    reason: str
    data: dict[str, Any]
    message: Message
    session: AsyncSession
    actor: Actor
    i18n: I18n
    bot: Bot
    settings: Settings | None = None


Finish = Callable[[Given], Awaitable[None]]
"""What a decision does with its reason; a Refusal it raises is answered in the chat."""


async def ask(
    state: FSMContext,
    to: Message,
    i18n: I18n,
    purpose: Purpose,
    prompt: str,
    prompt_context: Mapping[str, Any] | None = None,
    **data: Any,
) -> None:
    """Wait for the reason of `purpose`, keeping `data` for the step that finishes it, and ask
    with `prompt` (which is given the reason's length as min and max)."""
    low, high = LENGTHS[purpose]
    await state.set_state(ReasonStates.reason)
    await state.set_data({PURPOSE: purpose, **data})
    await to.answer(i18n(prompt, **(prompt_context or {}), min=low, max=high))


def _command(text: str) -> str:
    return text.split(maxsplit=1)[0].split("@", 1)[0].lower()


async def command_typed(message: Message, state: FSMContext, i18n: I18n) -> None:
    """A command means leaving the step: say the reason is cancelled, then let the command run
    (/cancel has nothing more to cancel)."""
    await state.clear()
    await message.answer(i18n("reasons.cancelled"))
    if _command(message.text) != "/cancel":
        raise SkipHandler


def create_router(finishers: Mapping[Purpose, Finish]) -> Router:
    """The flow, handing each reason to `finishers[purpose]` (every Purpose must have one)."""
    missing = set(Purpose) - set(finishers)
    if missing:
        raise ValueError(f"no finisher for {sorted(missing)}")

    async def reason_given(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        actor: Actor,
        i18n: I18n,
        bot: Bot,
        settings: Settings,
    ) -> None:
        data = await state.get_data()
        try:
            purpose = Purpose(data.get(PURPOSE))
        except ValueError:
            await state.clear()
            raise SkipHandler from None
        low, high = LENGTHS[purpose]
        reason = reason_from(message.text, LENGTHS[purpose])
        if reason is None:
            await message.answer(i18n("reasons.bad_reason", min=low, max=high))
            return
        await state.clear()
        given = Given(reason, data, message, session, actor, i18n, bot, settings)
        try:
            await finishers[purpose](given)
        except Refusal as refusal:
            # Refused before writing anything: the reason step still ends, and says why.
            await message.answer(wording(i18n, refusal))

    router = Router(name=__name__)
    waiting = StateFilter(ReasonStates.reason)
    router.message.register(command_typed, waiting, F.text.startswith("/"))
    router.message.register(reason_given, waiting, F.text)
    return router
