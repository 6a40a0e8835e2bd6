"""The first conversation: /start, invitations for every role, language, help, fallbacks.

The example of the fast tier (tests/fast/harness.py): the same chat-level tests as with
`app_factory`, on the real Dispatcher, store and Bot, without the product's start-up and polling.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.domain.roles import Role
from bot.services.actor import grants_of
from storage import repo
from storage.models import AuditEntry, Invitation, Person, RoleGrant
from storage.types import utcnow
from tests.chat import ChatUser, body, button


async def _demo_code(app, role: Role) -> str:
    async with app.store() as session:
        invitations = await repo.demo_invitations(session)
    return next(inv.code for inv in invitations if inv.role == role)


async def test_plain_start_greets_and_records_the_person(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url, "李雷")
    reply = await user.reply_to("/start")
    assert "你好，李雷" in body(reply)
    assert "你还没有加入任何培训" in body(reply)
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
    assert person.first_name == "李雷" and person.locale == "zh-CN"
    assert await user.commands() == ["start", "help", "lang", "cancel", "mydata"]


async def test_user_text_is_escaped_in_replies(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url, "<b>Tom</b> & Co")
    reply = await user.reply_to("/start")
    assert "<b>Tom</b> & Co" in body(reply)
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Co" in reply["html"]


async def test_every_demo_invitation_grants_its_role(fast_factory, http):
    app = await fast_factory()
    for role, label in [
        (Role.SUPERVISOR, "创业培训主管部门（示范市）"),
        (Role.INSTITUTION, "培训机构（示范网创培训学校）"),
        (Role.LECTURER, "讲师（示范网创培训学校）"),
        (Role.TRAINER, "培训师"),
        (Role.TRAINEE, "学员（示范网创培训学校）"),
    ]:
        user = await ChatUser.create(http, app.base_url, f"{role}-user")
        reply = await user.reply_to(f"/start {await _demo_code(app, role)}")
        assert f"你现在是{label}" in body(reply), body(reply)
        inviter = role in (Role.SUPERVISOR, Role.INSTITUTION)
        assert ("invite" in await user.commands()) is inviter
        async with app.store() as session:
            person = (
                await session.exec(select(Person).where(Person.tg_user_id == user.user_id))
            ).one()
            assert [g.role for g in await grants_of(session, person.id)] == [role]
            audit = (
                await session.exec(select(AuditEntry).where(AuditEntry.subject_id == person.id))
            ).all()
            assert [entry.action for entry in audit] == ["invitation.redeemed"]


async def test_opening_the_same_invitation_twice_grants_once(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url)
    code = await _demo_code(app, Role.TRAINEE)
    await user.reply_to(f"/start {code}")
    await user.reply_to(f"/start {code}", predicate=lambda m: "你已经用过这个邀请了" in body(m))
    async with app.store() as session:
        grants = (await session.exec(select(RoleGrant))).all()
        invitation = await repo.invitation_by_code(session, code)
    assert len(grants) == 1 and invitation.uses == 1


async def _invitation(app, **fields) -> str:
    async with app.store() as session:
        invitation = await repo.create_invitation(
            session,
            code=fields.pop("code", "T" + utcnow().strftime("%f")),
            role=Role.TRAINEE,
            region_id=None,
            institution_id=None,
            created_by=None,
            **{"max_uses": None, "expires_at": None, **fields},
        )
        return invitation.code


async def test_forged_expired_used_up_and_revoked_invitations_grant_nothing(fast_factory, http):
    app = await fast_factory()
    expired = await _invitation(app, expires_at=utcnow() - timedelta(minutes=1))
    single = await _invitation(app, max_uses=1)
    revoked = await _invitation(app, code="REVOKED1")
    async with app.store() as session:
        invitation = await repo.invitation_by_code(session, revoked)
        invitation.revoked_at = utcnow()
    first = await ChatUser.create(http, app.base_url, "first")
    assert "你现在是学员" in body(await first.reply_to(f"/start {single}"))

    user = await ChatUser.create(http, app.base_url, "second")
    cases = {
        "/start NoSuchCode123": "邀请码无效",
        "/start bad<code>!": "邀请码无效",
        "/start " + "x" * 65: "邀请码无效",
        f"/start {expired}": "已过期",
        f"/start {single}": "名额已满",
        f"/start {revoked}": "已被撤销",
    }
    for command, expected in cases.items():
        assert expected in body(await user.reply_to(command)), command
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        assert await grants_of(session, person.id) == []
        assert (await repo.invitation_by_code(session, single)).uses == 1


async def test_language_switch_changes_replies_and_menu(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url)
    ask = await user.reply_to("/lang")
    answer = await user.press(ask["message_id"], button(ask, "English"))
    assert answer == {"answered": True, "text": "Language set to English.", "show_alert": False}
    edited = await user.expect(lambda m: m["message_id"] == ask["message_id"])
    assert body(edited) == "Language set to English." and "reply_markup" not in edited
    assert "Wangchuang Assistant" in body(await user.reply_to("/help"))
    assert "Hello, 张三" in body(await user.reply_to("/start"))
    back = await user.reply_to("/lang")
    await user.press(back["message_id"], button(back, "中文"))
    await user.expect(lambda m: m["message_id"] == back["message_id"])
    assert "可用命令" in body(await user.reply_to("/help"))


async def test_english_telegram_users_start_in_english(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url, "Ann", language_code="en-GB")
    assert "Hello, Ann" in body(await user.reply_to("/start"))


async def test_unknown_input_gets_a_helpful_answer(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url)
    assert "/help" in body(await user.reply_to("随便说点什么"))
    await user.send_json({"location": {"latitude": 30.27, "longitude": 120.15}})
    assert "/help" in body(await user.expect())
    await user.send_json({"contact": {"phone_number": "13812345678"}})
    assert "/help" in body(await user.expect())


async def test_stale_and_forged_buttons_are_answered(fast_factory, http):
    app = await fast_factory()
    user = await ChatUser.create(http, app.base_url)
    ask = await user.reply_to("/lang")
    for forged in ("lang:xx", "garbage", "ik:supervisor:0:0", "lang"):
        answer = await user.press(ask["message_id"], forged)
        assert answer["answered"] and "按钮已失效" in answer["text"], forged
        assert answer["show_alert"] is True


async def test_cancel_with_and_without_a_step_in_progress(fast_factory, http):
    app = await fast_factory(admin_ids=[10_000_001])
    admin = await ChatUser.create(http, app.base_url, "admin")
    assert "没有进行中的操作" in body(await admin.reply_to("/cancel"))
    choose = await admin.reply_to("/invite")
    scope = await _press_and_expect(admin, choose, "创业培训主管部门")
    await _press_and_expect(admin, scope, "新建地区")
    assert "已取消" in body(await admin.reply_to("/cancel"))
    assert "没看懂" in body(await admin.reply_to("杭州市"))


async def _press_and_expect(user: ChatUser, message: dict, label: str) -> dict:
    answer = await user.press(message["message_id"], button(message, label))
    assert answer["answered"], answer
    return await user.expect()


async def test_invitation_chain_admin_supervisor_institution_trainee(fast_factory, http):
    app = await fast_factory(admin_ids=[10_000_001], demo_data=False)
    admin = await ChatUser.create(http, app.base_url, "admin")
    choose = await admin.reply_to("/invite")
    scope = await _press_and_expect(admin, choose, "创业培训主管部门")
    assert "属于哪个地区" in body(scope)
    ask = await _press_and_expect(admin, scope, "新建地区")
    assert "名称" in body(ask)
    assert "2-50" in body(await admin.reply_to("杭"))
    await admin.send_json({"location": {"latitude": 1, "longitude": 2}})
    assert "2-50" in body(await admin.expect())
    usage = await admin.reply_to("杭州市")
    assert "创业培训主管部门（杭州市）" in body(usage)
    created = await _press_and_expect(admin, usage, "一人使用")
    assert created["photo"] and "邀请已生成" in body(created)
    link = next(part for part in body(created).split() if "/chat?start=" in part)
    code = link.rsplit("=", 1)[1]

    supervisor = await ChatUser.create(http, app.base_url, "supervisor")
    assert "你现在是创业培训主管部门（杭州市）" in body(await supervisor.reply_to(f"/start {code}"))
    choose = await supervisor.reply_to("/invite")
    assert "创业培训主管部门" not in str(choose["reply_markup"])
    scope = await _press_and_expect(supervisor, choose, "培训机构")
    await _press_and_expect(supervisor, scope, "新建培训机构")
    usage = await supervisor.reply_to("西湖网创学院")
    created = await _press_and_expect(supervisor, usage, "多人使用")
    code = body(created).split("邀请码：")[1].split()[0]

    staff = await ChatUser.create(http, app.base_url, "staff")
    assert "你现在是培训机构（西湖网创学院）" in body(await staff.reply_to(f"/start {code}"))
    choose = await staff.reply_to("/invite")
    usage = await _press_and_expect(staff, choose, "学员")
    created = await _press_and_expect(staff, usage, "多人使用")
    code = body(created).split("邀请码：")[1].split()[0]
    trainee = await ChatUser.create(http, app.base_url, "trainee")
    assert "你现在是学员（西湖网创学院）" in body(await trainee.reply_to(f"/start {code}"))

    async with app.store() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
        invitations = (await session.exec(select(Invitation))).all()
    assert actions.count("invitation.created") == 3
    assert actions.count("invitation.redeemed") == 3
    assert {"region.created", "institution.created"} <= set(actions)
    assert [inv.max_uses for inv in invitations] == [1, None, None]


async def test_inviters_cannot_forge_a_scope_outside_their_own(fast_factory, http):
    app = await fast_factory()
    staff = await ChatUser.create(http, app.base_url, "staff")
    await staff.reply_to(f"/start {await _demo_code(app, Role.INSTITUTION)}")
    choose = await staff.reply_to("/invite")
    for forged, refusal in (
        ("ik:trainee:1:999", "按钮已失效"),
        ("ik:supervisor:1:0", "这不在你的权限范围内"),
        ("iu:trainee:1:999:1", "按钮已失效"),
        ("iu:supervisor:1:0:1", "这不在你的权限范围内"),
        ("in:institution:1", "这不在你的权限范围内"),
    ):
        answer = await staff.press(choose["message_id"], forged)
        assert refusal in (answer["text"] or "") and answer["show_alert"], forged
    async with app.store() as session:
        made = select(Invitation).where(Invitation.demo.is_(False))
        assert not (await session.exec(made)).all(), "a refused button creates no invitation"
    trainee = await ChatUser.create(http, app.base_url, "trainee")
    await trainee.reply_to(f"/start {await _demo_code(app, Role.TRAINEE)}")
    languages = await trainee.reply_to("/lang", predicate=lambda m: "Choose" in body(m))
    answer = await trainee.press(languages["message_id"], "ik:trainee:1:1")
    assert "按钮已失效" in answer["text"]
    await trainee.send("/cancel")
    await trainee.expect(lambda m: "已暂停" in body(m))
    reply = await trainee.reply_to("/invite", predicate=lambda m: "要接着填吗" in body(m))
    assert "创业培训学员入学登记表" in body(reply), "unknown input offers the paused form"
    assert any(
        "/invite 是管理员、创业培训主管部门、培训机构使用的命令" in body(m)
        for m in trainee.messages.values()
    ), "a command of another role says whose it is"


async def test_welcome_and_help_promise_only_what_the_role_can_do(fast_factory, http):
    """Supervisors and institution staff are told of /stats, a trainee is not; every command a
    role's welcome mentions is in that person's command menu."""
    app = await fast_factory()
    for role in (Role.SUPERVISOR, Role.INSTITUTION, Role.TRAINEE):
        user = await ChatUser.create(http, app.base_url, f"{role}-help")
        welcome = body(await user.reply_to(f"/start {await _demo_code(app, role)}"))
        help_text = body(await user.reply_to("/help"))
        menu = await user.commands()
        for text in (welcome, help_text):
            assert ("/stats" in text) is (role is not Role.TRAINEE)
            for named in re.findall(r"/([a-z]+)", text):
                assert named in menu, (role, named)
