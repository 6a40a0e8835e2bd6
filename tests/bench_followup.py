"""`make bench`: the tracking survey scan (issue 14, "Scale"): a store where every trainee has
a tracking schedule (classes of 25 in follow-up, all but the due ones with their first wave
already sent and closed: a survey row each), and 1,000 surveys due now. One scan finds and
enqueues the due ones (`followup_scan_s`, target < 1 s on SQLite), timed with 10,000 and with
100,000 trainees scheduled (`followup_scan_s_10k`, `followup_scan_s_100k`): it should cost
what the due work costs, not what is scheduled. `followup_rss_mb_over_empty`: the peak RSS of
a process running the scan on the 100,000 store, over that of one running it on an empty
store (target within 20 MB), each measured in its own subprocess.

Built by direct inserts; `BENCH_SCALE` (e.g. 0.1) shrinks the scheduled counts (the due work
stays 1,000 unless the store is smaller). Run alone: `python -m tests.bench_followup`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.config import Settings
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import (
    ClassSession,
    Enrollment,
    FollowupClass,
    FollowupSurvey,
    Institution,
    Person,
    Region,
    TrainingClass,
)

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: within the sending hours
CLASS_SIZE = 25
DUE = 1_000
CHUNK = 2_000


async def _rows(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await connection.execute(insert(table), rows[start : start + CHUNK])


async def build(path: Path, trainees: int, due: int) -> None:
    """`trainees` people in classes of 25 in follow-up; the first `due` in classes whose first
    wave (6 months) is due now, the rest in classes 7 months past their end with that wave
    sent and closed (their next, at 12 months, not due)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(engine)
    sessions = create_sessionmaker(engine)
    classes = trainees // CLASS_SIZE
    due_classes = min(due, trainees) // CLASS_SIZE
    async with unit_of_work(sessions) as session:
        region = Region(name="杭州市")
        session.add(region)
        await session.flush()
        institution = Institution(name="机构", region_id=region.id)
        session.add(institution)
        await session.flush()
        connection = await session.connection()
        await _rows(
            connection,
            Person,
            [{"tg_user_id": 10_000 + n, "first_name": f"学员{n}"} for n in range(trainees)],
        )
        first_person = 1  # a fresh store: the trainees are the only rows of `person`
        ended = {n: NOW - timedelta(days=184 if n < due_classes else 214) for n in range(classes)}
        await _rows(
            connection,
            TrainingClass,
            [
                {
                    "programme": "trainee",
                    "name": f"班{n}",
                    "institution_id": institution.id,
                    "region_id": region.id,
                    "start_date": date(2026, 1, 1),
                    "status": "approved",
                }
                for n in range(classes)
            ],
        )
        await _rows(
            connection,
            ClassSession,
            [
                {
                    "class_id": n + 1,
                    "day": 1,
                    "slot": "am",
                    "starts_at": ended[n] - timedelta(hours=3),
                    "ends_at": ended[n],
                    "hours": 4,
                }
                for n in range(classes)
            ],
        )
        await _rows(
            connection,
            Enrollment,
            [
                {"class_id": p // CLASS_SIZE + 1, "person_id": first_person + p}
                for p in range(classes * CLASS_SIZE)
            ],
        )
        await _rows(
            connection,
            FollowupClass,
            [
                {
                    "class_id": n + 1,
                    "institution_id": institution.id,
                    "ended_at": ended[n],
                    "waves_sent": 0 if n < due_classes else 1,
                    # as registration leaves it: looked at from its end (the first pass then
                    # puts the classes with their first wave sent to sleep until the second)
                    "next_wave_at": ended[n],
                }
                for n in range(classes)
            ],
        )
        sent = ended[due_classes] + timedelta(days=183) if due_classes < classes else NOW
        await _rows(
            connection,
            FollowupSurvey,
            [
                {
                    "person_id": first_person + p,
                    "class_id": p // CLASS_SIZE + 1,
                    "institution_id": institution.id,
                    "wave": 1,
                    "months": 6,
                    "sent_at": sent,
                    "closed_at": sent + timedelta(days=30),
                    "answered_at": sent + timedelta(days=2) if p % 2 else None,
                }
                for p in range(due_classes * CLASS_SIZE, classes * CLASS_SIZE)
            ],
        )
    await engine.dispose()


async def scan(path: Path) -> tuple[int, float]:
    """One scan at NOW on the store at `path`: (pushes queued, seconds)."""
    from scheduler.followup import scan_followup

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = create_sessionmaker(engine)
    settings = Settings(_env_file=None)
    # a running bot has scanned many times before work falls due: its statements are compiled
    assert await scan_followup(sessions, NOW - timedelta(days=10), settings) == 0
    started, cpu = time.perf_counter(), time.process_time()
    queued = await scan_followup(sessions, NOW, settings)
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(f"# followup scan of {path.name}: {took:.3f} s, {cpu:.3f} s CPU", file=sys.stderr)
    await engine.dispose()
    return queued, took


def _rss_mb(path: Path) -> float:
    """Peak RSS (MB) of a fresh process that runs the scan on the store at `path`."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench_followup", "--rss", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return float(done.stdout.strip().splitlines()[-1])


async def measure() -> list[str]:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-followup-") as directory:
        root = Path(directory)
        empty = root / "empty.db"
        engine = create_engine(f"sqlite+aiosqlite:///{empty}")
        await upgrade_database(engine)
        await engine.dispose()
        timings = {}
        for label, scheduled in (("10k", 10_000), ("100k", 100_000)):
            trainees = max(int(scheduled * scale), 2 * CLASS_SIZE)
            due = min(DUE, max(int(10_000 * scale), 2 * CLASS_SIZE) // 2)  # the same in both
            store = root / f"{label}.db"
            await build(store, trainees, due)
            shutil.copy(store, root / f"{label}-rss.db")
            queued, took = await scan(store)
            assert queued == due // CLASS_SIZE * CLASS_SIZE, (queued, due)
            again, _ = await scan(store)
            assert again == 0
            timings[label] = took
            lines.append(f"followup_scan_s_{label}={took:.3f}")
        lines.append(f"followup_scan_s={timings['100k']:.3f}")
        loaded, bare = _rss_mb(root / "100k-rss.db"), _rss_mb(empty)
        print(f"# followup scan RSS: {loaded:.1f} MB vs {bare:.1f} MB empty", file=sys.stderr)
        lines.append(f"followup_rss_mb_over_empty={loaded - bare:.1f}")
    return lines


def _rss_main(path: str) -> None:
    """Run the scan, then print the process's resident memory (MB): what it holds after the
    scan (VmRSS), or its peak when /proc is not there."""
    asyncio.run(scan(Path(path)))
    try:
        status = Path("/proc/self/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    except (OSError, StopIteration):
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(kb / 1024)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss"]:
        _rss_main(sys.argv[2])
    else:
        for line in asyncio.run(measure()):
            print(line)
