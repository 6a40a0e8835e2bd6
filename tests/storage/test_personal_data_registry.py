"""S-53: the personal-data registries keep up with the store. Every table that refers to a
person (a foreign key to `person`, or a column named like one) has an exporter, so /mydata
exports it, and every exporter and eraser names a real table; the answer-keeping rule and the
sweep are checked here without a database."""

from __future__ import annotations

from sqlmodel import SQLModel

from bot.domain.personal_data import (
    WITHDRAWN,
    identifying,
    keeps,
    mentions,
    naming_strings,
    quoted_strings,
    scrub,
)
from bot.forms.schema import QuestionType
from bot.webchat.store import metadata as webchat_metadata
from storage import personal_data

PERSON_COLUMNS = ("person_id", "trainee_id", "scorer_id", "teacher_id", "holder_id", "actor_id")


def _refers_to_a_person(table) -> bool:
    return any(
        fk.column.table.name == "person" for column in table.columns for fk in column.foreign_keys
    ) or any(column.name in PERSON_COLUMNS or column.name.endswith("_by") for column in table.c)


def test_s53_every_table_about_a_person_has_an_exporter():
    """A new table that refers to a person fails here until it is one entry in EXPORTERS."""
    tables = SQLModel.metadata.tables
    missing = sorted(
        name
        for name, table in tables.items()
        if (name == "person" or _refers_to_a_person(table)) and name not in personal_data.EXPORTERS
    )
    assert missing == []
    unknown = set(personal_data.EXPORTERS) - set(tables)
    unknown |= (set(personal_data.ERASERS) | set(personal_data.SWEEPS)) - set(tables)
    assert unknown == set()
    unlisted = set(tables) - set(personal_data.EXPORTERS) - personal_data.NOT_PERSONAL
    assert unlisted == set(), "a table with no exporter must be declared NOT_PERSONAL"


def test_s53_the_web_chat_store_is_erased_as_a_whole_chat():
    """The web chat's tables are not in the bot's store: `WebchatStore.erase_chat` clears them
    (a table added there is reviewed here)."""
    assert set(webchat_metadata.tables) == {
        "webchat_user",
        "webchat_update",
        "webchat_message",
        "webchat_event",
        "webchat_file",
        "webchat_commands",
    }


def test_s53_an_erasure_keeps_coded_answers_and_drops_texts():
    assert keeps(QuestionType.SINGLE, "college") and keeps(QuestionType.MULTIPLE, ["a", "b"])
    assert keeps(QuestionType.RATING, 4) and keeps(QuestionType.YES_NO, True)
    assert keeps(QuestionType.REGION, "440304") and keeps(QuestionType.INTEGER, 3)
    for kind, value in [
        (QuestionType.TEXT, "欧阳锦绣"),
        (QuestionType.ID_CARD, "330106199506151237"),
        (QuestionType.MOBILE, "13987654321"),
        (QuestionType.DATE, "1995-06-15"),
        (QuestionType.LOCATION, {"latitude": 1.0, "longitude": 2.0}),
        (QuestionType.PHOTO, [{"file_id": "x"}]),
        (QuestionType.COMPUTED, "a text"),
        (None, "unknown text"),
    ]:
        assert not keeps(kind, value), (kind, value)
    assert keeps(None, 3) and keeps(QuestionType.COMPUTED, 12.5) and keeps(QuestionType.TEXT, None)


def test_s53_withdrawn_texts_are_replaced_wherever_quoted():
    strings = identifying(["欧阳锦绣", "锦绣", "无", "  欧阳  锦绣 ", None, 3])
    assert strings == ["欧阳 锦绣", "欧阳锦绣", "锦绣"], "longest first; one character never"
    card = {"text": "学员 欧阳锦绣 登记", "reply_markup": {"inline_keyboard": [[{"text": "锦绣"}]]}}
    assert mentions(card, strings)
    cleaned = scrub(card, strings)
    assert cleaned == {
        "text": f"学员 {WITHDRAWN} 登记",
        "reply_markup": {"inline_keyboard": [[{"text": WITHDRAWN}]]},
    }
    assert not mentions(cleaned, strings)


def test_s53_codes_and_dates_are_never_swept_from_others_rows():
    """Only names, ID and mobile numbers and free texts are searched for elsewhere: a repeat
    group's kind code or a date withdrawn with it would otherwise blank others' rows."""
    assert identifying(
        [
            "lecturer",
            "2023-05-01",
            "1995-06-15T00:00",
            "42",
            "+86 139 8765 4321",
            "33010619950615123X",
        ]
    ) == ["33010619950615123X", "+86 139 8765 4321"]
    assert identifying(["13987654321", "锦绣云端山货铺", "Li Lei"]) == [
        "13987654321",
        "锦绣云端山货铺",
        "Li Lei",
    ]


def test_s53_anothers_own_answer_equal_to_the_name_stays_theirs():
    """Two people may share a name: erasing one 王伟 withdraws the name where it is mentioned in
    someone's text, never another 王伟's own name answer; short free texts such as 很好 are not
    looked for in messages, longer ones are."""
    assert scrub({"name": "王伟", "comment": "王伟老师讲得好"}, ["王伟"], own=True) == {
        "name": "王伟",
        "comment": f"{WITHDRAWN}老师讲得好",
    }
    assert quoted_strings(["很好", "在抖音上卖桂花糕", "13987654321"], ["王伟"]) == [
        "13987654321",
        "在抖音上卖桂花糕",
        "王伟",
    ]
    assert naming_strings(["很好", "在抖音上卖桂花糕", "13987654321"], ["王伟"]) == [
        "13987654321",
        "王伟",
    ]
