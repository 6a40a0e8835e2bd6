"""Every enrolment rule: room, overlap, screening, and each way an imported row can be wrong."""

from __future__ import annotations

import io
import itertools
from datetime import date

import pytest
from openpyxl import load_workbook
from stdnum.cn import ric

from bot.domain.attendance import LeaveStatus
from bot.domain.cycle import TraineeState, TransitionRefused, check_move
from bot.domain.enrolment import (
    MAX_IMPORT_ROWS,
    PLACED,
    Admission,
    Column,
    PlaceSource,
    PlaceStatus,
    RowProblem,
    Screening,
    Span,
    TableRefused,
    admission,
    check_rows,
    find_columns,
    is_open,
    needs_seat,
    overlaps,
    room_left,
    screening_of,
    split_table,
)
from bot.xlsx import SheetUnreadable, read_rows, write_rows

TODAY = date(2026, 3, 1)


def id_number(base: str = "33010619950615123") -> str:
    return base + ric.calc_check_digit(base + "0")


GOOD_ID = id_number()
OTHER_ID = id_number("11010119900307123")
WRONG_CHECK = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
COLUMNS = {Column.NAME: 0, Column.MOBILE: 1, Column.ID_NUMBER: 2}


def codes(row) -> list[str]:
    return [problem.code for problem in row.problems]


# --- dates, room, screening ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, 7), (8, 14), False),
        ((1, 7), (7, 14), True),
        ((5, 6), (1, 10), True),
        ((1, 10), (5, 6), True),
        ((8, 14), (1, 7), False),
        ((3, 3), (3, 3), True),
    ],
)
def test_classes_overlap_when_they_share_a_day(a, b, expected):
    def span(days: tuple[int, int]) -> Span:
        return Span(date(2026, 5, days[0]), date(2026, 5, days[1]))

    assert overlaps(span(a), span(b)) is expected
    assert overlaps(span(b), span(a)) is expected


def test_a_class_is_open_when_approved_and_not_over():
    span = Span(date(2026, 5, 1), date(2026, 5, 7))
    assert is_open("approved", span, date(2026, 4, 1))
    assert is_open("approved", span, date(2026, 5, 7))
    assert not is_open("approved", span, date(2026, 5, 8))
    for status in ("draft", "submitted", "returned", "closed"):
        assert not is_open(status, span, date(2026, 4, 1))


def test_room_never_exceeds_thirty():
    assert room_left(29, 30) == 1
    assert room_left(30, 30) == 0
    assert room_left(31, 30) == 0
    assert room_left(0, 45) == 30
    assert room_left(20, 25) == 5


@pytest.mark.parametrize(
    ("decided", "expected"),
    [
        ("online", Screening.SUITABLE),
        ("siyb", Screening.UNSUITABLE),
        ("not_now", Screening.UNSUITABLE),
        (None, Screening.UNDECIDED),
        ("superseded", Screening.UNDECIDED),
    ],
)
def test_screening_decides_suitability(decided, expected):
    assert screening_of(decided) is expected


def test_admission_for_every_combination():
    """The verdict follows a fixed order: already in, a duplicate of someone in the class,
    closed, unsuitable, overlap, full."""
    for current, open_, screening, clash, room, duplicate in itertools.product(
        (None, "pending", "enrolled", "withdrawn"),
        (True, False),
        Screening,
        (True, False),
        (0, 1),
        (True, False),
    ):
        verdict = admission(
            current=current,
            open_=open_,
            screening=screening,
            clash=clash,
            room=room,
            duplicate=duplicate,
        )
        if current == "enrolled":
            expected = Admission.ALREADY
        elif duplicate:
            expected = Admission.DUPLICATE
        elif not open_:
            expected = Admission.NOT_OPEN
        elif screening is Screening.UNSUITABLE:
            expected = Admission.UNSUITABLE
        elif clash:
            expected = Admission.OVERLAP
        elif room == 0 and current != "pending":
            expected = Admission.FULL
        elif screening is Screening.SUITABLE:
            expected = Admission.ENROLLED
        else:
            expected = Admission.PENDING
        assert verdict is expected, (current, open_, screening, clash, room, duplicate)


