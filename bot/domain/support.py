"""Follow-up support (S-16, S-42, T12): the needs a trainee names after the class, the region's
catalogue of services, and matching the two. Pure: no aiogram, no database.

A service serves its region and every region under it, so a trainee (whose region is a
district) is matched with the services of their district, city and province: `ancestry` is the
trainee's region and the regions above it, nearest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

NEEDS_FORM = "support_needs"
"""T12, pushed to each trainee once their class is assessed; its lecturers may complete it."""
SERVICE_FORM = "support_service"
"""One catalogue entry, added or edited in chat."""
CONTACT_FORM = "support_contact"
"""One contact with a trainee about a need, recorded by institution staff."""

ASK_WITHIN = timedelta(days=30)
"""A class's trainees are asked while its stage (assessed, then closed) changed this recently:
the scan reads recent classes only, and a class assessed long before (or before this feature
existed) is not surveyed out of the blue."""


class Need(StrEnum):
    """What a trainee may ask for (T12); a catalogue service is of one of these kinds."""

    LOAN = "loan"
    PREMISES = "premises"
    POLICY = "policy"
    MENTOR = "mentor"
    SKILLS = "skills"
    PLATFORM = "platform"
    OTHER = "other"


class Channel(StrEnum):
    """How staff reached the trainee about a need (电话/微信/上门/其他)."""

    PHONE = "phone"
    WECHAT = "wechat"
    VISIT = "visit"
    OTHER = "other"


class FollowupStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True)
class Service:
    """One catalogue entry as matching sees it."""

    id: int
    kind: str
    name: str
    offer: str
    conditions: str
    contact: str
    region_id: int
    active: bool = True


def needs_of(answers: Mapping[str, Any]) -> list[Need]:
    """The needs ticked in a T12 submission, in the catalogue's order (unknown values dropped)."""
    ticked = answers.get("needs") or []
    if isinstance(ticked, str):
        ticked = [ticked]
    return [need for need in Need if need.value in ticked]


def ancestry(region_id: int | None, parents: Mapping[int, int | None]) -> list[int]:
    """`region_id` and the regions above it, nearest first (a loop in the data stops it)."""
    chain: list[int] = []
    while region_id is not None and region_id not in chain:
        chain.append(region_id)
        region_id = parents.get(region_id)
    return chain


def match(
    needs: Iterable[Need], services: Iterable[Service], regions: Sequence[int]
) -> dict[Need, list[Service]]:
    """For each need (in the order given, once each), the active services of its kind serving
    one of `regions` (the trainee's region and those above it): the nearest region's first,
    then by name. A need nobody offers maps to an empty list."""
    rank = {region: index for index, region in enumerate(regions)}
    found: dict[Need, list[Service]] = {need: [] for need in needs}
    for service in services:
        if service.active and service.region_id in rank and service.kind in found:
            found[Need(service.kind)].append(service)
    for listed in found.values():
        listed.sort(key=lambda s: (rank[s.region_id], s.name, s.id))
    return found


# --- the catalogue's Excel import --------------------------------------------------------------

MAX_NAME, MAX_OFFER, MAX_CONDITIONS, MAX_CONTACT = 100, 500, 500, 200
MAX_IMPORT_ROWS = 200


class Column(StrEnum):
    KIND = "kind"
    NAME = "name"
    OFFER = "offer"
    CONDITIONS = "conditions"
    CONTACT = "contact"
    REGION = "region"


REQUIRED_COLUMNS = (Column.KIND, Column.NAME, Column.OFFER, Column.CONTACT)
"""A sheet without one of these is refused as a whole; conditions and region may be absent
(the region is then the importer's own)."""


@dataclass(frozen=True)
class ServiceRow:
    """One row of an import, checked: `problems` are message codes (kind, name, offer,
    contact, region, too_long, duplicate)."""

    number: int
    kind: str
    name: str
    offer: str
    conditions: str
    contact: str
    region_id: int | None
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def check_rows(
    rows: Iterable[tuple[int, Mapping[Column, Any]]],
    kinds: Mapping[str, Need],
    regions: Mapping[str, int],
    default_region: int,
) -> list[ServiceRow]:
    """Each row with its problems. `kinds` maps every accepted spelling of a kind (its code and
    labels, lower-case) to it; `regions` the names of the regions the importer may serve to
    their ids (an empty region cell is `default_region`). The same kind, name and region twice
    in the file is a duplicate of the first."""
    checked: list[ServiceRow] = []
    seen: set[tuple[str, str, int | None]] = set()
    for number, cells in rows:
        values = {column: _text(cells.get(column)) for column in Column}
        problems = []
        kind = kinds.get(values[Column.KIND].lower())
        if kind is None:
            problems.append("kind")
        for column in (Column.NAME, Column.OFFER, Column.CONTACT):
            if not values[column]:
                problems.append(str(column))
        limits = {
            Column.NAME: MAX_NAME,
            Column.OFFER: MAX_OFFER,
            Column.CONDITIONS: MAX_CONDITIONS,
            Column.CONTACT: MAX_CONTACT,
        }
        if any(len(values[column]) > most for column, most in limits.items()):
            problems.append("too_long")
        region_name = values[Column.REGION]
        region_id = regions.get(region_name) if region_name else default_region
        if region_id is None:
            problems.append("region")
        identity = (str(kind), values[Column.NAME], region_id)
        if not problems and identity in seen:
            problems.append("duplicate")
        seen.add(identity)
        checked.append(
            ServiceRow(
                number,
                str(kind) if kind else values[Column.KIND],
                values[Column.NAME],
                values[Column.OFFER],
                values[Column.CONDITIONS],
                values[Column.CONTACT],
                region_id,
                tuple(problems),
            )
        )
    return checked
