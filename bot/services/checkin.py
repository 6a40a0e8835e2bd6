"""Check-in use cases (S-11, S-24, S-44): a teacher of the class opens a session's check-in and
closes it, a learner checks in with the rotating code (then optionally their location), a
teacher marks by hand (present, late, absent, excused).

Each takes an `Actor` and the unit of work, loads or raises (bot/services/targets.py), asks the
policy (CHECKIN_OPEN, ATTENDANCE_MARK, ROSTER_VIEW), writes through storage/checkin.py and
returns an outcome for the adapter (the chat handlers in handlers/checkin/, the classroom
screen, later a web page) to show. Who is told what when a check-in closes is
bot/services/attendance.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.attendance import local_day
from bot.domain.checkin import (
    ATTENDED,
    MAX_WRONG_CODES,
    CheckinState,
    Mark,
    checkin_state,
    code_accepted,
    markable,
)
from bot.forms import service as forms
from bot.policy import Action, allowed, institutions
from bot.services import attendance
from bot.services.actor import Actor
from bot.services.errors import Stale
from bot.services.targets import class_and_target, class_session_for
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import checkin as store
from storage.attendance import enrolled_ids
from storage.classes import sessions_of
from storage.models import AttendanceMark, ClassSession, TrainingClass


def _markable(class_session: ClassSession, actor: Actor) -> bool:
    opened = class_session.checkin_opened_at is not None
    return markable(opened, class_session.starts_at, actor.now)


# --- teachers: opening and closing -----------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """A session's check-in as its teacher sees it: its phase, how many have checked in."""

    class_session: ClassSession
    training_class: TrainingClass
    phase: CheckinState
    checked_in: int = 0
    enrolled: int = 0


async def _panel(
    session: AsyncSession, class_session: ClassSession, training_class: TrainingClass
) -> Panel:
    phase = checkin_state(class_session.checkin_opened_at, class_session.checkin_closed_at)
    return Panel(
        class_session,
        training_class,
        phase,
        await store.checked_in_count(session, class_session.id),
        len(await enrolled_ids(session, training_class.id)),
    )


async def todays_sessions(
    session: AsyncSession, actor: Actor
) -> list[tuple[ClassSession, TrainingClass]]:
    """Today's sessions of the running classes the actor teaches."""
    return await store.todays_sessions_taught(session, actor.person_id, actor.now)


async def open_checkin(session: AsyncSession, actor: Actor, session_id: int) -> Panel:
    """Open the session's check-in (once: opening it again shows the same panel). A closed
    one comes back CLOSED, for its roster; Stale unless the class runs and the session is
    today (in the class's time zone)."""
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, session_id
    )
    if class_session.checkin_closed_at is not None:
        return await _panel(session, class_session, training_class)
    zone = training_class.timezone
    if training_class.status not in store.RUNNING or local_day(
        class_session.starts_at, zone
    ) != local_day(actor.now, zone):
        raise Stale("checkin.not_today")
    await store.open_checkin(session, class_session, actor.person_id, actor.now)
    return await _panel(session, class_session, training_class)


async def panel(session: AsyncSession, actor: Actor, session_id: int) -> Panel:
    """The session's check-in now, for the teacher's panel (refresh)."""
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, session_id
    )
    return await _panel(session, class_session, training_class)


async def close_checkin(session: AsyncSession, actor: Actor, session_id: int) -> Panel:
    """Close an open check-in: who is unmarked becomes absent (excused on approved leave)
    and is told. A check-in closed already comes back CLOSED; one never opened NEW,
    and nothing changes."""
    found = await panel(session, actor, session_id)
    if found.phase is not CheckinState.OPEN:
        return found
    await attendance.close_checkin(
        session, found.class_session, actor.now, actor_id=actor.person_id
    )
    return await _panel(session, found.class_session, found.training_class)


# --- learners: checking in -------------------------------------------------------------------