def test_the_thirty_first_is_refused_but_a_pending_place_is_kept():
    full = {"open_": True, "clash": False, "room": room_left(30, 30)}
    assert admission(current=None, screening=Screening.SUITABLE, **full) is Admission.FULL
    assert admission(current=None, screening=Screening.UNDECIDED, **full) is Admission.FULL
    assert admission(current="pending", screening=Screening.SUITABLE, **full) is Admission.ENROLLED


def test_only_new_places_take_a_seat():
    assert needs_seat(None, Admission.ENROLLED)
    assert needs_seat("withdrawn", Admission.PENDING)
    assert not needs_seat("pending", Admission.ENROLLED)
    assert not needs_seat(None, Admission.FULL)
    assert not needs_seat("enrolled", Admission.ALREADY)


# --- the table -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["姓名", "手机号", "身份证号"],
        ["name", "mobile", "id_number"],
        ["Name", "Mobile", "ID Number"],
        [" 姓 名 ", "手机号码", "身份证号码"],
        ["NAME", "phone", "ID"],
    ],
)
def test_headers_in_either_language(header):
    assert find_columns(header) == COLUMNS


def test_columns_in_any_order_with_others_between():
    assert find_columns(["序号", "身份证号", "备注", "姓名", "手机"]) == {
        Column.ID_NUMBER: 1,
        Column.NAME: 3,
        Column.MOBILE: 4,
    }


def test_missing_columns_are_named():
    with pytest.raises(TableRefused) as refused:
        find_columns(["姓名", "电话号码", None])
    assert refused.value.code == "missing_columns"
    assert refused.value.params["columns"] == ["mobile", "id_number"]


def test_table_limits():
    header = (1, ("姓名", "手机号", "身份证号"))
    with pytest.raises(TableRefused, match="empty"):
        split_table([])
    with pytest.raises(TableRefused, match="empty"):
        split_table([header])
    rows = [(n, ("张三", "13800000000", GOOD_ID)) for n in range(2, MAX_IMPORT_ROWS + 3)]
    with pytest.raises(TableRefused) as refused:
        split_table([header, *rows])
    assert refused.value.code == "too_many_rows"
    assert refused.value.params == {"max": MAX_IMPORT_ROWS, "count": MAX_IMPORT_ROWS + 1}
    columns, data = split_table([header, *rows[:MAX_IMPORT_ROWS]])
    assert columns == COLUMNS and len(data) == MAX_IMPORT_ROWS


# --- rows ----------------------------------------------------------------------------------


def test_a_good_row_is_normalised():
    (row,) = check_rows([(2, (" 王小明 ", "+86 138-1234-5678", GOOD_ID.lower()))], COLUMNS, TODAY)
    assert row.valid
    assert (row.number, row.name, row.mobile, row.id_number) == (
        2,
        "王小明",
        "13812345678",
        GOOD_ID.upper(),
    )


def test_mobile_as_an_excel_number_is_fine():
    (row,) = check_rows([(2, ("王小明", 13812345678, GOOD_ID))], COLUMNS, TODAY)
    assert row.valid and row.mobile == "13812345678"
    (row,) = check_rows([(2, ("王小明", 13812345678.0, GOOD_ID))], COLUMNS, TODAY)
    assert row.valid and row.mobile == "13812345678"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((None, "13812345678", GOOD_ID), ["name_missing"]),
        (("  ", "13812345678", GOOD_ID), ["name_missing"]),
        (("王", "13812345678", GOOD_ID), ["name_length"]),
        (("王" * 31, "13812345678", GOOD_ID), ["name_length"]),
        (("王小明", None, GOOD_ID), ["mobile_missing"]),
        (("王小明", "1381234567", GOOD_ID), ["mobile_format"]),
        (("王小明", "23812345678", GOOD_ID), ["mobile_format"]),
        (("王小明", "13812345678", None), ["id_missing"]),
        (("王小明", "13812345678", "12345"), ["id_format"]),
        (("王小明", "13812345678", WRONG_CHECK), ["id_checksum"]),
        (("王小明", "13812345678", id_number("33010620991301123")), ["id_birth_date"]),
        (("王小明", "13812345678", 330106199506151230), ["id_as_number"]),
        (("王小明", "13812345678", 3.3010619950615e17), ["id_as_number"]),
        ((None, "x", "y"), ["name_missing", "mobile_format", "id_format"]),
    ],
)
def test_every_bad_cell_has_its_reason(values, expected):
    (row,) = check_rows([(7, values)], COLUMNS, TODAY)
    assert codes(row) == expected and not row.valid and row.number == 7


