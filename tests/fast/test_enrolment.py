"""Enrolment end to end: class link and QR, staff adding and withdrawing, capacity, overlap,
and importing a trainee list from Excel (all or nothing)."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta

import aiohttp
from openpyxl import Workbook, load_workbook
from sqlmodel import col, func, select
from stdnum.cn import ric

from bot.class_callbacks import ClassRoster
from bot.domain.roles import Grant, Role
from bot.xlsx import XLSX_MIME
from handlers.enrolment.common import ClassInvite, EnrolAdd, EnrolList, Withdraw
from storage import intake, repo
from storage.models import (
    AuditEntry,
    Enrollment,
    FormAnswer,
    FormDraft,
    FormSubmission,
    Institution,
    Invitation,
    Person,
    ScreeningCase,
    TraineeCycle,
)
from tests.bot.test_intake import ask, fill_appendix, fill_registration, pick
from tests.chat import ChatUser, body, button, buttons
from tests.factories import make_class

SOON = date.today() + timedelta(days=10)


def id_number(serial: int) -> str:
    base = f"33010619950615{serial:03d}"
    return base + ric.calc_check_digit(base + "0")


async def _scope(session) -> tuple[int, int]:
    region = (await repo.regions(session))[0]
    return region.id, (await repo.institutions_in(session, region.id))[0].id


async def person_of(app, user: ChatUser) -> int:
    async with app.store() as session:
        query = select(Person.id).where(Person.tg_user_id == user.user_id)
        return (await session.exec(query)).one()


async def member(app, http, name: str, role: Role) -> ChatUser:
    """Someone who said /start and holds `role` at the demo institution."""
    user = await ChatUser.create(http, app.base_url, name)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region_id, institution_id = await _scope(session)
        grant = Grant(role, region_id, institution_id)
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return user


async def screened(
    app, http, name: str, serial: int, *, decided: str | None = "online"
) -> tuple[ChatUser, int]:
    """A trainee of the demo institution with a registration (name, ID, mobile) and a
    screening case decided as `decided` (None: still waiting for the reviewers)."""
    user = await member(app, http, name, Role.TRAINEE)
    person_id = await person_of(app, user)
    answers = {"name": name, "id_number": id_number(serial), "mobile": f"138000{serial:05d}"}
    async with app.store() as session:
        _, institution_id = await _scope(session)
        draft = FormDraft(
            person_id=person_id, form_id="registration", form_version=1, status="submitted"
        )
        session.add(draft)
        await session.flush()
        submission = FormSubmission(
            draft_id=draft.id,
            person_id=person_id,
            form_id="registration",
            form_version=1,
            context={"institution_id": institution_id},
            answers=answers,
            submitted_by=person_id,
        )
        session.add(submission)
        await session.flush()
        for question, text in answers.items():
            session.add(
                FormAnswer(
                    submission_id=submission.id,
                    form_id="registration",
                    question_id=question,
                    text=text,
                )
            )
        states = ["registered", "screened"]
        states += {"online": ["suitable_online"], "siyb": ["referred_siyb"], None: []}[decided]
        for state in states:
            await intake.move(session, person_id, institution_id, state, actor_id=None)
        session.add(
            ScreeningCase(
                person_id=person_id,
                institution_id=institution_id,
                registration_id=submission.id,
                recommended=decided or "online",
                decided=decided,
            )
        )
    return user, person_id


async def new_class(
    app, start: date = SOON, trainees: tuple[int, ...] = (), capacity: int = 30
) -> tuple[int, str]:
    async with app.store() as session:
        region_id, institution_id = await _scope(session)
        made = await make_class(
            session,
            institution_id=institution_id,
            region_id=region_id,
            start=start,
            trainee_ids=trainees,
        )
        made.capacity = capacity
    return made.id, made.name


async def extras(app, count: int) -> list[int]:
    """People who only fill places (they never chat)."""
    async with app.store() as session:
        people = [Person(tg_user_id=900_000 + n, first_name=f"学员{n}") for n in range(count)]
        session.add_all(people)
        await session.flush()
        return [person.id for person in people]


async def places(app, class_id: int) -> dict[int, str]:
    async with app.store() as session:
        rows = await session.exec(select(Enrollment).where(Enrollment.class_id == class_id))
        return {row.person_id: row.status for row in rows}


async def audits(app, action: str) -> list[AuditEntry]:
    async with app.store() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await session.exec(query)).all())


async def class_card(staff: ChatUser, name: str) -> dict:
    classes = await staff.reply_to("/enrol", predicate=lambda m: "招收学员" in body(m))
    await pick(staff, classes, name)
    return await staff.expect(lambda m: "名额：已占" in body(m))


async def class_code(staff: ChatUser, name: str) -> str:
    card = await class_card(staff, name)
    await pick(staff, card, "班级邀请链接")
    invite = await staff.expect(lambda m: "学员邀请" in body(m))
    assert invite.get("photo"), "the link comes with its QR code"
    return re.search(r"start=([A-Za-z0-9_-]+)", body(invite))[1]


async def send_file(user: ChatUser, name: str, data: bytes, mime: str = XLSX_MIME) -> None:
    form = aiohttp.FormData()
    form.add_field("document", io.BytesIO(data), filename=name, content_type=mime)
    async with user.http.post(
        f"{user.base_url}/api/chat/send", data=form, headers=user.headers
    ) as response:
        assert response.status == 200, await response.text()


async def fetch(user: ChatUser, message: dict) -> bytes:
    async with user.http.get(user.base_url + message["files"][0]["url"]) as response:
        assert response.status == 200
        return await response.read()


def workbook(*rows: tuple, header: tuple = ("姓名", "手机号", "身份证号")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- joining by the class link -------------------------------------------------------------


async def test_link_before_screening_holds_a_place_until_the_decision(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    class_id, name = await new_class(app)
    code = await class_code(staff, name)

    online = await ChatUser.create(http, app.base_url, "王小明")
    await online.send(f"/start {code}")
    held = await online.expect(lambda m: "预留名额" in body(m))
    assert name in body(held) and "请先完成下面的报名登记" in body(held)
    consent = await ask(online, "个人信息")
    await pick(online, await fill_registration(online, consent), "提交")
    await online.expect(lambda m: "网络创业登记表" in body(m))
    await fill_appendix(online)
    online_id = await person_of(app, online)
    assert await places(app, class_id) == {online_id: "pending"}

    siyb = await ChatUser.create(http, app.base_url, "李小红")
    await siyb.send(f"/start {code}")
    await siyb.expect(lambda m: "预留名额" in body(m))
    consent = await ask(siyb, "个人信息")
    review = await fill_registration(
        siyb, consent, direction="SYB 创办你的企业", name="李小红", number=id_number(2)
    )
    await pick(siyb, review, "提交")
    await siyb.expect(lambda m: "已收到你的报名材料" in body(m))

    cases = [
        await staff.expect(lambda m, label=label: "待确认" in body(m) and label in body(m))
        for label in ("王小明", "李小红")
    ]
    for trainee, case in zip((online, siyb), cases, strict=True):
        await pick(staff, case, "确认")
        await staff.expect(lambda m: "已记录结论" in body(m))
        await trainee.expect(lambda m: "筛选结果已确认" in body(m))
    joined = await online.expect(lambda m: "你已正式加入培训班" in body(m))
    assert name in body(joined) and SOON.isoformat() in body(joined)
    refused = await siyb.expect(lambda m: name in body(m) and "不能参加" in body(m))
    assert "适合参加 SIYB 培训" in body(refused)

    siyb_id = await person_of(app, siyb)
    assert await places(app, class_id) == {online_id: "enrolled", siyb_id: "withdrawn"}
    async with app.store() as session:
        cycle = (
            await session.exec(select(TraineeCycle).where(TraineeCycle.person_id == online_id))
        ).one()
    assert cycle.state == "enrolled" and cycle.step == "training"
    assert [a.subject_id for a in await audits(app, "enrolment.pending")] == [online_id, siyb_id]
    assert [a.subject_id for a in await audits(app, "enrolment.enrolled")] == [online_id]
    (refusal,) = await audits(app, "enrolment.refused")
    assert refusal.subject_id == siyb_id and refusal.reason == "siyb"

    card = await class_card(staff, name)
    assert "已占 1/30" in body(card) and "王小明" in body(card)


async def test_link_after_screening_enrols_at_once(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    class_id, name = await new_class(app)
    code = await class_code(staff, name)
    suitable, suitable_id = await screened(app, http, "张三", 1)
    await suitable.send(f"/start {code}")
    joined = await suitable.expect(lambda m: "你已加入培训班" in body(m))
    assert name in body(joined)
    assert not await suitable.quiet(), "no registration form: they are already screened"
    await suitable.send(f"/start {code}")
    assert "无需重复加入" in body(await suitable.expect())

    unsuitable, unsuitable_id = await screened(app, http, "李四", 2, decided="siyb")
    await unsuitable.send(f"/start {code}")
    refused = await unsuitable.expect(lambda m: "不能参加网络创业培训班" in body(m))
    assert "适合参加 SIYB 培训" in body(refused)

    waiting, waiting_id = await screened(app, http, "王五", 3, decided=None)
    await waiting.send(f"/start {code}")
    held = await waiting.expect(lambda m: "预留名额" in body(m))
    assert "培训机构确认你的筛选结果" in body(held)
    assert await places(app, class_id) == {suitable_id: "enrolled", waiting_id: "pending"}
    async with app.store() as session:
        link = (await session.exec(select(Invitation).where(Invitation.code == code))).one()
        states = {
            cycle.person_id: cycle.state for cycle in await session.exec(select(TraineeCycle))
        }
    assert link.class_id == class_id and link.max_uses is None and link.role == "trainee"
    assert states[suitable_id] == "enrolled" and states[unsuitable_id] == "referred_siyb"
    assert await class_code(staff, name) == code, "one link per class, reused"


# --- capacity and overlap ------------------------------------------------------------------


async def test_the_31st_is_refused(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    filled = await extras(app, 30)
    class_id, name = await new_class(app, trainees=tuple(filled[:29]))
    async with app.store() as session:
        session.add(Enrollment(class_id=class_id, person_id=filled[29], status="pending"))
    code = await class_code(staff, name)

    late, late_id = await screened(app, http, "迟到者", 1)
    await late.send(f"/start {code}")
    refused = await late.expect(lambda m: "满员" in body(m))
    assert "最多 30 人" in body(refused) and name in body(refused)

    card = await class_card(staff, name)
    assert "已占 30/30" in body(card) and "待筛选确认（1）" in body(card)
    await pick(staff, card, "添加本机构学员")
    listing = await staff.expect(lambda m: "选择要加入" in body(m))
    alert = await staff.press(listing["message_id"], button(listing, "迟到者"))
    assert "满员" in alert["text"] and "迟到者" in alert["text"]
    assert len(await places(app, class_id)) == 30 and late_id not in await places(app, class_id)


async def test_overlapping_classes_are_refused(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    trainee, trainee_id = await screened(app, http, "张三", 1)
    _, first = await new_class(app, trainees=(trainee_id,))
    clashing_id, clashing = await new_class(app, start=SOON + timedelta(days=6))
    later_id, later = await new_class(app, start=SOON + timedelta(days=7))

    code = await class_code(staff, clashing)
    await trainee.send(f"/start {code}")
    refused = await trainee.expect(lambda m: "日期重叠" in body(m))
    assert first in body(refused) and clashing in body(refused)

    card = await class_card(staff, clashing)
    await pick(staff, card, "添加本机构学员")
    listing = await staff.expect(lambda m: "选择要加入" in body(m))
    alert = await staff.press(listing["message_id"], button(listing, "张三"))
    assert "日期重叠" in alert["text"] and first in alert["text"]
    assert await places(app, clashing_id) == {}

    card = await class_card(staff, later)
    await pick(staff, card, "添加本机构学员")
    listing = await staff.expect(lambda m: "选择要加入" in body(m))
    await pick(staff, listing, "张三")
    assert "已将 张三 加入" in body(await staff.expect(lambda m: later in body(m)))
    assert await places(app, later_id) == {trainee_id: "enrolled"}


# --- staff adding and withdrawing ----------------------------------------------------------


async def test_staff_enrol_pages_and_a_double_press_enrols_once(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    outsider = await member(app, http, "学员家长", Role.TRAINEE)
    class_id, name = await new_class(app)
    trainee, trainee_id = await screened(app, http, "学员01", 1)
    for serial in range(2, 11):
        await screened(app, http, f"学员{serial:02d}", serial)
    await screened(app, http, "未确认", 11, decided=None)

    card = await class_card(staff, name)
    await pick(staff, card, "添加本机构学员")
    listing = await staff.expect(lambda m: "选择要加入" in body(m))
    assert "共 10 人" in body(listing) and "页" not in body(listing), "20 a page"
    labels = [item["text"] for item in buttons(listing)]
    assert labels == [f"学员{n:02d}" for n in range(1, 11)], "never the undecided"

    add = button(listing, "学员01")
    first = await staff.press(listing["message_id"], add)
    again = await staff.press(listing["message_id"], add)
    assert first["answered"] and "不用重复点" in again["text"], "a double press: one effect"
    added = await staff.expect(lambda m: "已将 学员01 加入" in body(m))
    assert "已占 1/30" in body(added)
    await trainee.expect(lambda m: "加入培训班" in body(m))
    assert not [m for m in await trainee.quiet() if "加入" in body(m)], "told once"
    assert await places(app, class_id) == {trainee_id: "enrolled"}
    assert len(await audits(app, "enrolment.enrolled")) == 1

    await pick(staff, card, "添加本机构学员")
    second = await staff.expect(
        lambda m: "选择要加入" in body(m) and m["message_id"] != listing["message_id"]
    )
    assert "共 9 人" in body(second), "the enrolled one is no longer offered"

    own = await outsider.reply_to("/help")
    forged = await outsider.press(own["message_id"], add)
    assert "按钮已失效" in forged["text"], "only institution staff may enrol"

    card = await class_card(staff, name)
    await pick(staff, card, "移出学员")
    await pick(staff, await staff.expect(lambda m: "要把谁移出" in body(m)), "学员01")
    confirm = await staff.expect(lambda m: "确定把 学员01 移出" in body(m))
    await pick(staff, confirm, "确定移出")
    await staff.expect(lambda m: "已将 学员01 移出" in body(m))
    await trainee.expect(lambda m: "移出培训班" in body(m))
    again = await staff.press(confirm["message_id"], button(confirm, "确定移出"))
    assert "不用重复点" in again["text"], "a double press: one effect"
    assert await places(app, class_id) == {trainee_id: "withdrawn"}
    assert len(await audits(app, "enrolment.withdrawn")) == 1
    async with app.store() as session:
        cycle = (
            await session.exec(select(TraineeCycle).where(TraineeCycle.person_id == trainee_id))
        ).one()
    assert cycle.state == "suitable_online", "back to where they were before the class"


async def test_another_institutions_staff_cannot_use_forged_buttons(fast_factory, http):
    """Staff of another institution (who may manage their own classes) pressing this class's
    buttons with forged data get one polite alert, and nothing changes."""
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    class_id, name = await new_class(app)
    trainee, trainee_id = await screened(app, http, "学员01", 1)
    card = await class_card(staff, name)
    await pick(staff, card, "添加本机构学员")
    await pick(staff, await staff.expect(lambda m: "选择要加入" in body(m)), "学员01")
    await staff.expect(lambda m: "已将 学员01 加入" in body(m))

    foreign = await ChatUser.create(http, app.base_url, "外机构老师")
    await foreign.reply_to("/start")
    async with app.store() as session:
        region_id, _ = await _scope(session)
        elsewhere = Institution(name="别的学校", region_id=region_id)
        session.add(elsewhere)
        await session.flush()
        person = (
            await session.exec(select(Person).where(Person.tg_user_id == foreign.user_id))
        ).one()
        grant = Grant(Role.INSTITUTION, region_id, elsewhere.id)
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    own = await foreign.reply_to("/help")
    for data in (
        ClassRoster(c=class_id),
        ClassInvite(c=class_id),
        EnrolList(c=class_id),
        EnrolAdd(c=class_id, t=trainee_id),
        Withdraw(c=class_id, t=trainee_id, ok=True),
    ):
        forged = await foreign.press(own["message_id"], data.pack())
        assert forged["text"] == "这不在你的权限范围内，无法操作。" and forged["show_alert"], data
    assert await places(app, class_id) == {trainee_id: "enrolled"}
    assert await audits(app, "enrolment.withdrawn") == []


# --- importing a list ----------------------------------------------------------------------


async def test_excel_import_is_all_or_nothing(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    registered, registered_id = await screened(app, http, "张三", 1)
    waiting, waiting_id = await screened(app, http, "王五", 3, decided=None)
    busy, busy_id = await screened(app, http, "赵六", 4)
    _, busy_class = await new_class(app, trainees=(busy_id,), start=SOON - timedelta(days=3))
    class_id, name = await new_class(app)

    card = await class_card(staff, name)
    await pick(staff, card, "从 Excel 导入")
    template = await staff.expect(lambda m: "导入学员" in body(m))
    assert template.get("document") and "身份证号" in body(template)
    header = [c.value for c in load_workbook(io.BytesIO(await fetch(staff, template))).active[1]]
    assert header == ["姓名", "手机号", "身份证号"]

    bad_check = id_number(7)[:-1] + ("0" if id_number(7)[-1] != "0" else "1")
    rows = [
        ("张三", "13900000001", id_number(1)),  # registered: found by ID
        ("王五", "13800000003", id_number(30)),  # registered, waiting: found by mobile
        ("新人甲", "13700000005", bad_check),
        ("新人乙", "1370000", id_number(8)),
        (None, "13700000006", id_number(9)),
        ("新人丙", "13700000007", id_number(10)),
        ("重复", "13700000007", id_number(11)),
        ("赵六", "13800000004", id_number(4)),
    ]
    await send_file(staff, "名单.xlsx", workbook(*rows))
    refused = await staff.expect(lambda m: "没有导入" in body(m))
    text = body(refused)
    assert "8 行中有 5 行需要修改" in text
    assert "第 4 行（新人甲）：身份证号校验位不对" in text
    assert "第 5 行（新人乙）：手机号不对" in text
    assert "第 6 行：缺少姓名" in text
    assert "第 8 行（重复）：和第 7 行是同一个人" in text
    assert f"第 9 行（赵六）：该学员已在「{busy_class}」，上课日期重叠" in text
    assert "第 2 行" not in text and "第 3 行" not in text and "第 7 行（" not in text
    assert bad_check not in text and "1370000" not in text
    assert await places(app, class_id) == {}
    async with app.store() as session:
        made = await session.exec(select(func.count()).where(col(Invitation.class_id).is_not(None)))
        assert made.one() == 0, "nothing half imported"

    fixed = [
        rows[0],
        rows[1],
        ("新人甲", "13700000005", id_number(7)),
        ("新人乙", "13700000008", id_number(8)),
        ("新人丁", "13700000006", id_number(9)),
        rows[5],
    ]
    await send_file(staff, "名单.xlsx", workbook(*fixed))
    result = await staff.expect(lambda m: "已导入" in body(m))
    summary = body(result)
    assert "共 6 行" in summary and "已入班：1 人" in summary and "待筛选确认：1 人" in summary
    assert "已生成个人邀请：4 人" in summary and "已占 6/30" in summary
    assert await places(app, class_id) == {registered_id: "enrolled", waiting_id: "pending"}
    await registered.expect(lambda m: "你已加入培训班" in body(m) or "正式加入" in body(m))
    await waiting.expect(lambda m: "预留名额" in body(m))

    sheet = load_workbook(io.BytesIO(await fetch(staff, result))).active
    lines = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert lines[0] == ["行号", "姓名", "手机号", "身份证号", "结果", "个人邀请链接"]
    assert [line[:2] for line in lines[1:]] == [
        [2, "张三"],
        [3, "王五"],
        [4, "新人甲"],
        [5, "新人乙"],
        [6, "新人丁"],
        [7, "新人丙"],
    ]
    masked = id_number(1)[:6] + "*" * 8 + id_number(1)[-4:]
    assert lines[1][2] == "139****0001" and lines[1][3] == masked
    assert lines[1][4] == "已入班" and lines[2][4] == "已预留名额，待筛选确认"
    assert lines[3][4] == "未报名，已生成个人邀请" and "start=" in lines[3][5]
    assert all(id_number(n) not in str(lines) for n in (1, 7, 8, 9, 10))
    (imported,) = await audits(app, "enrolment.imported")
    assert imported.details["invited"] == 4 and imported.details["enrolled"] == 1

    personal = re.search(r"start=([A-Za-z0-9_-]+)", lines[3][5])[1]
    newcomer = await ChatUser.create(http, app.base_url, "新人甲")
    await newcomer.send(f"/start {personal}")
    await newcomer.expect(lambda m: "预留名额" in body(m) and name in body(m))
    await ask(newcomer, "个人信息")
    async with app.store() as session:
        invitation = (
            await session.exec(select(Invitation).where(Invitation.code == personal))
        ).one()
    assert invitation.label == "新人甲" and invitation.max_uses == 1 and invitation.uses == 1
    card = await class_card(staff, name)
    assert "已占 6/30" in body(card) and "个人邀请未使用：3 个" in body(card)

    await pick(staff, card, "从 Excel 导入")
    await staff.expect(lambda m: "导入学员" in body(m))
    await send_file(staff, "again.xlsx", workbook(fixed[0], fixed[5]))
    again = await staff.expect(lambda m: "已导入" in body(m))
    assert "原本已在本班：1 人" in body(again) and "已占 6/30" in body(again), "nothing twice"


async def test_wrong_files_are_refused_with_reasons(fast_factory, http):
    app = await fast_factory()
    staff = await member(app, http, "机构老师", Role.INSTITUTION)
    class_id, name = await new_class(app, capacity=2)
    await pick(staff, await class_card(staff, name), "从 Excel 导入")
    await staff.expect(lambda m: "导入学员" in body(m))

    await send_file(staff, "名单.csv", "姓名,手机号\n".encode(), "text/csv")
    assert "只能导入 .xlsx" in body(await staff.expect())
    await send_file(staff, "big.xlsx", b"PK" + os.urandom(1024 * 1024))
    assert "文件太大了" in body(await staff.expect())
    await send_file(staff, "坏.xlsx", b"PK\x03\x04 not really a workbook")
    assert "打不开这个文件" in body(await staff.expect())
    await send_file(staff, "表头.xlsx", workbook(("张三", "13700000000"), header=("姓名", "电话")))
    assert "手机号、身份证号" in body(await staff.expect())
    await send_file(staff, "空.xlsx", workbook())
    assert "表格里没有学员" in body(await staff.expect())
    assert "请发送 .xlsx" in body(await staff.reply_to("好的"))
    three = [(f"新人{n}", f"1370000000{n}", id_number(n)) for n in range(1, 4)]
    await send_file(staff, "三人.xlsx", workbook(*three))
    full = await staff.expect(lambda m: "没有导入" in body(m))
    assert "第 4 行（新人3）：超出班级名额（最多 2 人）" in body(full)
    assert "第 3 行" not in body(full)
    many = [(f"新人{n}", "123", "456") for n in range(40)]
    await send_file(staff, "四十人.xlsx", workbook(*many))
    listed = await staff.expect(lambda m: "没有导入" in body(m))
    assert "40 行中有 40 行需要修改" in body(listed) and "全部 40 行见下面的文件" in body(listed)
    assert "第 31 行（新人29）：手机号不对" in body(listed) and "第 32 行" not in body(listed)
    attached = await staff.expect(lambda m: bool(m.get("document")))
    sheet = load_workbook(io.BytesIO(await fetch(staff, attached))).active
    lines = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert lines[0] == ["行号", "姓名", "手机号", "身份证号", "问题"] and len(lines) == 41
    assert lines[40][:2] == [41, "新人39"] and "身份证号应为 18 位" in lines[40][4]
    assert "已取消" in body(await staff.reply_to("/cancel"))
    assert "没看懂" in body(await staff.reply_to("还在吗"))
    assert await places(app, class_id) == {}
