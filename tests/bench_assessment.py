"""The scorer draw for a province (issue 12): 200 classes × 30 submissions over 500 lecturers
in 20 regions (25 each, in 3 institutions of 8-9 lecturers per region; each region's 10 classes
spread over its institutions 4/3/3), every class taught by two lecturers of its region, each
trainee with one declared conflict, every lecturer already holding 0-1 open assignments.
(With lopsided institutions, say one with half the region's lecturers running 70% of its
classes, no draw can reach a spread of 1: its lecturers may score only the other classes.)

- `scorer_draw_s`: one draw of all 6,000 submissions (bot.domain.assessment.draw), target < 1 s;
- `scorer_load_spread`: max − min open assignments per lecturer after it, target ≤ 1;
- `scorer_draw_per_class_s`: the same province drawn class by class as the windows close
  (loads carried from one draw to the next), as the product runs; `scorer_pool_spread_per_class`
  is the worst spread of one such draw over the lecturers eligible for that class (≤ 1), and
  `scorer_load_spread_per_class` the province's spread at the end: a draw cannot move earlier
  classes' assignments, and a class's own institution's lecturers get none of its work, so
  drawing class by class ends less even than drawing the province at once.

Pure: no database, seeded, so every run draws the same province.
"""

from __future__ import annotations

import random
import time

from bot.domain.assessment import Scorer, Submission, draw, eligible

REGIONS, LECTURERS, CLASSES, PER_CLASS, SCHOOLS = 20, 500, 200, 30, 3


def school(region: int, index: int) -> int:
    return 1000 + region * SCHOOLS + index


def province(seed: int = 12) -> tuple[list[Scorer], list[list[Submission]], dict[int, int]]:
    rng = random.Random(seed)
    scorers = [
        Scorer(p, p % REGIONS, frozenset({school(p % REGIONS, p // REGIONS % SCHOOLS)}))
        for p in range(LECTURERS)
    ]
    by_region: dict[int, list[Scorer]] = {}
    for s in scorers:
        by_region.setdefault(s.region_id, []).append(s)
    classes = []
    for c in range(CLASSES):
        region = c % REGIONS
        own = school(region, c // REGIONS % SCHOOLS)
        teachers = frozenset(s.person_id for s in rng.sample(by_region[region], 2))
        classes.append(
            [
                Submission(
                    c * 100 + j, region, own, teachers, frozenset({rng.randrange(LECTURERS)})
                )
                for j in range(PER_CLASS)
            ]
        )
    loads = {s.person_id: rng.randint(0, 1) for s in scorers}
    return scorers, classes, loads


def measure() -> list[str]:
    scorers, classes, loads = province()
    every = [s for c in classes for s in c]
    started = time.perf_counter()
    once = draw(every, scorers, k=1, seed=7, loads=loads)
    at_once = time.perf_counter() - started
    carried, per_class, worst = dict(loads), 0.0, 0
    for number, submissions in enumerate(classes):
        started = time.perf_counter()
        drawn = draw(submissions, scorers, k=1, seed=number, loads=carried)
        per_class += time.perf_counter() - started
        carried = dict(drawn.loads)
        pool = {s.person_id for s in scorers if any(eligible(sub, s) for sub in submissions)}
        worst = max(worst, drawn.spread(pool))
    spread = max(carried.values()) - min(carried.values())
    return [
        f"scorer_draw_s={at_once:.3f}",
        f"scorer_load_spread={once.spread()}",
        f"scorer_draw_shortfall={once.shortfall}",
        f"scorer_draw_per_class_s={per_class:.3f}",
        f"scorer_pool_spread_per_class={worst}",
        f"scorer_load_spread_per_class={spread}",
    ]


if __name__ == "__main__":
    for line in measure():
        print(line)
