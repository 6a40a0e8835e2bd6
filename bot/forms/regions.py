"""China's current administrative divisions (GB/T 2260), offline, for region questions.

The codes come from python-stdnum's ``cn/loc.dat``: nothing is fetched at run time, and a
district answer is the same 6-digit code an ID card starts with. The file keeps history, so we
keep only entries still in force and flatten GB/T 2260's placeholders into a plain
province → city → district tree that a picker can walk level by level:

* a municipality (北京市, 天津市, 上海市, 重庆市) files its districts and counties under the
  placeholders 市辖区/县; it becomes a single city coded PP0100 and named like the province;
* a county-level unit a province administers directly (仙桃市 429004, 石河子市 659001, …), and a
  city without districts (东莞市, 中山市, 儋州市, 嘉峪关市), is a city that is its own only
  district under the same code; ``region`` and ``path`` then give the district, so a stored
  answer always resolves to province, city and district;
* 台湾省, 香港特别行政区 and 澳门特别行政区 have no cities: loc.dat lists none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

Level = Literal["province", "city", "district"]
LEVELS = ("province", "city", "district")

_LINE = re.compile(r'^(?:(\d{2}) province|  (\d{4}) county)="(.*)"$')
_SPAN = re.compile(r"^(?:\[(\d{4})?-(\d{4})?\])?(.+)$")
_MUNICIPAL = {"市辖区", "县"}  # city-level placeholders of the four municipalities
_PLACEHOLDERS = {"市辖区", "县", "市区"}  # never a real district
_DIRECT = "直辖县级行政"  # 省/自治区直辖县级行政单位 (or 区划): not a city, a list of counties
# Still open-ended in loc.dat although superseded: 随州市 is 421300 since 2000 and
# 神农架林区 is 429021.
_STALE = {"422900", "422921", "429001"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: Level
    parent: str | None


@dataclass(frozen=True)
class _Tree:
    provinces: tuple[Region, ...]
    children: dict[str, tuple[Region, ...]]
    paths: dict[str, tuple[Region, ...]]  # code -> chain ending at its deepest entry
    ordered: tuple[Region, ...]  # every entry, tree order


def _current(names: str) -> str | None:
    """The name in force today; history reads like ``[1983-2019]桥东区,[2020-]襄都区``."""
    name = None
    for span in names.split(","):
        match = _SPAN.match(span)
        if match and match[2] is None:
            name = match[3]
    return name


def _read() -> tuple[dict[str, str], dict[str, str]]:
    """Province names by 2-digit prefix, and current names by 6-digit code."""
    text = files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    provinces: dict[str, str] = {}
    current: dict[str, str] = {}
    prefix = ""
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        if match[1]:
            prefix = match[1]
            provinces[prefix] = match[3]
        elif (name := _current(match[3])) and prefix + match[2] not in _STALE:
            current[prefix + match[2]] = name
    return provinces, current


def _cities(province: Region, current: dict[str, str]) -> dict[Region, list[Region]]:
    """Each city of one province (in code order) with its districts, placeholders folded away."""
    prefix = province.code[:2]
    cities: dict[Region, list[Region]] = {}
    codes: dict[str, Region] = {}

    def city(code: str, name: str) -> None:
        if code not in codes:
            codes[code] = Region(code, name, "city", province.code)
            cities[codes[code]] = []

    for code in sorted(c for c in current if c[:2] == prefix and c[2:] != "0000"):
        name, head = current[code], current.get(code[:4] + "00")
        if code[4:] == "00":
            if name in _MUNICIPAL:
                city(prefix + "0100", province.name)
            elif _DIRECT not in name:
                city(code, name)
        elif name in _PLACEHOLDERS or head is None:
            continue
        elif _DIRECT in head:
            city(code, name)
        else:
            parent = prefix + "0100" if head in _MUNICIPAL else code[:4] + "00"
            if parent in codes:  # else its city is a placeholder we do not know: skip
                cities[codes[parent]].append(Region(code, name, "district", parent))
    return {c: ds or [Region(c.code, c.name, "district", c.code)] for c, ds in cities.items()}


@cache
def _tree() -> _Tree:
    names, current = _read()
    children: dict[str, tuple[Region, ...]] = {}
    paths: dict[str, tuple[Region, ...]] = {}
    ordered: list[Region] = []
    for prefix, fallback in names.items():
        # PP0000 carries the simplified name (香港特别行政区, not 香港特別行政區).
        province = Region(prefix + "0000", current.get(prefix + "0000", fallback), "province", None)
        cities = _cities(province, current)
        children[province.code] = tuple(cities)
        paths[province.code] = (province,)
        ordered.append(province)
        for city, districts in cities.items():
            children[city.code] = tuple(districts)
            paths[city.code] = (province, city)
            ordered.append(city)
            for district in districts:
                paths[district.code] = (province, city, district)
                ordered.append(district)
    tops = tuple(entry for entry in ordered if entry.level == "province")
    return _Tree(tops, children, paths, tuple(ordered))


def provinces() -> list[Region]:
    return list(_tree().provinces)


def children(code: str) -> list[Region]:
    """Cities of a province, districts of a city; [] for a district or an unknown code.

    A city that is its own district (仙桃市, 东莞市) has that district as its only child.
    """
    return list(_tree().children.get(code, ()))


def region(code: str) -> Region | None:
    """The deepest entry with this code (a city that is its own district gives the district)."""
    chain = _tree().paths.get(code)
    return chain[-1] if chain else None


def path(code: str) -> list[Region]:
    """Province first, down to the entry itself; [] for an unknown code."""
    return list(_tree().paths.get(code, ()))


def search(text: str, level: str | None = None, limit: int = 20) -> list[Region]:
    """Entries whose name contains the typed text: exact names first, then prefixes.

    Without a level, a city that is its own district is reported once, as the district.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    needle = "".join(unicodedata.normalize("NFKC", text).split())
    if not needle:
        return []
    tree = _tree()
    hits = [
        entry
        for entry in tree.ordered
        if needle in entry.name
        and (entry.level == level if level else tree.paths[entry.code][-1] is entry)
    ]
    hits.sort(key=lambda entry: (entry.name != needle, not entry.name.startswith(needle)))
    return hits[:limit]
