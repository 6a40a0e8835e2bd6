"""A simulated class of 25 trainees over 7 days with a controlled clock.

Each day: marks (absences and leave), the end of the day, the pushes, answers (two trainees
through the web chat, the rest straight in the store), the reminder two hours later, the close
next morning. On the way: a timetable change moves a day's pushes, scanning again mid-evening
pushes nothing twice, a late answer is refused, the final evaluation comes on day 7, and only a
lecturer class running alongside gets the day-5 mid-term. Fast tier (tests/fast/harness.py):
the scans are called as the scheduler would; the same check across a restart of the product is
tests/bot/test_feedback_class.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.checkin import Mark
from bot.domain.roles import Role
from scheduler.feedback import scan_feedback
from storage import attendance, repo
from storage.models import ClassSession, FeedbackRequest, LeaveRequest, OutboxMessage, Person
from tests.bot.attendance_people import member
from tests.chat import ChatUser, body, button
from tests.factories import make_class
from tests.fast.test_feedback import fill_daily, has, pick
from tests.scheduler.test_feedback_jobs import answer

START = date(2026, 6, 1)
SIZE = 25
P, A, L, E = Mark.PRESENT, Mark.ABSENT, Mark.LATE, Mark.EXCUSED
SPECIAL = {
    # day: {trainee index: (morning, afternoon)}; None: never checked in
    1: {5: (A, A), 6: (L, A)},
    2: {7: (E, E), 8: (E, P)},
    3: {9: None, 5: (A, L)},
    5: {10: (A, A)},
    7: {11: (E, E)},
}
ON_LEAVE = {2: (7, 8), 7: (11,)}
WEB = (0, 1)
"""Trainees driven through the web chat (0 answers in the chat on days 1 and 7, 1 never)."""


def asked_on(day: int) -> set[int]:
    return {
        index
        for index in range(SIZE)
        if SPECIAL.get(day, {}).get(index, (P, P)) is not None
        and set(SPECIAL.get(day, {}).get(index, (P, P))) & {P, L}
    }


def answers_in_store(day: int, index: int) -> bool:
    """Who answers on time without the web chat: two thirds, a different third each day."""
    return index not in WEB and (index + day) % 3 != 0


def store_of(app):
    """The session factory of the fast harness, or of a full product's `Running`."""
    return getattr(app, "product", app).sessions


class Sim:
    def __init__(self, app, clock: ManualClock, ids: list[int], users: dict[int, ChatUser]):
        self.app, self.clock, self.ids, self.users = app, clock, ids, users
        self.index = {person_id: index for index, person_id in enumerate(ids)}

    async def scan(self) -> None:
        await scan_feedback(store_of(self.app), self.clock.now(), self.app.settings)

    async def timetable(self, class_id: int) -> dict[int, list[ClassSession]]:
        async with self.app.store() as session:
            query = select(ClassSession).where(ClassSession.class_id == class_id)
            days = defaultdict(list)
            for item in (await session.exec(query.order_by(ClassSession.starts_at))).all():
                days[item.day].append(item)
        return days

    async def requests(self, kind: str, day: int, class_id: int) -> dict[int, FeedbackRequest]:
        async with self.app.store() as session:
            query = select(FeedbackRequest).where(
                FeedbackRequest.kind == kind,
                FeedbackRequest.day == day,
                FeedbackRequest.class_id == class_id,
            )
            return {self.index[r.person_id]: r for r in (await session.exec(query)).all()}

    async def keys(self, prefix: str) -> list[str]:
        async with self.app.store() as session:
            query = select(OutboxMessage.key).where(OutboxMessage.key.startswith(prefix))
            return list((await session.exec(query)).all())


async def mark(app, sessions: list[ClassSession], day: int, ids: list[int]) -> None:
    async with app.store() as session:
        for index, person_id in enumerate(ids):
            given = SPECIAL.get(day, {}).get(index, (P, P))
            if given is None:
                continue
            for item, status in zip(sessions, given, strict=True):
                await attendance.set_mark(
                    session, item.id, person_id, status, item.starts_at, marked_by=None
                )
        for index in ON_LEAVE.get(day, ()):
            excused = [
                item.id
                for item, status in zip(sessions, SPECIAL[day][index], strict=True)
                if status is E
            ]
            session.add(
                LeaveRequest(
                    class_id=sessions[0].class_id,
                    person_id=ids[index],
                    session_ids=excused,
                    hours=4 * len(excused),
                    reason="家里有事",
                    status="approved",
                )
            )


async def people(app, http) -> tuple[list[int], dict[int, ChatUser], int, int, int]:
    """25 trainees (two through /start, the rest made in the store with a web-chat account
    so their pushes are delivered too), a lecturer, and a region and institution."""
    users, ids = {}, []
    _, teacher = await member(app, http, "李老师", Role.LECTURER)
    for index in WEB:
        users[index], person_id = await member(app, http, f"学员{index + 1:02d}", Role.TRAINEE)
        ids.append(person_id)
    async with app.store() as session:
        for index in range(len(WEB), SIZE):
            account = await ChatUser.create(http, app.base_url, f"学员{index + 1:02d}")
            person = Person(tg_user_id=account.user_id, first_name=f"学员{index + 1:02d}")
            session.add(person)
            await session.flush()
            ids.append(person.id)
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
    return ids, users, teacher, region.id, institution.id


