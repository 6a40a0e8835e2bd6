"""The to-do inbox: whatever order people join in, every pending decision is found by whoever
may take it now, opened with the same card and buttons as its push, and closed everywhere once
decided."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot import notifier
from bot.clock import ManualClock
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import todo
from handlers.todo import TodoOpen
from storage import classes, outbox
from storage.models import Certificate, LeaveRequest, OutboxMessage, Person, ScreeningCase
from storage.todo import Kind
from tests.bot.attendance_people import member, open_class
from tests.bot.test_intake import ask, fill_appendix, fill_registration, join_as_trainee, pick
from tests.chat import ChatUser, body, button, buttons
from tests.fast.test_teachers import _code, fill_profile, joined

START = date(2026, 5, 11)
EVE = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def has(text: str):
    return lambda m: text in body(m)


def case_card(m) -> bool:
    return "学员筛选待确认" in body(m) and bool(buttons(m))


async def registered(app, http) -> ChatUser:
    """A trainee who registered (direction SYB, so no appendix) and was screened."""
    trainee, consent = await join_as_trainee(app, http)
    review = await fill_registration(trainee, consent, direction="SYB 创办你的企业")
    await pick(trainee, review, "提交")
    await trainee.expect(has("已收到你的报名材料"))
    return trainee


async def test_a_trainee_screened_before_any_staff_joined_is_decided_from_todo(app_factory, http):
    """S-4, S-5: a trainee who registered before anyone could confirm the screening is found by
    the staff who join later, decided from /todo, and told the result."""
    app = await app_factory()
    trainee = await registered(app, http)
    assert "项待办" not in body(await trainee.reply_to("/start"))
    assert "没有需要你决定的事项" in body(await trainee.reply_to("/todo"))

    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    assert "todo" in await staff.commands()
    assert "你有 1 项待办 /todo" in body(await staff.reply_to("/start"))
    shown = body(await staff.reply_to("/help"))
    assert "/todo — 待办" in shown and "你有 1 项待办 /todo" in shown
    inbox = await staff.reply_to("/todo")
    assert "共 1 项" in body(inbox) and "学员筛选待确认：1" in body(inbox)
    assert "页" not in body(inbox), "one page needs no page numbers"

    forged = await trainee.press(
        (await trainee.reply_to("/help"))["message_id"], button(inbox, "王小明")
    )
    assert "不再由你处理" in forged["text"] and forged["show_alert"]

    await pick(staff, inbox, "王小明")
    card = await staff.expect(case_card)
    assert "适合参加 SIYB 培训" in body(card) and "创业方向不是网络创业" in body(card)
    assert len(buttons(card)) == 3
    await pick(staff, card, "确认")
    _, closed = await staff.expect_all(
        has("已记录结论"),
        lambda m: m["message_id"] == card["message_id"] and "✅" in body(m),
    )
    assert "✅ 已确认：适合参加 SIYB 培训（机构老师）" in body(closed) and not buttons(closed)
    told = await trainee.expect(has("筛选结果已确认"))
    assert "适合参加 SIYB 培训" in body(told)

    assert "项待办" not in body(await staff.reply_to("/start"))
    assert "没有待办事项" in body(await staff.reply_to("/todo"))
    again = await staff.press(inbox["message_id"], button(inbox, "王小明"))
    assert "已经处理过了" in again["text"]
    async with app.store() as session:
        case = (await session.exec(select(ScreeningCase))).one()
    assert case.decided == "siyb"


async def test_deciding_from_one_push_closes_every_copy(app_factory, http):
    """S-5: the staff member's decision edits the lecturer's copy of the card to show it, with
    no buttons left; the stale button still gets the "already decided" alert."""
    app = await app_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    lecturer = await joined(app, http, "李讲师", Role.LECTURER)
    trainee = await registered(app, http)
    mine, theirs = await staff.expect(case_card), await lecturer.expect(case_card)
    assert "你有 1 项待办" in body(await lecturer.reply_to("/help"))

    await pick(staff, mine, "确认")
    await trainee.expect(has("筛选结果已确认"))
    closed = await lecturer.expect(lambda m: m["message_id"] == theirs["message_id"])
    assert "✅ 已确认：适合参加 SIYB 培训（机构老师）" in body(closed)
    assert "请确认" not in body(closed) and not buttons(closed)
    own = await staff.expect(lambda m: m["message_id"] == mine["message_id"])
    assert "✅ 已确认" in body(own) and not buttons(own)
    late = await lecturer.press(theirs["message_id"], button(theirs, "确认"))
    assert "这个筛选已经有结论了" in late["text"] and late["show_alert"]
    assert "项待办" not in body(await lecturer.reply_to("/help"))

    async with app.store() as session:
        edits = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.method == "editMessageText")
            )
        ).all()
    assert sorted(e.key.split(":")[-1] for e in edits) == ["closed", "closed"]
    assert all(e.status == "sent" for e in edits), [(e.key, e.last_error) for e in edits]


async def test_a_revised_registration_closes_the_card_of_the_screening_it_replaces(
    app_factory, http
):
    """S-4: the first screening's card says it no longer applies; /todo has only the new one."""
    app = await app_factory()
    staff = await joined(app, http, "机构老师", Role.INSTITUTION)
    trainee = await registered(app, http)
    first = await staff.expect(case_card)
    mine = await trainee.reply_to("/forms", predicate=has("我提交的表"))
    await pick(trainee, mine, "修改《创业培训学员入学登记表》")
    review = await trainee.expect(has("请核对你的回答"))
    await pick(trainee, review, "✏️ 11")
    await pick(trainee, await ask(trainee, "创业方向"), "网络创业")
    await pick(trainee, await trainee.expect(has("请核对你的回答")), "提交")
    await trainee.expect(has("网络创业登记表"))
    await fill_appendix(trainee)
    closed, second = await staff.expect_all(  # the closing edit and the new card, any order
        lambda m: m["message_id"] == first["message_id"], case_card
    )
    assert "这次筛选已作废" in body(closed) and not buttons(closed)
    assert "适合参加网络创业培训" in body(second)
    inbox = await staff.reply_to("/todo")
    assert "学员筛选待确认：1" in body(inbox) and len(buttons(inbox)) == 1


