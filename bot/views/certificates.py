"""The certificate card its verifier decides on (pushed, or opened from /todo)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.classes import CertificateStatus
from bot.forms import regions
from bot.i18n import I18n
from storage import classes
from storage.models import Certificate, Person


class CertAction(StrEnum):
    VERIFY = "ok"
    REJECT = "no"
    """Asks a reason first."""


class CertDecision(CallbackData, prefix="crt"):
    """A verifier's decision on certificate `c`."""

    c: int
    a: CertAction


async def certificate_card(
    session: AsyncSession, found: Certificate, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The certificate as its verifier reads it; buttons while it waits."""
    holder = await session.get(Person, found.person_id)
    profile = await classes.profile_answers(session, holder.id)
    place = " ".join(r.name for r in regions.path(str(profile.get("region") or "")))
    text = i18n(
        "teachers.card",
        name=profile.get("name") or holder.first_name,
        mobile=profile.get("mobile") or "",
        place=place,
        institution=profile.get("institution") or "",
        certificate=found,
    )
    if found.status != CertificateStatus.PENDING:
        return text, None
    row = [
        InlineKeyboardButton(
            text=i18n("teachers.verify"),
            callback_data=CertDecision(c=found.id, a=CertAction.VERIFY).pack(),
        ),
        InlineKeyboardButton(
            text=i18n("teachers.reject"),
            callback_data=CertDecision(c=found.id, a=CertAction.REJECT).pack(),
        ),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


async def card_text(session: AsyncSession, found: Certificate, i18n: I18n) -> str:
    return (await certificate_card(session, found, i18n))[0]
