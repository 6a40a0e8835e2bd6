"""Tracking surveys after the class (S-16, T13) with a chosen clock over 24 months: the scan
pushes each wave at its time (and not at night), reminds after 3 and 7 days until answered or
closed, closes after 30 days; a schedule change moves the unsent waves; /stop is respected and
counted; who never answers or blocked the bot lands on the phone list, where a phone answer is
recorded for the trainee; a late answer is kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.config import Settings
from bot.domain.followup import Answer, CallOutcome, Problem, add_months, parse_months
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import followup, todo
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, Stale
from bot.views.followup import call_card
from handlers.followup import _menu as menu_page
from scheduler.followup import scan_followup
from storage.db import unit_of_work
from storage.followup import followup_stopped
from storage.models import (
    FollowupClass,
    FollowupSurvey,
    FormDraft,
    FormSubmission,
    OutboxMessage,
    Person,
    TrainingClass,
)
from storage.todo import Kind
from tests.pages import assert_fits, labels
from tests.scheduler.store import keys, setup_class

SETTINGS = Settings(_env_file=None)
ZONE = ZoneInfo("Asia/Shanghai")
DAY = timedelta(days=1)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


# The class of tests/scheduler/store.py runs 11-17 May 2026: waves on the 17th at 10:00.
WAVES = [local(2026, 11, 17), local(2027, 5, 17), local(2027, 11, 17), local(2028, 5, 17)]


@pytest.fixture
async def setup(sessions):
    made = await setup_class(sessions)
    async with unit_of_work(sessions) as session:
        for index, person_id in enumerate(made.trainees):
            draft = FormDraft(
                person_id=person_id, form_id="registration", form_version=1, status="submitted"
            )
            session.add(draft)
            await session.flush()
            session.add(
                FormSubmission(
                    draft_id=draft.id,
                    person_id=person_id,
                    form_id="registration",
                    form_version=1,
                    answers={"name": f"学员{index}", "mobile": f"1381234567{index}"},
                    submitted_by=person_id,
                )
            )
    return made


def trainee(setup, person_id: int, now: datetime) -> Actor:
    grant = Grant(Role.TRAINEE, setup.made.region_id, setup.made.institution_id)
    return Actor.of(person_id, [grant], "zh-CN", now)


def staff(setup, now: datetime, role: Role = Role.INSTITUTION, person_id: int = 0) -> Actor:
    grant = Grant(role, setup.made.region_id, setup.made.institution_id)
    return Actor.of(person_id or setup.teachers[0], [grant], "zh-CN", now)


async def surveys(sessions) -> list[FollowupSurvey]:
    async with unit_of_work(sessions) as session:
        query = select(FollowupSurvey).order_by(FollowupSurvey.wave, FollowupSurvey.person_id)
        return list((await session.exec(query)).all())


async def pushes(sessions, prefix: str = "fu:") -> list[str]:
    return [key for key in await keys(sessions) if key and key.startswith(prefix)]


async def submit(sessions, actor: Actor, context: dict) -> Answer | FollowupSurvey | None:
    """A tracking form submitted by `actor` with `context` and its hook's use case run."""
    async with unit_of_work(sessions) as session:
        draft = FormDraft(
            person_id=actor.person_id,
            form_id="tracking_survey",
            form_version=1,
            context=context,
            status="submitted",
        )
        session.add(draft)
        await session.flush()
        submission = FormSubmission(
            draft_id=draft.id,
            person_id=actor.person_id,
            form_id="tracking_survey",
            form_version=1,
            context=context,
            answers={"started": True, "jobs": 2},
            submitted_by=actor.person_id,
        )
        session.add(submission)
        await session.flush()
        if context.get("via_phone"):
            return await followup.phone_answer(session, actor, submission, True)
        return await followup.count_answer(session, actor, submission, True)


