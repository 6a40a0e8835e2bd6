"""Assessment (S-12, S-13, S-25, SPEC section 7 T8-T10): the class's life, the trainee's
assessment cycle, the draw of non-teaching scorers (「抽取非授课讲师」), the rubric and the
final-score rule. Pure: no aiogram, no database.

The draw
--------
`draw()` is a greedy least-loaded assignment followed by a balancing repair:

1. Each submission's eligible scorers are computed (`eligible()`): the region's lecturers with a
   verified lecturer certificate, never a teacher of the class, never one of the trainee's
   institution, never one who declared a conflict with the trainee (or, for a lecturer class
   (S-25), the class's trainers).
2. Submissions are taken most-constrained first (fewest eligible, then a seeded random key);
   each gets its k scorers among the least-loaded eligible ones, a load counting the open
   assignments from other classes too. Equal loads are broken by a per-scorer random key drawn
   from `random.Random(seed)`, so the same seed and input give the same draw.
3. Repair: while some scorer has max load L and an alternating path of moves leads from one of
   their assignments to a scorer with load ≤ L − 2 (a breadth-first search over "submission s
   may move from scorer a to eligible scorer b"), the assignments along the path move: the
   loaded scorer loses one, the light one gains one, everyone between keeps theirs. This is
   the augmenting-path step a min-cost flow would take; at the end no such path exists, so the
   spread (max − min over the scorers that could take more work) is ≤ 1 wherever the
   eligibility allows it. Scorers whose loads from other classes are already above everyone
   else's simply get nothing.

A submission with fewer than k eligible scorers keeps the ones it could get and is counted in
`Draw.shortfall`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

# ---------------------------------------------------------------------------------------------
# The class's life and the trainee's assessment cycle


class ClassStage(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ENDED = "ended"
    ASSESSED = "assessed"
    CLOSED = "closed"


class TraineeStage(StrEnum):
    TRAINING = "training"
    ASSESSMENT = "assessment"
    PASSED = "passed"
    COACHING = "coaching"


CLASS_MOVES: dict[ClassStage, frozenset[ClassStage]] = {
    ClassStage.OPEN: frozenset({ClassStage.IN_PROGRESS}),
    ClassStage.IN_PROGRESS: frozenset({ClassStage.ENDED}),
    ClassStage.ENDED: frozenset({ClassStage.ASSESSED}),
    ClassStage.ASSESSED: frozenset({ClassStage.CLOSED}),
    ClassStage.CLOSED: frozenset(),
}

TRAINEE_MOVES: dict[TraineeStage, frozenset[TraineeStage]] = {
    TraineeStage.TRAINING: frozenset({TraineeStage.ASSESSMENT}),
    TraineeStage.ASSESSMENT: frozenset({TraineeStage.PASSED, TraineeStage.COACHING}),
    TraineeStage.COACHING: frozenset({TraineeStage.ASSESSMENT}),
    TraineeStage.PASSED: frozenset(),
}


class StageRefused(ValueError):
    """A move the table does not allow (ending a class not yet started, passing twice)."""


S = TypeVar("S", ClassStage, TraineeStage)


def transition(moves: Mapping[S, frozenset[S]], current: S, target: S) -> S:
    """`target` when `current → target` is in `moves`; StageRefused otherwise."""
    if target not in moves[current]:
        raise StageRefused(f"{current} -> {target} is not allowed")
    return target


# ---------------------------------------------------------------------------------------------
# The draw


@dataclass(frozen=True)
class Scorer:
    person_id: int
    region_id: int | None
    institutions: frozenset[int] = frozenset()
    verified: bool = True
    """Holds a verified lecturer certificate."""


@dataclass(frozen=True)
class Submission:
    id: int
    region_id: int | None
    institution_id: int | None
    teachers: frozenset[int] = frozenset()
    conflicts: frozenset[int] = frozenset()
    """Scorers who declared a conflict with this trainee."""
    excluded: frozenset[int] = frozenset()
    """Scorers who already had (declined, missed) this submission."""
    regions: frozenset[int] = frozenset()
    """Named neighbouring regions the pool is widened to."""
    pool: frozenset[int] | None = None
    """A lecturer class (S-25): the class's trainers score; the region rule does not apply."""


