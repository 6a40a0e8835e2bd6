"""A province-scale store, built by direct inserts (issue 11): classes running at once, a
history of past classes, and everything their trainees leave behind, on the migrated schema.

`make bench` builds it at full size (`PROVINCE`: 1,000 classes running with 25 trainees each,
3,000 past classes, so 100,000 trainees and about 101,000 people) to measure scans, claims and
growth; tests/storage/test_query_plans.py builds a small one (`SMALL`) with the same shape to
read query plans on. Later benches (scans, /trainees, statistics) reuse `build`.

The province has `CITIES` cities of `DISTRICTS` districts each; institutions (and their classes)
take the districts in turn. Learners of recently ended classes (those whose pushes are
still kept) have an assessment stage (4 in 5 passed, the rest in coaching) and every 5th has
practice results with a real store (statistics, tests/bench_stats.py). Only those: with a stage
for every past learner the assessment's rescore scan reads trainee_assessment in full on
SQLite (tests/storage/test_query_plans.py), which is the assessment's to fix.

The store is what the product would hold at `NOW`: 02:00 class-local time after day 3 of the
running classes, with every push of days 1-3 made and sent (reminders, feedback forms and
their reminders, day summaries, morning summaries with their charts, absence notices,
screening results), so a scheduler pass at `NOW` finds nothing due. Pushes of classes that
ended more than `outbox_days` ago are gone, as the prune leaves them: deleted, or `forgotten`
(keyed, without expiry: only the key kept). Rows are written in batches (COPY on PostgreSQL,
executemany on SQLite), parents before children; the planners' statistics are refreshed at the
end.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import JSON, Table, bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from bot.domain.followup import DEFAULT_MONTHS, due_at
from storage import wake
from storage.db import dumps
from storage.maintenance import refresh_statistics
from storage.types import UtcDateTime

LOCAL = timedelta(hours=8)
"""Asia/Shanghai: the classes' time zone (no daylight saving)."""
START = date(2026, 6, 1)
"""Local first day of the running classes."""
NOW = datetime(2026, 6, 4, 2, 0, tzinfo=UTC) - LOCAL
"""02:00 local after day 3 of the running classes: nothing is due."""
DAYS_DONE = 3
SLOTS = (("morning", 9, 0, 12, 30), ("afternoon", 14, 0, 17, 30))
CITIES, DISTRICTS = 5, 4
"""The province's cities and each city's districts; institutions take the districts in turn."""
CHAT_BASE = 10_000_000
"""A person's chat id is this plus their id."""
CHART_BYTES = 15_000
"""The size of a morning summary's chart PNG (what bot.charts draws for a class day)."""


@dataclass(frozen=True)
class Shape:
    running: int = 1_000
    per_class: int = 25
    past: int = 3_000
    classes_per_institution: int = 20
    teachers_per_institution: int = 4
    history_years: float = 3.0
    outbox_days: int = 30
    """Past classes that ended less than this long ago still have their pushes in the outbox
    (the scheduler's prune takes those older than OUTBOX_KEEP_DAYS)."""


PROVINCE = Shape()
SMALL = Shape(running=10, per_class=5, past=400, classes_per_institution=10, outbox_days=120)


@dataclass
class Province:
    shape: Shape
    now: datetime
    trainees: int = 0
    institutions: list[int] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0


def _utc(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - LOCAL


class Writer:
    """Buffers rows per table and writes every table's buffer, parents first, when one fills."""

    FLUSH = 20_000

    def __init__(self, conn: AsyncConnection, province: Province) -> None:
        self.conn = conn
        self.province = province
        self.pg = conn.dialect.name == "postgresql"
        self.tables = SQLModel.metadata.tables
        self.order = [t.name for t in SQLModel.metadata.sorted_tables]
        self.buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ids: dict[str, int] = defaultdict(int)

    async def start(self) -> None:
        """On PostgreSQL, skip the foreign-key triggers while loading rows that are consistent
        by construction (a superuser may; anyone else pays the checks)."""
        if self.pg:
            try:
                async with self.conn.begin_nested():
                    await self.conn.exec_driver_sql("SET session_replication_role = replica")
            except Exception:
                pass

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    async def add(self, table: str, **row: Any) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.FLUSH:
            await self.flush()

    async def flush(self) -> None:
        for name in self.order:
            rows = self.buffers.pop(name, None)
            if rows:
                self.province.rows[name] += len(rows)
                await self._write(self.tables[name], rows)

    async def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = [c for c in table.columns if c.name in rows[0]]
        as_json = {c.name for c in columns if isinstance(c.type, JSON) or "JSON" in str(c.type)}
        if not self.pg:  # the values as SQLAlchemy would store them, without its per-row cost
            names = [c.name for c in columns]
            records = [tuple(_sqlite(name in as_json, row[name]) for name in names) for row in rows]
            marks = ", ".join("?" * len(names))
            await self.conn.exec_driver_sql(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", records
            )
            return
        records = [
            tuple(dumps(row[c.name]) if c.name in as_json else row[c.name] for c in columns)
            for row in rows
        ]
        raw = await self.conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(
            table.name, records=records, columns=[c.name for c in columns]
        )

    async def finish(self) -> None:
        await self.flush()
        if self.pg:
            await self.conn.exec_driver_sql("RESET session_replication_role")
            for name, last in self.ids.items():
                if name not in self.tables or "id" not in self.tables[name].c:
                    continue
                await self.conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {last})")
                )


