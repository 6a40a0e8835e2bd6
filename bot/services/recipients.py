"""Who is told about a class or a certificate. Storage finds people by role; the choice of
who hears of what (the region's supervisors, else the admins) is made here, once.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.classes import CertificateKind
from bot.domain.roles import Role
from bot.notifier import Reader
from storage import classes
from storage.models import Certificate, TrainingClass


async def admins(session: AsyncSession, settings: Settings) -> list[Reader]:
    """Admins from settings (by Telegram id, known to the store or not; an unknown one reads
    the default language) and admin grants, once each."""
    found = {p.tg_user_id: Reader.of(p) for p in await classes.holders(session, Role.ADMIN)}
    known = await classes.people_by_chat(session, settings.admin_ids)
    found |= {person.tg_user_id: Reader.of(person) for person in known}
    for chat_id in settings.admin_ids:
        found.setdefault(chat_id, Reader(None, chat_id, settings.default_locale))
    return list(found.values())


async def supervisors(session: AsyncSession, region_id: int | None) -> list[Reader]:
    if region_id is None:
        return []
    people = await classes.holders(session, Role.SUPERVISOR, region_id=region_id)
    return [Reader.of(person) for person in people]


async def staff(session: AsyncSession, institution_id: int) -> list[Reader]:
    people = await classes.holders(session, Role.INSTITUTION, institution_id=institution_id)
    return [Reader.of(person) for person in people]


async def class_reviewers(
    session: AsyncSession, settings: Settings, found: TrainingClass
) -> list[Reader]:
    """Who is asked to decide a class application: the region's supervisors; the admins
    while the region has none."""
    return await supervisors(session, found.region_id) or await admins(session, settings)


async def certificate_verifiers(
    session: AsyncSession, settings: Settings, found: Certificate
) -> list[Reader]:
    """The supervisors of the certificate's region for a lecturer certificate (admins when the
    region has none yet); admins for a trainer certificate."""
    if found.kind == CertificateKind.LECTURER:
        regional = await supervisors(session, found.region_id)
        if regional:
            return regional
    return await admins(session, settings)
