"""Finding training without an invitation, through the use cases on SQLite and PostgreSQL: which
regions and institutions take registrations (an open trainee link: not for a class, not
revoked, not expired, not used up), and a link that closed meanwhile refused as Stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.roles import Role
from bot.services import finding
from bot.services.actor import Actor
from bot.services.errors import NotFound, Stale
from storage import repo
from storage.db import unit_of_work

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
ACTOR = Actor.of(1, (), "zh-CN", NOW)


async def _place(session, name: str, **link) -> tuple[int, int]:
    region = await repo.add_region(session, f"{name}区")
    institution = await repo.add_institution(session, name, region.id)
    await repo.create_invitation(
        session,
        code=f"code-{name}",
        role=link.pop("role", Role.TRAINEE),
        region_id=region.id,
        institution_id=institution.id,
        created_by=None,
        max_uses=link.pop("max_uses", None),
        expires_at=link.pop("expires_at", None),
    )
    return region.id, institution.id


async def test_only_institutions_with_an_open_trainee_link_take_registrations(sessions):
    async with unit_of_work(sessions) as session:
        open_region, open_one = await _place(session, "开放", expires_at=NOW + timedelta(days=1))
        await _place(session, "过期", expires_at=NOW - timedelta(seconds=1))
        await _place(session, "满员", max_uses=0)
        await _place(session, "讲师", role=Role.LECTURER)
        _, closed = await _place(session, "撤销")
    async with unit_of_work(sessions) as session:
        invitation = await repo.invitation_by_code(session, "code-撤销")
        invitation.revoked_at = NOW
        session.add(invitation)
    async with unit_of_work(sessions) as session:
        regions = await finding.regions(session, ACTOR)
        assert [region.id for region in regions] == [open_region]
        region, institutions = await finding.institutions(session, ACTOR, open_region)
        assert region.id == open_region and [i.id for i in institutions] == [open_one]
        link = await finding.registration_link(session, ACTOR, open_one)
        assert link.code == "code-开放"
        with pytest.raises(Stale):
            await finding.registration_link(session, ACTOR, closed)
        with pytest.raises(NotFound):
            await finding.institutions(session, ACTOR, 999_999)
