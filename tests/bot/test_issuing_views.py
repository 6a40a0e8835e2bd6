"""The certificate cards as pure builders (S-14): the staff's application and the supervisor's
card page 45 learners within Telegram's limits; ticks follow the data; a decided card has no
buttons; the verification never shows the full name."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from bot.domain.issuing import Standing
from bot.i18n import I18n
from bot.services.issuing import Verification
from bot.views.issuing import Line, Sheet, draft_view, review_card, verification_view
from tests.pages import assert_fits, labels


def sheet(status: str, count: int = 45) -> Sheet:
    lines = [
        Line(
            person_id=index + 1,
            name=f"学员{index:02d}号长名字",
            stage="passed" if index % 3 else "coaching",
            final=80.0 if index % 3 else 41.5,
            selectable=bool(index % 3),
            selected=bool(index % 3),
            chosen=index % 5 != 0,
            status="pending",
        )
        for index in range(count)
    ]
    application = SimpleNamespace(id=7, status=status, reason=None)
    training_class = SimpleNamespace(name="第1期网络创业培训班")
    return Sheet(application, training_class, "示范网创培训学校", lines)


def test_s14_the_application_pages_every_learner_with_their_result():
    i18n = I18n("zh-CN")
    shown = sheet("draft")
    seen = []
    for page in range(3):
        text, markup = draft_view(i18n, shown, page)
        assert_fits(text, markup)
        seen += [line for line in text.splitlines() if "号长名字" in line]
        assert labels(markup)[-1] == "📨 提交申请（30 人）"
    assert len(seen) == 45
    assert "☑ 学员01号长名字：✅ 考核通过（80.0 分）" in seen
    assert "· 学员00号长名字：辅导中（未通过）（41.5 分）" in seen
    text, markup = draft_view(i18n, sheet("pending"))
    assert "已提交，等待主管部门审批" in text and "提交申请" not in " ".join(labels(markup))


def test_s14_the_supervisors_card_ticks_and_closes():
    for locale in ("zh-CN", "en"):
        i18n = I18n(locale)
        shown = sheet("pending")
        text, markup = review_card(i18n, shown, 1)
        assert_fits(text, markup)
        assert len([b for b in labels(markup) if "学员" in b]) == 10  # page 2 of 30 applied
        text, markup = review_card(i18n, sheet("decided"))
        assert markup is None


def test_s14_a_verification_shows_the_masked_holder_and_its_standing():
    verification = Verification(
        "00012026000001",
        Standing.REVOKED,
        "张*燕",
        "trainee",
        "第1期",
        "示范网创培训学校",
        date(2026, 5, 20),
        date(2026, 6, 1),
        1,
        1,
    )
    text, markup = verification_view(I18n("zh-CN"), verification, revocable=True)
    assert "⛔ 已撤销（2026-06-01）" in text and "张*燕" in text and markup is None
    text, _ = verification_view(I18n("en"), None)
    assert "No such certificate" in text