async def test_a_supervisor_who_joins_after_ten_certificates_sees_ten(app_factory, http):
    """S-8: certificates declared while the region had no supervisor wait in the supervisor's
    /todo (in English here); trainer certificates are not theirs."""
    app = await app_factory()
    lecturer = await joined(app, http, "李讲师", Role.LECTURER)
    await pick(lecturer, await lecturer.expect(has("师资信息与证书")), "填写师资信息")
    first = await lecturer.expect(lambda m: "姓名" in body(m) and "●" in body(m))
    await fill_profile(lecturer, first, "李明", [("网络创业培训讲师培训合格证书", "LC-0001")])
    async with app.store() as session:
        declared = (await session.exec(select(Certificate))).one()
        for number in range(2, 11):
            await classes.add_certificate(
                session,
                person_id=declared.person_id,
                kind="lecturer",
                number=f"LC-{number:04}",
                course=declared.course,
                issued_on=declared.issued_on,
                region_id=declared.region_id,
                submission_id=declared.submission_id,
            )
        await classes.add_certificate(
            session,
            person_id=declared.person_id,
            kind="trainer",
            number="TR-0001",
            course=declared.course,
            issued_on=declared.issued_on,
            region_id=declared.region_id,
            submission_id=declared.submission_id,
        )

    supervisor = await ChatUser.create(http, app.base_url, "Sun", language_code="en")
    await supervisor.reply_to(f"/start {await _code(app, Role.SUPERVISOR)}")
    assert "You have 10 items to do /todo" in body(await supervisor.reply_to("/start"))
    inbox = await supervisor.reply_to("/todo")
    assert "<b>To-do</b>: 10 items" in inbox["html"]
    assert "Certificates to verify: 10" in body(inbox)
    labels = [item["text"] for item in buttons(inbox)]
    assert len(labels) == 10 and "TR-0001" not in str(labels)
    assert labels[0] == "📜 李明 · LC-0001", "named by the teacher profile, not the chat"

    await pick(supervisor, inbox, "LC-0001")
    card = await supervisor.expect(has("Certificate to verify"))
    assert "LC-0001" in body(card) and "139****5678" in body(card)
    await pick(supervisor, card, "Verify")
    edited = await supervisor.expect(lambda m: m["message_id"] == card["message_id"])
    assert "✅ Verified" in body(edited) and not buttons(edited)
    assert "LC-0001" in body(await lecturer.expect(has("已通过审核")))
    await supervisor.send("/help")  # the card may be redrawn once more by its closing edit
    await supervisor.expect(has("You have 9 items to do /todo"))


