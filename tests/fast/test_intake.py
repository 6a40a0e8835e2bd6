"""Trainee intake end to end in the fast tier: registration, appendix 3, screening, review,
needs, /status. (The restart test and the helpers other tests share stay in
tests/bot/test_intake.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from stdnum.cn import ric

from bot.clock import ManualClock
from bot.domain.roles import Grant, Role
from storage import repo
from storage.models import (
    AuditEntry,
    CycleTransition,
    FormAnswer,
    FormDraft,
    FormSubmission,
    Person,
    ScreeningCase,
    TraineeCycle,
)
from storage.types import utcnow
from tests.bot.test_intake import (
    ID_NUMBER,
    WRONG_ID,
    _code,
    ask,
    fill_appendix,
    fill_business,
    fill_registration,
    join_as_trainee,
    pick,
)
from tests.chat import ChatUser, body, button


async def test_wrong_answers_are_explained_and_asked_again(fast_factory, http):
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    assert "1/" in body(consent) and "●" in body(consent)
    await user.send("好的")
    assert "请点「我同意」" in body(await user.expect())
    await ask(user, "个人信息")
    await pick(user, consent, "我同意")
    await ask(user, "姓名")
    await user.send("王")
    assert body(await user.expect()) == "姓名至少两个字。"
    await ask(user, "姓名")
    await user.send("王小明")
    gender = await ask(user, "性别")
    await user.send("随便")
    assert "请点上面的按钮" in body(await user.expect())
    await pick(user, await ask(user, "性别"), "女")
    await ask(user, "身份证号码")
    impossible = "33010620991301123"
    for wrong, message in [
        (WRONG_ID, "校验不通过"),
        ("12345", "18 位"),
        (impossible + ric.calc_check_digit(impossible + "0"), "出生日期不正确"),
    ]:
        await user.send(wrong)
        assert message in body(await user.expect()), wrong
        await ask(user, "身份证号码")
    await user.send(ID_NUMBER.lower())
    await ask(user, "手机号码")
    await user.send("12345")
    # a wrong mobile number is one message: the problem and the hint, with the share button
    complaint = await user.expect(lambda m: "11 位数字" in body(m))
    assert "请用下方按钮分享" in body(complaint)
    assert complaint["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    await user.send("138-1234-5678")
    saved = await user.expect()
    assert body(saved).startswith("已记录：138")
    asked = [m for m in user.messages.values() if "手机号码" in body(m) and "●" in body(m)]
    assert len(asked) == 1, "the mobile question is not asked again after a wrong number"
    assert "138****5678" in body(saved) and "13812345678" not in body(saved)
    await ask(user, "文化程度")
    shown = " ".join(body(m) for m in user.messages.values())
    assert ID_NUMBER not in shown and ID_NUMBER.lower() not in shown and "1234-5678" not in shown
    echoes = [body(m) for m in user.messages.values() if "已记录" in body(m)]
    assert echoes == [f"已记录：330106********{ID_NUMBER[-4:]}", "已记录：138****5678"], echoes
    stale = await user.press(gender["message_id"], button(gender, "男"))
    assert "已经答过" in stale["text"]
    async with app.store() as session:
        draft = (await session.exec(select(FormDraft))).one()
    assert draft.answers["gender"] == "female"
    assert draft.answers["id_number"] == ID_NUMBER
    assert draft.answers["id_number_birth_date"] == "1995-06-15"
    assert draft.answers["mobile"] == "13812345678"
    assert draft.position == "education"


async def test_registration_review_edit_and_one_submission(fast_factory, http):
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    review = await fill_registration(user, consent, direction="SYB 创办你的企业")
    text = body(review)
    assert "330106********123" in text and ID_NUMBER not in text
    assert "138****5678" in text and "13812345678" not in text
    assert "浙江省 杭州市 西湖区" in text and "返乡入乡创业人员、退役军人" in text
    assert "（未填）" in text and "企业或店铺名称" not in text

    await pick(user, review, "✏️ 10")
    await pick(user, await ask(user, "是否已经在经营"), "是")
    await fill_business(user)
    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    assert "小明土特产店" in body(review) and "2023-05-01" in body(review)

    submit = button(review, "提交")
    await user.press(review["message_id"], submit)
    await user.expect(lambda m: "已提交" in body(m))
    again = await user.press(review["message_id"], submit)
    assert "不用重复点" in again["text"], "the same press again: one effect"
    result = await user.expect(lambda m: "已收到你的报名材料" in body(m))
    assert "适合参加" not in body(result), "S-5: the trainee is told only the confirmed result"

    async with app.store() as session:
        submissions = (await session.exec(select(FormSubmission))).all()
        assert len(submissions) == 1
        answers = submissions[0].answers
        assert answers["has_business"] is True and answers["business_employees"] == 3
        assert "heard_from" in answers and answers["heard_from"] is None
        rows = (
            await session.exec(select(FormAnswer).where(FormAnswer.question_id == "categories"))
        ).all()
        assert sorted(row.choice for row in rows) == ["returnee", "veteran"]
        age = (
            await session.exec(select(FormAnswer).where(FormAnswer.question_id == "id_number_age"))
        ).one()
        assert age.number == 31
        cycle = (await session.exec(select(TraineeCycle))).one()
        assert cycle.state == "screened" and cycle.step == "selection"
        moves = (await session.exec(select(CycleTransition))).all()
        assert [(m.from_state, m.to_state) for m in moves] == [
            (None, "registered"),
            ("registered", "screened"),
        ]
        assert (await session.exec(select(ScreeningCase))).one().recommended == "siyb"


async def test_back_across_a_skipped_question(fast_factory, http):
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    review = await fill_registration(user, consent)
    await pick(user, review, "提交")
    await pick(user, await ask(user, "读写中文"), "是")
    await pick(user, await ask(user, "熟练程度"), "熟练")
    await pick(user, await ask(user, "使用一台电脑"), "是")
    await pick(user, await ask(user, "全程参加培训"), "是")
    await pick(user, await ask(user, "创业的意愿"), "一般")
    await pick(user, await ask(user, "项目属于哪一种"), "暂无具体项目")
    await pick(user, await ask(user, "平台"), "跳过")
    status = await ask(user, "网店现状")
    await pick(user, status, "上一题")
    platforms = await ask(user, "平台")
    assert "当前答案：（未填）" in body(platforms)
    await pick(user, platforms, "上一题")
    project = await ask(user, "项目属于哪一种")
    assert "当前答案：暂无具体项目" in body(project), "the skipped description is not asked"


async def test_online_trainee_is_confirmed_then_gives_needs(fast_factory, http):
    moment = utcnow().replace(microsecond=0) - timedelta(hours=1)
    app = await fast_factory(clock=ManualClock(moment))
    staff = await ChatUser.create(http, app.base_url, "机构老师")
    await staff.reply_to(f"/start {await _code(app, Role.INSTITUTION)}")
    user, consent = await join_as_trainee(app, http)
    await pick(user, await fill_registration(user, consent), "提交")
    await user.expect(lambda m: "网络创业登记表" in body(m))
    result = await fill_appendix(user)
    assert "正在审核" in body(result) and "适合参加" not in body(result)

    case = await staff.expect(lambda m: "学员筛选待确认" in body(m))
    assert "王小明" in body(case)
    assert "适合参加网络创业培训" in body(case) and "有依托互联网的具体项目" in body(case)
    await pick(staff, case, "确认")
    await staff.expect(lambda m: "已记录结论" in body(m))  # the card's edit may come first
    told = await user.expect(lambda m: "筛选结果已确认" in body(m))
    assert "原因" in body(told) and "有依托互联网的具体项目" in body(told)
    await pick(user, told, "培训需求问卷")
    needs = await ask(user, "网店或网络销售经验")
    await pick(user, needs, "3")
    for label in ("最难的是", "上课时间", "最想问讲师"):
        await pick(user, await ask(user, label), "跳过")
    await pick(user, await user.expect(lambda m: "请核对你的回答" in body(m)), "提交")
    await user.expect(lambda m: "已提交" in body(m))

    status = await user.reply_to("/status", predicate=lambda m: "我的进度" in body(m))
    assert "已完成培训需求分析" in body(status)
    trainees = await staff.reply_to("/trainees", predicate=lambda m: "本机构学员" in body(m))
    assert "王小明：已完成培训需求分析" in body(trainees)
    await pick(staff, trainees, "王小明")
    card = await staff.expect(lambda m: "网络创业登记表" in body(m))
    text = body(card)
    assert "培训需求分析问卷" in text and "在拼多多上卖家乡的高山茶叶和笋干" in text
    assert ID_NUMBER not in text and "13812345678" not in text and "138****5678" in text
    again = await staff.press(case["message_id"], button(case, "确认"))
    assert "已经有结论" in again["text"]
    async with app.store() as session:
        decided = (await session.exec(select(ScreeningCase))).one()
    assert decided.decided_at == moment, "decisions are stamped by the product's clock"


async def test_a_lecturer_overrides_with_a_reason(fast_factory, http):
    app = await fast_factory()
    lecturer = await ChatUser.create(http, app.base_url, "李老师")
    await lecturer.reply_to(f"/start {await _code(app, Role.LECTURER)}")
    outsider = await ChatUser.create(http, app.base_url, "外人")
    user, consent = await join_as_trainee(app, http)
    await pick(user, await fill_registration(user, consent), "提交")
    await user.expect(lambda m: "网络创业登记表" in body(m))
    result = await fill_appendix(user, project="暂无具体项目")
    assert "适合参加" not in body(result)

    case = await lecturer.expect(lambda m: "学员筛选待确认" in body(m))
    assert "适合参加 SIYB 培训" in body(case) and "暂无具体的网络创业项目" in body(case)
    own = await outsider.reply_to("/lang")
    forged = await outsider.press(own["message_id"], button(case, "改为：适合参加网络创业"))
    assert "按钮已失效" in forged["text"], "only the institution's reviewers may decide"
    await pick(lecturer, case, "改为：适合参加网络创业培训")
    assert "请写明理由" in body(await lecturer.expect())
    await lecturer.send("好")
    assert "4-200" in body(await lecturer.expect())
    await lecturer.send("面谈后确认有茶叶货源，可以直接开网店")
    await lecturer.expect(lambda m: "已记录结论" in body(m))  # the card's edit may come first
    told = await user.expect(lambda m: "筛选结果已确认" in body(m))
    assert "适合参加网络创业培训" in body(told)
    assert "面谈后确认有茶叶货源" in body(told), "the override's reason is the trainee's reason"
    assert "暂无具体的网络创业项目" not in body(told)
    async with app.store() as session:
        decided = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "screening.decided"))
        ).one()
        case_row = (await session.exec(select(ScreeningCase))).one()
        cycle = (await session.exec(select(TraineeCycle))).one()
    assert decided.reason == "面谈后确认有茶叶货源，可以直接开网店"
    assert decided.details["override"] is True and decided.details["recommended"] == "siyb"
    assert case_row.decided == "online" and cycle.state == "suitable_online"


async def test_revising_the_registration_keeps_the_old_version_and_screens_again(
    fast_factory, http
):
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    review = await fill_registration(user, consent, direction="SYB 创办你的企业")
    await pick(user, review, "提交")
    await user.expect(lambda m: "已收到你的报名材料" in body(m))

    mine = await user.reply_to("/forms", predicate=lambda m: "我提交的表" in body(m))
    await pick(user, mine, "修改《创业培训学员入学登记表》")
    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    assert "SYB 创办你的企业" in body(review)
    await pick(user, review, "✏️ 11")
    await pick(user, await ask(user, "创业方向"), "网络创业")
    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    assert "11. 你的创业方向是：网络创业" in body(review)
    await pick(user, review, "提交")
    await user.expect(lambda m: "网络创业登记表" in body(m))
    await fill_appendix(user)

    async with app.store() as session:
        registrations = (
            await session.exec(
                select(FormSubmission)
                .where(FormSubmission.form_id == "registration")
                .order_by(FormSubmission.id)
            )
        ).all()
        cases = (await session.exec(select(ScreeningCase).order_by(ScreeningCase.id))).all()
        cycle = (await session.exec(select(TraineeCycle))).one()
    first, second = registrations
    assert first.answers["direction"] == "syb" and not first.current
    assert second.answers["direction"] == "online" and second.current
    assert second.supersedes_id == first.id and second.submitted_by == first.submitted_by
    assert [(c.recommended, c.decided) for c in cases] == [("siyb", "superseded"), ("online", None)]
    assert cycle.state == "screened"


async def test_a_reviewer_of_another_institution_gets_the_refusal_and_changes_nothing(
    fast_factory, http
):
    """A lecturer of another institution pressing a screening case's buttons (S-5) gets the one
    not-allowed alert; the case stays open and the institution's own reviewer still decides it."""
    app = await fast_factory()
    lecturer = await ChatUser.create(http, app.base_url, "李老师")
    await lecturer.reply_to(f"/start {await _code(app, Role.LECTURER)}")
    stranger = await ChatUser.create(http, app.base_url, "赵老师")
    await stranger.reply_to("/start")
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        other = await repo.add_institution(session, "邻县职业培训学校", region.id)
        query = select(Person).where(Person.tg_user_id == stranger.user_id)
        person = (await session.exec(query)).one()
        scope = Grant(Role.LECTURER, region.id, other.id)
        await repo.add_grant(session, person.id, scope, granted_by=None, invitation_id=None)
    user, consent = await join_as_trainee(app, http)
    await pick(user, await fill_registration(user, consent), "提交")
    await user.expect(lambda m: "网络创业登记表" in body(m))
    await fill_appendix(user)
    case = await lecturer.expect(lambda m: "学员筛选待确认" in body(m))

    own = await stranger.reply_to("/help")
    for label in ("确认", "改为"):
        forged = await stranger.press(own["message_id"], button(case, label))
        assert forged["text"] == "这不在你的权限范围内，无法操作。" and forged["show_alert"]
    async with app.store() as session:
        found = (await session.exec(select(ScreeningCase))).one()
        assert found.decided is None and found.decided_by is None
        decided = select(AuditEntry).where(AuditEntry.action == "screening.decided")
        assert not (await session.exec(decided)).all()
    await pick(lecturer, case, "确认")
    await lecturer.expect(lambda m: "已记录结论" in body(m))  # the card's edit may come first


