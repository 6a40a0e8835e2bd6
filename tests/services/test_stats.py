"""Statistics against a hand-counted small store (S-17, S-41, article 24(三)): every figure of
every dimension, the period, the filters, the small-count rule ("<3") and who sees which
classes (a supervisor their region and the regions under it, institution staff their
institution, an admin everything, a trainee nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.domain.roles import Grant, Role
from bot.domain.stats import FEW, Dimension, Period
from bot.services import stats
from bot.services.actor import Actor
from bot.services.errors import NotAllowed
from storage.db import unit_of_work
from storage.models import (
    AttendanceMark,
    ClassSession,
    Enrollment,
    FeedbackRequest,
    FollowupSurvey,
    FormAnswer,
    FormDraft,
    FormSubmission,
    Institution,
    IssuedCertificate,
    Person,
    Region,
    ScreeningCase,
    StatsClass,
    TraineeAssessment,
)
from tests.factories import make_class

NOW = datetime(2026, 5, 25, 2, 0, tzinfo=UTC)


@dataclass
class World:
    regions: dict[str, int] = field(default_factory=dict)
    institutions: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    def actor(self, *grants: Grant) -> Actor:
        return Actor.of(self.people["staff"], grants, "zh-CN", NOW)


async def _answers(
    session, person: int, form_id: str, rows: list[dict], current: bool = True
) -> int:
    draft = FormDraft(person_id=person, form_id=form_id, form_version=1, status="submitted")
    session.add(draft)
    await session.flush()
    made = FormSubmission(
        draft_id=draft.id,
        person_id=person,
        form_id=form_id,
        form_version=1,
        submitted_by=person,
        current=current,
    )
    session.add(made)
    await session.flush()
    for row in rows:
        session.add(FormAnswer(submission_id=made.id, form_id=form_id, **row))
    await session.flush()
    return made.id


def flag(question: str, value: bool) -> dict[str, Any]:
    return {"question_id": question, "flag": value}


def number(question: str, value: float) -> dict[str, Any]:
    return {"question_id": question, "number": value}


@pytest.fixture
async def world(sessions) -> World:
    """Regions 省 > 市 > 区 and 外省; institutions A and B in 区, X in 外省.

    k1 (A, 区, 2026-03-10): t1..t5 enrolled. k2 (B, 区, 2026-05-05, closed): t6, t7 enrolled,
    t8 withdrawn. k3 (X, 外省, 2026-05-20): t9..t12. k4 (A, a draft): t13, never counted."""
    w = World()
    async with unit_of_work(sessions) as s:
        for name, parent in (("省", None), ("市", "省"), ("区", "市"), ("外省", None)):
            region = Region(name=name, parent_id=w.regions.get(parent) if parent else None)
            s.add(region)
            await s.flush()
            w.regions[name] = region.id
        for name, region in (("A", "区"), ("B", "区"), ("X", "外省")):
            made = Institution(name=f"机构{name}", region_id=w.regions[region])
            s.add(made)
            await s.flush()
            w.institutions[name] = made.id
        for n, name in enumerate(["staff", *(f"t{i}" for i in range(1, 14))]):
            person = Person(tg_user_id=500 + n, first_name=name)
            s.add(person)
            await s.flush()
            w.people[name] = person.id
        t = w.people

        async def klass(key, inst, region, start, trainees, status="approved"):
            made = await make_class(
                s,
                institution_id=w.institutions[inst],
                region_id=w.regions[region],
                start=start,
                trainee_ids=tuple(t[x] for x in trainees),
                status=status,
            )
            made.name = f"班{key}"
            w.classes[key] = made.id
            return made

        await klass("k1", "A", "区", date(2026, 3, 10), ["t1", "t2", "t3", "t4", "t5"])
        await klass("k2", "B", "区", date(2026, 5, 5), ["t6", "t7"], status="closed")
        s.add(Enrollment(class_id=w.classes["k2"], person_id=t["t8"], status="withdrawn"))
        await klass("k3", "X", "外省", date(2026, 5, 20), ["t9", "t10", "t11", "t12"])
        await klass("k4", "A", "区", date(2026, 5, 1), ["t13"], status="draft")

        registration = await _answers(s, t["t1"], "registration", [])
        # Screening: k1 online t1..t4 (t1 also has a superseded case), t5 recommended siyb;
        # k2 online t6 and t7; t9's case is at A, not at k3's institution X.
        cases = [
            ("t1", "A", "online", "online"),
            ("t1", "A", "not_now", "superseded"),
            ("t2", "A", "online", "online"),
            ("t3", "A", "siyb", "online"),
            ("t4", "A", "online", "online"),
            ("t5", "A", "siyb", None),
            ("t6", "B", "online", "online"),
            ("t7", "B", "online", "online"),
            ("t9", "A", "online", "online"),
            ("t13", "A", "online", "online"),
        ]
        for who, inst, recommended, decided in cases:
            s.add(
                ScreeningCase(
                    person_id=t[who],
                    institution_id=w.institutions[inst],
                    registration_id=registration,
                    recommended=recommended,
                    decided=decided,
                )
            )
        # Attendance: k1's first session t1 present, t2 late, t3 absent, t4 present; k2 t6.
        first = {}
        for key in ("k1", "k2"):
            query = select(ClassSession).where(ClassSession.class_id == w.classes[key])
            first[key] = (await s.exec(query.order_by(ClassSession.starts_at))).first()
        for who, mark in (("t1", "present"), ("t2", "late"), ("t3", "absent"), ("t4", "present")):
            s.add(AttendanceMark(session_id=first["k1"].id, person_id=t[who], status=mark))
        s.add(AttendanceMark(session_id=first["k2"].id, person_id=t["t6"], status="present"))
        # Daily feedback k1: overall 5, 4, 3 (t4 asked, no answer); k2: t6 overall 5.
        # Final evaluation k1: organisation 4 and venue 2 each (recommend, a scale, not counted).
        opens = NOW - timedelta(days=1)

        async def ask(key, who, kind, rows):
            form_id = "daily_feedback" if kind == "daily" else "final_eval"
            sub = await _answers(s, t[who], form_id, rows) if rows is not None else None
            s.add(
                FeedbackRequest(
                    class_id=w.classes[key],
                    kind=kind,
                    day=1 if kind == "daily" else 7,
                    person_id=t[who],
                    form_id=form_id,
                    opens_at=opens,
                    closes_at=NOW,
                    submission_id=sub,
                )
            )

        for who, overall in (("t1", 5), ("t2", 4), ("t3", 3)):
            await ask("k1", who, "daily", [number("overall", overall), number("usefulness", 1)])
        await ask("k1", "t4", "daily", None)
        await ask("k2", "t6", "daily", [number("overall", 5)])
        for who in ("t1", "t2", "t3"):
            rows = [number("organisation", 4), number("venue", 2), number("recommend", 10)]
            await ask("k1", who, "final", rows)
        # Assessment k1: t1..t3 passed, t4 coaching, t5 training.
        for who, stage in (
            ("t1", "passed"),
            ("t2", "passed"),
            ("t3", "passed"),
            ("t4", "coaching"),
            ("t5", "training"),
        ):
            s.add(TraineeAssessment(class_id=w.classes["k1"], person_id=t[who], stage=stage))
        # Businesses and jobs: t1, t2 have businesses (3 and 2 employees), t3 not (1
        # employee); t3's earlier registration said yes (superseded: not counted); t4's store
        # operates (appendix 3); real stores: t1 100, t2 200, t3 500, t4 5,000, t5 20,000 yuan.
        await _answers(s, t["t3"], "registration", [flag("has_business", True)], current=False)
        for who, has, employees in (("t1", True, 3), ("t2", True, 2), ("t3", False, 1)):
            rows = [flag("has_business", has), number("business_employees", employees)]
            await _answers(s, t[who], "registration", rows)
        await _answers(
            s, t["t4"], "appendix3", [{"question_id": "store_status", "choice": "operating"}]
        )
        for who, sales in (("t1", 100), ("t2", 200), ("t3", 500), ("t4", 5000), ("t5", 20000)):
            rows = [flag("has_real_store", True), number("real_sales", sales)]
            await _answers(s, t[who], "practice_results", rows)
        # Certificates: k1 t1..t4 (t4's revoked: not counted), k2 t6.
        issued = [("k1", "t1", None), ("k1", "t2", None), ("k1", "t3", None)]
        issued += [("k1", "t4", NOW), ("k2", "t6", None)]
        for n, (key, who, revoked_at) in enumerate(issued, start=1):
            inst = "A" if key == "k1" else "B"
            s.add(
                IssuedCertificate(
                    number=f"0001202600000{n}",
                    programme="trainee",
                    person_id=t[who],
                    holder_name=who,
                    class_id=w.classes[key],
                    class_name=f"班{key}",
                    institution_id=w.institutions[inst],
                    institution_name=f"机构{inst}",
                    region_id=w.regions["区"],
                    issued_on=date(2026, 5, 20),
                    revoked_at=revoked_at,
                )
            )
        # Tracking surveys, k1 wave 1: t1 answered, t2 late, t3 by phone, t4 not, t5 stopped
        # (never sent); wave 2: t1 answered again, t4 not. People sent 4, answered 3. k2: t6
        # answered.
        surveys = [
            ("k1", "t1", 1, {"answered_at": NOW}),
            ("k1", "t2", 1, {"answered_at": NOW, "late": True}),
            ("k1", "t3", 1, {"answered_at": NOW, "via_phone": True}),
            ("k1", "t4", 1, {"closed_at": NOW}),
            ("k1", "t5", 1, {"stopped": True, "sent_at": None}),
            ("k1", "t1", 2, {"answered_at": NOW}),
            ("k1", "t4", 2, {}),
            ("k2", "t6", 1, {"answered_at": NOW}),
        ]
        for key, who, wave, values in surveys:
            s.add(
                FollowupSurvey(
                    person_id=t[who],
                    class_id=w.classes[key],
                    institution_id=w.institutions["A" if key == "k1" else "B"],
                    wave=wave,
                    months=6 * wave,
                    **{"sent_at": NOW - timedelta(days=30), **values},
                )
            )
    return w


K1 = {
    "enrolled": 5,
    "screened_online": 4,
    "screened_siyb": FEW,
    "screened_not_now": 0,
    "attendance": 0.75,
    "feedback": 4.0,
    "evaluation": 3.0,
    "submitted": 4,
    "passed": 3,
    "coaching": FEW,
    "certificates": 3,
    "followup": 0.75,
    "businesses": 5,
    "jobs": 6.0,
    "turnover_low": 3,
    "turnover_mid": FEW,
    "turnover_high": FEW,
}
K2 = {
    **dict.fromkeys(K1, 0),
    "enrolled": FEW,
    "screened_online": FEW,
    "attendance": FEW,
    "feedback": FEW,
    "evaluation": None,
    "certificates": FEW,
    "followup": FEW,
}
K3 = {
    **K2,
    "enrolled": 4,
    "screened_online": 0,
    "attendance": None,
    "feedback": None,
    "certificates": 0,
    "followup": None,
}


async def _table(sessions, actor, dimension, period=Period.ALL, filters=None):
    async with unit_of_work(sessions) as session:
        return await stats.figures(session, actor, dimension, period, filters or stats.Filters())


def _by_label(table) -> dict[str, dict]:
    return {row.label: row.figures for row in table.rows}


ADMIN = Grant(Role.ADMIN)


async def test_s17_each_class_figure_is_hand_counted_and_small_counts_show_few(sessions, world):
    table = await _table(sessions, world.actor(ADMIN), Dimension.CLASS)
    assert [row.label for row in table.rows] == ["班k3", "班k2", "班k1"]
    assert _by_label(table) == {"班k1": K1, "班k2": K2, "班k3": K3}
    assert table.total.classes == 3
    total = table.total.figures
    assert total["enrolled"] == 11 and total["screened_online"] == 6
    assert total["attendance"] == pytest.approx(0.8) and total["feedback"] == pytest.approx(4.25)
    # Certificates issued (revoked ones not counted) and the follow-up response rate in people
    # (late and by-phone answers count; someone who stopped was not sent one).
    assert total["certificates"] == 4 and total["followup"] == pytest.approx(0.8)
    assert table.pending == ()
    # The scheduler keeps the closed class's tallies (k2): the same figures, read from them.
    async with unit_of_work(sessions) as session:
        assert await stats.keep_closed(session, NOW) == 1
        assert await stats.keep_closed(session, NOW) == 0
        kept_k2 = await session.get(StatsClass, world.classes["k2"])
        assert kept_k2.tallies["certificates"] == [1, 1, 0]
        assert kept_k2.tallies["followup"] == [1, 1, 1]
        kept = await stats.figures(session, world.actor(ADMIN), Dimension.CLASS, Period.ALL)
    assert kept == table
    async with unit_of_work(sessions) as session:
        assert await stats.keep_closed(session, NOW + stats.KEEP_FOR + timedelta(1)) == 1


async def test_s41_regions_institutions_months_quarters_and_periods(sessions, world):
    admin = world.actor(ADMIN)
    regions = _by_label(await _table(sessions, admin, Dimension.REGION))
    assert {k: v["enrolled"] for k, v in regions.items()} == {"区": 7, "外省": 4}
    assert regions["区"]["screened_online"] == 6 and regions["区"]["attendance"] == 0.8
    institutions = _by_label(await _table(sessions, admin, Dimension.INSTITUTION))
    assert {k: v["enrolled"] for k, v in institutions.items()} == {
        "机构A": 5,
        "机构B": FEW,
        "机构X": 4,
    }
    months = await _table(sessions, admin, Dimension.MONTH)
    assert [(r.label, r.figures["enrolled"], r.classes) for r in months.rows] == [
        ("2026-03", 5, 1),
        ("2026-05", 6, 2),
    ]
    quarters = await _table(sessions, admin, Dimension.QUARTER)
    assert [(r.label, r.figures["enrolled"]) for r in quarters.rows] == [
        ("2026-Q1", 5),
        ("2026-Q2", 6),
    ]
    month = await _table(sessions, admin, Dimension.CLASS, Period.MONTH)
    assert [r.label for r in month.rows] == ["班k3", "班k2"]
    quarter = await _table(sessions, admin, Dimension.CLASS, Period.QUARTER)
    assert [r.label for r in quarter.rows] == ["班k3", "班k2"]
    year = await _table(sessions, admin, Dimension.CLASS, Period.YEAR)
    assert len(year.rows) == 3


async def test_a_supervisor_sees_their_region_and_below_an_institution_only_its_own(
    sessions, world
):
    province = world.actor(Grant(Role.SUPERVISOR, world.regions["省"]))
    seen = await _table(sessions, province, Dimension.CLASS)
    assert [r.label for r in seen.rows] == ["班k2", "班k1"]
    other = world.actor(Grant(Role.SUPERVISOR, world.regions["外省"]))
    assert [r.label for r in (await _table(sessions, other, Dimension.CLASS)).rows] == ["班k3"]
    staff = world.actor(Grant(Role.INSTITUTION, world.regions["区"], world.institutions["A"]))
    mine = await _table(sessions, staff, Dimension.INSTITUTION)
    assert [r.label for r in mine.rows] == ["机构A"] and mine.total.figures["enrolled"] == 5
    # A filter narrows, never widens.
    narrowed = stats.Filters(institution_id=world.institutions["B"])
    assert [
        r.label for r in (await _table(sessions, province, Dimension.CLASS, filters=narrowed)).rows
    ] == ["班k2"]
    foreign = stats.Filters(region_id=world.regions["外省"])
    assert (await _table(sessions, province, Dimension.CLASS, filters=foreign)).rows == []
    trainee = world.actor(Grant(Role.TRAINEE, world.regions["区"], world.institutions["A"]))
    with pytest.raises(NotAllowed):
        await _table(sessions, trainee, Dimension.CLASS)
