"""Certificates end to end in chat (S-14): staff apply from the class card of an assessed class,
the supervisor approves from the push, the holder gets the PDF and fetches it again with
/certificate, anyone checks it with /verify (asked for the number, or typed) and with the deep
link, the supervisor revokes it with a reason and the check shows it at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.domain.issuing import check_of, deep_link_payload
from bot.domain.roles import Role
from bot.services import issuing
from storage.models import AssessmentResult, IssuedCertificate, TraineeAssessment, TrainingClass
from tests.bot.attendance_people import member, open_class
from tests.chat import body, button
from tests.services.test_assessment import hand_in

START = date(2026, 5, 11)
KEY = "fast-test-key"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""What these tests show does not depend on the store (both: tests/services/test_issuing.py)."""


@pytest.fixture
def quick_pdf(monkeypatch):
    """The PDF's own test draws it (tests/bot/test_certificate_pdf.py); here a stand-in saves
    the two seconds each takes."""
    monkeypatch.setattr(issuing, "certificate_pdf", lambda cert, url, i18n: b"%PDF " + url.encode())


def has(text: str):
    return lambda m: text in body(m)


@SQLITE_ONLY
async def test_s14_apply_approve_fetch_verify_and_revoke_in_chat(fast_factory, http, quick_pdf):
    app = await fast_factory(certificate_secret=KEY)
    staff, _ = await member(app, http, "王老师", Role.INSTITUTION)
    boss, _ = await member(app, http, "主管", Role.SUPERVISOR)
    holder, holder_id = await member(app, http, "张晓燕", Role.TRAINEE)
    failed, failed_id = await member(app, http, "赵四", Role.TRAINEE)
    made, _ = await open_class(app, START, (), (holder_id, failed_id))
    async with app.store() as session:
        found = await session.get(TrainingClass, made.id)
        found.stage = "assessed"
        for person_id, final in ((holder_id, 88.0), (failed_id, 40.0)):
            passed = final >= 60
            stage = "passed" if passed else "coaching"
            session.add(
                TraineeAssessment(class_id=made.id, person_id=person_id, stage=stage, round=1)
            )
            handed = await hand_in(session, person_id, "practice_results", {})
            session.add(
                AssessmentResult(
                    class_id=made.id,
                    trainee_id=person_id,
                    round=1,
                    submission_id=handed,
                    final=final,
                    plan_complete=True,
                    passed=passed,
                )
            )

    # Staff: the class card of the assessed class offers the application.
    listing = await staff.reply_to("/classes")
    await staff.press(listing["message_id"], button(listing, made.name))
    card = await staff.expect(has("测试班"))
    await staff.press(card["message_id"], button(card, "申请合格证书"))
    draft = await staff.expect(has("合格证书申请"))
    assert "☑ 张晓燕：✅ 考核通过（88.0 分）" in body(draft)
    assert "· 赵四：辅导中（未通过）（40.0 分）" in body(draft)
    answer = await staff.press(draft["message_id"], button(draft, "提交申请（1 人）"))
    assert "已通知 1 位审批人" in answer["text"]

    # The supervisor decides from the pushed card (also in /todo).
    pushed = await boss.expect(has("培训机构："))
    assert "✅ 张晓燕" in body(pushed)
    todo = await boss.reply_to("/todo")
    assert "合格证书申请待审批：1" in body(todo)
    answer = await boss.press(pushed["message_id"], button(pushed, "批准并发证"))
    assert "发证 1 人" in answer["text"]
    told = await staff.expect(has("已审批：发证 1 人"))
    assert made.name in body(told)

    # The holder gets the PDF once the scan has drawn it; /certificate sends it again.
    assert await issuing.send_pending(app.sessions, datetime.now(UTC), app.settings) == 1
    sent = await holder.expect(lambda m: "document" in m)
    async with app.store() as session:
        cert = (await session.exec(select(IssuedCertificate))).one()
        assert (await session.get(TrainingClass, made.id)).stage == "closed"
    number = cert.number
    assert number in body(sent) and sent["document"]["file_name"] == f"合格证书-{number}.pdf"
    mine = await holder.reply_to("/certificate")
    assert number in body(mine)
    await holder.press(mine["message_id"], button(mine, number))
    again = await holder.expect(lambda m: "document" in m)
    assert body(again) == f"证书 {number}"

    # Anyone checks it: by number, asked for it, or by the deep link with its check.
    stranger, _ = await member(app, http, "路人", Role.TRAINEE)
    shown = await stranger.reply_to(f"/verify {number}")
    assert "✅ 有效" in body(shown) and "持证人：张*燕" in body(shown)
    assert "张晓燕" not in body(shown)
    assert "请发送要查验的证书编号" in body(await stranger.reply_to("/verify"))
    assert "张*燕" in body(await stranger.reply_to(number))
    link = deep_link_payload(number, check_of(KEY.encode(), number))
    assert "✅ 有效" in body(await stranger.reply_to(f"/start {link}"))
    forged = deep_link_payload(number, "abcdefghij")
    assert "未找到这个证书" in body(await stranger.reply_to(f"/start {forged}"))

    # The supervisor revokes with a reason; the holder is told; the check shows it at once.
    lookup = await boss.reply_to(f"/certificate {number}", predicate=has("证书查验"))
    assert "持证人：张*燕" in body(lookup)
    await boss.press(lookup["message_id"], button(lookup, "撤销证书"))
    await boss.expect(has(f"撤销证书 {number} 的理由"))
    await boss.reply_to("考核材料造假，经核实撤销", predicate=has("已撤销，查验时会立即显示"))
    await boss.reply_to(f"/revoke {number}", predicate=has("这张证书已被撤销"))
    notice = await holder.expect(has("已被主管部门撤销"))
    assert "考核材料造假" in body(notice)
    assert "⛔ 已撤销" in body(await stranger.reply_to(f"/verify {number}"))
    # A trainee cannot revoke.
    assert "撤销" not in body(await stranger.reply_to(f"/revoke {number}"))