async def test_a_class_of_25_over_7_days(fast_factory, http):
    clock = ManualClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    app = await fast_factory(clock=clock)
    ids, users, teacher, region_id, institution_id = await people(app, http)
    async with app.store() as session:
        trainee_class = await make_class(
            session,
            institution_id=institution_id,
            region_id=region_id,
            start=START,
            teacher_ids=(teacher,),
            trainee_ids=tuple(ids),
        )
        lecturer_class = await make_class(
            session,
            institution_id=institution_id,
            region_id=region_id,
            start=START,
            teacher_ids=(teacher,),
            trainee_ids=tuple(ids[20:]),
            programme="lecturer",
        )
    sim = Sim(app, clock, ids, users)
    made = trainee_class.id
    lecturers = (await sim.timetable(lecturer_class.id))[5]
    async with app.store() as session:
        for item in lecturers:
            for person_id in ids[20:]:
                await attendance.set_mark(
                    session, item.id, person_id, P, item.starts_at, marked_by=None
                )
    reminded: dict[int, set[int]] = {}

    for day in range(1, 8):
        days = await sim.timetable(made)
        await mark(app, days[day], day, ids)
        end = max(item.ends_at for item in days[day])
        if day == 3:  # the afternoon is moved an hour later: so is the push
            async with app.store() as session:
                moved = await session.get(ClassSession, days[3][1].id)
                moved.starts_at += timedelta(hours=1)
                moved.ends_at += timedelta(hours=1)
            clock.set(end)
            await sim.scan()
            assert await sim.requests("daily", 3, made) == {}
            end += timedelta(hours=1)
        clock.set(end - timedelta(minutes=1))
        await sim.scan()
        assert await sim.requests("daily", day, made) == {}
        clock.set(end)
        await sim.scan()
        asked = await sim.requests("daily", day, made)
        assert set(asked) == asked_on(day), day
        assert all(r.opens_at == end for r in asked.values())
        if day == 4:  # scanning again mid-evening pushes nothing twice (across a restart too:
            # tests/bot/test_feedback_class.py)
            before = await sim.keys("fb:")
            await sim.scan()
            assert sorted(await sim.keys("fb:")) == sorted(before)

        if day in (1, 7):
            push = await users[0].expect(has(f"第 {day} 天每日反馈"))
            review = await fill_daily(users[0], push, last_day=day == 7)
            assert ("明天" in body(review)) is (day != 7), "T6: no tomorrow on the last day"
            await pick(users[0], review, "提交")
            await users[0].expect(has("谢谢你的反馈"))
        clock.set(end + timedelta(minutes=30))
        for index, found in asked.items():
            if answers_in_store(day, index):
                assert await answer(store_of(app), found, clock.now())

        clock.set(end + timedelta(hours=2))
        await sim.scan()
        await sim.scan()
        answered = {i for i, r in (await sim.requests("daily", day, made)).items() if r.answered_at}
        reminded[day] = {
            sim.index[int(key.rsplit(":", 1)[1])]
            for key in await sim.keys(f"fbr:{made}:daily:{day}:")
        }
        assert reminded[day] == asked_on(day) - answered, day
        assert 1 in reminded[day] and (0 in answered) == (day in (1, 7))

        closes = asked[min(asked)].closes_at
        if day == 2:  # a late answer is refused; pressing after the close says so
            push = await users[1].expect(has("第 2 天每日反馈"))
            clock.set(closes)
            late = await users[1].press(push["message_id"], button(push, "填写"))
            assert "已经截止" in late["text"] and late["show_alert"]
            assert not await answer(store_of(app), asked[1], closes)
        clock.set(closes)
        await sim.scan()
        assert set(await sim.requests("daily", day, made)) == asked_on(day)

    finals = await sim.requests("final", 7, made)
    assert set(finals) == asked_on(7) and 11 not in finals
    assert all(r.form_id == "final_eval" for r in finals.values())
    assert await sim.keys(f"fb:{made}:midterm:") == []
    midterms = await sim.requests("midterm", 5, lecturer_class.id)
    assert set(midterms) == set(range(20, SIZE))
    for day in range(1, 8):
        assert len(await sim.keys(f"fbr:{made}:daily:{day}:")) == len(reminded[day])
    pushes = await sim.keys(f"fb:{made}:")
    assert len(pushes) == sum(len(asked_on(day)) for day in range(1, 8)) + len(finals)
    await users[0].send("/myfeedback")
    shown = await users[0].expect(has("我填写的反馈"))
    assert body(shown).count("每日反馈") == 2
