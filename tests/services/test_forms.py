"""The form use cases called with an Actor on the real store, no bot: starting pauses the other
form, every answer is kept at once (S-50), Back/Skip/Done move as the person expects, a stale
button re-shows the current question, another person's draft is refused, one submission however
often Submit is pressed, and a submitted editable form is revised as a new version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.domain.forms import DraftStatus
from bot.forms.answers import Input
from bot.services import forms
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.forms import Done, Screen
from storage.db import unit_of_work
from storage.models import AuditEntry, FormDraft, FormSubmission, Person

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
DAILY = "daily_feedback"


@pytest.fixture
async def people(sessions) -> tuple[Actor, Actor]:
    """Two people with no roles at all: filling one's own form needs none."""
    async with unit_of_work(sessions) as session:
        found = [Person(tg_user_id=20_000 + n, first_name=f"人{n}") for n in (1, 2)]
        session.add_all(found)
        await session.flush()
        return tuple(Actor.of(p.id, (), "zh-CN", NOW) for p in found)


def at(actor: Actor, later: timedelta) -> Actor:
    return Actor.of(actor.person_id, actor.grants, actor.locale, actor.now + later)


def asked(screen: Screen) -> tuple[str | None, int]:
    """The question shown now (None: the review screen) and its index among those asked."""
    slot = screen.filling.settle()
    return (slot.key if slot else None), screen.filling.index_of(slot)


async def _fill_daily(session, actor: Actor) -> FormDraft:
    """Start the daily feedback and answer every question; the draft is at its review."""
    started = await forms.start(session, actor, DAILY, {"request_id": 0}, TZ)
    draft_id = started.screen.draft.id
    for index, value in enumerate(("5", "4", "5", "right")):
        screen = await forms.pick(session, actor, draft_id, index, value, TZ)
        assert screen.problem is None and screen.saved is not None
    screen = await forms.answer(session, actor, screen.draft, Input(text="直播带货"), TZ)
    assert asked(screen) == ("suggestions", 5)
    screen = await forms.skip(session, actor, draft_id, 5, TZ)
    assert asked(screen) == (None, -1) and screen.draft.reviewing
    return screen.draft


async def test_starting_a_form_pauses_the_other_and_resuming_keeps_every_answer(sessions, people):
    """S-50: an accepted answer is in the draft at once; a paused draft resumes at the same
    question."""
    me, _ = people
    async with unit_of_work(sessions) as session:
        first = await forms.start(session, me, DAILY, {}, TZ)
        assert first.paused is None and asked(first.screen) == ("overall", 0)
        await forms.pick(session, me, first.screen.draft.id, 0, "4", TZ)
        second = await forms.start(session, me, "midterm_eval", {"modules": [], "teachers": []}, TZ)
        assert second.paused.id == first.screen.draft.id
    async with unit_of_work(sessions) as session:
        kept = await session.get(FormDraft, first.screen.draft.id)
        assert kept.status == DraftStatus.PAUSED and kept.answers == {"overall": 4}
        offer = await forms.offer(session, me, TZ)
        assert offer.draft.id == second.screen.draft.id  # the active one first
        resumed = await forms.resume(session, me, kept.id, TZ)
        assert asked(resumed) == ("usefulness", 1)
        assert (await session.get(FormDraft, second.screen.draft.id)).status == "paused"
        offer = await forms.offer(session, me, TZ)
        assert (offer.draft.id, offer.answered, offer.total) == (kept.id, 1, 6)


async def test_wrong_answers_are_explained_and_back_and_skip_move_as_expected(sessions, people):
    """S-54: a wrong input is explained and the question asked again; a required question
    cannot be skipped."""
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
        typed = await forms.answer(session, me, draft, Input(location=(30.0, 120.0)), TZ)
        assert typed.problem.key == "choice_buttons" and asked(typed) == ("overall", 0)
        refused = await forms.skip(session, me, draft.id, 0, TZ)
        assert refused.notice == "forms.problem" and refused.alert and not refused.show
        await forms.pick(session, me, draft.id, 0, "3", TZ)
        back = await forms.back(session, me, draft.id, 1, TZ)
        assert asked(back) == ("overall", 0) and draft.answers == {"overall": 3}
        wrong = await forms.done(session, me, draft.id, 0, TZ)
        assert wrong.notice == "forms.stale" and not wrong.show