def eligible(submission: Submission, scorer: Scorer) -> bool:
    """May `scorer` score `submission` (S-12)?"""
    person = scorer.person_id
    if person in submission.conflicts or person in submission.excluded:
        return False
    if submission.pool is not None:
        return person in submission.pool
    if not scorer.verified or person in submission.teachers:
        return False
    if submission.institution_id is not None and submission.institution_id in scorer.institutions:
        return False
    return scorer.region_id is not None and (
        scorer.region_id == submission.region_id or scorer.region_id in submission.regions
    )


@dataclass(frozen=True)
class Draw:
    assignments: dict[int, tuple[int, ...]]
    """Submission id → its scorers, in the order drawn."""
    loads: dict[int, int]
    """Scorer → open assignments after the draw (other classes included)."""
    shortfall: int
    """How many submissions got fewer than k scorers."""
    seed: int
    missing: dict[int, int] = field(default_factory=dict)
    """Submission id → how many scorers it lacks."""

    def spread(self, scorers: Iterable[int] | None = None) -> int:
        chosen = list(self.loads) if scorers is None else list(scorers)
        values = [self.loads[s] for s in chosen]
        return max(values) - min(values) if values else 0


def _person(scorer: Scorer) -> int:
    return scorer.person_id


def draw(
    submissions: Sequence[Submission],
    scorers: Sequence[Scorer],
    *,
    k: int = 1,
    seed: int,
    loads: Mapping[int, int] | None = None,
) -> Draw:
    """Draw k scorers for each submission; see the module's docstring for the method."""
    rng = random.Random(seed)
    people = sorted({s.person_id: s for s in scorers}.values(), key=lambda s: s.person_id)
    tiebreak = {s.person_id: rng.random() for s in people}
    load = {s.person_id: int((loads or {}).get(s.person_id, 0)) for s in people}
    ordered = sorted({s.id: s for s in submissions}.values(), key=lambda s: s.id)
    by_region: dict[int | None, list[Scorer]] = {}
    for p in people:
        by_region.setdefault(p.region_id, []).append(p)
    by_id = {p.person_id: p for p in people}

    def candidates(sub: Submission) -> list[Scorer]:
        if sub.pool is not None:
            return [by_id[p] for p in sorted(sub.pool) if p in by_id]
        regions = sorted({sub.region_id, *sub.regions} - {None})
        return sorted((p for r in regions for p in by_region.get(r, ())), key=_person)

    shared: dict[tuple[Any, ...], list[int]] = {}

    def allowed(sub: Submission) -> list[int]:
        """Eligible scorers, computed once per class-like group (same region, institution,
        teachers, pool), then the trainee's own conflicts and exclusions taken out."""
        group = (sub.region_id, sub.regions, sub.institution_id, sub.teachers, sub.pool)
        if group not in shared:
            plain = Submission(
                0,
                sub.region_id,
                sub.institution_id,
                sub.teachers,
                regions=sub.regions,
                pool=sub.pool,
            )
            shared[group] = [p.person_id for p in candidates(sub) if eligible(plain, p)]
        out = sub.conflicts | sub.excluded
        return [p for p in shared[group] if p not in out] if out else list(shared[group])

    options = {sub.id: allowed(sub) for sub in ordered}
    order = sorted(ordered, key=lambda sub: (len(options[sub.id]), rng.random()))
    chosen: dict[int, list[int]] = {}
    for sub in order:
        picks = sorted(options[sub.id], key=lambda p: (load[p], tiebreak[p]))[:k]
        for p in picks:
            load[p] += 1
        chosen[sub.id] = picks
    _balance(chosen, options, load, tiebreak)
    missing = {sid: k - len(got) for sid, got in chosen.items() if len(got) < k}
    return Draw(
        {sid: tuple(chosen[sid]) for sid in sorted(chosen)},
        load,
        len(missing),
        seed,
        missing,
    )