def test_short_rows_read_as_missing_cells():
    (row,) = check_rows([(2, ("王小明",))], COLUMNS, TODAY)
    assert codes(row) == ["mobile_missing", "id_missing"]


def test_duplicates_name_the_earlier_row():
    rows = check_rows(
        [
            (2, ("王小明", "13812345678", GOOD_ID)),
            (3, ("李四", "13900000000", GOOD_ID)),
            (4, ("王五", "13812345678", OTHER_ID)),
            (5, ("赵六", "13700000000", OTHER_ID)),
        ],
        COLUMNS,
        TODAY,
    )
    assert rows[0].valid
    assert rows[1].problems == (RowProblem("duplicate", other_row=2),)
    assert rows[2].problems == (RowProblem("duplicate", other_row=2),)
    assert rows[3].problems == (RowProblem("duplicate", other_row=4),)


def test_a_bad_number_is_not_a_duplicate():
    rows = check_rows(
        [(2, ("王小明", "123", WRONG_CHECK)), (3, ("李四", "123", WRONG_CHECK))], COLUMNS, TODAY
    )
    assert codes(rows[1]) == ["mobile_format", "id_checksum"]


# --- the workbook --------------------------------------------------------------------------


def test_workbook_round_trip_keeps_row_numbers_and_skips_blank_rows():
    data = write_rows("学员", ["姓名", "手机号", "身份证号"], [["王小明", 13812345678, GOOD_ID]])
    book = load_workbook(io.BytesIO(data))
    book.active.cell(row=5, column=1, value="李四")
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_rows(buffer.getvalue())
    assert [number for number, _ in rows] == [1, 2, 5]
    assert rows[1][1][:3] == ("王小明", 13812345678, GOOD_ID)


def test_text_that_looks_like_a_formula_stays_text():
    data = write_rows("x", ["姓名"], [['=HYPERLINK("http://evil")']])
    rows = read_rows(data)
    assert rows[1][1][0] == '=HYPERLINK("http://evil")'
    assert load_workbook(io.BytesIO(data)).active["A2"].data_type == "s"


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken", "姓名".encode()])
def test_anything_but_a_workbook_is_unreadable(data):
    with pytest.raises(SheetUnreadable):
        read_rows(data)


def test_a_zip_that_unpacks_huge_is_refused():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (25 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(SheetUnreadable, match="unpacks"):
        read_rows(buffer.getvalue())


def test_the_cycle_enters_training_and_leaves_it_back_to_where_it_was():
    for ready in (TraineeState.SUITABLE_ONLINE, TraineeState.NEEDS_ANALYSED):
        check_move(ready, TraineeState.ENROLLED)
        check_move(TraineeState.ENROLLED, ready)
    for other in (TraineeState.REGISTERED, TraineeState.SCREENED, TraineeState.REFERRED_SIYB):
        with pytest.raises(TransitionRefused):
            check_move(other, TraineeState.ENROLLED)
        with pytest.raises(TransitionRefused):
            check_move(TraineeState.ENROLLED, other)


def test_statuses_are_enums_with_the_stored_values():
    """The enums name the values the store has always held (no migration)."""
    assert [str(s) for s in PlaceStatus] == ["enrolled", "pending", "withdrawn"]
    assert [str(s) for s in PlaceSource] == ["link", "staff", "import"]
    assert [str(s) for s in LeaveStatus] == ["pending", "approved", "refused"]
    assert {str(s) for s in Admission if s in PLACED} == {"enrolled", "pending"}
