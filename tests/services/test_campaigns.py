"""Campaigns (issue 14, S-42 「后续服务过程可记录、可统计」) through the use cases and the scan on
the real store, no bot: selections, per-recipient state, the scan's keyed batches across a
crash, double confirm, remind once, cancel what is unsent, answers in XLSX as labels and codes,
and a supervisor's questionnaire refused with its reasons or accepted and pushed."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from bot.domain.campaigns import Export, Reply
from bot.domain.roles import Grant, Role
from bot.forms import registry
from bot.i18n import I18n
from bot.services import campaigns
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, Stale
from scheduler.campaigns import push_batch, scan_campaigns
from storage.db import unit_of_work
from storage.models import (
    CampaignRecipient,
    FormAnswer,
    FormDraft,
    FormSubmission,
    Institution,
    OutboxMessage,
    Person,
    Region,
)
from tests.factories import make_class

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.people: dict[str, tuple[int, tuple[Grant, ...]]] = {}
        self.trainees: list[int] = []
        self.class_ids: dict[str, int] = {}

    def actor(self, name: str, now: datetime = NOW) -> Actor:
        person_id, grants = self.people[name]
        return Actor.of(person_id, grants, "zh-CN", now)

    def trainee(self, index: int, now: datetime = NOW) -> Actor:
        return Actor.of(self.trainees[index], (Grant(Role.TRAINEE),), "zh-CN", now)


@pytest.fixture
async def world(sessions) -> World:
    """Institution 甲 with an ended class of 5 (one has a real store) and a later class of 3;
    institution 乙 in the same region with a class of 2."""
    made = World()
    async with unit_of_work(sessions) as session:
        region = Region(name="西湖区")
        session.add(region)
        await session.flush()
        here, there = (
            Institution(name="甲", region_id=region.id),
            Institution(name="乙", region_id=region.id),
        )
        session.add_all([here, there])
        await session.flush()
        grants = {
            "staff": (Grant(Role.INSTITUTION, region.id, here.id),),
            "foreign_staff": (Grant(Role.INSTITUTION, region.id, there.id),),
            "supervisor": (Grant(Role.SUPERVISOR, region.id),),
            "other_supervisor": (Grant(Role.SUPERVISOR, region.id + 1000),),
        }
        serial = 40_000
        for name, granted in grants.items():
            serial += 1
            person = Person(tg_user_id=serial, first_name=name)
            session.add(person)
            await session.flush()
            made.people[name] = (person.id, granted)
        for _ in range(10):
            serial += 1
            person = Person(tg_user_id=serial, first_name=f"学员{serial}")
            session.add(person)
            await session.flush()
            made.trainees.append(person.id)
        ended = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=date(2026, 3, 2),
            trainee_ids=tuple(made.trainees[:5]),
        )
        later = await make_class(
            session,
            institution_id=here.id,
            region_id=region.id,
            start=date(2026, 8, 3),
            trainee_ids=tuple(made.trainees[5:8]),
        )
        theirs = await make_class(
            session,
            institution_id=there.id,
            region_id=region.id,
            start=date(2026, 3, 2),
            trainee_ids=tuple(made.trainees[8:]),
        )
        made.class_ids = {"ended": ended.id, "later": later.id, "theirs": theirs.id}
        draft = FormDraft(
            person_id=made.trainees[0],
            form_id="practice_results",
            form_version=1,
            status="submitted",
        )
        session.add(draft)
        await session.flush()
        submission = FormSubmission(
            draft_id=draft.id,
            person_id=made.trainees[0],
            form_id="practice_results",
            form_version=1,
            answers={"has_real_store": True},
            submitted_by=made.trainees[0],
        )
        session.add(submission)
        await session.flush()
        session.add(
            FormAnswer(
                submission_id=submission.id,
                form_id="practice_results",
                question_id="has_real_store",
                flag=True,
            )
        )
    return made


async def _draft(session, actor: Actor, selection: dict, form_key: str = "needs") -> int:
    draft = await campaigns.begin(session, actor, form_key)
    await campaigns.choose(session, actor, draft.id, selection)
    return draft.id


async def test_s42_selections_reach_their_trainees_within_the_scope(sessions, world):
    """A class, classes ended in a range, trainees with a store, everyone: the institution's
    own only; a supervisor's "everyone" is the region's."""
    staff, supervisor = world.actor("staff"), world.actor("supervisor")
    async with unit_of_work(sessions) as session:
        counted = {}
        for name, selection in {
            "class": {"kind": "class", "class_id": world.class_ids["later"]},
            "ended": {"kind": "ended", "from": "2026-03-01", "to": "2026-03-31"},
            "store": {"kind": "state", "state": "has_store"},
            "all": {"kind": "all"},
        }.items():
            campaign_id = await _draft(session, staff, selection)
            counted[name] = (await campaigns.preview(session, staff, campaign_id, TZ)).count
        region_all = await _draft(session, supervisor, {"kind": "all"})
        region_count = (await campaigns.preview(session, supervisor, region_all, TZ)).count
        with pytest.raises(NotAllowed):
            await _draft(session, staff, {"kind": "class", "class_id": world.class_ids["theirs"]})
    assert counted == {"class": 3, "ended": 5, "store": 1, "all": 8}
    assert region_count == 10


async def test_s42_campaign_pushes_each_recipient_once_through_a_crash(sessions, world):
    """Confirmed twice (a double tap) is one campaign; a batch that fails rolls back its pushes
    and states together, so the next pass pushes everyone once and misses no one."""
    staff = world.actor("staff")
    async with unit_of_work(sessions) as session:
        campaign_id = await _draft(session, staff, {"kind": "all"})
        await campaigns.schedule(session, staff, campaign_id, None, TZ)
        first = await campaigns.confirm(session, staff, campaign_id, TZ)
        again = await campaigns.confirm(session, staff, campaign_id, TZ)
    assert (first.recipients, first.already) == (8, False)
    assert (again.recipients, again.already) == (8, True)

    async with unit_of_work(sessions) as session:
        assert await push_batch(session, NOW, limit=3) == 3  # committed: 3 pushed
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            assert await push_batch(session, NOW, limit=3) == 3
            raise RuntimeError("the process dies before the commit")
    assert await scan_campaigns(sessions, NOW, None) == 5

    async with unit_of_work(sessions) as session:
        keys = (
            await session.exec(
                select(OutboxMessage.key).where(col(OutboxMessage.key).startswith("campaign:"))
            )
        ).all()
        states = (
            await session.exec(
                select(CampaignRecipient.state).where(CampaignRecipient.campaign_id == campaign_id)
            )
        ).all()
    expected = {f"campaign:{campaign_id}:{p}" for p in world.trainees[:8]}
    assert sorted(keys) == sorted(expected)
    assert set(states) == {Reply.SENT}
    assert await scan_campaigns(sessions, NOW, None) == 0


async def test_a_later_campaign_waits_and_cancel_stops_what_is_unsent(sessions, world):
    staff = world.actor("staff")
    later = NOW + timedelta(days=1)
    async with unit_of_work(sessions) as session:
        campaign_id = await _draft(
            session, staff, {"kind": "class", "class_id": world.class_ids["later"]}
        )
        await campaigns.schedule(session, staff, campaign_id, later, TZ)
        await campaigns.confirm(session, staff, campaign_id, TZ)
    assert await scan_campaigns(sessions, NOW, None) == 0
    async with unit_of_work(sessions) as session:
        assert await campaigns.cancel(session, staff, campaign_id) == 3
        counts = await campaigns.counts(session, staff, campaign_id)
        with pytest.raises(Stale):
            await campaigns.cancel(session, staff, campaign_id)
    assert counts.by_state[Reply.CANCELLED] == 3 and counts.percent(Reply.CANCELLED) == 100
    assert await scan_campaigns(sessions, later, None) == 0


async def test_counts_answers_remind_once_and_export_labels_or_codes(sessions, world):
    """Started, completed and stopped recipients show in the counts with percentages; the
    reminder goes once to those still waiting; the XLSX shows choices as labels or codes."""
    staff = world.actor("staff")
    async with unit_of_work(sessions) as session:
        campaign_id = await _draft(
            session, staff, {"kind": "class", "class_id": world.class_ids["ended"]}
        )
        await campaigns.confirm(session, staff, campaign_id, TZ)
    await scan_campaigns(sessions, NOW, None)
    async with unit_of_work(sessions) as session:
        opened = await campaigns.open_reply(session, world.trainee(0), campaign_id)
        assert opened.form_id == "needs" and opened.context == {"campaign_id": campaign_id}
        draft = FormDraft(
            person_id=world.trainees[0],
            form_id="needs",
            form_version=1,
            status="submitted",
            context=opened.context,
        )
        session.add(draft)
        await session.flush()
        submission = FormSubmission(
            draft_id=draft.id,
            person_id=world.trainees[0],
            form_id="needs",
            form_version=1,
            context=opened.context,
            answers={"online_experience": 4, "hardest": ["traffic", "money"]},
            submitted_by=world.trainees[0],
        )
        session.add(submission)
        await session.flush()
        assert await campaigns.answered(session, submission, NOW)
        await campaigns.open_reply(session, world.trainee(1), campaign_id)
        assert await campaigns.stop(session, world.trainee(2), campaign_id)
        with pytest.raises(Stale):
            await campaigns.open_reply(session, world.trainee(0), campaign_id)
        counts = await campaigns.counts(session, staff, campaign_id)
        waiting = await campaigns.waiting_page(session, staff, campaign_id, 0)
        assert await campaigns.remind(session, staff, campaign_id) == 3
        with pytest.raises(Stale):
            await campaigns.remind(session, staff, campaign_id)
    assert {
        s: counts.by_state[s] for s in (Reply.SENT, Reply.STARTED, Reply.COMPLETED, Reply.STOPPED)
    } == {
        Reply.SENT: 2,
        Reply.STARTED: 1,
        Reply.COMPLETED: 1,
        Reply.STOPPED: 1,
    }
    assert counts.percent(Reply.COMPLETED) == 20 and counts.answer_rate == 20
    assert waiting.total == 3 and {state for _, state in waiting.items} == {
        Reply.SENT,
        Reply.STARTED,
    }
    assert await scan_campaigns(sessions, NOW, None) == 3
    assert await scan_campaigns(sessions, NOW, None) == 0
    async with unit_of_work(sessions) as session:
        reminders = (
            await session.exec(
                select(func.count()).where(col(OutboxMessage.key).startswith("campaignr:"))
            )
        ).one()
        i18n = I18n("zh-CN")
        _, labels = await campaigns.export(session, staff, campaign_id, Export.LABELS, i18n, TZ)
        _, codes = await campaigns.export(session, staff, campaign_id, Export.CODES, i18n, TZ)
        results = await campaigns.results(session, staff, campaign_id, i18n)
    assert reminders == 3
    label_rows = list(load_workbook(io.BytesIO(labels)).active.iter_rows(values_only=True))
    code_rows = list(load_workbook(io.BytesIO(codes)).active.iter_rows(values_only=True))
    hardest = code_rows[0].index("hardest")
    assert code_rows[1][hardest] == "traffic money"
    assert label_rows[1][hardest] == "没有流量，资金不足"
    assert "你觉得网络创业最难的是" in label_rows[0][hardest]
    assert results.answered == 1 and results.chart is not None


async def test_others_cannot_follow_a_campaign(sessions, world):
    async with unit_of_work(sessions) as session:
        campaign_id = await _draft(session, world.actor("staff"), {"kind": "all"})
        await campaigns.confirm(session, world.actor("staff"), campaign_id, TZ)
        await campaigns.counts(session, world.actor("supervisor"), campaign_id)
        for name in ("foreign_staff", "other_supervisor"):
            with pytest.raises(NotAllowed):
                await campaigns.counts(session, world.actor(name), campaign_id)


BROKEN = """
id: Bad Form
title: {zh-CN: 坏问卷}
sections:
  - id: s
    title: {zh-CN: 一, en: One}
    questions:
      - id: q1
        type: single
        label: {zh-CN: 选, en: Pick}
        choices: [{value: a, label: {zh-CN: 甲, en: A}}]
