"""Teachers declare certificates in their profile; the region's supervisor (lecturer
certificates) or an admin (trainer certificates) verifies or rejects each, with a reason."""

from __future__ import annotations

from sqlmodel import select

from bot.domain.roles import Grant, Role
from storage import repo
from storage.models import AuditEntry, Certificate, OutboxMessage, Person
from tests.bot.test_intake import ask, pick
from tests.chat import ChatUser, body, button


async def _code(app, role: Role) -> str:
    async with app.store() as session:
        return next(i.code for i in await repo.demo_invitations(session) if i.role == role)


async def joined(app, http, name: str, role: Role) -> ChatUser:
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to(f"/start {await _code(app, role)}")
    return user


async def admin(app, http, name: str = "管理员") -> ChatUser:
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        await repo.add_grant(
            session, person.id, Grant(Role.ADMIN), granted_by=None, invitation_id=None
        )
    return user


async def fill_profile(
    user: ChatUser, first: dict, name: str, certificates: list[tuple[str, str]]
) -> dict:
    """Answer the profile form; `first` is its first question. Returns the submitted result."""
    assert "姓名" in body(first)
    await user.send(name)
    await ask(user, "手机号码")
    await user.send("13912345678")
    await ask(user, "所在地区")
    await user.send("西湖区")
    await pick(user, await ask(user, "所在地区"), "杭州市 西湖区")
    await ask(user, "工作单位")
    await user.send("示范网创培训学校")
    await ask(user, "登记几本证书")
    await user.send("0")
    assert body(await user.expect()) == "不能小于 1。"
    await ask(user, "登记几本证书")
    await user.send(str(len(certificates)))
    for kind, number in certificates:
        await pick(user, await ask(user, "证书类别"), kind)
        await ask(user, "证书编号")
        await user.send(number)
        await ask(user, "对应课程")
        await user.send("网络创业培训（电商）")
        await ask(user, "发证日期")
        await user.send("2024年5月1日")
    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    assert "139****5678" in body(review) and "13912345678" not in body(review)
    await pick(user, review, "提交")
    return await user.expect(lambda m: "证书登记结果" in body(m))


async def test_certificates_are_verified_or_rejected_and_the_teacher_is_told(fast_factory, http):
    app = await fast_factory()
    supervisor = await joined(app, http, "主管科长", Role.SUPERVISOR)
    boss = await admin(app, http)
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    lecturer = await ChatUser.create(http, app.base_url, "李讲师")
    await lecturer.send(f"/start {await _code(app, Role.LECTURER)}")
    offer = await lecturer.expect(lambda m: "师资信息与证书" in body(m))
    assert "/profile" in body(offer)
    await pick(lecturer, offer, "填写师资信息")
    first = await ask(lecturer, "姓名")
    result = await fill_profile(
        lecturer,
        first,
        "李明",
        [("网络创业培训讲师培训合格证书", "lc-2024-001"), ("网络创业培训师证书", "TR-2023-009")],
    )
    assert body(result).count("已送主管部门审核") == 2

    card = await supervisor.expect(lambda m: "证书审核" in body(m))
    text = body(card)
    assert "李明" in text and "LC-2024-001" in text and "讲师培训合格证书" in text
    assert "139****5678" in text and "浙江省 杭州市 西湖区" in text
    assert "TR-2023-009" not in text, "trainer certificates go to an admin"
    forged = await staff.press((await staff.reply_to("/help"))["message_id"], button(card, "通过"))
    assert "按钮已失效" in (forged["text"] or "")
    answer = await supervisor.press(card["message_id"], button(card, "通过"))
    assert "已记录：已通过审核" in answer["text"]
    edited = await supervisor.expect(lambda m: m["message_id"] == card["message_id"])
    assert "✅ 已通过审核" in body(edited) and not edited.get("reply_markup")
    again = await supervisor.press(card["message_id"], button(card, "通过"))
    assert "已经审核过了" in again["text"]
    told = await lecturer.expect(lambda m: "已通过审核" in body(m))
    assert "LC-2024-001" in body(told) and "可以被安排授课" in body(told)

    trainer_card = await boss.expect(lambda m: "证书审核" in body(m))
    assert "TR-2023-009" in body(trainer_card) and "培训师证书" in body(trainer_card)
    await pick(boss, trainer_card, "不通过")
    asked = await boss.expect(lambda m: "不通过的理由" in body(m))
    assert "TR-2023-009" in body(asked)
    await boss.send("好")
    assert "4-200" in body(await boss.expect())
    await boss.send("部中心名单中查不到这个编号，请核实")
    assert "未通过审核" in body(await boss.expect(lambda m: "已记录" in body(m)))
    rejected = await lecturer.expect(lambda m: "未通过审核" in body(m))
    assert "部中心名单中查不到这个编号，请核实" in body(rejected) and "/profile" in body(rejected)
    closed = await boss.expect(lambda m: m["message_id"] == trainer_card["message_id"])
    assert "❌ 未通过审核：部中心名单中查不到这个编号" in body(closed)

    async with app.store() as session:
        certificates = (await session.exec(select(Certificate).order_by(Certificate.id))).all()
        decisions = (
            await session.exec(
                select(AuditEntry)
                .where(AuditEntry.action.in_(("certificate.verified", "certificate.rejected")))
                .order_by(AuditEntry.id)
            )
        ).all()
        pushes = (await session.exec(select(OutboxMessage))).all()
    assert [(c.kind, c.number, c.status) for c in certificates] == [
        ("lecturer", "LC-2024-001", "verified"),
        ("trainer", "TR-2023-009", "rejected"),
    ]
    assert certificates[1].reason == "部中心名单中查不到这个编号，请核实"
    assert [(d.action, d.reason) for d in decisions] == [
        ("certificate.verified", None),
        ("certificate.rejected", "部中心名单中查不到这个编号，请核实"),
    ]
    assert all(push.status == "sent" for push in pushes), [p.status for p in pushes]


async def test_a_number_someone_else_holds_is_reported_and_not_taken_over(fast_factory, http):
    app = await fast_factory()
    first = await joined(app, http, "李讲师", Role.LECTURER)
    await pick(first, await first.expect(lambda m: "师资信息与证书" in body(m)), "填写师资信息")
    await fill_profile(
        first, await ask(first, "姓名"), "李明", [("网络创业培训讲师培训合格证书", "LC-7")]
    )
    second = await joined(app, http, "王讲师", Role.LECTURER)
    await second.reply_to("/profile", predicate=lambda m: "姓名" in body(m) and "●" in body(m))
    result = await fill_profile(
        second,
        second.messages[max(second.messages)],
        "王芳",
        [("网络创业培训讲师培训合格证书", "LC-7"), ("网络创业培训讲师培训合格证书", "LC-8")],
    )
    assert "LC-7：⚠️ 这个编号已由其他人登记" in body(result)
    assert "LC-8：已送主管部门审核" in body(result)
    async with app.store() as session:
        owners = {c.number: c.person_id for c in (await session.exec(select(Certificate))).all()}
        taken = (
            await session.exec(
                select(AuditEntry).where(AuditEntry.action == "certificate.number_taken")
            )
        ).one()
    assert len(owners) == 2 and owners["LC-7"] != owners["LC-8"]
    assert taken.details["number"] == "LC-7"