async def test_the_inbox_pages_twenty_at_a_time(app_factory, http):
    """S-11: 25 leave requests to decide: two pages, ◀ ▶ between them; an item on the second
    page is decided from its card and leaves the count."""
    app = await app_factory(clock=ManualClock(EVE))
    teacher, t1 = await member(app, http, "李老师", Role.LECTURER)
    trainee, p = await member(app, http, "小王", Role.TRAINEE)
    made, timetable = await open_class(app, START, (t1,), (p,))
    async with app.store() as session:
        for number in range(25):
            session.add(
                LeaveRequest(
                    class_id=made.id,
                    person_id=p,
                    session_ids=[timetable[number % len(timetable)].id],
                    hours=4,
                    reason=f"事假 {number + 1}",
                    created_at=EVE,
                )
            )

    inbox = await teacher.reply_to("/todo")
    assert "请假申请待审批：25" in body(inbox) and "第 1/2 页" in body(inbox)
    labels = [item["text"] for item in buttons(inbox)]
    assert len(labels) == 21 and labels[-1] == "下一页 ▶" and "◀ 上一页" not in labels
    assert labels[0] == f"📝 小王 · {made.name}"
    await pick(teacher, inbox, "下一页")
    second = await teacher.expect(lambda m: m["message_id"] == inbox["message_id"])
    assert "第 2/2 页" in body(second)
    labels = [item["text"] for item in buttons(second)]
    assert len(labels) == 6 and labels[-1] == "◀ 上一页"

    await pick(teacher, second, "小王")
    card = await teacher.expect(lambda m: "请假申请" in body(m) and bool(buttons(m)))
    assert "共 4 课时" in body(card)
    await pick(teacher, card, "批准")
    await teacher.expect(has("已批准 小王 的请假申请"))
    assert "已由 李老师 批准" in body(await trainee.expect(has("批准")))
    await teacher.send("/start")
    await teacher.expect(has("你有 24 项待办 /todo"))  # the closed card's edit may come first
    await pick(teacher, second, "上一页")
    first = await teacher.expect(lambda m: m["message_id"] == inbox["message_id"])
    assert "请假申请待审批：24" in body(first) and "第 1/2 页" in body(first)
    assert "没有需要你决定的事项" in body(await trainee.reply_to("/todo"))


def test_scopes_follow_the_decision_checks():
    """Who decides what: staff and lecturers their institution's screenings, supervisors their
    region's certificates and classes, admins all of those; nobody else anything."""
    scope = todo.scope_of(
        7,
        [
            Grant(Role.INSTITUTION, 1, 10),
            Grant(Role.LECTURER, 2, 20),
            Grant(Role.SUPERVISOR, 3),
            Grant(Role.TRAINEE, 4, 40),
        ],
    )
    assert (scope.person_id, scope.institution_ids, scope.region_ids, scope.is_admin) == (
        7,
        frozenset({10, 20}),
        frozenset({3}),
        False,
    )
    assert todo.scope_of(1, [Grant(Role.ADMIN)]).is_admin
    assert not todo.decides([Grant(Role.TRAINEE, 1, 1)]) and not todo.decides([])
    assert todo.decides([Grant(Role.TRAINER)])
    assert TodoOpen(k=Kind.CERTIFICATE, i=3).pack() == "tdo:cert:3"


