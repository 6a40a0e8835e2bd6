"""Store-level builders for tests that need a class without going through its creation UI."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ClassSession, ClassTeacher, Enrollment, TrainingClass

SLOTS = (("morning", time(9), time(12, 30)), ("afternoon", time(14), time(17, 30)))
"""Two 4-hour sessions a day: 7 days make 56 class hours, 10 days 80 (S-9, S-23)."""


async def make_class(
    session: AsyncSession,
    *,
    institution_id: int,
    region_id: int,
    start: date,
    teacher_ids: tuple[int, ...] = (),
    trainee_ids: tuple[int, ...] = (),
    programme: str = "trainee",
    days: int | None = None,
    status: str = "approved",
    timezone: str = "Asia/Shanghai",
    venue: tuple[float, float] | None = (30.2741, 120.1551),
) -> TrainingClass:
    """An approved class (by default) with a full timetable, its teachers and trainees."""
    days = days or (7 if programme == "trainee" else 10)
    made = TrainingClass(
        programme=programme,
        name=f"测试班 {start.isoformat()}",
        institution_id=institution_id,
        region_id=region_id,
        venue_address="杭州市西湖区文三路 1 号",
        venue_lat=venue[0] if venue else None,
        venue_lon=venue[1] if venue else None,
        timezone=timezone,
        start_date=start,
        status=status,
    )
    session.add(made)
    await session.flush()
    zone = ZoneInfo(timezone)
    for day in range(1, days + 1):
        on = start + timedelta(days=day - 1)
        for slot, begins, ends in SLOTS:
            session.add(
                ClassSession(
                    class_id=made.id,
                    day=day,
                    slot=slot,
                    starts_at=datetime.combine(on, begins, zone),
                    ends_at=datetime.combine(on, ends, zone),
                    hours=4,
                    topic=f"第{day}天 {slot}",
                )
            )
    for teacher_id in teacher_ids:
        session.add(ClassTeacher(class_id=made.id, person_id=teacher_id))
    for trainee_id in trainee_ids:
        session.add(Enrollment(class_id=made.id, person_id=trainee_id, status="enrolled"))
    await session.flush()
    return made
