"""Assessment end to end in chat with a manual clock (S-12, S-13): trainees hand in, the window
closes and scorers are drawn, lecturers score in chat, one declines and one misses the deadline
(both reassigned, both told), a trainee fails, is coached, resubmits and passes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.roles import Grant, Role
from bot.services import assessment
from bot.views.assessment import Do, ManageCb, Mg, ScoreCb
from handlers.assessment.coaching import CoachCb
from storage import repo
from storage.models import (
    AssessmentResult,
    Certificate,
    CoachingSession,
    Person,
    ScoringAssignment,
)
from tests.bot.attendance_people import member, open_class
from tests.chat import ChatUser, body, button, buttons
from tests.services.test_assessment import hand_in

START = date(2026, 5, 11)
EVE = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
AFTER = datetime(2026, 5, 17, 16, 1, tzinfo=UTC)  # just after midnight ending the last day
PERFECT = [15, 25, 10, 20, 15, 10, 5]
FAIL = [5, 10, 5, 5, 5, 5, 0]


def has(text: str):
    return lambda m: text in body(m)


async def scorer(
    app, http, name: str, serial: int, region_id: int | None = None
) -> tuple[ChatUser, int]:
    """A lecturer of another institution of the (first, or given) region with a verified
    lecturer certificate."""
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region = region_id or (await repo.regions(session))[0].id
        school = await repo.add_institution(session, f"评分机构{serial}", region)
        grant = Grant(Role.LECTURER, region, school.id)
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
        session.add(
            Certificate(
                person_id=person.id,
                kind="lecturer",
                number=f"L-{serial}",
                course="网络创业培训讲师",
                issued_on=date(2024, 1, 1),
                region_id=region,
                status="verified",
            )
        )
    return user, person.id


async def scan(app, clock: ManualClock) -> assessment.ScanResult:
    async with app.store() as session:
        return await assessment.scan(session, clock.now())


async def assignments(app) -> list[ScoringAssignment]:
    async with app.store() as session:
        query = select(ScoringAssignment).order_by(ScoringAssignment.id)
        return list((await session.exec(query)).all())


async def score_in_chat(
    user: ChatUser, assignment_id: int, values, *, comment=None, card=None
) -> None:
    """Accept, score every criterion by its buttons, review the plan, comment, confirm."""
    card = card or await user.expect(has(f"评分任务 #{assignment_id}"))
    assert buttons(card), "the card offers accept / decline"
    await user.press(card["message_id"], ScoreCb(a=Do.ACCEPT, i=assignment_id).pack())
    card = await user.expect(lambda m: "开始评分" in str(m.get("reply_markup")))
    await user.press(card["message_id"], ScoreCb(a=Do.START, i=assignment_id).pack())
    sheet = await user.expect(has("第 1/7 项"))
    assert "0-15 分" in body(sheet) and "当前合计：0" in body(sheet)
    running = 0
    for index, value in enumerate(values):
        await user.press(
            sheet["message_id"], ScoreCb(a=Do.PICK, i=assignment_id, n=index, v=value).pack()
        )
        running += value
        following = f"第 {index + 2}/7 项" if index < 6 else "规划书是否完成"
        shown = await user.expect(has(following))
        assert f"{running}" in body(shown)
    plan = int(comment is None)
    await user.press(sheet["message_id"], ScoreCb(a=Do.PLAN, i=assignment_id, v=plan).pack())
    if comment is not None:
        assert "须写评语" in body(await user.expect(has("评语")))
        confirm = await user.reply_to(comment, predicate=has("请确认评分"))
    else:
        confirm = await user.expect(has("请确认评分"))
    assert f"合计：{running}" in body(confirm)
    await user.press(confirm["message_id"], ScoreCb(a=Do.CONFIRM, i=assignment_id).pack())
    assert f"{running} 分" in body(await user.expect(has("已完成")))


async def test_assessment_in_chat_decline_missed_deadline_coaching_and_resubmission(
    fast_factory, http
):
    clock = ManualClock(EVE)
    app = await fast_factory(clock=clock)
    teacher, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    _, other_teacher_id = await member(app, http, "周老师", Role.LECTURER)
    scorers = {}
    for serial, name in enumerate(("孙评", "吴评", "郑评"), start=10):
        user, person_id = await scorer(app, http, name, serial)
        scorers[person_id] = user
    trainees = {}
    for name in ("小王", "小李", "小张"):
        user, person_id = await member(app, http, name, Role.TRAINEE)
        trainees[person_id] = user
    made, _ = await open_class(app, START, (teacher_id, other_teacher_id), tuple(trainees))
    async with app.store() as session:
        for person_id in trainees:
            await hand_in(session, person_id, "practice_results", {"mall_store": "茶叶小店"})
            await hand_in(session, person_id, "business_plan", {"overview": "卖茶叶"})

    clock.set(AFTER)
    assert (await scan(app, clock)).drawn == 3
    drawn = await assignments(app)
    # Three eligible lecturers, three submissions: three different scorers, never a teacher.
    assert len({a.scorer_id for a in drawn}) == 3
    assert not {a.scorer_id for a in drawn} & {teacher_id, other_teacher_id}
    first, second, third = drawn

    # The first scorer scores a clear pass: the trainee is told with the per-criterion sheet.
    await score_in_chat(scorers[first.scorer_id], first.id, PERFECT)
    told = await trainees[first.trainee_id].expect(has("考核"))
    assert "您已通过" in body(told) and "100.0" in body(told) and "评分讲师 1" in body(told)
    for name in ("孙评", "吴评", "郑评"):  # scorers are anonymous
        assert name not in body(told)

    # The second declines (unavailable) with a reason; the next drawn scorer gets it.
    decliner = scorers[second.scorer_id]
    card = await decliner.expect(has(f"评分任务 #{second.id}"))
    assert "小李" not in body(card) and "小王" not in body(card)  # blind
    await decliner.press(card["message_id"], ScoreCb(a=Do.DECLINE, i=second.id, v=0).pack())
    await decliner.expect(has("谢绝的理由"))
    assert "已转给另一位" in body(await decliner.reply_to("这周出差", predicate=has("谢绝")))
    replacement = (await assignments(app))[-1]
    assert replacement.trainee_id == second.trainee_id
    assert replacement.scorer_id != second.scorer_id

    # The replacement scores a fail with the required comment: the trainee is told, the
    # teachers are asked to coach.
    await score_in_chat(
        scorers[replacement.scorer_id], replacement.id, FAIL, comment="商品太少，详情页不完整"
    )
    failed = await trainees[second.trainee_id].expect(has("暂未通过"))
    assert "商品太少" in body(failed) and "35.0" in body(failed)
    await teacher.expect(has("未通过考核"))

    # The third scorer misses the deadline: the assignment moves on, both are told.
    clock.set(third.deadline + timedelta(minutes=1))
    assert (await scan(app, clock)).expired == 1
    await scorers[third.scorer_id].expect(has("已超过截止时间"))
    moved = (await assignments(app))[-1]
    assert moved.trainee_id == third.trainee_id and moved.scorer_id != third.scorer_id
    await scorers[moved.scorer_id].expect(has(f"评分任务 #{moved.id}"))

    # The teacher coaches the trainee who failed.
    listed = await teacher.reply_to("/coaching", predicate=has("辅导"))
    assert "小李" in body(listed) or "小张" in body(listed) or "小王" in body(listed)
    await teacher.press(listed["message_id"], CoachCb(c=made.id, t=second.trainee_id).pack())
    await teacher.expect(has("讲了哪些内容"))
    assert "已记录" in body(await teacher.reply_to("讲了商品标题、主图和详情页"))

    # The trainee resubmits; the same scorer scores the new version, and now they pass.
    async with app.store() as session:
        await hand_in(session, second.trainee_id, "practice_results", {"mall_store": "新茶叶店"})
    assert (await scan(app, clock)).rescored == 1
    again = (await assignments(app))[-1]
    assert (again.round, again.scorer_id) == (2, replacement.scorer_id)
    await score_in_chat(scorers[again.scorer_id], again.id, PERFECT)
    assert "您已通过" in body(await trainees[second.trainee_id].expect(has("您已通过")))
    await trainees[second.trainee_id].send("/status")
    status = await trainees[second.trainee_id].expect(has("最近得分"))
    assert "已通过" in body(status) and "100.0" in body(status) and "第 2 轮" in body(status)

    async with app.store() as session:
        results = (
            await session.exec(
                select(AssessmentResult.trainee_id, AssessmentResult.round, AssessmentResult.passed)
            )
        ).all()
        coached = (await session.exec(select(CoachingSession))).all()
    assert set(results) == {
        (first.trainee_id, 1, True),
        (second.trainee_id, 1, False),
        (second.trainee_id, 2, True),
    }
    assert [c.teacher_id for c in coached] == [teacher_id]


async def test_forged_scoring_buttons_get_a_polite_alert(fast_factory, http):
    app = await fast_factory()
    user, _ = await scorer(app, http, "孙评", 1)
    hello = await user.reply_to("/help")
    answer = await user.press(hello["message_id"], ScoreCb(a=Do.PICK, i=999, n=0, v=3).pack())
    assert answer["answered"] and answer["show_alert"]
    answer = await user.press(hello["message_id"], "sco:bogus:1:0:0")
    assert answer["answered"]


async def test_supervisor_draws_widens_the_pool_and_reassigns_in_chat(fast_factory, http):
    clock = ManualClock(datetime(2026, 5, 12, 3, 0, tzinfo=UTC))
    app = await fast_factory(clock=clock)
    supervisor, _ = await member(app, http, "监管员", Role.SUPERVISOR)
    _, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    trainee, trainee_id = await member(app, http, "小王", Role.TRAINEE)
    made, _ = await open_class(app, START, (teacher_id,), (trainee_id,))
    async with app.store() as session:
        await hand_in(session, trainee_id, "practice_results", {"mall_store": "茶叶小店"})
        neighbour = await repo.add_region(session, "邻区")
        neighbour_id = neighbour.id

    # No eligible scorer in the region: the draw falls short and the supervisor is told.
    shown = await supervisor.reply_to("/assessment", predicate=has("考核进度"))
    assert "学员 1" in body(shown)
    await supervisor.press(shown["message_id"], button(shown, made.name))
    card = await supervisor.expect(has("进行中的评分任务"))
    await supervisor.press(card["message_id"], ManageCb(a=Mg.DRAW, c=made.id).pack())
    short, _ = await supervisor.expect_all(has("已抽取"), has("没有评分讲师（"))
    assert "0 项任务，1 份提交没有评分讲师" in body(short)

    # Widened to the neighbouring region, its lecturer is drawn.
    far, far_id = await scorer(app, http, "远评", 1, region_id=neighbour_id)
    await supervisor.press(card["message_id"], ManageCb(a=Mg.WIDEN, c=made.id).pack())
    regions = await supervisor.expect(has("相邻地区"))
    await supervisor.press(regions["message_id"], button(regions, "邻区"))
    assert "1 项任务" in body(await supervisor.expect(has("已抽取")))
    await far.expect(has("评分任务 #"))
    (assignment,) = await assignments(app)
    assert assignment.scorer_id == far_id

    # Reassigned by hand to a lecturer of the region who joined meanwhile; both are told, and
    # the new scorer finds it in /todo.
    near, near_id = await scorer(app, http, "近评", 2)
    await supervisor.press(shown["message_id"], button(shown, made.name))
    card = await supervisor.expect(lambda m: f"#{assignment.id}" in body(m))
    await supervisor.press(card["message_id"], button(card, f"#{assignment.id}"))
    picks = await supervisor.expect(has("改派给"))
    await supervisor.press(picks["message_id"], button(picks, "近评"))
    await supervisor.expect(has("已改派"))
    await far.expect(has("改派"))
    inbox = await near.reply_to("/todo", predicate=has("实践成果待评分"))
    await near.press(inbox["message_id"], button(inbox, made.name))
    opened = await near.expect(lambda m: "评分任务 #" in body(m) and "茶叶小店" in body(m))
    assert "小王" not in body(opened)
    assert [a.scorer_id for a in await assignments(app)] == [far_id, near_id]

    # A trainee's forged management button is answered politely and changes nothing.
    hello = await trainee.reply_to("/help")
    answer = await trainee.press(hello["message_id"], ManageCb(a=Mg.DRAW, c=made.id).pack())
    assert answer["answered"]
    assert len(await assignments(app)) == 2


async def test_scorer_gets_the_screenshots_again_by_their_file_ids(fast_factory, http):
    import io

    from PIL import Image

    from bot import notifier

    clock = ManualClock(datetime(2026, 5, 12, 3, 0, tzinfo=UTC))
    app = await fast_factory(clock=clock)
    _, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    trainee, trainee_id = await member(app, http, "小王", Role.TRAINEE)
    user, _ = await scorer(app, http, "孙评", 1)
    made, _ = await open_class(app, START, (teacher_id,), (trainee_id,))
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(picture, format="PNG")
    async with app.store() as session:  # a picture in the trainee's chat, to get a file id
        person = await session.get(Person, trainee_id)
        await notifier.tell(session, person, "assessment.no_classes", photo=picture.getvalue())
    shot = await trainee.expect(lambda m: bool(m.get("photo")))
    file_id = shot["photo"][-1]["file_id"]
    async with app.store() as session:
        await hand_in(
            session,
            trainee_id,
            "practice_results",
            {
                "mall_store": "茶叶小店",
                "screenshots": [{"file_id": file_id, "mime_type": "image/png"}],
            },
        )
    clock.set(AFTER)
    await scan(app, clock)
    (assignment,) = await assignments(app)
    card = await user.expect(has(f"评分任务 #{assignment.id}"))
    assert "🖼 ×1" in body(card)
    await user.press(card["message_id"], button(card, "截图和文件（1）"))
    again = await user.expect(lambda m: bool(m.get("photo")))
    assert again["photo"][-1]["file_unique_id"] == shot["photo"][-1]["file_unique_id"]


async def test_progress_lists_twenty_classes_a_page(fast_factory, http):
    app = await fast_factory()
    supervisor, _ = await member(app, http, "监管员", Role.SUPERVISOR)
    for week in range(21):
        await open_class(app, START + timedelta(days=7 * week), (), ())
    first = await supervisor.reply_to("/assessment", predicate=has("考核进度"))
    assert "第 1/2 页 · 共 21 个班级" in body(first)
    assert len(buttons(first)) == 20 + 1  # a manage button per class, then ▶
    await supervisor.press(first["message_id"], button(first, "下一页"))
    second = await supervisor.expect(has("第 2/2 页"))
    assert len(buttons(second)) == 1 + 1  # one class, then ◀
    assert "上一页" in str(second["reply_markup"])


async def test_practice_results_handed_in_in_chat_are_drawn_shown_blind_and_scored(
    fast_factory, http
):
    """With the real T8 form (/practice): the scorer's card shows the answers under their
    labels and the three screenshots, never the trainee; the trainee learns the result."""
    from tests.bot.test_intake import pick
    from tests.fast.test_submissions import fill_practice

    clock = ManualClock(datetime(2026, 5, 12, 2, 0, tzinfo=UTC))
    app = await fast_factory(clock=clock)
    _, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    trainee, trainee_id = await member(app, http, "小王", Role.TRAINEE)
    user, _ = await scorer(app, http, "孙评", 1)
    await open_class(app, START, (teacher_id,), (trainee_id,))
    review = await fill_practice(trainee)
    await pick(trainee, review, "提交")
    await trainee.expect(has("已提交"))

    clock.set(AFTER)
    assert (await scan(app, clock)).drawn == 1
    (assignment,) = await assignments(app)
    card = await user.expect(has(f"评分任务 #{assignment.id}"))
    assert "模拟商城店铺名称：小王的茶叶铺" in body(card) and "🖼 ×3" in body(card)
    assert "小王：" not in body(card) and "李老师" not in body(card)
    await user.press(card["message_id"], button(card, "截图和文件（3）"))
    for _ in range(3):
        await user.expect(lambda m: bool(m.get("photo")))
    await score_in_chat(user, assignment.id, PERFECT, card=card)
    assert "您已通过" in body(await trainee.expect(has("您已通过")))
