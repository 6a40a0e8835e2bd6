"""What a person sends becomes a stored answer, or a Problem that says exactly what is wrong."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forms.answers import (
    PROBLEM_KEYS,
    FileRef,
    Input,
    Problem,
    Rejected,
    check_required,
    derived,
    parse,
    parse_date,
)
from bot.forms.schema import ASKED_WITHOUT_ANSWER, LocalText, Question, QuestionType

TODAY = date(2024, 6, 1)
LABEL = {"zh-CN": "问题", "en": "Question"}
COLOURS = [
    {"value": "red", "label": {"zh-CN": "红色", "en": "Red"}},
    {"value": "green", "label": {"zh-CN": "绿色", "en": "Green"}},
    {"value": "blue", "label": {"zh-CN": "蓝色", "en": "Light Blue"}},
]
# Valid check digits (GB 11643); the first is a man born 1990-01-01, the second a woman.
MAN = "44030519900101123X"
WOMAN = "11010519491231002X"


def question(kind: str, **fields: Any) -> Question:
    fields.setdefault("id", "q")
    if kind in ("single", "multiple"):
        fields.setdefault("choices", COLOURS)
    return Question(type=kind, label=LABEL, **fields)


def accept(q: Question, answers: dict[str, Any] | None = None, **sent: Any) -> Any:
    return parse(q, Input(**sent), answers=answers or {}, today=TODAY)


def refuse(q: Question, answers: dict[str, Any] | None = None, **sent: Any) -> Problem:
    with pytest.raises(Rejected) as caught:
        accept(q, answers, **sent)
    assert caught.value.problem.key in PROBLEM_KEYS
    return caught.value.problem


def photo(name: str = "a.jpg", size: int = 1000, mime: str = "image/jpeg") -> FileRef:
    return FileRef(f"id-{name}", f"u-{name}", name, size, mime)


# --- text ---------------------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert accept(question("text"), text="  张三 \n") == "张三"


@pytest.mark.parametrize("text", [None, "", "   \n "])
def test_blank_text_is_not_an_answer(text: str | None) -> None:
    assert refuse(question("text"), text=text) == Problem("text_needed", {})


def test_text_length_counts_characters_after_stripping() -> None:
    q = question("text", max_length=5)
    assert accept(q, text=" 一二三四五 ") == "一二三四五"
    assert refuse(q, text="一二三四五六") == Problem("text_too_long", {"max": 5, "length": 6})


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"), [("12", 12), ("１２", 12), (" 12 ", 12), ("-3", -3), ("+7", 7)]
)
def test_integer_accepts(text: str, value: int) -> None:
    assert accept(question("integer"), text=text) == value


@pytest.mark.parametrize(
    "text", ["12.5", "abc", "", None, "1 2", "12岁", "1e3", "²", "1" * 19, "٣"]
)
def test_integer_refuses(text: str | None) -> None:
    assert refuse(question("integer"), text=text) == Problem("integer", {})


def test_integer_range() -> None:
    age = Question(
        id="age", type="integer", label={"zh-CN": "年龄", "en": "Age"}, minimum=16, maximum=70
    )
    assert accept(age, text="16") == 16
    assert accept(age, text="70") == 70
    assert refuse(age, text="15") == Problem("too_small", {"min": 16})
    assert refuse(age, text="71") == Problem("too_large", {"max": 70})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5", 12.5),
        ("１２．５", 12.5),
        ("12", 12.0),
        (".5", 0.5),
        ("-0.25", -0.25),
        ("3。5", 3.5),
    ],
)
def test_decimal_accepts(text: str, value: float) -> None:
    result = accept(question("decimal"), text=text)
    assert result == value and isinstance(result, float)


@pytest.mark.parametrize(
    "text", ["12,5", "nan", "inf", "-Infinity", "1e3", "1.", "abc", "", "9" * 400]
)
def test_decimal_refuses(text: str) -> None:
    assert refuse(question("decimal"), text=text) == Problem("decimal", {})


def test_decimal_range_keeps_fractional_limits() -> None:
    q = question("decimal", minimum=0.5, maximum=2)
    assert refuse(q, text="0.4") == Problem("too_small", {"min": 0.5})
    assert refuse(q, text="2.01") == Problem("too_large", {"max": 2})


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01",
        "2024/5/1",
        "2024.5.1",
        "2024年5月1日",
        "2024 年 5 月 1 日",
        "2024年5月1号",
        "20240501",
        "２０２４－０５－０１",
        " 2024-5-01 ",
    ],
)
def test_date_formats(text: str) -> None:
    assert parse_date(text) == date(2024, 5, 1)
    assert accept(question("date"), text=text) == "2024-05-01"


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2023/2/29", "2024-5/1", "24-5-1", "5/1/2024", "2024-13-01", "明天", ""]
)
def test_date_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)
    assert refuse(question("date"), text=text) == Problem("date_format", {})


def test_date_from_calendar_button() -> None:
    assert accept(question("date"), choice="2024-02-29", text="ignored") == "2024-02-29"
    assert refuse(question("date"), choice="later") == Problem("date_format", {})


def test_date_ignores_minimum_and_maximum() -> None:
    """Limits on days are constraints (e.g. `. <= today()`), not numbers."""
    assert accept(question("date", minimum=1, maximum=2), text="2024-05-01") == "2024-05-01"


# --- choices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "value"),
    [
        ({"choice": "green"}, "green"),
        ({"text": "绿色"}, "green"),
        ({"text": " GREEN "}, "green"),
        ({"text": "light  blue"}, "blue"),
        ({"text": "3"}, "blue"),
        ({"text": "１"}, "red"),
    ],
)
def test_single_accepts(sent: dict[str, str], value: str) -> None:
    assert accept(question("single"), **sent) == value


@pytest.mark.parametrize(
    "sent",
    [{"choice": "purple"}, {"choice": "1"}, {"text": "gre"}, {"text": "4"}, {"text": "0"}, {}],
)
def test_single_refuses(sent: dict[str, str]) -> None:
    assert refuse(question("single"), **sent) == Problem("choice_buttons", {"count": 3})


@pytest.mark.parametrize(
    ("sent", "value"),
    [
        ({"choice": "blue,red"}, ["red", "blue"]),
        ({"choice": "red,red"}, ["red"]),
        ({"choice": ""}, []),
        ({"text": "3、1"}, ["red", "blue"]),
        ({"text": "蓝色，绿色"}, ["green", "blue"]),
        ({"text": "1 3"}, ["red", "blue"]),
        ({"text": "Light Blue"}, ["blue"]),
    ],
)
def test_multiple_accepts_in_definition_order(sent: dict[str, str], value: list[str]) -> None:
    assert accept(question("multiple"), **sent) == value


@pytest.mark.parametrize("sent", [{"choice": "red,purple"}, {"text": "1,9"}, {"text": "红"}, {}])
def test_multiple_refuses_unknown_values(sent: dict[str, str]) -> None:
    assert refuse(question("multiple"), **sent) == Problem("choice_buttons", {"count": 3})


def test_multiple_selection_limits() -> None:
    q = question("multiple", min_selected=2, max_selected=2)
    assert accept(q, choice="green,red") == ["red", "green"]
    assert refuse(q, choice="red") == Problem("select_at_least", {"min": 2})
    assert refuse(q, choice="") == Problem("select_at_least", {"min": 2})
    assert refuse(q, choice="red,green,blue") == Problem("select_at_most", {"max": 2})


@pytest.mark.parametrize(
    ("sent", "value"),
    [
        ({"choice": "yes"}, True),
        ({"choice": "no"}, False),
        *[({"text": word}, True) for word in ["是", "yes", "Y", "对", "有", "是的。"]],
        *[({"text": word}, False) for word in ["否", "No", "n", "不是", "没有"]],
    ],
)
def test_yes_no_accepts(sent: dict[str, str], value: bool) -> None:
    assert accept(question("yes_no"), **sent) is value


@pytest.mark.parametrize("sent", [{"choice": "maybe"}, {"text": "也许"}, {"text": "yesno"}, {}])
def test_yes_no_refuses(sent: dict[str, str]) -> None:
    assert refuse(question("yes_no"), **sent) == Problem("choice_buttons", {})


@pytest.mark.parametrize(
    ("kind", "sent", "value"),
    [
        ("rating", {"choice": "1"}, 1),
        ("rating", {"text": "５"}, 5),
        ("scale", {"choice": "0"}, 0),
        ("scale", {"text": " 10 "}, 10),
    ],
)
def test_points_accept(kind: str, sent: dict[str, str], value: int) -> None:
    assert accept(question(kind), **sent) == value


@pytest.mark.parametrize(
    ("kind", "sent", "problem"),
    [
        ("rating", {"choice": "0"}, Problem("too_small", {"min": 1})),
        ("rating", {"text": "6"}, Problem("too_large", {"max": 5})),
        ("rating", {"text": "4.5"}, Problem("choice_buttons", {})),
        ("rating", {"text": "很好"}, Problem("choice_buttons", {})),
        ("rating", {"text": "1" * 5000}, Problem("choice_buttons", {})),
        ("scale", {"text": "11"}, Problem("too_large", {"max": 10})),
        ("scale", {"text": "-1"}, Problem("too_small", {"min": 0})),
        ("scale", {}, Problem("choice_buttons", {})),
    ],
)
def test_points_refuse(kind: str, sent: dict[str, str], problem: Problem) -> None:
    assert refuse(question(kind), **sent) == problem


def test_points_obey_the_definitions_narrower_range() -> None:
    q = question("scale", minimum=3, maximum=7)
    assert accept(q, choice="3") == 3
    assert refuse(q, choice="2") == Problem("too_small", {"min": 3})
    assert refuse(q, choice="8") == Problem("too_large", {"max": 7})


def test_acknowledgement_only_from_the_button() -> None:
    q = question("acknowledgement")
    assert accept(q, choice="yes") is True
    for sent in ({"choice": "no"}, {"text": "yes"}, {"text": "好的"}, {}):
        assert refuse(q, **sent) == Problem("acknowledge", {})


# --- personal numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        {"text": "13800138000"},
        {"text": "138 0013 8000"},
        {"text": "+86 138-0013-8000"},
        {"contact_phone": "+8613800138000"},
        {"contact_phone": "8613800138000", "text": "whatever"},
    ],
)
def test_mobile_accepts(sent: dict[str, str]) -> None:
    assert accept(question("mobile"), **sent) == "13800138000"


@pytest.mark.parametrize(
    "sent",
    [{"text": "12800138000"}, {"text": "1380013800"}, {"contact_phone": "+447700900123"}, {}],
)
def test_mobile_refuses(sent: dict[str, str]) -> None:
    assert refuse(question("mobile"), **sent) == Problem("mobile_format", {})


def test_id_card_is_normalised() -> None:
    assert accept(question("id_card"), text=" 4403 0519 9001 0112 3x ") == MAN
    assert accept(question("id_card"), text="４４０３０５１９９００１０１１２３Ｘ") == MAN


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("44030519900101123", "id_format"),
        ("abc", "id_format"),
        (None, "id_format"),
        ("440305199001011233", "id_checksum"),
        ("440305201002290015", "id_birth_date"),  # 29 February 2010 never happened
    ],
)
def test_id_card_refuses(text: str | None, key: str) -> None:
    assert refuse(question("id_card"), text=text) == Problem(key, {})


def test_id_card_born_after_today_is_refused() -> None:
    q = question("id_card")
    with pytest.raises(Rejected) as caught:
        parse(q, Input(text="11010520000229003X"), answers={}, today=date(2000, 2, 1))
    assert caught.value.problem == Problem("id_birth_date", {})


def test_id_card_derived_answers() -> None:
    q = question("id_card", id="idno")
    assert derived(q, MAN, TODAY) == {
        "idno_birth_date": "1990-01-01",
        "idno_age": 34,
        "idno_gender": "male",
    }
    assert derived(q, WOMAN, date(2024, 12, 31))["idno_age"] == 75
    assert derived(q, WOMAN, date(2024, 12, 30))["idno_gender"] == "female"
    assert set(derived(q, MAN, TODAY)) == set(q.derived_names)


# --- regions ------------------------------------------------------------------------------


def test_region_district_button_is_the_answer() -> None:
    assert accept(question("region"), choice="110108") == "110108"


@pytest.mark.parametrize(("code", "name"), [("440000", "广东省"), ("440300", "深圳市")])
def test_region_province_or_city_asks_for_more(code: str, name: str) -> None:
    assert refuse(question("region"), choice=code) == Problem(
        "region_pick_more", {"code": code, "name": name}
    )


def test_region_without_anything_inside_is_final() -> None:
    assert accept(question("region"), choice="441900") == "441900"  # 东莞市: no districts
    assert accept(question("region"), choice="810000") == "810000"  # 香港: no cities


@pytest.mark.parametrize(
    ("text", "code"),
    [("海淀区", "110108"), ("海淀", "110108"), ("浦东", "310115"), ("西区", "510403")],
)
def test_region_typed_name(text: str, code: str) -> None:
    assert accept(question("region"), text=text) == code


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        ({"text": "朝阳区"}, Problem("region_ambiguous", {"count": 2})),
        ({"text": "鼓楼"}, Problem("region_ambiguous", {"count": 4})),
        ({"text": "亚特兰蒂斯"}, Problem("region_unknown", {})),
        ({"text": "  "}, Problem("region_unknown", {})),
        ({"choice": "999999"}, Problem("region_unknown", {})),
        ({}, Problem("region_unknown", {})),
    ],
)
def test_region_refuses(sent: dict[str, str], problem: Problem) -> None:
    assert refuse(question("region"), **sent) == problem


def test_region_derived_answers() -> None:
    q = question("region", id="home")
    assert derived(q, "110108", TODAY) == {"home_province": "110000", "home_city": "110100"}
    assert derived(q, "441900", TODAY) == {"home_province": "440000", "home_city": "441900"}
    assert derived(q, "440305", TODAY) == {"home_province": "440000", "home_city": "440300"}
    assert set(derived(q, "110108", TODAY)) == set(q.derived_names)


def test_no_derived_answers_for_other_types_or_no_value() -> None:
    assert derived(question("integer"), 5, TODAY) == {}
    assert derived(question("id_card"), None, TODAY) == {}


# --- location and files -------------------------------------------------------------------


def test_location_only_from_a_shared_location() -> None:
    q = question("location")
    assert accept(q, location=(39.9, 116.4)) == {"latitude": 39.9, "longitude": 116.4}
    assert refuse(q, text="北京市海淀区") == Problem("location_needed", {})
    assert refuse(q, location=(91.0, 0.0)) == Problem("location_needed", {})
    assert refuse(q, location=(float("nan"), 0.0)) == Problem("location_needed", {})


def test_photo() -> None:
    q = question("photo", max_files=2, max_size_mb=1)
    one, two = photo("a.jpg"), photo("b.png", mime="image/png")
    assert accept(q, files=(one, two)) == [
        {"file_id": "id-a.jpg", "file_unique_id": "u-a.jpg", "name": "a.jpg", "size": 1000,
         "mime_type": "image/jpeg"},
        {"file_id": "id-b.png", "file_unique_id": "u-b.png", "name": "b.png", "size": 1000,
         "mime_type": "image/png"},
    ]  # fmt: skip
    assert refuse(q, text="photo") == Problem("file_needed", {"kind": "photo"})
    assert refuse(q, files=(one, two, one)) == Problem("too_many_files", {"max": 2})
    pdf = photo("cv.pdf", mime="application/pdf")
    assert refuse(q, files=(pdf,)) == Problem("file_type", {"accept": "image/*", "name": "cv.pdf"})
    big = photo("big.jpg", size=1024 * 1024 + 1)
    assert refuse(q, files=(big,)) == Problem("file_too_big", {"max_mb": 1, "name": "big.jpg"})
    assert accept(q, files=(photo("edge.jpg", size=1024 * 1024),))[0]["size"] == 1024 * 1024


def test_file_accept_by_mime_or_extension() -> None:
    q = question("file", accept=[".pdf", "image/*", "application/msword"], max_size_mb=0.5)
    for ref in (
        photo("CV.PDF", mime="application/octet-stream"),
        photo("scan.heic", mime="image/heic"),
        photo("old.doc", mime="application/msword"),
    ):
        assert accept(q, files=(ref,))[0]["name"] == ref.name
    zip_file = photo("all.zip", mime="application/zip")
    assert refuse(q, files=(zip_file,)) == Problem(
        "file_type", {"accept": ".pdf, image/*, application/msword", "name": "all.zip"}
    )
    big = photo("big.pdf", size=600_000)
    assert refuse(q, files=(big,)) == Problem("file_too_big", {"max_mb": 0.5, "name": "big.pdf"})


def test_file_without_accept_takes_anything() -> None:
    ref = photo("data.bin", mime="application/octet-stream")
    assert accept(question("file"), files=(ref,))[0]["mime_type"] == "application/octet-stream"
    assert refuse(question("file")) == Problem("file_needed", {"kind": "file"})
    assert FileRef(**ref.as_dict()) == ref


# --- constraints, required, programming errors --------------------------------------------


def test_never_parsed_types_are_a_programming_error() -> None:
    for q in (
        question("note"),
        question("computed", calculation="1 + 1"),
        Question(
            id="kids",
            type="repeat",
            label=LABEL,
            count="2",
            questions=[question("text", id="name")],
        ),
    ):
        with pytest.raises(ValueError) as caught:
            accept(q, text="x")
        assert not isinstance(caught.value, Rejected)


def test_required_is_checked_separately() -> None:
    custom = LocalText.model_validate({"zh-CN": "必须填写姓名", "en": "Your name, please"})
    q = question("text", required=True, required_message=custom)
    for missing in (None, "", "  ", [], {}):
        with pytest.raises(Rejected) as caught:
            check_required(q, missing)
        assert caught.value.problem == Problem("required", {}, custom)
    for present in ("x", False, 0, ["red"], {"latitude": 0.0, "longitude": 0.0}):
        check_required(q, present)
    check_required(question("text"), None)  # not required: nothing to say
    with pytest.raises(Rejected) as caught:
        check_required(question("yes_no", required=True), None)
    assert caught.value.problem == Problem("required", {}, None)


def test_rejected_of_builds_a_standard_problem() -> None:
    rejected = Rejected.of("too_small", min=3)
    assert rejected.problem == Problem("too_small", {"min": 3}) and str(rejected) == "too_small"


ADULT = LocalText.model_validate({"zh-CN": "须年满18岁", "en": "You must be 18 or over"})


def test_constraint_with_custom_message() -> None:
    q = question("integer", constraint=". >= 18", constraint_message=ADULT)
    assert accept(q, text="18") == 18
    assert refuse(q, text="17") == Problem("constraint", {}, ADULT)


def test_constraint_without_message_and_referring_to_other_answers() -> None:
    q = question("integer", id="children", constraint=". <= ${household}")
    assert accept(q, {"household": 4}, text="3") == 3
    assert refuse(q, {"household": 2}, text="3") == Problem("constraint", {}, None)


def test_constraint_runs_after_the_type_check() -> None:
    q = question("integer", minimum=0, constraint=". >= 18", constraint_message=ADULT)
    assert refuse(q, text="abc") == Problem("integer", {})
    assert refuse(q, text="-1") == Problem("too_small", {"min": 0})


def test_constraint_on_dates_sees_a_date() -> None:
    q = question("date", constraint=". <= today() and age(.) >= 16")
    assert accept(q, text="2008/6/1") == "2008-06-01"
    assert refuse(q, text="2008/6/2") == Problem("constraint", {}, None)
    assert refuse(q, text="2024-06-02") == Problem("constraint", {}, None)
    later = question("date", constraint=". > ${start}")
    assert accept(later, {"start": date(2024, 5, 1)}, text="2024-05-02") == "2024-05-02"
    assert accept(later, {"start": "2024-05-01"}, text="2024-05-02") == "2024-05-02"


def test_constraint_on_choices_and_text() -> None:
    q = question("multiple", constraint="not (selected(., 'red') and selected(., 'green'))")
    assert accept(q, choice="red,blue") == ["red", "blue"]
    assert refuse(q, choice="red,green").key == "constraint"
    name = question("text", constraint="string_length(.) >= 2")
    assert refuse(name, text="张").key == "constraint"


def test_constraint_that_cannot_be_evaluated_is_not_satisfied() -> None:
    """A text answer used as a number raises ExpressionError: refuse, never crash."""
    q = question("integer", id="n", constraint=". > ${name}", constraint_message=ADULT)
    assert refuse(q, {"name": "张三"}, text="3") == Problem("constraint", {}, ADULT)
    ratio = question("decimal", constraint="10 / . > 1")
    assert refuse(ratio, text="0").key == "constraint"


# --- property: any input is an answer or a Problem, never a crash -------------------------

ANSWERED = [kind for kind in QuestionType if kind not in ASKED_WITHOUT_ANSWER]
ONE_OF_EACH = {
    kind: question(
        kind.value,
        **({"accept": [".pdf", "image/*"]} if kind is QuestionType.FILE else {}),
        **({"min_selected": 1, "max_selected": 2} if kind is QuestionType.MULTIPLE else {}),
    )
    for kind in ANSWERED
}
LIKELY = st.sampled_from(
    ["yes", "no", "red", "red,blue", "1", "0", "10", "2024-05-01", "20240231", "110108",
     "440000", "海淀", "区", MAN, "13800138000", "+86 138", "", " ", "１２", "nan", "1e999"]
)  # fmt: skip
TEXTS = st.none() | LIKELY | st.text(max_size=60)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(ANSWERED),
    text=TEXTS,
    choice=TEXTS,
    contact_phone=st.none() | st.text(max_size=20),
    location=st.none() | st.tuples(st.floats(), st.floats()),
    files=st.lists(
        st.builds(
            FileRef,
            file_id=st.just("f"),
            file_unique_id=st.just("u"),
            name=st.text(max_size=12) | st.sampled_from(["a.pdf", "b.JPG", "c"]),
            size=st.integers(min_value=0, max_value=50 * 1024 * 1024),
            mime_type=st.text(max_size=12) | st.sampled_from(["image/png", "application/pdf"]),
        ),
        max_size=3,
    ).map(tuple),
)
def test_any_input_is_an_answer_or_a_problem(
    kind: QuestionType,
    text: str | None,
    choice: str | None,
    contact_phone: str | None,
    location: tuple[float, float] | None,
    files: tuple[FileRef, ...],
) -> None:
    q = ONE_OF_EACH[kind]
    sent = Input(text, contact_phone, location, files, choice)
    try:
        value = parse(q, sent, answers={}, today=TODAY)
    except Rejected as rejected:
        assert rejected.problem.key in PROBLEM_KEYS
        return
    assert value is not None
    assert json.loads(json.dumps(value, allow_nan=False)) == value
    check_required(q.model_copy(update={"required": True}), value)
    assert set(derived(q, value, TODAY)) == set(q.derived_names)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_parse_date_raises_only_value_error(text: str) -> None:
    try:
        day = parse_date(text)
    except ValueError:
        return
    assert parse_date(day.isoformat()) == day


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_problem_has_its_own_message(locale):
    """Whatever the parser refuses is explained specifically, never by the generic fallback."""
    from bot.i18n import text

    params = {
        "min": 1,
        "max": 5,
        "count": 3,
        "kind": "photo",
        "max_mb": 20,
        "accept": ".pdf",
        "code": "33",
        "name": "浙江省",
    }
    fallback = text(locale, "forms.problem", key="no-such-key", params=params)
    for key in PROBLEM_KEYS:
        message = text(locale, "forms.problem", key=key, params=params)
        assert message and message != fallback, key