def _sqlite(is_json: bool, value: Any) -> Any:
    if is_json:
        return dumps(value)  # as the engine's serializer writes it (storage.db.dumps)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


REGISTRATION = {
    "consent": True,
    "name": "张三",
    "gender": "female",
    "id_number": "110101199003074514",
    "mobile": "13800138000",
    "education": "college",
    "hukou": "urban",
    "region": {"province": "浙江省", "city": "杭州市", "district": "西湖区"},
    "categories": ["unemployed"],
    "employment": "seeking",
    "has_business": False,
    "direction": ["ecommerce"],
    "heard_from": "employment_office",
    "business": "想开一家网店，销售本地特色农产品，希望学习网店运营和直播带货。",
}
FEEDBACK = {"overall": 5, "content": 4, "teacher": 5, "pace": "right", "comment": "老师讲得很清楚"}


def _chat(person: int) -> int:
    return CHAT_BASE + person


def _mark(person: int, session: int) -> str:
    roll = (person * 7919 + session * 104729) % 100
    return "absent" if roll < 4 else "late" if roll < 9 else "present"


def _answered(person: int, day: int) -> bool:
    return (person * 31 + day * 17) % 10 < 8


async def build(engine: AsyncEngine, shape: Shape = PROVINCE, now: datetime = NOW) -> Province:
    """Fill a freshly migrated, empty store with the province; returns what was written."""
    province = Province(shape, now)
    started = time.perf_counter()
    async with engine.connect() as conn:
        writer = Writer(conn, province)
        await writer.start()
        await _build(writer, province)
        await writer.finish()
        await _settle_past(conn, now)
        await conn.commit()
        await refresh_statistics(conn)
        await conn.commit()
    province.seconds = time.perf_counter() - started
    return province


async def _settle_past(conn: AsyncConnection, now: datetime) -> None:
    """The inserts woke every class (the scans' triggers; on PostgreSQL, where the load skipped
    triggers, the same rows are written here); past classes sleep, as the upgrade that added the
    wake (migration 0018) leaves them: only live classes are looked at."""
    for scan in wake.SCANS:
        await conn.execute(
            text(
                "INSERT INTO scan_wake (scan, class_id, wake_at, touched)"
                " SELECT :scan, id, :epoch, 1 FROM training_class WHERE true"
                " ON CONFLICT (scan, class_id) DO NOTHING"
            ).bindparams(
                bindparam("epoch", datetime(1970, 1, 1, tzinfo=UTC), type_=UtcDateTime),
                scan=scan,
            )
        )
    await conn.execute(
        text(
            "UPDATE scan_wake SET wake_at = :never WHERE class_id NOT IN"
            " (SELECT class_id FROM class_session WHERE ends_at > :since)"
        ).bindparams(
            bindparam("never", wake.NEVER, type_=UtcDateTime),
            bindparam("since", now - timedelta(days=15), type_=UtcDateTime),
        )
    )


