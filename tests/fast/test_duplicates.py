"""Duplicate people (issue 10, "Duplicate people"): the same ID number registered by another
person is flagged to staff with the earlier record, and the two are never in one class."""

from __future__ import annotations

from bot.domain.roles import Role
from tests.bot.test_intake import _code, ask, fill_registration, join_as_trainee, pick
from tests.chat import ChatUser, body
from tests.fast.test_enrolment import (
    audits,
    class_card,
    class_code,
    id_number,
    member,
    new_class,
    person_of,
    places,
    screened,
)


async def test_a_second_registration_of_an_id_number_is_flagged_and_not_enrolled_twice(
    fast_factory, http
):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    class_id, name = await new_class(app)
    code = await class_code(staff, name)
    first, first_id = await screened(app, http, "张晓燕", 7)
    await first.send(f"/start {code}")
    await first.expect(lambda m: "你已加入培训班" in body(m))
    await staff.quiet()

    again = await ChatUser.create(http, app.base_url, "晓燕的新号")
    await again.send(f"/start {code}")
    consent = await ask(again, "个人信息")
    review = await fill_registration(
        again, consent, direction="SYB 创办你的企业", name="张晓燕", number=id_number(7)
    )
    await pick(again, review, "提交")
    case, flagged = await staff.expect_all(
        lambda m: "学员筛选待确认" in body(m), lambda m: "可能重复登记" in body(m)
    )
    assert "张晓燕" in body(flagged) and "晓燕的新号" not in body(flagged)
    assert "已由 张晓燕 在" in body(flagged), "the earlier record is named"
    second_id = await person_of(app, again)
    [audit] = await audits(app, "screening.possible_duplicate")
    assert (audit.subject_id, audit.object_id) == (second_id, first_id)

    await pick(staff, case, "改为：适合参加网络创业培训")
    await staff.expect(lambda m: "请写明理由" in body(m))
    await staff.send("面谈后确认适合网络创业")
    refused = await again.expect(lambda m: "同一身份证号" in body(m))
    assert name in body(refused)
    assert await places(app, class_id) == {first_id: "enrolled", second_id: "withdrawn"}
    card = await class_card(staff, name)
    assert body(card).count("张晓燕") == 1, "one 张晓燕 on the roster"


async def test_a_registration_with_a_new_id_number_raises_no_duplicate_flag(fast_factory, http):
    """Only another person's ID number is a possible duplicate: one registration is not."""
    app = await fast_factory()
    staff = await ChatUser.create(http, app.base_url, "机构老师")
    await staff.reply_to(f"/start {await _institution(app)}")
    user, consent = await join_as_trainee(app, http)
    await pick(user, await fill_registration(user, consent, direction="SYB 创办你的企业"), "提交")
    await user.expect(lambda m: "已收到你的报名材料" in body(m))
    assert not await audits(app, "screening.possible_duplicate")
    assert not [m for m in await staff.quiet() if "可能重复登记" in body(m)]


async def _institution(app) -> str:
    return await _code(app, Role.INSTITUTION)
