"""A question asked once per item of a list in the draft's context (`for_each`): one question
per teacher or module, named in its label, stored as `id.n`, typed in the answer rows."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.forms.runner import FormRun
from bot.forms.schema import FormDefinition, QuestionType
from bot.forms.service import _kind, _typed_rows

TODAY = date(2026, 11, 24)


def L(text: str) -> dict[str, str]:  # noqa: N802
    return {"zh-CN": text, "en": text}


def definition(*questions: dict) -> FormDefinition:
    return FormDefinition.model_validate(
        {
            "id": "per_item",
            "title": L("t"),
            "sections": [{"id": "main", "title": L("main"), "questions": list(questions)}],
        }
    )


RATED = definition(
    {
        "id": "teacher",
        "type": "rating",
        "for_each": "teachers",
        "required": True,
        "label": {"zh-CN": "{item}的授课", "en": "{item}'s teaching"},
        "hint": L("about {item}"),
    },
    {"id": "overall", "type": "rating", "label": L("overall")},
    {
        "id": "module",
        "type": "rating",
        "for_each": "modules",
        "relevant": "${overall} >= 3",
        "label": L("module {item}"),
    },
)


def test_one_question_per_item_named_in_its_label():
    run = FormRun(RATED, {}, TODAY, {"teachers": ["李明", "周红"], "modules": ["选品"]})
    assert [slot.key for slot in run.asked] == ["teacher.1", "teacher.2", "overall"]
    first = run.asked[0].question
    assert first.label("zh-CN") == "李明的授课" and first.label("en") == "李明's teaching"
    assert first.hint("en") == "about 李明" and first.id == "teacher" and first.required
    assert RATED.questions()[0].label("zh-CN") == "{item}的授课", "the definition is unchanged"


def test_relevance_applies_to_each_item_and_answers_are_kept_by_key():
    context = {"teachers": ["李明"], "modules": ["选品", "开店"]}
    answers = {"teacher.1": 5, "overall": 4, "module.1": 3, "module.2": 2}
    run = FormRun(RATED, answers, TODAY, context)
    assert [slot.key for slot in run.asked] == ["teacher.1", "overall", "module.1", "module.2"]
    assert run.final_answers() == answers
    low = FormRun(RATED, {**answers, "overall": 2}, TODAY, context)
    assert "module.1" not in low.final_answers()
    assert low.next_open() is None


def test_no_context_or_an_empty_list_asks_nothing_for_that_question():
    assert [s.key for s in FormRun(RATED, {}, TODAY).asked] == ["overall"]
    run = FormRun(RATED, {}, TODAY, {"teachers": [], "modules": None})
    assert [s.key for s in run.asked] == ["overall"]


def test_per_item_answers_are_typed_like_their_question():
    types = {"teacher": QuestionType.RATING, "pace": QuestionType.SINGLE}
    assert _kind("teacher.2", types) is QuestionType.RATING
    assert _typed_rows("teacher.2", _kind("teacher.2", types), 4) == [
        {"question_id": "teacher.2", "number": 4.0}
    ]
    assert _kind("stores.2.pace", types) is QuestionType.SINGLE


@pytest.mark.parametrize(
    "question",
    [
        {"id": "x", "type": "rating", "for_each": "Not-An-Id", "label": L("x")},
        {"id": "x", "type": "id_card", "for_each": "people", "label": L("x")},
        {"id": "x", "type": "computed", "for_each": "people", "calculation": "1", "label": L("x")},
        {
            "id": "g",
            "type": "repeat",
            "count": "2",
            "label": L("g"),
            "questions": [{"id": "x", "type": "rating", "for_each": "people", "label": L("x")}],
        },
    ],
)
def test_for_each_is_refused_where_it_cannot_work(question):
    with pytest.raises(ValidationError):
        definition(question)