class CheckInResult(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"
    NONE_OPEN = "none_open"
    WRONG_CODE = "wrong_code"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class CheckedIn:
    """What a code sent came to: the result, the mark (new or earlier) and its session, or how
    many wrong codes are left."""

    result: CheckInResult
    mark: AttendanceMark | None = None
    class_session: ClassSession | None = None
    training_class: TrainingClass | None = None
    left: int = 0

    @property
    def late(self) -> bool:
        return self.mark is not None and self.mark.status == Mark.LATE

    @property
    def asks_location(self) -> bool:
        """A new check-in at a venue with a known place asks for the learner's location."""
        return (
            self.result is CheckInResult.CHECKED_IN
            and self.training_class is not None
            and self.training_class.venue_lat is not None
        )


async def open_sessions(
    session: AsyncSession, actor: Actor
) -> list[tuple[ClassSession, TrainingClass]]:
    """The sessions open for check-in in the classes the actor is enrolled in."""
    return await store.open_sessions_of(session, actor.person_id)


async def code_sessions(
    session: AsyncSession, actor: Actor
) -> list[tuple[ClassSession, TrainingClass]] | None:
    """Whether four digits from the actor are a check-in code: the sessions open for them
    when so, None when not. They are from an enrolled learner; while a form is being filled
    only while a check-in is open that they have not checked in to (otherwise the form gets
    the message)."""
    opened = await store.open_sessions_of(session, actor.person_id)
    if await forms.active_draft(session, actor.person_id) is not None:
        for class_session, _ in opened:
            if await store.mark_of(session, class_session.id, actor.person_id) is None:
                return opened
        return None
    if opened or await store.is_enrolled(session, actor.person_id):
        return opened
    return None


async def check_in(
    session: AsyncSession,
    actor: Actor,
    code: str,
    opened: Sequence[tuple[ClassSession, TrainingClass]] | None = None,
) -> CheckedIn:
    """Check the actor in with `code` (as `normalise_code` gives it): any open session of their
    classes whose current or previous code it is. A wrong code is counted (and committed):
    after MAX_WRONG_CODES for a session its code is no longer accepted from them. `opened`:
    the open sessions, when the caller has them already."""
    if opened is None:
        opened = await store.open_sessions_of(session, actor.person_id)
    if not opened:
        return CheckedIn(CheckInResult.NONE_OPEN)
    matched = next(
        ((s, c) for s, c in opened if code_accepted(s.checkin_secret, code, actor.now)), None
    )
    if matched is None:
        tries = [await store.record_wrong_code(session, s.id, actor.person_id) for s, _ in opened]
        left = MAX_WRONG_CODES - max(tries)
        if left > 0:
            return CheckedIn(CheckInResult.WRONG_CODE, left=left)
        return CheckedIn(CheckInResult.TOO_MANY)
    class_session, training_class = matched
    if await store.wrong_codes(session, class_session.id, actor.person_id) >= MAX_WRONG_CODES:
        return CheckedIn(CheckInResult.TOO_MANY)
    done = await store.self_check_in(
        session, class_session, training_class, actor.person_id, actor.now
    )
    result = CheckInResult.CHECKED_IN if done.new else CheckInResult.ALREADY
    return CheckedIn(result, done.mark, class_session, training_class)


def checked_in_at(checked: CheckedIn) -> datetime | None:
    """When an earlier check-in was made (None when the mark is a teacher's absent/excused)."""
    mark = checked.mark
    return mark.checked_in_at if mark is not None and mark.status in ATTENDED else None


async def awaiting_location(
    session: AsyncSession, actor: Actor
) -> tuple[AttendanceMark, TrainingClass] | None:
    """The actor's own check-in of the last few minutes that still has no location."""
    return await store.awaiting_location(session, actor.person_id, actor.now)


async def record_location(
    session: AsyncSession, actor: Actor, lat: float, lon: float
) -> tuple[AttendanceMark, TrainingClass] | None:
    """Keep the location with the actor's check-in of a moment ago (flagged when outside the
    venue's radius); None when there is none waiting for it."""
    pending = await awaiting_location(session, actor)
    if pending is None:
        return None
    mark, training_class = pending
    mark = await store.record_location(session, mark, training_class, lat, lon, actor.now)
    return mark, training_class


# --- teachers and staff: the roster and hand marks -------------------------------------------


async def roster_classes(session: AsyncSession, actor: Actor, page: int = 0) -> Page[TrainingClass]:
    """A page of the classes whose roster the actor may read: those they teach, and their
    institutions' (open or closed), latest first. Counted, then one query for the page."""
    institution_ids = institutions(actor, Action.ROSTER_VIEW)
    total = await store.visible_class_count(session, actor.person_id, institution_ids)
    page, pages, offset = page_window(total, page)
    shown = await store.visible_classes(
        session, actor.person_id, institution_ids, offset, PAGE_SIZE
    )
    return Page(list(shown), page, pages, total)


async def roster_class(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, bool]:
    """A class whose roster the actor may read, and whether they may mark it."""
    training_class, target = await class_and_target(
        session, actor, Action.ROSTER_VIEW, class_id, statuses=store.VISIBLE
    )
    return training_class, allowed(actor, Action.ATTENDANCE_MARK, target)


async def markable_session(
    session: AsyncSession, actor: Actor, session_id: int
) -> tuple[ClassSession, TrainingClass]:
    """A session the actor may mark now (a teacher of the class, the session begun)."""
    class_session, training_class = await class_session_for(
        session, actor, Action.ATTENDANCE_MARK, session_id
    )
    if not _markable(class_session, actor):
        raise Stale("checkin.not_started")
    return class_session, training_class


async def roster_line(
    session: AsyncSession, actor: Actor, session_id: int, person_id: int
) -> tuple[ClassSession, TrainingClass, store.RosterLine]:
    """One enrolled learner's line of a session the actor may mark."""
    class_session, training_class = await markable_session(session, actor, session_id)
    lines = await store.roster(session, training_class, class_session)
    line = next((line for line in lines if line.person_id == person_id), None)
    if line is None:
        raise Stale("checkin.not_enrolled")
    return class_session, training_class, line


async def hand_mark(
    session: AsyncSession, actor: Actor, session_id: int, person_id: int, mark: Mark
) -> tuple[ClassSession, TrainingClass, bool]:
    """A teacher's mark for an enrolled learner (audited with before and after; a location
    flag is settled); their eligibility notices follow. The flag is False when nothing
    changed (the same mark again)."""
    class_session, training_class = await markable_session(session, actor, session_id)
    if not await store.markable(session, class_session, person_id):
        raise Stale("checkin.not_enrolled")
    changed = await store.hand_mark(
        session, class_session, person_id, mark, actor.person_id, actor.now
    )
    if changed:
        await attendance.after_marks_changed(session, training_class, [person_id], actor.now)
    return class_session, training_class, changed


RosterLine = store.RosterLine
ClassSummary = store.ClassSummary


async def timetable(session: AsyncSession, class_id: int) -> list[ClassSession]:
    """The class's sessions in order (to page a roster by day)."""
    return list(await sessions_of(session, class_id))


async def roster(
    session: AsyncSession, training_class: TrainingClass, class_session: ClassSession
) -> list[RosterLine]:
    """Every enrolled person with their mark for the session, by name."""
    return await store.roster(session, training_class, class_session)


async def class_summary(
    session: AsyncSession, training_class: TrainingClass, now: datetime
) -> ClassSummary:
    """Attendance so far by session and by person."""
    return await store.class_summary(session, training_class, now)