async def test_the_four_surveys_arrive_at_their_times_over_24_months_S16(sessions, setup):
    """T13's default schedule: 6, 12, 18 and 24 months after the last class day, at 10:00
    local time, never at night; nothing before its day, nothing twice."""
    assert await scan_followup(sessions, local(2026, 5, 18), SETTINGS) == 0
    for wave, due in enumerate(WAVES, start=1):
        assert await scan_followup(sessions, due - timedelta(minutes=1), SETTINGS) == 0
        if wave == 2:  # the bot was down all day: at 23:00 it waits for the morning
            assert await scan_followup(sessions, due.replace(hour=23), SETTINGS) == 0
            due = due + timedelta(days=1)
        assert await scan_followup(sessions, due, SETTINGS) == 3
        assert await scan_followup(sessions, due + timedelta(minutes=1), SETTINGS) == 0
        made = [s for s in await surveys(sessions) if s.wave == wave]
        assert sorted(s.person_id for s in made) == sorted(setup.trainees)
        assert {s.months for s in made} == {6 * wave}
    assert len(await pushes(sessions)) == 12
    assert await scan_followup(sessions, local(2030, 1, 1), SETTINGS) == 0


async def test_reminders_stop_once_answered_or_closed_and_a_late_answer_is_kept_S16(
    sessions, setup
):
    first, second, third = setup.trainees
    sent = WAVES[0]
    await scan_followup(sessions, sent, SETTINGS)
    by_person = {s.person_id: s for s in await surveys(sessions)}
    assert (
        await submit(sessions, trainee(setup, first, sent + DAY), {"followup": by_person[first].id})
        is Answer.COUNTED
    )
    assert await scan_followup(sessions, sent + 3 * DAY - timedelta(minutes=1), SETTINGS) == 0
    assert await scan_followup(sessions, sent + 3 * DAY, SETTINGS) == 2
    assert await scan_followup(sessions, sent + 4 * DAY, SETTINGS) == 0
    assert (
        await submit(
            sessions, trainee(setup, second, sent + 5 * DAY), {"followup": by_person[second].id}
        )
        is Answer.COUNTED
    )
    assert await scan_followup(sessions, sent + 7 * DAY, SETTINGS) == 1
    assert await pushes(sessions, "fur:") == [
        f"fur:{by_person[second].id}:1",
        f"fur:{by_person[third].id}:1",
        f"fur:{by_person[third].id}:2",
    ]
    await scan_followup(sessions, sent + 30 * DAY, SETTINGS)
    closed = {s.person_id: s for s in await surveys(sessions)}
    assert closed[third].closed_at is not None and closed[first].closed_at is None
    assert await scan_followup(sessions, sent + 40 * DAY, SETTINGS) == 0  # no more reminders
    # the answer counts once; an answer after closing is kept, marked late
    again = await submit(
        sessions, trainee(setup, first, sent + 31 * DAY), {"followup": by_person[first].id}
    )
    assert again is Answer.ALREADY
    late = await submit(
        sessions, trainee(setup, third, sent + 31 * DAY), {"followup": by_person[third].id}
    )
    assert late is Answer.LATE
    final = {s.person_id: s for s in await surveys(sessions)}
    assert final[third].late and final[third].submission_id is not None
    assert not final[first].late
    with pytest.raises(Stale):
        async with unit_of_work(sessions) as session:
            await followup.open_survey(session, trainee(setup, first, sent), by_person[first].id)
    with pytest.raises(NotAllowed):  # someone else's survey
        async with unit_of_work(sessions) as session:
            await followup.open_survey(session, trainee(setup, first, sent), by_person[third].id)