async def test_a_copy_not_yet_sent_is_never_sent_and_sent_ones_are_edited(sessions):
    """Closing a card: the copy still queued expires, the sent one gets an edit in its reader's
    language, other items' copies are left alone."""
    from storage.db import unit_of_work

    async with unit_of_work(sessions) as session:
        reader = Person(tg_user_id=501, first_name="Ann", locale="en")
        session.add(reader)
        await session.flush()
        for key, chat in (("leave:1:5", 501), ("leave:1:6", 502), ("leave:12:5", 501)):
            await outbox.enqueue(session, chat_id=chat, text="card", key=key)
        sent = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.key == "leave:1:5"))
        ).one()
        sent.status, sent.message_id = "sent", 77

    async def render(i18n) -> str:
        return f"closed in {i18n.locale}"

    async with unit_of_work(sessions) as session:
        assert await notifier.close_copies(session, "leave:1:", render) == 1
    async with unit_of_work(sessions) as session:
        rows = {
            row.key: row
            for row in (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        }
    assert rows["leave:1:6"].status == "expired"
    assert rows["leave:12:5"].status == "pending"
    edit = rows["leave:1:5:closed"]
    assert (edit.method, edit.chat_id, edit.status) == ("editMessageText", 501, "pending")
    assert edit.payload == {"message_id": 77, "text": "closed in en"}


def test_the_view_builders_need_no_bot():
    """The inbox page and the screening card are built from plain values, in both languages."""
    from handlers.intake import Decision, case_view
    from handlers.todo import TodoPage, inbox_view
    from storage.todo import Item

    counts = {Kind.CASE: 5, Kind.LEAVE: 40}
    items = [Item(Kind.LEAVE, n, None, "小王", "一班") for n in range(20)]
    text, markup = inbox_view(I18n("zh-CN"), counts, items, 1)
    assert "共 45 项" in text and "请假申请待审批：40" in text and "第 2/3 页" in text
    rows = markup.inline_keyboard
    assert len(rows) == 21 and [b.text for b in rows[-1]] == ["◀ 上一页", "下一页 ▶"]
    assert [b.callback_data for b in rows[-1]] == [TodoPage(p=0).pack(), TodoPage(p=2).pack()]
    assert rows[0][0].callback_data == TodoOpen(k=Kind.LEAVE, i=0).pack()
    text, _ = inbox_view(I18n("en"), {Kind.CERTIFICATE: 1}, items[:1], 0)
    assert "1 item\n" in text and "Certificates to verify: 1" in text and "Page" not in text

    trainee = Person(id=3, tg_user_id=3, first_name="Wang")
    case = ScreeningCase(
        id=9, person_id=3, registration_id=1, recommended="siyb", reasons=["direction_not_online"]
    )
    text, markup = case_view(I18n("en"), trainee.first_name, case)
    assert "Screening to confirm" in text
    assert [row[0].callback_data for row in markup.inline_keyboard] == [
        Decision(c=9, o=outcome).pack() for outcome in ("online", "siyb", "not_now")
    ]
    case.decided = "siyb"
    text, markup = case_view(I18n("en"), trainee.first_name, case, "Li")
    assert markup is None and "✅ Decided" in text and "(by Li)" in text


async def test_two_supervisors_open_a_class_application_from_todo_and_one_decides(
    app_factory, http
):
    """S-7: a class submitted before either supervisor joined is in both inboxes; approving it
    from one closes the card the other opened, and leaves both inboxes."""
    app = await app_factory(clock=ManualClock(EVE))
    staff, _ = await member(app, http, "机构老师", Role.INSTITUTION)
    made, _ = await open_class(app, START, (), (), status="submitted")
    first = await joined(app, http, "主管科长", Role.SUPERVISOR)
    second = await joined(app, http, "副科长", Role.SUPERVISOR)
    cards = []
    for supervisor in (first, second):
        inbox = await supervisor.reply_to("/todo")
        assert "开班申请待审批：1" in body(inbox)
        await pick(supervisor, inbox, made.name)
        cards.append(await supervisor.expect(lambda m: "开班申请" in body(m) and bool(buttons(m))))
    await pick(first, cards[0], "批准开班")
    closed = await second.expect(lambda m: m["message_id"] == cards[1]["message_id"])
    assert "✅ 已批准开班" in body(closed) and not buttons(closed)
    assert "已批准" in body(await staff.expect(has(made.name)))
    late = await second.press(cards[1]["message_id"], button(cards[1], "批准开班"))
    assert "已经处理过了" in late["text"]
    for supervisor in (first, second):
        await supervisor.reply_to("/todo", predicate=has("没有待办事项"))
