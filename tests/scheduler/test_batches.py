"""A scan with much due queues it in units of work of at most `BATCH` pushes (issue 11), so
a big province's end of day is committed as it goes, not held in one transaction."""

from __future__ import annotations

import asyncio

from scheduler.jobs import BATCH, TURN, run_batched, taking_turns


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


async def test_a_scan_computing_for_many_classes_lets_updates_run_meanwhile():
    """Computing windows or texts for a province's classes hands the event loop over every
    `TURN` items: an update arriving meanwhile is served during the pass, not after it."""
    served_at: list[int] = []
    seen = 0

    async def update() -> None:
        served_at.append(seen)

    async def scan() -> None:
        nonlocal seen
        async for _ in taking_turns(range(5 * TURN)):
            if seen == 1:
                asyncio.get_running_loop().create_task(update())
            seen += 1

    await scan()
    await asyncio.sleep(0)
    assert served_at and served_at[0] <= TURN
