"""Context values a form declares (`context:`): whoever starts the form sets them in the
draft's context, and `relevant`, `count` and `calculation` read them as ${name}; constraints
read only answers."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.forms.registry import forms
from bot.forms.runner import FormRun
from bot.forms.schema import FormDefinition

TODAY = date(2026, 5, 17)


def L(text: str) -> dict[str, str]:  # noqa: N802
    return {"zh-CN": text, "en": text}


def definition(*questions: dict, context: tuple[str, ...] = ("last_day",)) -> FormDefinition:
    return FormDefinition.model_validate(
        {
            "id": "with_context",
            "title": L("t"),
            "context": list(context),
            "sections": [{"id": "main", "title": L("main"), "questions": list(questions)}],
        }
    )


def keys(run: FormRun) -> list[str]:
    return [slot.key for slot in run.asked]


def test_the_daily_feedback_asks_about_tomorrow_except_on_the_last_day():
    """T6: 「对明天的培训有什么建议？」 reads right every day: on the last class day (no
    tomorrow; the final evaluation asks for suggestions) it is not asked."""
    daily = forms()["daily_feedback"]
    assert "明天" in daily.questions()[-1].label("zh-CN")
    before = keys(FormRun(daily, {}, TODAY, {"last_day": False}))
    last = keys(FormRun(daily, {}, TODAY, {"last_day": True}))
    assert before[-1] == "suggestions" and "suggestions" not in last
    assert last == before[:-1]
    older_draft = keys(FormRun(daily, {}, TODAY, {}))
    assert older_draft == before, "a draft started before the flag existed asks as before"
    answered = FormRun(daily, {"suggestions": "多一些实操"}, TODAY, {"last_day": True})
    assert "suggestions" not in answered.final_answers()
    assert "last_day" not in FormRun(daily, {}, TODAY, {"last_day": False}).final_answers()


def test_count_and_calculation_read_context_values():
    form = definition(
        {"id": "shown", "type": "computed", "calculation": "${rounds} * 2", "label": L("x")},
        {
            "id": "group",
            "type": "repeat",
            "count": "${rounds}",
            "label": L("g"),
            "questions": [{"id": "note", "type": "text", "label": L("n")}],
        },
        context=("rounds",),
    )
    run = FormRun(form, {}, TODAY, {"rounds": 2})
    assert keys(run) == ["group.1.note", "group.2.note"]
    assert run.final_answers()["shown"] == 4


@pytest.mark.parametrize(
    ("questions", "context", "problem"),
    [
        (
            [{"id": "a", "type": "text", "relevant": "${last_day}", "label": L("a")}],
            (),
            "refers to last_day",
        ),
        (
            [{"id": "a", "type": "integer", "constraint": ". > ${last_day}", "label": L("a")}],
            ("last_day",),
            "refers to last_day",
        ),
        ([{"id": "last_day", "type": "text", "label": L("a")}], ("last_day",), "used twice"),
        ([{"id": "a", "type": "text", "label": L("a")}], ("Last-Day",), "context name"),
    ],
)
def test_undeclared_context_names_constraints_on_them_and_clashes_are_refused(
    questions, context, problem
):
    with pytest.raises(ValidationError, match=problem):
        definition(*questions, context=context)