async def _build(w: Writer, p: Province) -> None:
    shape = p.shape
    created = p.now - timedelta(days=365 * shape.history_years + 30)
    province = w.next_id("region")
    await w.add("region", id=province, name="浙江省", parent_id=None, created_at=created)
    districts = []
    for city in range(CITIES):
        city_id = w.next_id("region")
        await w.add("region", id=city_id, name=f"市{city}", parent_id=province, created_at=created)
        for district in range(DISTRICTS):
            districts.append(w.next_id("region"))
            name = f"区{city}-{district}"
            await w.add(
                "region", id=districts[-1], name=name, parent_id=city_id, created_at=created
            )
    classes = shape.running + shape.past
    count = -(-classes // shape.classes_per_institution)
    teachers: dict[int, list[int]] = {}
    region_of: dict[int, int] = {}
    for n in range(count):
        institution = w.next_id("institution")
        p.institutions.append(institution)
        region_of[institution] = districts[n % len(districts)]
        await w.add(
            "institution",
            id=institution,
            name=f"培训机构{institution}",
            region_id=region_of[institution],
            created_at=created,
        )
        await _person(w, created, "institution", institution)
        teachers[institution] = [
            await _person(w, created, "lecturer", institution)
            for _ in range(shape.teachers_per_institution)
        ]
    for n in range(classes):
        running = n < shape.running
        institution = p.institutions[n // shape.classes_per_institution]
        if running:
            start = START
        else:
            back = 15 + int((n - shape.running) * 365 * shape.history_years / max(shape.past, 1))
            start = START - timedelta(days=back)
        await _class(
            w, p, institution, region_of[institution], teachers[institution], start, running
        )


async def _person(
    w: Writer, at: datetime, role: str, institution: int, *, name: str = "李老师"
) -> int:
    person = w.next_id("person")
    await w.add(
        "person",
        id=person,
        tg_user_id=_chat(person),
        first_name=name,
        last_name=None,
        username=None,
        locale="zh-CN",
        unreachable=False,
        created_at=at,
        last_seen_at=at,
    )
    await w.add(
        "rolegrant",
        id=w.next_id("rolegrant"),
        person_id=person,
        role=role,
        region_id=None,
        institution_id=institution,
        invitation_id=None,
        granted_by=None,
        created_at=at,
    )
    return person


async def _submission(
    w: Writer, person: int, form: str, answers: dict[str, Any], at: datetime, context: dict
) -> int:
    draft = w.next_id("form_draft")
    await w.add(
        "form_draft",
        id=draft,
        person_id=person,
        form_id=form,
        form_version=1,
        context=context,
        status="submitted",
        position=None,
        reviewing=False,
        answers=answers,
        pending=[],
        revises_id=None,
        created_at=at,
        updated_at=at,
    )
    submission = w.next_id("form_submission")
    await w.add(
        "form_submission",
        id=submission,
        draft_id=draft,
        person_id=person,
        form_id=form,
        form_version=1,
        context=context,
        answers=answers,
        supersedes_id=None,
        current=True,
        submitted_by=person,
        submitted_at=at,
    )
    for question, value in answers.items():
        if isinstance(value, dict):
            continue
        for choice in value if isinstance(value, list) else [value]:
            await w.add(
                "form_answer",
                id=w.next_id("form_answer"),
                submission_id=submission,
                form_id=form,
                question_id=question,
                choice=choice if isinstance(choice, str) and len(choice) <= 40 else None,
                number=choice if isinstance(choice, int | float) and choice is not True else None,
                text=choice if isinstance(choice, str) and len(choice) > 40 else None,
                day=None,
                flag=choice if isinstance(choice, bool) else None,
            )
    return submission


async def _trainee(w: Writer, p: Province, institution: int, joined: datetime, recent: bool) -> int:
    person = await _person(w, joined, "trainee", institution, name="王小明")
    p.trainees += 1
    registration = await _submission(w, person, "registration", REGISTRATION, joined, {})
    cycle = w.next_id("trainee_cycle")
    await w.add(
        "trainee_cycle",
        id=cycle,
        person_id=person,
        programme="trainee",
        institution_id=institution,
        state="enrolled",
        step="training",
        updated_at=joined,
    )
    for before, after in (
        (None, "registered"),
        ("registered", "suitable_online"),
        ("suitable_online", "enrolled"),
    ):
        await w.add(
            "cycle_transition",
            id=w.next_id("cycle_transition"),
            cycle_id=cycle,
            from_state=before,
            to_state=after,
            actor_id=None,
            reason=None,
            at=joined,
        )
    case = w.next_id("screening_case")
    await w.add(
        "screening_case",
        id=case,
        person_id=person,
        institution_id=institution,
        registration_id=registration,
        appendix_id=None,
        recommended="online",
        reasons=["有创业意愿", "具备基本电脑操作能力"],
        decided="online",
        decided_by=None,
        decided_at=joined,
        override_reason=None,
        created_at=joined,
    )
    await _outbox(w, p, person, f"case-decided:{case}", RESULT, joined, forgotten=not recent)
    for action in ("screening.decided", "enrolment.added"):
        await w.add(
            "audit_log",
            id=w.next_id("audit_log"),
            at=joined,
            actor_id=None,
            action=action,
            subject_id=person,
            object_type="person",
            object_id=person,
            reason=None,
            details={"institution_id": institution},
        )
    return person


async def _outbox(
    w: Writer,
    p: Province,
    person: int,
    key: str,
    text: str,
    at: datetime,
    *,
    keyboard: bool = False,
    media: str | None = None,
    expires_at: datetime | None = None,
    forgotten: bool = False,
) -> None:
    """A push made at `at` and sent; `forgotten`: a keyed push without expiry pruned since."""
    payload: dict[str, Any] = {"caption": text} if media else {"text": text}
    if keyboard:
        payload["reply_markup"] = {
            "inline_keyboard": [
                [{"text": "填写反馈", "callback_data": f"fbf:{person}:{key[-12:]}"}]
            ]
        }
    await w.add(
        "outbox",
        id=w.next_id("outbox"),
        key=key,
        chat_id=_chat(person),
        person_id=person,
        method="sendPhoto" if media else "sendMessage",
        payload={} if forgotten else payload,
        status="forgotten" if forgotten else "sent",
        not_before=datetime(2000, 1, 1, tzinfo=UTC),
        expires_at=expires_at,
        attempts=0,
        lease_until=None,
        leased_by=None,
        last_error=None,
        message_id=w.next_id("message"),
        media_sha256=media,
        created_at=at,
        sent_at=at,
    )


REMINDER = (
    "⏰ 提醒：您报名的「网络创业培训班」将于 {at} 开始上课（{topic}）。"
    "地点：杭州市西湖区文三路 100 号 3 楼教室。请准时到场并使用签到码签到。"
)
RESULT = "✅ 筛选结果：适合参加网络创业培训。机构将为您安排班级，请留意通知。"
ABSENT = "❌ 您未参加「网络创业培训班」今天上午的课程，已记为缺勤。如有特殊情况请向老师请假。"
PUSH = (
    "📝 今天的课程已经结束，请花一分钟填写今日培训反馈（课程内容、授课老师、节奏与建议）。"
    "反馈将于明天上课前关闭。"
)
DAYSUM = (
    "📋 第 {day} 天出勤汇总\n" + "上午：出勤 23 人，迟到 1 人（王小明），缺勤 1 人（李四）\n" * 2
)
FBSUM = (
    "📊 昨日培训反馈汇总：回复 20/25（80%）\n总体满意度 4.6\n"
    "▇▇▇▇▇ 5 分 14\n▇▇ 4 分 5\n▇ 3 分 1\n节奏：合适 18，偏快 2\n意见：……"
)


async def _class(
    w: Writer,
    p: Province,
    institution: int,
    region: int,
    teachers: list[int],
    start: date,
    running: bool,
) -> None:
    shape = p.shape
    class_id = w.next_id("training_class")
    opened = _utc(start - timedelta(days=10), 10, 0)
    days = DAYS_DONE if running else 7
    pushes = p.now - _utc(start + timedelta(days=6), 18, 0) < timedelta(days=shape.outbox_days)
    await w.add(
        "training_class",
        id=class_id,
        programme="trainee",
        name=f"网络创业培训班{class_id}期",
        institution_id=institution,
        region_id=region,
        venue_address="杭州市西湖区文三路 100 号 3 楼",
        venue_lat=30.27,
        venue_lon=120.15,
        checkin_radius_m=300,
        late_after_min=10,
        timezone="Asia/Shanghai",
        start_date=start,
        capacity=30,
        status="approved" if running else "closed",
        stage="in_progress" if running else "closed",
        stage_at=opened,
        invite_code=f"c{class_id:08d}",
        equipment_confirmed_at=opened,
        equipment_confirmed_by=None,
        submitted_at=opened,
        decided_by=None,
        decided_at=opened,
        return_reason=None,
        created_by=None,
        created_at=opened,
        updated_at=opened,
    )
    pair = teachers[class_id % len(teachers)], teachers[(class_id + 1) % len(teachers)]
    for teacher in pair:
        await w.add(
            "class_teacher",
            class_id=class_id,
            person_id=teacher,
            assigned_by=None,
            assigned_at=opened,
        )
    sessions: list[tuple[int, int, datetime, datetime]] = []
    for day in range(1, 8):
        for slot, h1, m1, h2, m2 in SLOTS:
            session = w.next_id("class_session")
            starts, ends = (
                _utc(start + timedelta(days=day - 1), h1, m1),
                _utc(start + timedelta(days=day - 1), h2, m2),
            )
            held = day <= days
            await w.add(
                "class_session",
                id=session,
                class_id=class_id,
                day=day,
                slot=slot,
                starts_at=starts,
                ends_at=ends,
                hours=4,
                topic="网店推广：站内推广与活动营销",
                checkin_secret="s" * 32 if held else None,
                checkin_opened_at=starts if held else None,
                checkin_opened_by=pair[0] if held else None,
                checkin_closed_at=ends if held else None,
            )
            sessions.append((session, day, starts, ends))
    if not running:
        await _in_followup(w, p, class_id, institution, sessions[-1][3])
    trainees = [await _trainee(w, p, institution, opened, pushes) for _ in range(shape.per_class)]
    for person in trainees:
        await w.add(
            "enrollment",
            id=w.next_id("enrollment"),
            class_id=class_id,
            person_id=person,
            status="enrolled",
            source="link",
            enrolled_by=None,
            created_at=opened,
        )
        if not running and pushes:
            await _assessed(w, class_id, person, _utc(start + timedelta(days=10), 10, 0))
    for day in range(1, days + 1):
        today = [s for s in sessions if s[1] == day]
        last_end = max(s[3] for s in today)
        closes = (
            min(s[2] for s in sessions if s[1] == day + 1)
            if day < 7
            else last_end + timedelta(hours=16)
        )
        attended = []
        for person in trainees:
            marks = [_mark(person, s[0]) for s in today]
            for (session, _, starts, ends), status in zip(today, marks, strict=True):
                await w.add(
                    "attendance_mark",
                    session_id=session,
                    person_id=person,
                    status=status,
                    checked_in_at=None if status == "absent" else starts,
                    lat=None if status == "absent" else 30.27,
                    lon=None if status == "absent" else 120.15,
                    distance_m=None if status == "absent" else 12.0,
                    outside_radius=False,
                    marked_by=None,
                    updated_at=starts,
                )
                if status == "absent":
                    key = f"absent:{session}:{person}"
                    await _outbox(w, p, person, key, ABSENT, ends, forgotten=not pushes)
                if pushes:
                    await _outbox(
                        w,
                        p,
                        person,
                        f"remind:{session}:{person}",
                        REMINDER.format(at="09:00", topic="网店推广"),
                        starts - timedelta(minutes=30),
                        expires_at=starts,
                    )
            if any(m != "absent" for m in marks):
                attended.append(person)
        kinds = ["daily"] + (["final"] if day == 7 else [])
        for kind in kinds:
            for person in attended:
                answered = _answered(person, day)
                submission = None
                if answered:
                    submission = await _submission(
                        w,
                        person,
                        "daily_feedback" if kind == "daily" else "final_eval",
                        FEEDBACK,
                        last_end + timedelta(hours=1),
                        {"class_id": class_id, "day": day, "kind": kind},
                    )
                request = w.next_id("feedback_request")
                await w.add(
                    "feedback_request",
                    id=request,
                    class_id=class_id,
                    kind=kind,
                    day=day,
                    person_id=person,
                    form_id="daily_feedback" if kind == "daily" else "final_eval",
                    opens_at=last_end,
                    closes_at=closes,
                    submission_id=submission,
                    answered_at=last_end + timedelta(hours=1) if answered else None,
                    created_at=last_end,
                )
                if pushes:
                    key = f"{class_id}:{kind}:{day}:{person}"
                    await _outbox(
                        w, p, person, f"fb:{key}", PUSH, last_end, keyboard=True, expires_at=closes
                    )
                    if not answered:
                        await _outbox(
                            w,
                            p,
                            person,
                            f"fbr:{key}",
                            PUSH,
                            last_end + timedelta(hours=2),
                            keyboard=True,
                            expires_at=closes,
                        )
        if not pushes:
            continue
        morning = _utc(start + timedelta(days=day), 7, 30)
        chart = hashlib.sha256(f"chart:{class_id}:{day}".encode()).hexdigest()
        if morning <= p.now:
            await w.add("media_blob", sha256=chart, data=_png(chart), created_at=morning)
        for teacher in pair:
            await _outbox(
                w,
                p,
                teacher,
                f"daysum:{class_id}:{day}:{teacher}",
                DAYSUM.format(day=day),
                last_end,
                expires_at=last_end + timedelta(hours=12),
            )
            if morning <= p.now:
                key = f"fbsum:{class_id}:{day}:{teacher}"
                until = morning + timedelta(hours=12)
                await _outbox(w, p, teacher, key, FBSUM, morning, keyboard=True, expires_at=until)
                await _outbox(
                    w, p, teacher, f"{key}:chart", "", morning, media=chart, expires_at=until
                )


async def _in_followup(
    w: Writer, p: Province, class_id: int, institution: int, ended: datetime
) -> None:
    """A past class in follow-up as the scan leaves it: the default schedule's waves due by
    `now` sent, the next one's day to wake on."""
    due = [due_at(ended, "Asia/Shanghai", months) for months in DEFAULT_MONTHS]
    sent = sum(1 for when in due if when <= p.now)
    await w.add(
        "followup_class",
        class_id=class_id,
        institution_id=institution,
        ended_at=ended,
        timezone="Asia/Shanghai",
        waves_sent=sent,
        done=sent >= len(due),
        next_wave_at=due[sent] if sent < len(due) else None,
    )


async def _assessed(w: Writer, class_id: int, person: int, at: datetime) -> None:
    """A past class's learner: passed (4 in 5) or in coaching; every 5th handed in practice
    results with a real store (what statistics count as businesses and turnover)."""
    await w.add(
        "trainee_assessment",
        id=w.next_id("trainee_assessment"),
        class_id=class_id,
        person_id=person,
        stage="coaching" if person % 5 == 1 else "passed",
        round=1,
        updated_at=at,
    )
    if person % 5 == 0:
        answers = {
            "has_real_store": True,
            "real_orders": person % 40,
            "real_sales": person % 30_000,
        }
        await _submission(w, person, "practice_results", answers, at, {"class_id": class_id})


def _png(seed: str) -> bytes:
    """A stand-in for a chart PNG of the usual size (incompressible, as PNG data is)."""
    out, block = bytearray(), seed.encode()
    while len(out) < CHART_BYTES:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:CHART_BYTES])


