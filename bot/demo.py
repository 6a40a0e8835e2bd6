"""Demo data for a first run: one region, one institution, and an invitation for each role."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.domain.invitations import new_code
from bot.domain.roles import Role
from bot.i18n import text
from bot.links import invite_link, qr_svg
from bot.webchat.pages import InviteCard
from storage import repo
from storage.db import unit_of_work

DEMO_ROLES = (Role.SUPERVISOR, Role.INSTITUTION, Role.LECTURER, Role.TRAINER, Role.TRAINEE)


async def seed_demo(sessions: async_sessionmaker, settings: Settings) -> bool:
    """Create the demo data when the store is empty; True when it did."""
    async with unit_of_work(sessions) as session:
        if await repo.region_count(session):
            return False
        locale = settings.default_locale
        region = await repo.add_region(session, text(locale, "demo.region_name"))
        institution = await repo.add_institution(
            session, text(locale, "demo.institution_name"), region.id
        )
        for role in DEMO_ROLES:
            scoped = role in (Role.INSTITUTION, Role.LECTURER, Role.TRAINEE)
            await repo.create_invitation(
                session,
                code=new_code(),
                role=role,
                region_id=None if role is Role.TRAINER else region.id,
                institution_id=institution.id if scoped else None,
                created_by=None,
                max_uses=None,
                expires_at=None,
                demo=True,
            )
        await repo.audit(session, "demo.seeded", actor_id=None)
    return True


async def demo_cards(
    sessions: async_sessionmaker, settings: Settings, bot_username: str, locale: str
) -> list[InviteCard]:
    async with unit_of_work(sessions) as session:
        invitations = await repo.demo_invitations(session)
    cards = []
    for invitation in invitations:
        link = invite_link(settings, bot_username, invitation.code)
        cards.append(
            InviteCard(
                role=invitation.role,
                role_label=text(locale, "common.role", role=invitation.role),
                code=invitation.code,
                chat_url=f"/chat?profile={invitation.role}&start={invitation.code}",
                deep_link=None if link.startswith(settings.base_url) else link,
                qr_svg=qr_svg(link),
                expires_at=invitation.expires_at,
                max_uses=invitation.max_uses,
            )
        )
    return cards
