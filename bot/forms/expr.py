"""The small expression language of form definitions: XLSForm-flavoured, and never eval'd.

An expression is rewritten token by token into Python syntax, parsed with `ast`, checked against
a strict whitelist when the definition loads, and evaluated by walking the tree here. Anything a
definition author gets wrong fails at start-up with what and where; anything an answer gets
wrong at run time is an ExpressionError, which the caller reads as "constraint not satisfied".
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import re
import warnings
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from re import _constants as sre  # the stdlib's own regex parser, to look inside patterns
from re import _parser
from typing import Any

MAX_SOURCE, MAX_STRING, MAX_NESTING, MAX_DEPTH, MAX_REGEX_TEXT = 500, 200, 20, 100, 500

# name: (fewest, most arguments); None means any number
FUNCTIONS = {
    "selected": (2, 2), "count_selected": (1, 1), "string_length": (1, 1), "len": (1, 1),
    "int": (1, 1), "number": (1, 1), "today": (0, 0), "age": (1, 1), "year": (1, 1),
    "if": (3, 3), "coalesce": (2, 2), "regex": (2, 2), "min": (1, None), "max": (1, None),
    "round": (1, 2),
}  # fmt: skip

_TOKEN = re.compile(
    r"""(?P<space>\s+) | (?P<answer>\$\{[A-Za-z_][A-Za-z0-9_]*\}) | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*) | (?P<op>==|!=|<=|>=|\*\*|//|[-+*/%<>=(),\[\].:])""",
    re.VERBOSE,
)
_CALLABLE = {"u_" + name for name in FUNCTIONS}
_LITERALS = {"true": "True", "false": "False", "null": "None"}
_KEYWORDS = set(keyword.kwlist) - {"True", "False", "None"}  # passed on, for Python's parser
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_ORDER = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_REFUSED = {
    ast.Attribute: "attribute access (.name) is not allowed",
    ast.Subscript: "indexing and slicing ([...]) are not allowed",
    ast.Lambda: "lambda is not allowed",
    **dict.fromkeys(
        (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
        "comprehensions are not allowed",
    ),
    ast.IfExp: "write if(condition, a, b) instead of 'a if condition else b'",
    ast.List: "a list [...] is only allowed after 'in'",
    ast.Tuple: "tuples are not allowed",
    ast.Starred: "unpacking (*) is not allowed",
    ast.Pow: "exponentiation (**) is not allowed",
    ast.FloorDiv: "'//' is not allowed; use '/'",
    ast.Mod: "'%' is not allowed",
    **dict.fromkeys((ast.Is, ast.IsNot), "'is' is not allowed; use = or !="),
}


class ExpressionError(ValueError):
    """A definition's expression is malformed or uses something not allowed; message says what and where."""  # noqa: E501


@dataclass(frozen=True)
class Expression:
    """A checked expression; plain data (source and names), the parsed tree is cached per source."""

    source: str
    names: frozenset[str]  # the questions it refers to via ${...}: the runner's dependencies

    def evaluate(self, answers: Mapping[str, Any], *, today: date, value: Any = None) -> Any:
        """`today` is the product's clock's date (required: the machine's date is not the
        product's, and tests move the clock)."""
        tree = _parse(self.source)[0]
        try:
            return _Evaluation(answers, value, today)(tree.body)
        except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as error:
            raise ExpressionError(f"{self.source!r}: {error}") from error

    def truthy(self, answers: Mapping[str, Any], *, today: date, value: Any = None) -> bool:
        return bool(self.evaluate(answers, value=value, today=today))


def compile_expression(source: str) -> Expression:
    """Checks the source when the definition loads, so a bad expression stops start-up."""
    return Expression(source, _parse(source)[1])


@lru_cache(maxsize=2048)
def _parse(source: str) -> tuple[ast.Expression, frozenset[str]]:
    """Rewrites, parses and checks once per distinct source; the definitions are finite."""
    if not source.strip():
        raise ExpressionError("the expression is empty")
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"the expression is longer than {MAX_SOURCE} characters")
    text, starts, columns, names = _rewrite(source)

    def column(offset: int) -> int:
        return columns[max(bisect_right(starts, offset) - 1, 0)] + 1

    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        where = f"at column {column(error.offset - 1)}" if error.offset else "at the end"
        raise ExpressionError(f"syntax error {where}: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise ExpressionError(f"cannot be parsed: {error!r}") from None
    _Check(column)(tree.body, 0)
    return tree, frozenset(names)


def _rewrite(source: str) -> tuple[str, list[int], list[int], set[str]]:
    """XLSForm tokens to Python ones: ${a} -> q_a, . -> value_, = -> ==, any other word w -> u_w.

    Every word of the author's gets the u_ prefix, so nothing typed can reach a Python name.
    Returns the text, where each token starts in it and in the source, and the answer names.
    """
    tokens, position = [], 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            hint = "; an answer is written ${name}" if source[position] == "$" else ""
            raise ExpressionError(f"unexpected {source[position]!r} at column {position + 1}{hint}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group(), position))
        position = match.end()
    text, starts, columns, names, nesting, after_value = "", [], [], set(), 0, False
    for index, (kind, token, where) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "answer":
            names.add(token[2:-1])
            token = "q_" + token[2:-1]
        elif kind == "string":
            token = repr(token[1:-1])  # no escapes, as in XPath: the other quote is the way out
        elif kind == "word" and token in _LITERALS:
            token = _LITERALS[token]
        elif kind == "word" and (token not in _KEYWORDS or token == "if" and following == "("):
            token = "u_" + token
        elif token == "." and not after_value:
            token = "value_"
        elif token == "=":
            token = "=="
        nesting += (token in ("(", "[")) - (token in (")", "]"))
        if nesting > MAX_NESTING:
            raise ExpressionError(f"nested deeper than {MAX_NESTING} at column {where + 1}")
        after_value = token not in _KEYWORDS and (kind != "op" or token in (")", "]", "value_"))
        starts.append(len(text))
        columns.append(where)
        text += token + " "
    return text, starts, columns, names


class _Check:
    """The whitelist: walks the tree top-down so the outermost offence is the one reported."""

    def __init__(self, column: Any) -> None:
        self.column = column

    def fail(self, node: ast.AST, message: str) -> None:
        raise ExpressionError(f"{message} (column {self.column(node.col_offset)})")

    def __call__(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.fail(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        children: list[ast.AST] = []
        match node:
            case ast.Constant(value=str(text)) if len(text) > MAX_STRING:
                self.fail(node, f"a string is longer than {MAX_STRING} characters")
            case ast.Constant(value=None | bool() | int() | float() | str()):
                pass
            case ast.Name(id=name) if name.startswith("u_"):
                self.fail(node, f"unknown name {name[2:]!r}; an answer is written ${{{name[2:]}}}")
            case ast.Name():
                pass
            case ast.UnaryOp(op=ast.Not() | ast.USub() | ast.UAdd(), operand=operand):
                children = [operand]
            case ast.BinOp(op=ast.Add() | ast.Sub() | ast.Mult() | ast.Div()):
                self(node.left, depth)  # 1 + 2 + 3 + ... is long, not deep
                children = [node.right]
            case ast.BinOp(op=op) | ast.UnaryOp(op=op):
                self.fail(
                    node, _REFUSED.get(type(op), f"operator {type(op).__name__} is not allowed")
                )
            case ast.BoolOp(values=values):
                children = values
            case ast.Compare(left=left, ops=ops, comparators=rights):
                children = [left]
                for op, right in zip(ops, rights, strict=True):
                    if type(op) in _REFUSED:
                        self.fail(node, _REFUSED[type(op)])
                    if isinstance(op, ast.In | ast.NotIn) != isinstance(right, ast.List):
                        self.fail(node, "'in' takes a list literal such as ['a', 'b']")
                    children += right.elts if isinstance(right, ast.List) else [right]
            case ast.Call(func=ast.Name(id=name), args=args) if name in _CALLABLE:
                fewest, most = FUNCTIONS[name[2:]]
                if len(args) < fewest or most is not None and len(args) > most:
                    takes = f"{fewest}" if fewest == most else f"at least {fewest}"
                    takes = f"{fewest} or {most}" if most and most > fewest else takes
                    self.fail(node, f"{name[2:]}() takes {takes} argument(s), not {len(args)}")
                if name == "u_regex":
                    if not (isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
                        self.fail(node, "regex() takes its pattern as a quoted string")
                    _pattern(args[1].value)
                children = args
            case ast.Call(func=ast.Name(id=name)) if name.startswith("u_"):
                self.fail(node, f"unknown function {name[2:]!r}")
            case ast.Call(func=func):  # keyword arguments cannot occur: '=' has become '=='
                self(func, depth + 1)
                self.fail(node, "only the listed functions can be called")
            case _:
                self.fail(node, _REFUSED.get(type(node), f"{type(node).__name__} is not allowed"))
        for child in children:
            self(child, depth + 1)


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compiled once; the length limit on strings bounds the pattern too."""
    try:
        with warnings.catch_warnings():  # "possible nested set" and the like: refuse, always
            warnings.simplefilter("error")
            compiled, risky = re.compile(pattern), _nested_repeat(_parser.parse(pattern))
    except (re.error, OverflowError, RecursionError, Warning) as error:
        raise ExpressionError(f"regex pattern {pattern!r} is invalid: {error}") from None
    if risky:
        raise ExpressionError(
            f"regex pattern {pattern!r} repeats a repetition, as in (a+)+, which can take"
            " forever on some answers; use an atomic group (?>...) or a possessive a++"
        )
    return compiled


def _nested_repeat(items: Any, inside: bool = False) -> bool:
    """(a+)+ backtracks exponentially on text anyone can type; (?>a+)+ and a++ do not."""
    for op, argument in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, repeated = argument
            if inside and high == sre.MAXREPEAT or _nested_repeat(repeated, inside or low != high):
                return True
        elif op in (sre.SUBPATTERN, sre.ASSERT, sre.ASSERT_NOT):
            if _nested_repeat(argument[-1], inside):
                return True
        elif op is sre.BRANCH and any(_nested_repeat(branch, inside) for branch in argument[1]):
            return True
    return False


class _Evaluation:
    """One evaluation: the tree is already checked, so every node here is an allowed one."""

    def __init__(self, answers: Mapping[str, Any], value: Any, today: date) -> None:
        self.answers, self.value, self.today = answers, value, today

    def __call__(self, node: Any) -> Any:
        match node:
            case ast.Constant(value=constant):
                return constant
            case ast.Name(id="value_"):
                return self.value
            case ast.Name(id=name):
                return self.answers.get(name[2:])
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self(operand)
            case ast.UnaryOp(op=op, operand=operand):
                number = _number(self(operand))
                return None if number is None else -number if isinstance(op, ast.USub) else number
            case ast.BoolOp(op=ast.And(), values=values):
                return all(self(value) for value in values)
            case ast.BoolOp(values=values):
                return any(self(value) for value in values)
            case ast.BinOp(op=op, left=left, right=right):
                return _arithmetic(op, self(left), self(right))
            case ast.Compare(left=left, ops=ops, comparators=rights):
                value = self(left)
                for op, right in zip(ops, rights, strict=True):
                    items = isinstance(right, ast.List)
                    other = [self(item) for item in right.elts] if items else self(right)
                    if not _compare(op, value, other):
                        return False
                    value = other
                return True
            case ast.Call(func=ast.Name(id="u_if"), args=[condition, then, otherwise]):
                return self(then if self(condition) else otherwise)
            case ast.Call(func=ast.Name(id="u_coalesce"), args=[first, second]):
                value = self(first)
                return self(second) if value is None or value == "" else value
            case ast.Call(func=ast.Name(id="u_today")):
                return self.today
            case ast.Call(func=ast.Name(id="u_age"), args=[born]):
                if (born := _as_date(self(born))) is None:
                    return None
                birthday_to_come = (self.today.month, self.today.day) < (born.month, born.day)
                return self.today.year - born.year - birthday_to_come
            case ast.Call(func=ast.Name(id=name), args=args):
                return _PURE[name[2:]](*(self(arg) for arg in args))


def _arithmetic(op: ast.operator, left: Any, right: Any) -> Any:
    """None in, None out; strings only concatenate, so nothing can grow a string by repetition."""
    if left is None or right is None:
        return None
    if isinstance(op, ast.Add) and isinstance(left, str) and isinstance(right, str):
        return left + right
    left, right = _number(left), _number(right)
    if left is None or right is None:  # a blank string
        return None
    if isinstance(op, ast.Div):
        if right == 0:
            raise ExpressionError("division by zero")
        return left / right
    return _ARITHMETIC[type(op)](left, right)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    """Unanswered equals '' (as in XLSForm) and is never more or less than anything."""
    if isinstance(op, ast.In | ast.NotIn):
        return (left in right) == isinstance(op, ast.In)
    if isinstance(op, ast.Eq | ast.NotEq):
        try:
            left, right = _coerce(left, right)
        except ExpressionError:
            pass  # 'abc' is simply not equal to 3
        left, right = ("" if left is None else left), ("" if right is None else right)
        return (left == right) == isinstance(op, ast.Eq)
    left, right = _coerce(left, right)
    if left is None or right is None:
        return False
    return _ORDER[type(op)](left, right)


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """A string compared with a date or a number is read as one: ${born} < '2000-01-01'."""
    if isinstance(right, str) and not isinstance(left, str):
        right = _like(left, right)
    elif isinstance(left, str) and not isinstance(right, str):
        left = _like(right, left)
    return left, right


def _like(other: Any, text: str) -> Any:
    if not text.strip():
        return None
    if isinstance(other, date):
        return _as_date(text)
    return _number(text) if _is_number(other) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _number(value: Any) -> int | float | None:
    """Decimals become floats, so no answer can make int() or round() build a giant integer."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and not value.strip():
        return None  # a blank answer is an unanswered one
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise ExpressionError(f"{repr(value)[:40]} is not a number")


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise ExpressionError(f"{repr(value)[:40]} is not a date (YYYY-MM-DD)") from None


def _selected(answer: Any, choice: Any) -> bool:
    if isinstance(answer, list | tuple | set | frozenset):
        return str(choice) in {str(item) for item in answer}
    return answer is not None and str(answer) == str(choice)


def _count_selected(answer: Any) -> int:
    if answer is None or isinstance(answer, list | tuple | set | frozenset):
        return len(answer or ())
    if isinstance(answer, str):
        return len(answer.split())
    raise ExpressionError(f"{repr(answer)[:40]} is not a multiple-choice answer")


def _length(value: Any) -> int:
    if value is None:
        return 0
    return len(value if isinstance(value, str | list | tuple) else str(value))


def _regex(text: Any, pattern: str) -> bool:
    if text is None:
        return False
    if len(text := str(text)) > MAX_REGEX_TEXT:
        raise ExpressionError(f"text longer than {MAX_REGEX_TEXT} characters for regex()")
    return _pattern(pattern).fullmatch(text) is not None


def _round(value: Any, digits: Any = None) -> int | float | None:
    if (number := _number(value)) is None:
        return None
    if digits is not None and not (type(digits) is int and -20 <= digits <= 20):
        raise ExpressionError("round() takes a whole number of digits from -20 to 20")
    return round(number, digits)


def _extreme(pick: Any) -> Any:
    return lambda *values: pick((value for value in values if value is not None), default=None)


_PURE = {
    "selected": _selected, "count_selected": _count_selected, "string_length": _length,
    "len": _length, "number": _number, "regex": _regex, "round": _round,
    "min": _extreme(min), "max": _extreme(max),
    "int": lambda value: None if (number := _number(value)) is None else int(number),
    "year": lambda value: None if (day := _as_date(value)) is None else day.year,
}  # fmt: skip