def pending_rows(province: Province, count: int) -> Iterator[dict[str, Any]]:
    """`count` pushes due now (not yet sent), to distinct chats: a backlog for claim benches."""
    for n in range(count):
        person = 1 + n % max(province.rows["person"], 1)
        yield {
            "key": None,
            "chat_id": _chat(person) + CHAT_BASE * (n // max(province.rows["person"], 1)),
            "person_id": person,
            "method": "sendMessage",
            "payload": {"text": REMINDER.format(at="14:00", topic="直播带货")},
            "status": "pending",
            "not_before": province.now - timedelta(seconds=3600 * n / count),
            "expires_at": None,
            "attempts": 0,
            "lease_until": None,
            "leased_by": None,
            "last_error": None,
            "message_id": None,
            "media_sha256": None,
            "created_at": province.now - timedelta(hours=1),
            "sent_at": None,
        }


async def add_pending(engine: AsyncEngine, province: Province, count: int) -> None:
    """Queue `count` due pushes by direct insert, then refresh the statistics."""
    async with engine.connect() as conn:
        writer = Writer(conn, province)
        await writer.start()
        writer.ids["outbox"] = province.rows["outbox"] + 10_000_000
        for row in pending_rows(province, count):
            await writer.add("outbox", id=writer.next_id("outbox"), **row)
        await writer.finish()
        await conn.commit()
        await refresh_statistics(conn)
        await conn.commit()


async def on_both_stores(
    measure: Callable[[str, str], Awaitable[list[str]]], prefix: str
) -> list[str]:
    """A province benchmark's lines on SQLite (a temporary file) and, when `BENCH_POSTGRES_URL`
    or `TEST_POSTGRES_URL` names a server, on a PostgreSQL database made for the run and
    dropped after it: `measure(url, suffix)` with suffix "" and then "_pg"."""
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as directory:
        lines = await measure(f"sqlite+aiosqlite:///{Path(directory) / 'province.db'}", "")
    admin_url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        print("# no PostgreSQL: set TEST_POSTGRES_URL for the _pg figures", file=sys.stderr)
        return lines
    admin = make_url(admin_url)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(
        host=admin.host,
        port=admin.port or 5432,
        user=admin.username,
        password=admin.password,
        database=admin.database,
    )
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin.set(drivername="postgresql+asyncpg", database=name)
        lines += await measure(url.render_as_string(hide_password=False), "_pg")
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    return lines
