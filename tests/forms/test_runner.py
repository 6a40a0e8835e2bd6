"""The runner's navigation over a definition: relevance, repeats, computed values, Back, and
what is submitted. Also: every shipped definition loads, and broken ones are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.forms.registry import forms
from bot.forms.runner import FormRun
from bot.forms.schema import FormDefinition, FormDefinitionError, load_definition

TODAY = date(2026, 11, 24)


def L(text: str) -> dict[str, str]:  # noqa: N802
    return {"zh-CN": text, "en": text}


def q(id: str, type: str = "text", **extra) -> dict:  # noqa: A002
    return {"id": id, "type": type, "label": L(id), **extra}


STORES = FormDefinition.model_validate(
    {
        "id": "stores",
        "title": L("stores"),
        "sections": [
            {
                "id": "main",
                "title": L("main"),
                "questions": [
                    q("intro", "note"),
                    q("has_store", "yes_no", required=True),
                    q(
                        "store_count",
                        "integer",
                        relevant="${has_store} = true",
                        minimum=1,
                        maximum=5,
                    ),
                    q(
                        "stores",
                        "repeat",
                        count="${store_count}",
                        questions=[
                            q(
                                "platform",
                                "single",
                                choices=[
                                    {"value": "taobao", "label": L("淘宝")},
                                    {"value": "other", "label": L("其他")},
                                ],
                            ),
                            q("platform_name", relevant="${platform} = 'other'"),
                            q("orders", "integer"),
                        ],
                    ),
                    q("total_orders", "computed", calculation="${store_count} * 10"),
                    q("comment", "text"),
                ],
            }
        ],
    }
)


def keys(run: FormRun) -> list[str]:
    return [slot.key for slot in run.asked]


def test_relevance_and_repeat_expansion():
    run = FormRun(STORES, {}, TODAY)
    assert keys(run) == ["intro", "has_store", "comment"]
    run = FormRun(STORES, {"has_store": True, "store_count": 2}, TODAY)
    assert keys(run) == [
        "intro",
        "has_store",
        "store_count",
        "stores.1.platform",
        "stores.1.orders",
        "stores.2.platform",
        "stores.2.orders",
        "comment",
    ]
    run = FormRun(
        STORES, {"has_store": True, "store_count": 2, "stores.2.platform": "other"}, TODAY
    )
    assert "stores.2.platform_name" in keys(run) and "stores.1.platform_name" not in keys(run)


def test_computed_values_follow_answers():
    run = FormRun(STORES, {"has_store": True, "store_count": 3}, TODAY)
    assert run.answers["total_orders"] == 30
    assert FormRun(STORES, {"has_store": False}, TODAY).answers["total_orders"] is None


def test_next_open_skips_answered_and_wraps_to_earlier_gaps():
    run = FormRun(STORES, {"intro": True}, TODAY)
    assert run.next_open().key == "has_store"
    run = FormRun(STORES, {"intro": True, "has_store": False, "comment": None}, TODAY)
    assert run.next_open() is None
    edited = FormRun(STORES, {"intro": True, "has_store": True, "comment": "x"}, TODAY)
    assert edited.next_open(after="has_store").key == "store_count"
    assert edited.next_open(after="comment").key == "store_count"


def test_back_crosses_a_skipped_question_and_progress_counts_what_applies():
    answers = {"intro": True, "has_store": True, "store_count": 1, "stores.1.platform": None}
    run = FormRun(STORES, answers, TODAY)
    assert run.previous("stores.1.orders").key == "stores.1.platform"
    assert run.previous("intro") is None
    assert run.progress("stores.1.orders") == (5, 6)


def test_final_answers_drop_what_no_longer_applies():
    answers = {
        "intro": True,
        "has_store": True,
        "store_count": 1,
        "stores.1.platform": "other",
        "stores.1.platform_name": "抖音",
        "stores.1.orders": 3,
        "comment": "ok",
    }
    assert FormRun(STORES, answers, TODAY).final_answers()["stores.1.platform_name"] == "抖音"
    answers["has_store"] = False
    final = FormRun(STORES, answers, TODAY).final_answers()
    assert "store_count" not in final and not any(k.startswith("stores.") for k in final)
    assert final["comment"] == "ok"


def test_registration_relevance_follows_has_business():
    registration = forms()["registration"]
    without = keys(FormRun(registration, {"has_business": False}, TODAY))
    with_business = keys(FormRun(registration, {"has_business": True}, TODAY))
    assert "business_name" not in without
    assert set(with_business) - set(without) == {
        "business_name",
        "business_industry",
        "business_founded",
        "business_employees",
    }


def test_every_shipped_definition_loads_with_both_locales():
    shipped = forms()
    assert {"registration", "appendix3", "needs"} <= set(shipped)
    for definition in shipped.values():
        for question in definition.questions():
            assert question.label("zh-CN") and question.label("en")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][0]["questions"][1].update(relevant="${nope} = 1"),
            "question 'b': .*refers to nope",
        ),
        (
            lambda d: d["sections"][0]["questions"][1].update(relevant="__import__('os')"),
            "question 'b'",
        ),
        (lambda d: d["sections"][0]["questions"][0]["label"].pop("en"), "question 'a'"),
        (
            lambda d: d["sections"][0]["questions"][1].update(type="single"),
            "question 'b'.*at least two choices",
        ),
        (lambda d: d["sections"][0]["questions"].append(q("a")), "used twice"),
        (lambda d: d["sections"][0]["questions"][0].update(colour="red"), "question 'a'"),
    ],
)
def test_broken_definitions_name_file_question_and_reason(tmp_path: Path, change, message):
    data = {
        "id": "broken",
        "title": L("t"),
        "sections": [{"id": "s", "title": L("s"), "questions": [q("a"), q("b")]}],
    }
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=rf"broken\.yaml: .*{message}"):
        load_definition(path)


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="bad.yaml: not valid YAML"):
        load_definition(path)