async def test_status_names_an_unfinished_form_and_how_to_continue(fast_factory, http):
    """/status while the registration is half done says which form and offers to go on."""
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    await pick(user, consent, "我同意")
    await ask(user, "姓名")
    status = await user.reply_to("/status", predicate=lambda m: "我的进度" in body(m))
    assert "未填完的《创业培训学员入学登记表》" in body(status) and "/start" in body(status)
    await pick(user, status, "接着填")
    await ask(user, "姓名")


async def test_a_typed_district_is_echoed_as_the_place_it_was_read_as(fast_factory, http):
    """Typed "福田" is accepted as 广东省 深圳市 福田区, and the person is told so."""
    app = await fast_factory()
    user, consent = await join_as_trainee(app, http)
    await pick(user, consent, "我同意")
    await user.send("王小明")
    await pick(user, await ask(user, "性别"), "男")
    await user.send(ID_NUMBER)
    await ask(user, "手机号码")
    await user.send_json({"contact": {"phone_number": "+86 138 1234 5678"}})
    await pick(user, await ask(user, "文化程度"), "大专")
    await pick(user, await ask(user, "户籍类型"), "农村")
    await ask(user, "常住地区")
    await user.send("福田")
    echo = await user.expect(lambda m: body(m).startswith("已记录：广东"))
    assert body(echo) == "已记录：广东省 深圳市 福田区"
    await ask(user, "人员类别")


async def test_staff_see_the_registered_name_not_the_chat_name(fast_factory, http):
    """Issue 10 "Registered names everywhere": a trainee whose chat calls them 访客 is named
    by their registration in the screening card and in /trainees."""
    app = await fast_factory()
    staff = await ChatUser.create(http, app.base_url, "机构老师")
    await staff.reply_to(f"/start {await _code(app, Role.INSTITUTION)}")
    user = await ChatUser.create(http, app.base_url, "访客")
    await user.send(f"/start {await _code(app, Role.TRAINEE)}")
    consent = await ask(user, "个人信息")
    review = await fill_registration(user, consent, direction="SYB 创办你的企业")
    await pick(user, review, "提交")
    case = await staff.expect(lambda m: "学员筛选待确认" in body(m))
    assert "王小明" in body(case) and "访客" not in body(case)
    trainees = await staff.reply_to("/trainees", predicate=lambda m: "本机构学员" in body(m))
    assert "王小明" in body(trainees) and "访客" not in body(trainees)
    await pick(staff, case, "确认")
    closed = await staff.expect(lambda m: "✅" in body(m) and "王小明" in body(m))
    assert "访客" not in body(closed)
