"""The form expression language: what it computes, what it refuses, and that it never escapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forms.expr import Expression, ExpressionError, compile_expression

TODAY = date(2024, 6, 15)


def run(source: str, answers: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("today", TODAY)
    return compile_expression(source).evaluate(answers or {}, **kwargs)


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        # literals
        ("3", {}, 3),
        ("2.5", {}, 2.5),
        (".5", {}, 0.5),
        ("1e3", {}, 1000.0),
        ("'single'", {}, "single"),
        ('"double"', {}, "double"),
        ("'it''s'", {}, "its"),
        ('"it\'s"', {}, "it's"),
        (r"'\d\b'", {}, r"\d\b"),
        ("true", {}, True),
        ("false", {}, False),
        ("null", {}, None),
        # arithmetic
        ("1 + 2", {}, 3),
        ("5 - 7", {}, -2),
        ("3 * 4", {}, 12),
        ("7 / 2", {}, 3.5),
        ("2 + 3 * 4", {}, 14),
        ("(2 + 3) * 4", {}, 20),
        ("-${a}", {"a": 3}, -3),
        ("+${a}", {"a": 3}, 3),
        ("'a' + 'b'", {}, "ab"),
        ("${a} * 2", {"a": "21"}, 42),
        ("${a} + 1", {"a": Decimal("1.5")}, 2.5),
        # equality: = and == are the same
        ("${a} = 3", {"a": 3}, True),
        ("${a} == 3", {"a": 3}, True),
        ("${a} = 3", {"a": 4}, False),
        ("${a} != 3", {"a": 4}, True),
        ("${a} = 'yes'", {"a": "yes"}, True),
        ("${a} = 1", {"a": "1"}, True),
        ("${a} = 1", {"a": "one"}, False),
        ("${a} != 1", {"a": "one"}, True),
        ("${a} = true", {"a": True}, True),
        # ordering, chained
        ("${a} < 3", {"a": 2}, True),
        ("${a} <= 3", {"a": 3}, True),
        ("${a} > 3", {"a": 3}, False),
        ("${a} >= 3", {"a": 3}, True),
        ("1 < ${a} < 5", {"a": 3}, True),
        ("1 < ${a} < 5", {"a": 7}, False),
        ("${a} > 10", {"a": "11"}, True),
        # logic
        ("true and false", {}, False),
        ("true or false", {}, True),
        ("not false", {}, True),
        ("${a} > 1 and ${a} < 5 or ${a} = 10", {"a": 10}, True),
        ("not (${a} > 1)", {"a": 0}, True),
        # in
        ("${a} in ['a', 'b']", {"a": "b"}, True),
        ("${a} in ['a', 'b']", {"a": "c"}, False),
        ("${a} not in ['a', 'b']", {"a": "c"}, True),
        ("${a} in [1, 1 + 1]", {"a": 2}, True),
        # the value being checked
        (".", {}, 42),
        (". > 40 and . < 50", {}, True),
        ("not .", {}, False),
    ],
)
def test_operators_and_literals(source: str, answers: dict[str, Any], expected: Any) -> None:
    assert run(source, answers, value=42) == expected


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        ("selected(${m}, 'x')", {"m": ["x", "y"]}, True),
        ("selected(${m}, 'z')", {"m": ["x", "y"]}, False),
        ("selected(${m}, 'x')", {"m": []}, False),
        ("selected(${s}, 'x')", {"s": "x"}, True),
        ("selected(${s}, 'x')", {"s": "xy"}, False),
        ("selected(${s}, 'x')", {}, False),
        ("selected(${m}, 2)", {"m": ["1", "2"]}, True),
        ("count_selected(${m})", {"m": ["x", "y"]}, 2),
        ("count_selected(${m})", {}, 0),
        ("count_selected(${m})", {"m": "x y z"}, 3),
        ("string_length(${t})", {"t": "网创助手"}, 4),
        ("string_length(${t})", {}, 0),
        ("len(${t})", {"t": "abc"}, 3),
        ("len(${t})", {"t": 12345}, 5),
        ("len(${m})", {"m": ["a", "b"]}, 2),
        ("int('42')", {}, 42),
        ("int(3.9)", {}, 3),
        ("int(' -7 ')", {}, -7),
        ("int('2.5')", {}, 2),
        ("int(${a})", {}, None),
        ("number('2.5')", {}, 2.5),
        ("number('7')", {}, 7),
        ("number(${a})", {"a": ""}, None),
        ("year(${d})", {"d": date(1990, 3, 1)}, 1990),
        ("year('1990-03-01')", {}, 1990),
        ("year(${d})", {}, None),
        ("if(${a} > 1, 'big', 'small')", {"a": 2}, "big"),
        ("if(${a} > 1, 'big', 'small')", {}, "small"),
        ("if(true, 1, 1 / 0)", {}, 1),  # only the branch taken is evaluated
        ("coalesce(${a}, 'none')", {}, "none"),
        ("coalesce(${a}, 'none')", {"a": ""}, "none"),
        ("coalesce(${a}, 'none')", {"a": 0}, 0),
        ("regex(., '1[3-9][0-9]{9}')", {}, False),  # fullmatch: 42 is not a phone number
        ("regex('13800138000', '1[3-9][0-9]{9}')", {}, True),
        ("regex('x13800138000', '1[3-9][0-9]{9}')", {}, False),
        (r"regex('ab12', '\w+\d\b')", {}, True),
        ("regex(${t}, 'a')", {}, False),
        ("min(3, 1, 2)", {}, 1),
        ("max(3, 1, 2)", {}, 3),
        ("min(${a}, 5)", {}, 5),
        ("max(${a}, ${b})", {}, None),
        ("min('b', 'a')", {}, "a"),
        ("round(2.345, 2)", {}, 2.35),
        ("round(2.5)", {}, 2),
        ("round(1234, -2)", {}, 1200),
        ("round(${a}, 1)", {}, None),
    ],
)
def test_functions(source: str, answers: dict[str, Any], expected: Any) -> None:
    assert run(source, answers, value=42) == expected


def test_unanswered_questions_make_comparisons_false_and_arithmetic_none() -> None:
    for source in ("${x} > 3", "${x} < 3", "${x} >= 3", "${x} <= 3", "3 < ${x}", "${x} > '3'"):
        assert run(source) is False
        assert compile_expression(source).truthy({}, today=TODAY) is False
    for source in ("${x} + 1", "1 - ${x}", "${x} * 2", "${x} / 2", "-${x}", "${x} + 'a'"):
        assert run(source) is None
    assert run("not ${x}") is True
    assert run("${x}") is None
    assert run("${x} = null") is True
    assert run("${x} = ''") is True  # unanswered equals '' as in XLSForm
    assert run("${x} != ''") is False
    assert run("${x} = 0") is False
    assert run("${x} != 3") is True
    assert run("${x} in ['a']") is False
    assert run("${x} + 1 > 3") is False
    assert run("${x} > 1 or ${y} = 'a'", {"y": "a"}) is True
    assert run("${x} > ''", {"x": 3}) is False  # a blank string is unanswered too
    assert run("${x} + 1", {"x": "  "}) is None


def test_truthy_uses_python_truthiness_with_none_false() -> None:
    expression = compile_expression("${a}")
    assert expression.truthy({"a": "text"}, today=TODAY) is True
    assert expression.truthy({"a": ""}, today=TODAY) is False
    assert expression.truthy({"a": 0}, today=TODAY) is False
    assert expression.truthy({"a": ["x"]}, today=TODAY) is True
    assert expression.truthy({}, today=TODAY) is False
    assert compile_expression(". > 3").truthy({}, value=4, today=TODAY) is True


def test_dates_compare_with_dates_and_iso_strings() -> None:
    born = {"d": date(2000, 6, 16)}
    assert run("${d} < '2001-01-01'", born) is True
    assert run("'2001-01-01' > ${d}", born) is True
    assert run("${d} = '2000-06-16'", born) is True
    assert run("${d} != '2000-06-16'", born) is False
    assert run("${d} < ${e}", {**born, "e": date(2000, 6, 17)}) is True
    assert run("${d} >= today()", born) is False
    assert run("${d} = 'not a date'", born) is False
    with pytest.raises(ExpressionError, match="not a date"):
        run("${d} < 'soon'", born)


@pytest.mark.parametrize(
    ("born", "years"),
    [
        (date(2000, 6, 15), 24),  # birthday today
        (date(2000, 6, 16), 23),  # birthday tomorrow
        (date(2000, 6, 14), 24),
        (date(2000, 12, 31), 23),
        (date(2024, 6, 15), 0),
        ("2000-06-15", 24),  # dates stored as ISO text
        (datetime(2000, 6, 16, 8, 30), 23),
        (None, None),
    ],
)
def test_age_in_whole_years_on_the_injected_today(born: Any, years: int | None) -> None:
    assert run("age(${d})", {"d": born}) == years


def test_age_of_a_leap_day_birthday() -> None:
    leap = {"d": date(2004, 2, 29)}
    assert run("age(${d})", leap, today=date(2023, 2, 28)) == 18
    assert run("age(${d})", leap, today=date(2023, 3, 1)) == 19
    assert run("age(${d}) >= 18 and age(${d}) <= 60", leap) is True


def test_today_is_the_injected_date_and_required() -> None:
    assert run("today()", today=date(2030, 1, 2)) == date(2030, 1, 2)
    with pytest.raises(TypeError):
        compile_expression("today()").evaluate({})  # type: ignore[call-arg]
    assert run("year(today())") == 2024


def test_names_are_the_answers_referred_to() -> None:
    expression = compile_expression(
        "if(selected(${hobbies}, 'x'), ${a} + ${b_2}, age(${born})) > . and ${a} != '${no}'"
    )
    assert expression.names == frozenset({"hobbies", "a", "b_2", "born"})
    assert compile_expression(". > 3").names == frozenset()
    assert compile_expression("today()").source == "today()"


def test_expression_is_plain_comparable_data() -> None:
    first, second = compile_expression("${a} = 1"), compile_expression("${a} = 1")
    assert first == second and hash(first) == hash(second)
    assert Expression("${a} = 1", frozenset({"a"})).evaluate({"a": 1}, today=TODAY) is True
    with pytest.raises(AttributeError):
        first.source = "1"  # type: ignore[misc]


def test_whitespace_and_newlines_from_yaml_are_fine() -> None:
    assert run("\n  ${a} >\n 3\n  and\t${a} < 9\n", {"a": 4}) is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("${a}.__class__", "attribute access"),
        ("'x'.upper()", "attribute access"),
        ("[x for x in y]", "comprehensions are not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("${a}[0]", "indexing"),
        ("open('f')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("2 ** 10", r"exponentiation \(\*\*\) is not allowed"),
        ("7 // 2", "'//' is not allowed"),
        ("7 % 2", "'%' is not allowed"),
        ("nonsense(1)", "unknown function 'nonsense'"),
        ("foo", r"unknown name 'foo'; an answer is written \$\{foo\}"),
        ("${a} = yes", "unknown name 'yes'"),
        ("True", "unknown name 'True'"),
        ("None", "unknown name 'None'"),
        ("_q_a", "unknown name '_q_a'"),
        ("q_a", "unknown name 'q_a'"),
        ("value_", "unknown name 'value_'"),
        ("${a}(1)", "only the listed functions can be called"),
        ("len(1, 2)", r"len\(\) takes 1 argument\(s\), not 2"),
        ("today(1)", r"today\(\) takes 0 argument\(s\), not 1"),
        ("if(true, 1)", r"if\(\) takes 3 argument\(s\), not 2"),
        ("round(1, 2, 3)", r"round\(\) takes 1 or 2 argument\(s\), not 3"),
        ("min()", r"min\(\) takes at least 1 argument\(s\), not 0"),
        ("min(*[1, 2])", "unpacking"),
        ("${a} in ${b}", "'in' takes a list literal"),
        ("${a} = ['x']", "'in' takes a list literal"),
        ("['a', 'b']", "only allowed after 'in'"),
        ("(1, 2)", "tuples are not allowed"),
        ("1 if true else 2", r"write if\(condition, a, b\)"),
        ("${a} is null", "'is' is not allowed"),
        ("regex(., ${pattern})", "pattern as a quoted string"),
        ("regex(., 3)", "pattern as a quoted string"),
        ("regex(., '(')", "regex pattern '\\(' is invalid"),
        ("regex(., '[[:alpha:]]')", "Possible nested set"),
        ("'" + "x" * 201 + "'", "string is longer than 200"),
        ("'" + "x" * 150 + "' '" + "y" * 60 + "'", "string is longer than 200"),
        ("1 + " * 125 + "1", "longer than 500 characters"),
        ("(" * 21 + "1" + ")" * 21, "nested deeper than 20"),
        ("-" * 150 + "1", "nested more than 100 levels"),
        ("", "empty"),
        ("   ", "empty"),
        ("1 +", "syntax error at the end"),
        ("1 +* 2", "syntax error at column 4"),
        ("(1", "syntax error"),
        ("${a} = = 1", "syntax error"),
        ("$a", r"unexpected '\$' at column 1; an answer is written \$\{name\}"),
        ("${1a}", "unexpected"),
        ("${a b}", "unexpected"),
        ("{'a': 1}", "unexpected '{'"),
        ("${a} & 1", "unexpected '&' at column 6"),
        ("!${a}", "unexpected '!'"),
        ("'unterminated", "unexpected"),
        ("1j", "syntax error"),
        ("b'x'", "syntax error"),
        ("f'{x}'", "syntax error"),
        ("(x := 1)", "syntax error"),
        ("import os", "syntax error"),
        ("1; 2", "unexpected ';'"),
        ("${a} = 1 # comment", "unexpected '#'"),
        ("\\x", "unexpected"),
        ("`x`", "unexpected"),
    ],
)
def test_forbidden_constructs_are_refused_at_compile_time(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(source)


def test_compile_errors_say_where() -> None:
    with pytest.raises(ExpressionError, match=r"unknown function 'open' \(column 14\)"):
        compile_expression("${a} = 1 and open('f')")
    with pytest.raises(ExpressionError, match=r"unknown name 'yes'.* \(column 8\)"):
        compile_expression("${a} = yes")


def test_limits_are_inclusive() -> None:
    compile_expression("'" + "x" * 200 + "'")
    compile_expression("(" * 20 + "1" + ")" * 20)
    compile_expression("1 + " * 124 + "1")
    assert run("1" + " + 1" * 60) == 61  # long flat sums are not "nesting"
    assert run("+".join(["1"] * 250)) == 250
    assert run("-".join(["1"] * 250)) == -248
    assert run(" and ".join(["true"] * 50)) is True


@pytest.mark.parametrize(
    ("source", "answers", "message"),
    [
        ("1 / 0", {}, "division by zero"),
        ("${a} / ${b}", {"a": 1, "b": 0.0}, "division by zero"),
        ("int('abc')", {}, "'abc' is not a number"),
        ("number('1e999')", {}, "is not a number"),
        ("number('nan')", {}, "is not a number"),
        ("'ab' * 3", {}, "'ab' is not a number"),
        ("${a} * 1000", {"a": "x"}, "not a number"),
        ("${a} * 2", {"a": ["x"]}, "not a number"),
        ("${a} - 'b'", {"a": "a"}, "not a number"),
        ("-'x'", {}, "not a number"),
        ("${a} < 3", {"a": "x"}, "not a number"),
        ("${a} < ${b}", {"a": [1], "b": {"x": 1}}, "not supported"),
        ("int(${a})", {"a": float("inf")}, "infinity"),
        ("int(${a})", {"a": float("nan")}, "NaN"),
        ("round(1.5, 1000)", {}, "digits from -20 to 20"),
        ("round(1.5, 0.5)", {}, "digits from -20 to 20"),
        ("round(1.5, true)", {}, "digits from -20 to 20"),
        ("round('x')", {}, "not a number"),
        ("age(${d})", {"d": "yesterday"}, "not a date"),
        ("year(${d})", {"d": 1990}, "not a date"),
        ("count_selected(${m})", {"m": 3}, "not a multiple-choice answer"),
        ("regex(${t}, 'a*')", {"t": "a" * 501}, "longer than 500"),
        ("min(1, 'a')", {}, "not supported"),
    ],
)
def test_runtime_problems_become_expression_errors(
    source: str, answers: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExpressionError, match=message) as caught:
        run(source, answers)
    assert source in str(caught.value)  # the message names the expression


@pytest.mark.parametrize(
    "pattern", [r"(\w+\s?)+", r"(a+)+b", r"(a*)*", r"(?:x|(y+))*", r"((ab)+c?)*", r"(?=(a+)+)"]
)
def test_regex_patterns_that_backtrack_forever_are_refused(pattern: str) -> None:
    with pytest.raises(ExpressionError, match="repeats a repetition"):
        compile_expression(f"regex(., '{pattern}')")


@pytest.mark.parametrize(
    "pattern", [r"(\d{3}-?)+", r"(?>\w+\s?)+", r"(\w++\s?)+", r"[a-z]+@[a-z]+\.com", r"(ab|cd)+"]
)
def test_regex_patterns_without_nested_repetition_are_fine(pattern: str) -> None:
    compile_expression(f"regex(., '{pattern}')")


def test_regex_on_long_hostile_text_stays_fast() -> None:
    expression = compile_expression(r"regex(., '(?>\w+\s?)+')")
    assert expression.truthy({}, value="a" * 499 + "!", today=TODAY) is False


def test_runtime_errors_are_not_satisfied_constraints_for_truthy_callers() -> None:
    with pytest.raises(ExpressionError):
        compile_expression(". / 0 > 1").truthy({}, value=3, today=TODAY)


def test_string_repetition_is_impossible() -> None:
    with pytest.raises(ExpressionError):
        run("${a} * 100000", {"a": "x" * 100})
    with pytest.raises(ExpressionError):
        run("100000 * ${a}", {"a": ["x"]})


def test_nothing_typed_reaches_python_names() -> None:
    # builtins and the rewriter's own placeholder names are all unknown names to the author
    for name in ("print", "globals", "__builtins__", "u_x", "q_x", "self", "value_", "os"):
        with pytest.raises(ExpressionError, match="unknown"):
            compile_expression(name)
        with pytest.raises(ExpressionError, match="unknown"):
            compile_expression(f"{name}()")
    # an answer named like a function is still only an answer
    assert run("${len} + 1", {"len": 1}) == 2
    assert compile_expression("${if} = 1").names == frozenset({"if"})


TOKENS = [
    "${a}", "${b}", "${m}", "${d}", ".", "1", "0", "2.5", "'x'", "'2000-01-01'", '""', "true",
    "false", "null", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "**", "%",
    "and", "or", "not", "in", "is", "if", "else", "for", "lambda", ":", "(", ")", "[", "]",
    ",", "selected(", "count_selected(", "string_length(", "len(", "int(", "number(",
    "today()", "age(", "year(", "if(", "coalesce(", "regex(", "min(", "max(", "round(",
    "foo", "__import__", "__class__", "$", "{", "}", "'", "\\", "\n",
]  # fmt: skip
ANSWER = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=30),
    st.dates(),
    st.datetimes(),
    st.lists(st.text(max_size=5), max_size=4),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
SOURCES = st.one_of(
    st.text(max_size=600), st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)
)


@given(source=SOURCES)
@settings(max_examples=500)
def test_any_text_compiles_or_raises_expression_error(source: str) -> None:
    try:
        expression = compile_expression(source)
    except ExpressionError:
        return
    assert isinstance(expression, Expression)


@given(
    source=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join),
    answers=st.dictionaries(st.sampled_from(["a", "b", "m", "d"]), ANSWER, max_size=4),
    value=ANSWER,
    today=st.dates(),
)
@settings(max_examples=1000)
def test_any_answers_evaluate_or_raise_expression_error(
    source: str, answers: dict[str, Any], value: Any, today: date
) -> None:
    try:
        expression = compile_expression(source)
    except ExpressionError:
        return
    try:
        expression.truthy(answers, value=value, today=today)
    except ExpressionError:
        pass


EXAMPLES = [
    "${a} > 3 and ${b} != ''",
    "${a} + ${b} * 2 - . / 3",
    "selected(${m}, 'x') or count_selected(${m}) >= 2",
    "age(${d}) >= 18 and year(${d}) > 1900 and ${d} < today()",
    "if(${a} = 'x', int(${b}), number(${a}))",
    "coalesce(${a}, ${b}) in ['x', 1, null]",
    "regex(${a}, '[0-9]+') and string_length(${b}) < 10 and len(.) > 0",
    "min(${a}, ${b}, 3) < max(${a}, .) and round(${a}, 1) = ${b}",
    "not ${a} and -${b} < ${d}",
]


@given(
    source=st.sampled_from(EXAMPLES),
    answers=st.dictionaries(st.sampled_from(["a", "b", "m", "d"]), ANSWER, max_size=4),
    value=ANSWER,
)
@settings(max_examples=1000)
def test_realistic_expressions_on_any_answers(
    source: str, answers: dict[str, Any], value: Any
) -> None:
    try:
        compile_expression(source).evaluate(answers, value=value, today=TODAY)
    except ExpressionError:
        pass