async def test_a_schedule_change_moves_the_surveys_not_yet_sent_S16(sessions, setup):
    now = local(2026, 6, 1)
    async with unit_of_work(sessions) as session:
        refused = await followup.change_schedule(session, staff(setup, now), None, "9, 3")
        assert refused is Problem.NOT_INCREASING
        changed = await followup.change_schedule(session, staff(setup, now), None, "3，9")
        assert changed.schedule.months == (3, 9) and changed.schedule.source == "institution"
    assert await scan_followup(sessions, local(2026, 8, 17), SETTINGS) == 3
    async with unit_of_work(sessions) as session:  # the class's own overrides the institution's
        mine = await followup.change_schedule(session, staff(setup, now), setup.made.id, "3 4 5")
        assert mine.schedule.source == "class"
    assert await scan_followup(sessions, local(2026, 9, 17), SETTINGS) == 3
    assert await scan_followup(sessions, local(2026, 10, 17), SETTINGS) == 3
    assert await scan_followup(sessions, local(2026, 11, 17), SETTINGS) == 0
    assert [s.months for s in await surveys(sessions)][::3] == [3, 4, 5]
    async with unit_of_work(sessions) as session:  # a longer schedule reopens the class
        await followup.change_schedule(session, staff(setup, now), setup.made.id, "3 4 5 12")
    assert await scan_followup(sessions, local(2027, 5, 17), SETTINGS) == 3
    with pytest.raises(NotAllowed):  # a lecturer does not set schedules
        async with unit_of_work(sessions) as session:
            await followup.change_schedule(session, staff(setup, now, Role.LECTURER), None, "6")


async def test_stop_is_respected_and_counted_and_resume_undoes_it_S16(sessions, setup):
    first, second, third = setup.trainees
    async with unit_of_work(sessions) as session:
        assert await followup.stop(session, trainee(setup, first, WAVES[0]))
        assert not await followup.stop(session, trainee(setup, first, WAVES[0]))
        assert await followup_stopped(session, setup.trainees) == {first}
    assert await scan_followup(sessions, WAVES[0], SETTINGS) == 2
    made = {s.person_id: s for s in await surveys(sessions)}
    assert made[first].stopped and made[first].sent_at is None
    async with unit_of_work(sessions) as session:
        counts = await followup.summary(session, staff(setup, WAVES[0]))
    assert counts["stopped"] == 1 and counts["not_sent_stopped"] == 1 and counts["sent"] == 2
    async with unit_of_work(sessions) as session:  # a stop after the push ends the reminders
        await followup.stop(session, trainee(setup, second, WAVES[0]))
    assert await scan_followup(sessions, WAVES[0] + 3 * DAY, SETTINGS) == 1
    async with unit_of_work(sessions) as session:
        assert await followup.resume(session, trainee(setup, first, WAVES[1]))
    assert await scan_followup(sessions, WAVES[1], SETTINGS) == 2
    async with unit_of_work(sessions) as session:  # the stopped are not called either
        page = await todo.page(session, setup.teachers[0], staff(setup, WAVES[1]).grants, 0)
    assert {item.id for item in page if item.kind is Kind.CALL} == {made[third].id}


async def test_a_blocked_person_lands_on_the_phone_list_and_a_phone_answer_is_recorded_S16(
    sessions, setup
):
    first, *_ = setup.trainees
    await scan_followup(sessions, WAVES[0], SETTINGS)
    survey = next(s for s in await surveys(sessions) if s.person_id == first)
    async with unit_of_work(sessions) as session:  # the outbox met a 403 for this push
        await session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.key == f"fu:{survey.id}")
            .values(status="blocked")
        )
    await scan_followup(sessions, WAVES[0] + timedelta(minutes=1), SETTINGS)
    now = WAVES[0] + DAY
    institution = staff(setup, now)
    lecturer = staff(setup, now, Role.LECTURER, setup.teachers[1])
    async with unit_of_work(sessions) as session:
        listed = await todo.page(session, institution.person_id, institution.grants, 0)
        assert [(item.kind, item.id) for item in listed] == [(Kind.CALL, survey.id)]
        assert listed[0].name == "学员0"
        shown = await followup.call(session, institution, survey.id)
        assert shown.full and shown.mobile == "13812345670"
        assert not (await followup.call(session, lecturer, survey.id)).full
        context = await followup.start_phone_answer(session, institution, survey.id)
    recorded = await submit(sessions, institution, context)
    assert recorded is not None and recorded.via_phone
    async with unit_of_work(sessions) as session:
        answered = await session.get(FollowupSurvey, survey.id)
        submission = await session.get(FormSubmission, answered.submission_id)
        assert submission.person_id == first and submission.submitted_by == institution.person_id
        assert answered.call_outcome == CallOutcome.BY_PHONE and not answered.late
        assert await todo.page(session, institution.person_id, institution.grants, 0) == []
        with pytest.raises(Stale):
            await followup.record_call(session, institution, survey.id, CallOutcome.REACHED)