def _balance(
    chosen: dict[int, list[int]],
    options: Mapping[int, Sequence[int]],
    load: dict[int, int],
    tiebreak: Mapping[int, float],
) -> None:
    """Move assignments along alternating paths from the most to a light scorer until no
    path lowers the spread (see the module's docstring)."""
    held: dict[int, list[int]] = {p: [] for p in load}
    for sid in sorted(chosen):
        for p in chosen[sid]:
            held[p].append(sid)
    blocked: set[int] = set()
    while True:
        heavy = [p for p in load if held[p] and p not in blocked]
        if not heavy:
            return
        top = max(load[p] for p in heavy)
        if top - min(load.values()) <= 1:
            return
        sources = sorted((p for p in heavy if load[p] == top), key=lambda p: tiebreak[p])
        for source in sources:
            path = _path(source, top, chosen, options, load, held, tiebreak)
            if path is None:
                blocked.add(source)
                continue
            for sid, giver, taker in path:
                chosen[sid][chosen[sid].index(giver)] = taker
                held[giver].remove(sid)
                held[taker].append(sid)
            load[source] -= 1
            load[path[-1][2]] += 1
            break


def _path(
    source: int,
    top: int,
    chosen: Mapping[int, list[int]],
    options: Mapping[int, Sequence[int]],
    load: Mapping[int, int],
    held: Mapping[int, list[int]],
    tiebreak: Mapping[int, float],
) -> list[tuple[int, int, int]] | None:
    """Breadth-first: a chain of (submission, from, to) moves starting at `source` and ending
    at a scorer whose load is at most top − 2."""
    previous: dict[int, tuple[int, int, int] | None] = {source: None}
    queue = deque([source])
    while queue:
        giver = queue.popleft()
        for sid in held[giver]:
            for taker in options[sid]:
                if taker in previous or taker in chosen[sid]:
                    continue
                previous[taker] = (sid, giver, taker)
                if load[taker] <= top - 2:
                    path = []
                    step = previous[taker]
                    while step is not None:
                        path.append(step)
                        step = previous[step[1]]
                    return path[::-1]
                queue.append(taker)
    return None


# ---------------------------------------------------------------------------------------------
# The rubric (T9)

RUBRICS_DIR = Path(__file__).resolve().parents[2] / "templates" / "rubrics"


@dataclass(frozen=True)
class Criterion:
    id: str
    maximum: int
    name: Mapping[str, str]
    description: Mapping[str, str]


