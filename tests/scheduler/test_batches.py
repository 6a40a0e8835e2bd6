"""A scan with much due queues it in units of work of at most `BATCH` pushes (issue 11), so
a big province's end of day is committed as it goes, not held in one transaction."""

from __future__ import annotations

from scheduler.jobs import BATCH, run_batched


async def test_a_scan_commits_its_work_in_units_of_at_most_batch_pushes(sessions):
    units: list[list] = []  # [session, pushes queued in it]; the session kept, so compared

    def step(pushes: int):
        async def run(session) -> int:
            if not units or units[-1][0] is not session:
                units.append([session, 0])
            units[-1][1] += pushes
            return pushes

        return run

    queued = await run_batched(sessions, [step(200) for _ in range(5)] + [step(0)], most=200)

    assert queued == 1000
    assert [held for _, held in units] == [400, 400, 200]
    assert all(held <= BATCH for _, held in units)
    assert await run_batched(sessions, [], most=200) == 0
