"""Finding training without an invitation (issue 10): plain /start offers to pick the region and
an institution accepting registrations (one with an open trainee registration link), then
registers as with that link."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.domain.roles import Role
from storage import repo
from storage.models import AuditEntry, Invitation, Person, RoleGrant
from storage.types import utcnow
from tests.bot.test_intake import ask
from tests.chat import ChatUser, body, button, buttons


async def _institution(app, name: str, region: str, **link) -> int:
    """An institution in a new region, with a trainee link (`link` its limits) unless None."""
    async with app.store() as session:
        place = await repo.add_region(session, region)
        institution = await repo.add_institution(session, name, place.id)
        if link is not None:
            await repo.create_invitation(
                session,
                code=f"T{institution.id:06d}{name.encode().hex()[:8]}",
                role=Role.TRAINEE,
                region_id=place.id,
                institution_id=institution.id,
                created_by=None,
                max_uses=link.get("max_uses"),
                expires_at=link.get("expires_at"),
            )
        return institution.id


async def test_a_trainee_finds_an_institution_and_registers_without_an_invitation(
    fast_factory, http
):
    app = await fast_factory()
    xihu = await _institution(app, "西湖职校", "西湖区")
    await _institution(app, "过期学校", "上城区", expires_at=utcnow() - timedelta(days=1))
    await _institution(app, "满员学校", "上城区", max_uses=0)
    user = await ChatUser.create(http, app.base_url, "李雷")
    welcome = await user.reply_to("/start", predicate=lambda m: "你好，李雷" in body(m))
    assert "查找培训并报名" in str(buttons(welcome))

    await user.press(welcome["message_id"], button(welcome, "查找培训并报名"))
    regions = await user.expect(lambda m: "请选择你所在的地区" in body(m))
    labels = [b["text"] for row in regions["reply_markup"]["inline_keyboard"] for b in row]
    assert "西湖区" in labels and "上城区" not in labels, "only institutions taking registrations"
    await user.press(regions["message_id"], button(regions, "西湖区"))
    institutions = await user.expect(lambda m: "正在招生的培训机构" in body(m))
    assert "西湖职校" in str(buttons(institutions))
    await user.press(institutions["message_id"], button(institutions, "西湖职校"))
    await user.expect(lambda m: "你现在是" in body(m) and "西湖职校" in body(m))
    await ask(user, "个人信息")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        grants = (
            await session.exec(select(RoleGrant).where(RoleGrant.person_id == person.id))
        ).all()
        audit = (
            await session.exec(select(AuditEntry).where(AuditEntry.subject_id == person.id))
        ).all()
        link = (
            await session.exec(select(Invitation).where(Invitation.institution_id == xihu))
        ).one()
    assert [(g.role, g.institution_id is not None) for g in grants] == [("trainee", True)]
    assert [entry.action for entry in audit] == ["invitation.redeemed"]
    assert link.uses == 1, "registered as with the institution's link"

    again = await user.press(institutions["message_id"], button(institutions, "西湖职校"))
    assert again["answered"]


async def test_an_institution_that_stopped_taking_registrations_is_refused(fast_factory, http):
    app = await fast_factory()
    institution_id = await _institution(app, "东湖学校", "东湖区")
    user = await ChatUser.create(http, app.base_url, "韩梅梅")
    welcome = await user.reply_to("/start", predicate=lambda m: "你好" in body(m))
    await user.press(welcome["message_id"], button(welcome, "查找培训并报名"))
    regions = await user.expect(lambda m: "请选择你所在的地区" in body(m))
    await user.press(regions["message_id"], button(regions, "东湖区"))
    institutions = await user.expect(lambda m: "正在招生的培训机构" in body(m))
    async with app.store() as session:
        for link in (
            await session.exec(
                select(Invitation).where(Invitation.institution_id == institution_id)
            )
        ).all():
            link.revoked_at = utcnow()
            session.add(link)
    refused = await user.press(institutions["message_id"], button(institutions, "东湖学校"))
    assert "已停止招生" in refused["text"]


async def test_someone_with_a_role_is_not_offered_to_find_training(fast_factory, http):
    app = await fast_factory()
    async with app.store() as session:
        invitations = await repo.demo_invitations(session)
    code = next(inv.code for inv in invitations if inv.role == Role.LECTURER)
    user = await ChatUser.create(http, app.base_url, "张老师")
    await user.reply_to(f"/start {code}")
    welcome = await user.reply_to("/start", predicate=lambda m: "你好" in body(m))
    assert "查找培训" not in str(welcome.get("reply_markup"))