async def test_a_button_of_an_earlier_question_shows_the_current_one(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
        await forms.pick(session, me, draft.id, 0, "5", TZ)
        again = await forms.pick(session, me, draft.id, 0, "1", TZ)
        assert again.notice == "forms.stale" and asked(again) == ("usefulness", 1)
        assert draft.answers == {"overall": 5}


async def test_a_message_hours_later_greets_with_the_question_instead_of_answering(
    sessions, people
):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
        await forms.pick(session, me, draft.id, 0, "5", TZ)
        await forms.pick(session, me, draft.id, 1, "5", TZ)
        await forms.pick(session, me, draft.id, 2, "5", TZ)
        await forms.pick(session, me, draft.id, 3, "right", TZ)
        later = await forms.answer(
            session, at(me, timedelta(hours=2)), draft, Input(text="你好"), TZ
        )
        assert later.problem is None and later.saved is None and asked(later)[0] == "most_useful"
        assert "most_useful" not in draft.answers


async def test_another_persons_draft_is_refused_and_changes_nothing(sessions, people):
    me, other = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
    for attempt in (
        lambda s: forms.pick(s, other, draft.id, 0, "1", TZ),
        lambda s: forms.resume(s, other, draft.id, TZ),
        lambda s: forms.pause_draft(s, other, draft.id),
        lambda s: forms.submit(s, other, draft.id, TZ),
        lambda s: forms.restart(s, other, draft.id, TZ),
        lambda s: forms.pick(s, me, 10_000, 0, "1", TZ),
    ):
        with pytest.raises(Stale) as refused:
            async with unit_of_work(sessions) as session:
                await attempt(session)
        assert refused.value.key == "forms.stale"
    async with unit_of_work(sessions) as session:
        kept = await session.get(FormDraft, draft.id)
        assert kept.answers == {} and kept.status == "active"


async def test_submit_records_one_submission_however_often_it_is_pressed(sessions, people):
    """S-50, S-51: a submission is never recorded twice; a second press is told it was."""
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = await _fill_daily(session, me)
        done = await forms.submit(session, me, draft.id, TZ)
        assert isinstance(done, Done) and done.first_time
        assert done.submission.answers["most_useful"] == "直播带货"
        assert done.submission.answers["suggestions"] is None
    with pytest.raises(Stale) as again:
        async with unit_of_work(sessions) as session:
            await forms.submit(session, me, draft.id, TZ)
    assert again.value.key == "forms.already_submitted" and again.value.context["title"]
    async with unit_of_work(sessions) as session:
        rows = (await session.exec(select(FormSubmission))).all()
        audit = (await session.exec(select(AuditEntry))).all()
        assert len(rows) == 1 and (await session.get(FormDraft, draft.id)).status == "submitted"
        assert [a.action for a in audit] == ["form.submitted"]


async def test_submit_before_the_review_goes_to_the_open_question(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
        screen = await forms.submit(session, me, draft.id, TZ)
        assert isinstance(screen, Screen) and asked(screen) == ("overall", 0)
        assert (await session.exec(select(FormSubmission))).first() is None


async def test_an_answer_changed_on_the_review_screen_returns_to_the_review(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = await _fill_daily(session, me)
        screen = await forms.edit_answer(session, me, draft.id, 3, TZ)
        assert asked(screen) == ("pace", 3)
        screen = await forms.pick(session, me, draft.id, 3, "too_fast", TZ)
        assert asked(screen) == (None, -1) and draft.answers["pace"] == "too_fast"


async def test_start_over_cancels_the_draft_and_begins_a_fresh_one(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = (await forms.start(session, me, DAILY, {"x": 1}, TZ)).screen.draft
        await forms.pick(session, me, draft.id, 0, "5", TZ)
        fresh = await forms.restart(session, me, draft.id, TZ)
        assert fresh.screen.draft.answers == {} and fresh.screen.draft.context == {"x": 1}
        assert draft.status == "cancelled" and fresh.paused is None
    with pytest.raises(Stale):
        async with unit_of_work(sessions) as session:
            await forms.resume(session, me, draft.id, TZ)


async def test_a_submitted_editable_form_is_revised_as_a_new_draft_at_its_review(sessions, people):
    me, other = people
    async with unit_of_work(sessions) as session:
        draft = FormDraft(person_id=me.person_id, form_id="needs", form_version=1)
        session.add(draft)
        await session.flush()
        submitted = FormSubmission(
            draft_id=draft.id,
            person_id=me.person_id,
            form_id="needs",
            form_version=1,
            answers={"goal": "x"},
            submitted_by=me.person_id,
        )
        session.add(submitted)
        await session.flush()
        assert [s.id for s in await forms.editable(session, me)] == [submitted.id]
        assert await forms.editable(session, other) == []
    with pytest.raises(Stale):
        async with unit_of_work(sessions) as session:
            await forms.revise(session, other, submitted.id, TZ)
    async with unit_of_work(sessions) as session:
        revised = await forms.revise(session, me, submitted.id, TZ)
        assert revised.screen.draft.revises_id == submitted.id
        assert revised.screen.draft.reviewing and revised.screen.draft.answers == {"goal": "x"}


async def test_an_extra_tick_beyond_max_selected_is_refused_when_it_is_made(sessions, people):
    """`max_selected` is enforced at the tick, not only at Done: the third tick of a
    choose-up-to-2 question is refused with an alert and changes nothing."""
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft_id = (await forms.start(session, me, "needs", {}, TZ)).screen.draft.id
        await forms.skip(session, me, draft_id, 0, TZ)
        for value in ("traffic", "products"):
            ticked = await forms.pick(session, me, draft_id, 1, value, TZ)
            assert ticked.redraw and ticked.notice is None
        refused = await forms.pick(session, me, draft_id, 1, "platform_rules", TZ)
        assert not refused.show and refused.alert and refused.notice == "forms.problem"
        assert refused.notice_params == {"key": "select_at_most", "params": {"max": 2}}
        assert refused.draft.pending == ["traffic", "products"]
        untick = await forms.pick(session, me, draft_id, 1, "traffic", TZ)
        assert untick.draft.pending == ["products"]


async def test_keep_leaves_the_answer_of_a_question_asked_again_and_moves_on(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft = await _fill_daily(session, me)
        screen = await forms.edit_answer(session, me, draft.id, 4, TZ)
        assert asked(screen) == ("most_useful", 4)
        kept = await forms.keep(session, me, draft.id, 4, TZ)
        assert asked(kept) == (None, -1) and kept.draft.answers["most_useful"] == "直播带货"
        fresh = (await forms.start(session, me, DAILY, {}, TZ)).screen.draft
        unanswered = await forms.keep(session, me, fresh.id, 0, TZ)
        assert unanswered.notice == "forms.stale" and not unanswered.show


async def test_a_forged_calendar_month_is_stale_and_the_month_shown_redraws_nothing(
    sessions, people
):
    me, _ = people
    async with unit_of_work(sessions) as session:
        started = await forms.start(session, me, "class", {"institution_id": 1}, TZ)
        draft_id = started.screen.draft.id
        await forms.pick(session, me, draft_id, 0, "trainee", TZ)
        await forms.answer(session, me, started.screen.draft, Input(text="福田区第3期"), TZ)
        for forged in ("2026-13", "0000-01", "abcd-ef", "2026-1"):
            with pytest.raises(Stale):
                await forms.turn_month(session, me, draft_id, 2, forged, TZ)
        same = await forms.turn_month(session, me, draft_id, 2, "2026-06", TZ)
        assert not same.show  # the month label, the weekday header, a blank day
        turned = await forms.turn_month(session, me, draft_id, 2, "2026-07", TZ)
        assert turned.redraw and turned.draft.pending == ["2026-07"]


async def test_a_multiple_choice_asked_again_starts_from_the_choices_made(sessions, people):
    me, _ = people
    async with unit_of_work(sessions) as session:
        draft_id = (await forms.start(session, me, "needs", {}, TZ)).screen.draft.id
        await forms.skip(session, me, draft_id, 0, TZ)
        await forms.pick(session, me, draft_id, 1, "money", TZ)
        done = await forms.done(session, me, draft_id, 1, TZ)
        assert done.draft.answers["hardest"] == ["money"] and done.draft.pending == []
        back = await forms.back(session, me, draft_id, 2, TZ)
        assert asked(back) == ("hardest", 1) and back.draft.pending == ["money"]
        again = await forms.done(session, me, draft_id, 1, TZ)
        assert again.draft.answers["hardest"] == ["money"]
