"""The offline division tree: current entries only, and walkable province → city → district."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.forms.regions import Region, children, path, provinces, region, search

WITHOUT_CITIES = {"710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区"}
MUNICIPALITIES = {"110000": "北京市", "120000": "天津市", "310000": "上海市", "500000": "重庆市"}


def every_entry() -> list[Region]:
    entries = []
    for province in provinces():
        entries.append(province)
        for city in children(province.code):
            entries.append(city)
            entries.extend(children(city.code))
    return entries


def name_of(code: str) -> str:
    found = region(code)
    assert found is not None, code
    return found.name


def names(entries: list[Region]) -> list[str]:
    return [entry.name for entry in entries]


def test_the_34_province_level_divisions() -> None:
    found = provinces()
    assert len(found) == 34
    assert {"北京市", "浙江省", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区"} <= set(
        names(found)
    )
    for province in found:
        assert province.level == "province" and province.parent is None
        assert province.code.endswith("0000") and len(province.code) == 6


def test_hong_kong_macao_and_taiwan_have_no_cities() -> None:
    for code, name in WITHOUT_CITIES.items():
        assert region(code) == Region(code, name, "province", None)
        assert children(code) == []
        assert path(code) == [region(code)]


def test_every_other_province_has_cities_and_every_city_districts() -> None:
    for province in provinces():
        cities = children(province.code)
        assert bool(cities) == (province.code not in WITHOUT_CITIES), province.name
        for city in cities:
            assert city.level == "city" and city.parent == province.code
            districts = children(city.code)
            assert districts, city.name
            for district in districts:
                assert district.level == "district" and district.parent == city.code
                assert path(district.code) == [province, city, district]


def test_hangzhou_xihu() -> None:
    zhejiang, hangzhou, xihu = path("330106")
    assert (zhejiang.name, hangzhou.name, xihu.name) == ("浙江省", "杭州市", "西湖区")
    assert (zhejiang.code, hangzhou.code) == ("330000", "330100")
    assert hangzhou in children("330000") and xihu in children("330100")
    assert region("330106") == Region("330106", "西湖区", "district", "330100")


def test_abolished_and_placeholder_entries_are_absent() -> None:
    assert region("330103") is None  # 下城区, merged into 拱墅区 in 2021
    assert region("330104") is None  # 江干区, likewise
    assert region("330101") is None  # 市辖区
    everything = names(every_entry())
    assert "下城区" not in everything
    for placeholder in ("市辖区", "县", "市区", "省直辖县级行政单位", "自治区直辖县级行政单位"):
        assert placeholder not in everything
    assert not [name for name in everything if "[" in name or "]" in name or "," in name]
    assert name_of("421300") == "随州市"
    assert region("429001") is None  # its pre-2000 code, still open-ended in loc.dat


def test_renamed_entries_use_the_current_name() -> None:
    assert name_of("130502") == "襄都区"  # 桥东区 until 2019
    assert name_of("120110") == "东丽区"  # 东郊区 until 1991


@pytest.mark.parametrize(("code", "name"), MUNICIPALITIES.items())
def test_municipalities_are_their_own_single_city(code: str, name: str) -> None:
    (city,) = children(code)
    assert city == Region(code[:2] + "0100", name, "city", code)
    assert len(children(city.code)) > 10


def test_beijing_districts() -> None:
    districts = names(children("110100"))
    assert {"东城区", "西城区", "海淀区", "朝阳区", "延庆区"} <= set(districts)
    assert "崇文区" not in districts  # merged in 2010
    assert len(districts) == 16
    assert names(path("110108")) == ["北京市", "北京市", "海淀区"]


def test_chongqing_counties_join_its_districts() -> None:
    districts = names(children("500100"))
    assert "渝中区" in districts and "城口县" in districts
    assert path("500229")[1].code == "500100"


@pytest.mark.parametrize(
    ("code", "province", "name"),
    [
        ("429004", "湖北省", "仙桃市"),  # administered directly by the province
        ("469021", "海南省", "定安县"),
        ("659001", "新疆维吾尔自治区", "石河子市"),  # by the autonomous region
        ("441900", "广东省", "东莞市"),  # prefecture-level city without districts
        ("620200", "甘肃省", "嘉峪关市"),
    ],
)
def test_cities_that_are_their_own_district(code: str, province: str, name: str) -> None:
    top, city, district = path(code)
    assert top.name == province
    assert city == Region(code, name, "city", top.code)
    assert district == Region(code, name, "district", code)
    assert city in children(top.code)
    assert children(code) == [district]
    assert region(code) == district


def test_codes_are_unique_and_shared_only_by_a_city_that_is_its_own_district() -> None:
    entries = every_entry()
    assert len(set(entries)) == len(entries)
    by_level = Counter((entry.level, entry.code) for entry in entries)
    assert max(by_level.values()) == 1
    shared = Counter(entry.code for entry in entries)
    for code, count in shared.items():
        assert count <= 2
        if count == 2:
            assert children(code) == [region(code)]
            assert path(code)[1].name == path(code)[2].name
    for entry in entries:
        assert len(entry.code) == 6 and entry.code.isdigit()
        assert region(entry.code) == path(entry.code)[-1]


def test_sizes_are_plausible() -> None:
    levels = Counter(entry.level for entry in every_entry())
    assert 330 < levels["city"] < 400
    assert 2800 < levels["district"] < 2900


def test_unknown_codes() -> None:
    for code in ("", "000000", "999999", "33", "3301060", "abcdef"):
        assert region(code) is None
        assert path(code) == []
        assert children(code) == []


def test_children_of_a_district_is_empty() -> None:
    assert children("330106") == []


def test_search_finds_xihu_under_hangzhou() -> None:
    found = search("西湖区")
    assert [r.name for r in found[:2]] == ["西湖区", "西湖区"]  # exact names first
    assert "杭州市" in {path(r.code)[1].name for r in found}
    assert "南昌市" in {path(r.code)[1].name for r in found}
    assert all("西湖区" in r.name for r in found)


def test_search_by_partial_name_and_level() -> None:
    assert search("杭州") == [region("330100")]
    assert search("西湖", level="district", limit=1)[0].name == "西湖区"
    assert names(search("北京", level="city")) == ["北京市"]
    assert names(search("北京")) == ["北京市", "北京市"]
    assert search("杭州", level="district") == []
    assert len(search("区", limit=5)) == 5
    assert search(" 西湖区 ")[0].name == "西湖区"


def test_search_reports_a_city_that_is_its_own_district_once() -> None:
    assert search("仙桃") == [region("429004")]
    assert [r.level for r in search("仙桃", level="city")] == ["city"]


def test_search_nothing() -> None:
    assert search("") == []
    assert search("   ") == []
    assert search("纽约") == []
    with pytest.raises(ValueError):
        search("西湖", level="town")
