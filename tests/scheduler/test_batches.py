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

    size = BATCH * 2 // 5  # two steps fit in a unit of work, a third does not
    queued = await run_batched(sessions, [step(size) for _ in range(5)] + [step(0)], most=size)

    assert queued == 5 * size
    assert [held for _, held in units] == [2 * size, 2 * size, size]
    assert all(held <= BATCH for _, held in units)
    assert await run_batched(sessions, [], most=size) == 0