@dataclass(frozen=True)
class Rubric:
    key: str
    criteria: tuple[Criterion, ...]
    pass_mark: int = 60

    @property
    def maximum(self) -> int:
        return sum(c.maximum for c in self.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


class RubricError(ValueError):
    """A rubric file that breaks the rules (totals, names in both locales)."""


LOCALES = ("zh-CN", "en")


def parse_rubric(key: str, data: Mapping[str, Any]) -> Rubric:
    criteria = []
    seen: set[str] = set()
    for raw in data.get("criteria") or ():
        cid = str(raw.get("id", ""))
        if not cid or cid in seen:
            raise RubricError(f"{key}: criterion id missing or repeated: {cid!r}")
        seen.add(cid)
        maximum = raw.get("max")
        if not isinstance(maximum, int) or maximum <= 0:
            raise RubricError(f"{key}: {cid}: max must be a positive integer")
        name, description = raw.get("name") or {}, raw.get("description") or {}
        for locale in LOCALES:
            if not name.get(locale) or not description.get(locale):
                raise RubricError(f"{key}: {cid}: name and description needed in {locale}")
        criteria.append(Criterion(cid, maximum, dict(name), dict(description)))
    if not criteria:
        raise RubricError(f"{key}: no criteria")
    rubric = Rubric(key, tuple(criteria), int(data.get("pass_mark", 60)))
    if rubric.maximum != 100:
        raise RubricError(f"{key}: criteria add up to {rubric.maximum}, not 100")
    if not 0 < rubric.pass_mark <= 100:
        raise RubricError(f"{key}: pass_mark must be within 1..100")
    return rubric


def load_rubric(region_code: str | None = None, directory: Path = RUBRICS_DIR) -> Rubric:
    """The region's override (`<region_code>.yaml`) when there is one, else `default.yaml`."""
    if region_code:
        path = directory / f"{region_code}.yaml"
        if path.is_file():
            return parse_rubric(region_code, yaml.safe_load(path.read_text("utf-8")))
    path = directory / "default.yaml"
    return parse_rubric("default", yaml.safe_load(path.read_text("utf-8")))


class ScoreError(ValueError):
    """A score sheet that cannot be final: a score out of range, a criterion left out, or no
    comment under the pass mark."""


def total(rubric: Rubric, scores: Mapping[str, int]) -> int:
    """The sum of the given scores (a running total while scoring)."""
    return sum(scores.get(c.id, 0) for c in rubric.criteria)


def score_problem(rubric: Rubric, criterion_id: str, value: int) -> str | None:
    """None, or why the value is not a score of that criterion."""
    maximum = rubric.criterion(criterion_id).maximum
    return None if 0 <= value <= maximum else f"0..{maximum}"


def check_sheet(rubric: Rubric, scores: Mapping[str, int], comment: str | None) -> int:
    """The total of a complete, valid sheet; ScoreError otherwise (a comment is required when
    the total is under the pass mark)."""
    for c in rubric.criteria:
        if c.id not in scores:
            raise ScoreError(f"missing {c.id}")
        if score_problem(rubric, c.id, scores[c.id]) is not None:
            raise ScoreError(f"{c.id} out of range")
    if set(scores) - {c.id for c in rubric.criteria}:
        raise ScoreError("unknown criterion")
    result = total(rubric, scores)
    if result < rubric.pass_mark and not (comment or "").strip():
        raise ScoreError("comment required")
    return result


# ---------------------------------------------------------------------------------------------
# The final-score rule

BORDERLINE = 5
"""A score within this many points of the pass mark asks a second scorer."""
DISAGREEMENT = 15
"""Two scores further apart than this ask a third scorer."""


@dataclass(frozen=True)
class Review:
    score: int
    plan_complete: bool


@dataclass(frozen=True)
class Verdict:
    need_more: bool
    """Another scorer is needed before the result is final."""
    final: float | None = None
    plan_complete: bool | None = None
    passed: bool | None = None


def verdict(reviews: Sequence[Review], pass_mark: int = 60) -> Verdict:
    """The final-score rule (README "Assessment"):

    - one review: final unless the score is within 5 points of the pass mark, or the plan
      review and the score disagree (a pass with an incomplete plan or a fail with a complete
      one); then a second scorer;
    - two reviews: final = their mean, unless they differ by more than 15 points or their
      plan reviews differ; then a third scorer;
    - three reviews: final = the mean of the two closest scores (equally close: the higher
      pair); the plan is complete when most reviewers say so.

    Pass (S-13) = final ≥ pass mark and the plan complete.
    """
    if not reviews:
        return Verdict(True)
    scores = [r.score for r in reviews]
    plans = [r.plan_complete for r in reviews]
    if len(reviews) == 1:
        score, plan = scores[0], plans[0]
        if abs(score - pass_mark) <= BORDERLINE or (score >= pass_mark) != plan:
            return Verdict(True)
        final = float(score)
    elif len(reviews) == 2:
        if abs(scores[0] - scores[1]) > DISAGREEMENT or plans[0] != plans[1]:
            return Verdict(True)
        final = (scores[0] + scores[1]) / 2
        plan = plans[0]
    else:
        a, b, c = sorted(scores[:3])
        final = (b + c) / 2 if c - b <= b - a else (a + b) / 2
        plan = sum(plans[:3]) >= 2
    return Verdict(False, final, plan, final >= pass_mark and plan)
