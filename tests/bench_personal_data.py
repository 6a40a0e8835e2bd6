"""`make bench`: one person's export and erasure (S-53) in a province-shaped store.

The store is `tests/province.py`'s (direct inserts; `BENCH_SCALE` scales its classes as
tests/bench_store.py does, so `BENCH_SCALE=0.02` is a quick run). One trainee of a running class
is exported (`storage.personal_data.export`) and erased (`storage.personal_data.erase` with the
product's rules: the sweeps scan others' rows with `LIKE`, so this is what grows with the
store). Printed: `personal_data_export_ms` and `personal_data_erase_s`, on SQLite only.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.services.personal_data import keep
from storage import personal_data
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.migrate import upgrade_database
from storage.models import FormSubmission, Person
from tests import province
from tests.bench_store import _shape


async def measure() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-personal-") as directory:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'p.db'}")
        try:
            await upgrade_database(engine)
            built = await province.build(engine, _shape())
            sessions = create_sessionmaker(engine)
            async with unit_of_work(sessions) as session:
                person_id = (
                    await session.exec(select(func.max(FormSubmission.person_id)))
                ).scalar_one()
                chat_id = (await session.get(Person, person_id)).tg_user_id
            started = time.perf_counter()
            async with unit_of_work(sessions) as session:
                exported = await personal_data.export(session, person_id)
            export_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            async with unit_of_work(sessions) as session:
                counts = await personal_data.erase(
                    session, personal_data.Erasure(person_id, chat_id, keep)
                )
            erase_s = time.perf_counter() - started
            print(
                f"# personal data: {built.trainees} trainees; exported "
                f"{sum(len(rows) for rows in exported.values())} rows; erased {counts}",
                file=sys.stderr,
            )
        finally:
            await engine.dispose()
    return [f"personal_data_export_ms={export_ms:.1f}", f"personal_data_erase_s={erase_s:.2f}"]


if __name__ == "__main__":
    for line in asyncio.run(measure()):
        print(line)