"""

GOOD = """
id: followup_jobs
title: {zh-CN: 就业创业情况回访, en: Jobs and business follow-up}
sections:
  - id: s
    title: {zh-CN: 现状, en: Now}
    questions:
      - id: working
        type: yes_no
        required: true
        label: {zh-CN: 你现在在创业或就业吗？, en: "Are you running a business or employed?"}
"""


async def test_a_supervisors_questionnaire_is_refused_with_reasons_or_added_and_pushable(
    sessions, world
):
    supervisor = world.actor("supervisor")
    async with unit_of_work(sessions) as session:
        refused = await campaigns.add_form(session, supervisor, BROKEN, "bad.yaml")
        unparsable = await campaigns.add_form(session, supervisor, "id: [", "worse.yaml")
        with pytest.raises(NotAllowed):
            await campaigns.add_form(session, world.actor("staff"), GOOD, "good.yaml")
        added = await campaigns.add_form(session, supervisor, GOOD, "good.yaml")
        keys = [key for key, _ in await campaigns.pushable_forms(session, world.actor("staff"))]
        campaign_id = await _draft(session, supervisor, {"kind": "all"}, "followup_jobs")
        confirmed = await campaigns.confirm(session, supervisor, campaign_id, TZ)
    assert isinstance(refused, campaigns.FormRefused)
    assert any("form id 'Bad Form' must be lower-case" in p for p in refused.problems)
    assert any("question 'q1'" in p and "two choices" in p for p in refused.problems)
    assert "form title.en: Field required" in refused.problems
    assert isinstance(unparsable, campaigns.FormRefused)
    assert "not valid YAML" in unparsable.problems[0]
    assert isinstance(added, campaigns.FormAdded) and added.key == "followup_jobs"
    assert keys == ["needs", "followup_jobs"]
    assert confirmed.recipients == 10
    assert registry.form("followup_jobs").title("en") == "Jobs and business follow-up"


async def test_who_blocked_the_bot_or_stopped_is_not_pushed(sessions, world):
    """A recipient who blocked the bot is counted unreachable, one who pressed 不再接收 on an
    earlier campaign (`stopped_people`) stopped; neither gets an outbox row."""
    staff = world.actor("staff")
    class_id = world.class_ids["later"]
    async with unit_of_work(sessions) as session:
        earlier = await _draft(session, staff, {"kind": "class", "class_id": class_id})
        await campaigns.confirm(session, staff, earlier, TZ)
    await scan_campaigns(sessions, NOW, None)
    async with unit_of_work(sessions) as session:
        await campaigns.stop(session, world.trainee(5), earlier)
        blocked = await session.get(Person, world.trainees[6])
        blocked.unreachable = True
        session.add(blocked)
        campaign_id = await _draft(session, staff, {"kind": "class", "class_id": class_id})
        await campaigns.confirm(session, staff, campaign_id, TZ)
    assert await scan_campaigns(sessions, NOW, None) == 3
    async with unit_of_work(sessions) as session:
        counts = await campaigns.counts(session, staff, campaign_id)
        keys = (
            await session.exec(
                select(OutboxMessage.key).where(
                    col(OutboxMessage.key).startswith(f"campaign:{campaign_id}:")
                )
            )
        ).all()
    assert {s: counts.by_state[s] for s in (Reply.SENT, Reply.UNREACHABLE, Reply.STOPPED)} == {
        Reply.SENT: 1,
        Reply.UNREACHABLE: 1,
        Reply.STOPPED: 1,
    }
    assert keys == [f"campaign:{campaign_id}:{world.trainees[7]}"]
