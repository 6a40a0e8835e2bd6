"""S-6: a class's teachers see its trainees and their needs-analysis summaries before it
starts, even when they were dispatched by the region rather than invited by the institution."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.domain.roles import Grant, Role
from handlers.intake import TraineeCard
from storage import repo
from storage.models import Person
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button


async def dispatched_lecturer(app, http, name: str) -> tuple[ChatUser, int]:
    """A lecturer scoped to the region only: sees no institution's trainees by default."""
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region = (await repo.regions(session))[0]
        grant = Grant(Role.LECTURER, region.id, None)
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return user, person.id


async def test_teachers_see_their_class_trainees_and_nobody_else_does(fast_factory, http):
    app = await fast_factory()
    teacher, teacher_id = await dispatched_lecturer(app, http, "张老师")
    other, _ = await dispatched_lecturer(app, http, "李老师")
    _, trainee_id = await member(app, http, "王小明", Role.TRAINEE)
    start = app.clock.now().date() + timedelta(days=3)
    made, _ = await open_class(app, start, (teacher_id,), (trainee_id,))

    listing = await teacher.reply_to("/trainees", predicate=lambda m: made.name in body(m))
    assert "王小明" in body(listing)
    await teacher.press(listing["message_id"], button(listing, "王小明"))
    card = await teacher.expect(
        lambda m: "王小明" in body(m) and m["message_id"] != listing["message_id"]
    )
    assert "筛选" not in body(card)

    empty = await other.reply_to("/trainees")
    assert "王小明" not in body(empty) and "还没有可查看的学员" in body(empty)
    forged = await other.press(empty["message_id"], TraineeCard(p=trainee_id).pack())
    assert forged["text"] == "这不在你的权限范围内，无法操作。"
