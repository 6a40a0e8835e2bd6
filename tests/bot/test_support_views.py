"""The follow-up support screens, drawn without a bot (S-42, T12): long lists walk their pages
within Telegram's limits, in both languages; the matching services and a follow-up card say
what a reader needs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.config import LOCALES
from bot.domain.support import Need, Service
from bot.i18n import I18n
from bot.services.support import ClassNeeds, FollowupCard, TraineeNeeds
from bot.views.pages import Page
from bot.views.support import (
    FupAct,
    FupCb,
    NeedsAct,
    NeedsCb,
    SvcAct,
    SvcCb,
    catalogue_view,
    class_view,
    classes_view,
    followup_view,
    trainee_view,
)
from storage.models import (
    FormSubmission,
    SupportContact,
    SupportFollowup,
    SupportService,
    TrainingClass,
)
from tests.pages import assert_fits, labels

AT = datetime(2026, 5, 20, 2, tzinfo=UTC)


def _class(number: int = 1) -> TrainingClass:
    return TrainingClass(
        id=number,
        programme="trainee",
        name=f"第{number}期网络创业培训班",
        institution_id=1,
        region_id=1,
        start_date=date(2026, 5, 11),
    )


def _services(count: int) -> list[SupportService]:
    return [
        SupportService(
            id=n, kind="loan", name=f"创业担保贷款服务点{n:02d}", region_id=1, active=n % 7 != 0
        )
        for n in range(1, count + 1)
    ]


def _callbacks(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


@pytest.mark.parametrize("locale", LOCALES)
def test_s42_the_catalogue_walks_45_services_in_pages_of_20(locale):
    i18n = I18n(locale)
    services = _services(45)
    seen = []
    for number in range(3):
        page = Page.of(services, number)
        text, markup = catalogue_view(i18n, page)
        assert_fits(text, markup)
        assert f"{number + 1}/3" in text
        seen += [d for d in _callbacks(markup) if d.startswith("svc:open")]
        assert SvcCb(a=SvcAct.ADD).pack() in _callbacks(markup)
    assert len(seen) == 45 == len(set(seen))
    text, markup = catalogue_view(i18n, Page.of(services[6:7], 0))
    assert "⏸" in labels(markup)[0], "a withdrawn service is marked"


@pytest.mark.parametrize("locale", LOCALES)
def test_t12_a_class_of_45_trainees_and_45_classes_walk_their_pages(locale):
    i18n = I18n(locale)
    made = _class()
    trainees = [
        TraineeNeeds(n, f"学员{n:02d}", FormSubmission(person_id=n) if n % 2 else None)
        for n in range(1, 46)
    ]
    for number in range(3):
        shown = Page.of(trainees, number)
        text, markup = class_view(i18n, ClassNeeds(made, shown, True))
        assert_fits(text, markup)
        people = [label for label in labels(markup) if "学员" in label]
        assert len(people) == len(shown.items)
        assert people[0].startswith("✅" if shown.items[0].person_id % 2 else "⏳")
    classes = [_class(n) for n in range(1, 46)]
    for number in range(3):
        text, markup = classes_view(i18n, Page.of(classes, number))
        assert_fits(text, markup)
        assert NeedsCb(a=NeedsAct.CLASS, c=classes[number * 20].id).pack() in _callbacks(markup)
    assert classes_view(i18n, Page.of([], 0))[1] is None


def test_t12_the_answers_read_with_the_questions_and_say_who_completed_them():
    i18n = I18n("zh-CN")
    made = _class()
    submission = FormSubmission(
        person_id=5,
        submitted_by=9,
        answers={"needs": ["loan", "premises"], "details": "需要 5 万元", "contact_way": "wechat"},
        submitted_at=AT,
    )
    text, markup = trainee_view(i18n, made, TraineeNeeds(5, "小王", submission), True)
    assert "你需要哪些后续支持" in text and "创业担保贷款、场地·孵化" in text
    assert "怎样联系你：微信" in text and "（由讲师补充）" in text
    assert NeedsCb(a=NeedsAct.COMPLETE, c=1, p=5).pack() in _callbacks(markup)
    text, markup = trainee_view(I18n("en"), made, TraineeNeeds(5, "Wang", None), False)
    assert "Not answered yet" in text
    assert not [d for d in _callbacks(markup) if d.startswith("snd:complete")], "staff only read"


@pytest.mark.parametrize("locale", LOCALES)
def test_s42_the_matching_services_message_names_offer_conditions_and_contact(locale):
    i18n = I18n(locale)
    loan = Service(1, "loan", "区人社局贷款", "最高 30 万", "本区户籍", "0571-1", 1)
    text = i18n("support.matched", matched=[(Need.LOAN, [loan]), (Need.MENTOR, [])])
    for part in ("区人社局贷款", "最高 30 万", "本区户籍", "0571-1"):
        assert part in text
    assert ("本地区暂时没有登记" if locale == "zh-CN" else "No such service") in text


def test_s42_a_follow_up_card_lists_services_and_contacts_then_closes():
    i18n = I18n("zh-CN")
    item = SupportFollowup(
        id=3, institution_id=1, class_id=1, person_id=5, need="loan", submission_id=1
    )
    loan = Service(1, "loan", "区人社局贷款", "最高 30 万", "", "0571-1", 1)
    contact = SupportContact(
        followup_id=3,
        contacted_on=date(2026, 5, 19),
        channel="wechat",
        outcome="已加微信",
        recorded_by=2,
    )
    card = FollowupCard(
        item, "小王", "第1期", {"details": "需要 5 万元"}, [loan], [(contact, "区人社局贷款")]
    )
    text, markup = followup_view(i18n, card)
    assert "后续服务跟进</b>：创业担保贷款\n\n学员：小王" in text and "区人社局贷款：0571-1" in text
    assert "5月19日 微信 · 区人社局贷款：已加微信" in text and "（1 次）" in text
    assert _callbacks(markup) == [
        FupCb(a=FupAct.RECORD, f=3).pack(),
        FupCb(a=FupAct.DONE, f=3).pack(),
    ]
    item.status = "done"
    text, markup = followup_view(i18n, card)
    assert "（已完成）" in text and markup is None