async def test_unanswered_surveys_are_called_after_closing_with_the_outcome_recorded(
    sessions, setup
):
    await scan_followup(sessions, WAVES[0], SETTINGS)
    now = WAVES[0] + 30 * DAY
    await scan_followup(sessions, now, SETTINGS)
    institution = staff(setup, now)
    async with unit_of_work(sessions) as session:
        listed = await todo.page(session, institution.person_id, institution.grants, 0)
        assert len(listed) == 3
        await followup.record_call(session, institution, listed[0].id, CallOutcome.NOT_REACHED)
        await followup.record_call(session, institution, listed[1].id, CallOutcome.REACHED)
        assert len(await todo.page(session, institution.person_id, institution.grants, 0)) == 1
        person = await session.get(Person, setup.trainees[0])
        assert person is not None


def test_schedule_text_and_month_arithmetic():
    assert parse_months("6, 12, 18, 24") == (6, 12, 18, 24)
    assert parse_months("6、12；18") == (6, 12, 18)
    assert parse_months("") is Problem.EMPTY
    assert parse_months("six") is Problem.NOT_NUMBERS
    assert parse_months("0, 6") is Problem.OUT_OF_RANGE
    assert parse_months("6 6") is Problem.NOT_INCREASING
    assert parse_months(" ".join(str(n) for n in range(1, 14))) is Problem.TOO_MANY
    assert add_months(datetime(2026, 8, 31).date(), 6).isoformat() == "2027-02-28"


async def test_the_followup_class_list_pages_45_classes(sessions, setup):
    """/followup lists the institution's ended classes 20 a page (the last page again for a
    page past the end), each page within Telegram's limits."""
    async with unit_of_work(sessions) as session:
        for n in range(44):
            made = TrainingClass(
                programme="trainee",
                name=f"班{n:02d}",
                institution_id=setup.made.institution_id,
                region_id=setup.made.region_id,
                start_date=setup.made.start_date,
                status="approved",
            )
            session.add(made)
            await session.flush()
            session.add(
                FollowupClass(
                    class_id=made.id,
                    institution_id=made.institution_id,
                    ended_at=local(2026, 5, 17) - timedelta(days=n),
                )
            )
    await scan_followup(sessions, local(2026, 5, 18), SETTINGS)  # the 45th: the setup class
    seen: list[str] = []
    i18n = I18n("zh-CN")
    async with unit_of_work(sessions) as session:
        for page in range(4):
            text, markup = await menu_page(session, staff(setup, WAVES[0]), i18n, page)
            assert_fits(text, markup)
            names = [label for label in labels(markup) if label.startswith(("班", "测试班"))]
            if page < 3:
                seen += names
            else:
                assert names == seen[40:]
    assert len(seen) == len(set(seen)) == 45


def test_the_call_card_masks_the_mobile_for_a_role_that_may_not_see_it():
    shown = dict(name="学员", class_name="班", wave=2, months=12, closed=True, survey_id=7)
    i18n = I18n("zh-CN")
    full, _ = call_card(i18n, mobile="13812345671", full=True, **shown)
    masked, markup = call_card(i18n, mobile="13812345671", full=False, **shown)
    assert "+86 13812345671" in full and "到期未回答" in full
    assert "138****5671" in masked and "13812345671" not in masked
    assert labels(markup) == ["✅ 已联系上", "❌ 未联系上", "📝 电话中填写"]
