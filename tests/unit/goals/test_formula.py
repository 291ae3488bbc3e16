"""The metric formula language: what it computes, what it refuses, and why a value is unavailable."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.goals.domain.formula import MAX_LENGTH, MAX_NESTING, FormulaError, Unavailable, parse_formula

FAST = settings(max_examples=200, deadline=None)
INPUTS = {"a": 2.0, "b": 3.0, "c": 4.0, "defects": 6.0, "produced": 400.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("defects / produced * 100", 1.5),
        ("a + b * c", 14.0),
        ("(a + b) * c", 20.0),
        ("a - b - c", -5.0),
        ("c / a / a", 1.0),
        ("-a * b", -6.0),
        ("a - -b", 5.0),
        ("-(a + b)", -5.0),
        ("+a", 2.0),
        ("--a", 2.0),
        ("100 * (1 - defects / produced)", 98.5),
        ("0.5 * c + .5", 2.5),
        ("1e3 / produced", 2.5),
        ("((((a))))", 2.0),
        ("  a\t*\nb  ", 6.0),
    ],
)
def test_a_formula_computes_arithmetic_with_the_usual_precedence(text: str, expected: float) -> None:
    assert parse_formula(text).evaluate(INPUTS) == pytest.approx(expected)


def test_a_formula_knows_the_inputs_it_uses() -> None:
    formula = parse_formula("converted / visits * 100 + converted", ["converted", "visits", "refunds"])

    assert formula.names == frozenset({"converted", "visits"})
    assert parse_formula("42").names == frozenset()


@pytest.mark.parametrize(
    ("text", "explanation", "column"),
    [
        ("__import__('os')", "'__import__(...)' is a function call; calls are not allowed", 1),
        ("a + max(a, b)", "'max(...)' is a function call; calls are not allowed", 5),
        ("os.system", "attribute access is not allowed", 3),
        ("a.__class__", "attribute access is not allowed", 2),
        ("a ** 2", "'**' (power) is not allowed", 3),
        ("lambda: a", "':' is not allowed", 7),
        ("[a for a in b]", "square brackets are not allowed", 1),
        ("{a: b}", "braces are not allowed", 1),
        ("a[0]", "square brackets are not allowed", 2),
        ("'text'", "text in quotes is not allowed", 1),
        ("a < b", "comparisons are not allowed", 3),
        ("a == b", "comparisons and assignments are not allowed", 3),
        ("a % b", "'%' (remainder) is not allowed", 3),
        ("a // b", "'//' is not allowed; use / to divide", 3),
        ("a if b else c", "an operator (+ - * /) is missing before the name 'if'", 3),
        ("a b", "an operator (+ - * /) is missing before the name 'b'", 3),
        ("2a", "an operator (+ - * /) is missing before the name 'a'", 2),
        ("(a b)", "an operator (+ - * /) is missing before the name 'b'", 4),
        ("a +", "expected a number, an input name or '(' but found the end of the formula", 4),
        ("a * / b", "expected a number, an input name or '(' but found '/'", 5),
        ("()", "expected a number, an input name or '(' but found ')'", 2),
        ("(a + b", "'(' is never closed", 1),
        ("a + b)", "')' has no matching '('", 6),
        ("a / 0", "division by the number 0", 5),
        ("1e999 * a", "the number 1e999 is too large", 1),
        ("a ; b", "';' is not allowed; a formula uses numbers, input names, + - * / and parentheses", 3),
        ("défauts", "'é' is not allowed", 2),
    ],
)
def test_anything_but_arithmetic_is_refused_with_what_and_where(
    text: str, explanation: str, column: int
) -> None:
    with pytest.raises(FormulaError) as refused:
        parse_formula(text)

    assert explanation in refused.value.message
    assert refused.value.column == column
    assert str(refused.value).endswith(f"(column {column})")


def test_an_empty_formula_is_refused() -> None:
    with pytest.raises(FormulaError, match="the formula is empty") as refused:
        parse_formula("  \t ")

    assert refused.value.column is None


def test_a_formula_longer_than_the_limit_is_refused() -> None:
    longest = "a+" * (MAX_LENGTH // 2 - 1) + "10"
    assert len(longest) == MAX_LENGTH
    assert parse_formula(longest).evaluate({"a": 1.0}) == MAX_LENGTH // 2 - 1 + 10

    with pytest.raises(FormulaError, match=f"501 characters long; the limit is {MAX_LENGTH}"):
        parse_formula(longest + " ")


def test_nesting_is_limited_in_parentheses_and_signs() -> None:
    deepest = "(" * MAX_NESTING + "a" + ")" * MAX_NESTING
    assert parse_formula(deepest).evaluate({"a": 5.0}) == 5.0
    assert parse_formula("-" * MAX_NESTING + "a").evaluate({"a": 5.0}) == 5.0

    with pytest.raises(FormulaError, match=f"nests deeper than {MAX_NESTING} levels") as refused:
        parse_formula("(" + deepest + ")")
    assert refused.value.column == MAX_NESTING + 1
    with pytest.raises(FormulaError, match=f"nests deeper than {MAX_NESTING} levels"):
        parse_formula("-" * (MAX_NESTING + 1) + "a")


def test_a_name_that_is_not_an_input_of_the_metric_is_refused_with_the_inputs_it_has() -> None:
    with pytest.raises(FormulaError) as refused:
        parse_formula("defects / produce", ["produced", "defects"])

    assert refused.value.message == "unknown input 'produce'; the metric's inputs are: defects, produced"
    assert refused.value.column == 11


def test_a_metric_without_inputs_accepts_only_numbers() -> None:
    assert parse_formula("2 * 50", []).evaluate({}) == 100.0

    with pytest.raises(FormulaError, match="unknown input 'x'; the metric's inputs are: none"):
        parse_formula("x", [])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("defects / produced", "produced is 0: division by zero"),
        ("defects / (produced - defects)", "(produced - defects) is 0: division by zero"),
        ("defects / -produced * 100", "-produced is 0: division by zero"),
    ],
)
def test_division_by_zero_has_no_value_and_names_the_divisor(text: str, reason: str) -> None:
    formula = parse_formula(text)

    with pytest.raises(Unavailable) as unavailable:
        formula.evaluate({"defects": 0.0, "produced": 0.0})

    assert unavailable.value.reason == reason


def test_a_missing_input_has_no_value() -> None:
    with pytest.raises(Unavailable, match="there is no value of produced"):
        parse_formula("defects / produced").evaluate({"defects": 3.0})


def test_a_result_too_large_for_a_number_has_no_value() -> None:
    with pytest.raises(Unavailable, match=r"a \* a is too large to compute \(overflow\)"):
        parse_formula("a * a * a - 1").evaluate({"a": 1e200})


# Expressions are drawn as trees: an int leaf, an input name, ("-", operand), or (symbol, left, right).
names = st.sampled_from(["a", "b", "c", "defects"])
leaves = st.integers(0, 50) | names


def _combined(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.tuples(st.just("-"), children) | st.tuples(st.sampled_from("+-*"), children, children)


trees = st.recursive(leaves, _combined, max_leaves=8)


def _binding(tree: object) -> int:
    """How tightly the rendered tree binds: sums 1, products 2, negations 3, leaves 4."""
    if not isinstance(tree, tuple):
        return 4
    if len(tree) == 2:
        return 3
    return 2 if tree[0] == "*" else 1


def _text(tree: object, extra_parentheses: bool) -> str:
    """The tree as a formula, with only the parentheses precedence needs (or around everything)."""
    if not isinstance(tree, tuple):
        return str(tree)

    def wrapped(child: object, needed: bool) -> str:
        inner = _text(child, extra_parentheses)
        return f"({inner})" if needed or extra_parentheses else inner

    if len(tree) == 2:
        return "-" + wrapped(tree[1], _binding(tree[1]) < 3)
    symbol, left, right = tree
    binding = _binding(tree)
    return f"{wrapped(left, _binding(left) < binding)} {symbol} {wrapped(right, _binding(right) <= binding)}"


def _reference(tree: object) -> int:
    """Exact integer arithmetic over the same tree."""
    if isinstance(tree, int):
        return tree
    if isinstance(tree, str):
        return int(INPUTS[tree])
    if len(tree) == 2:
        return -_reference(tree[1])
    symbol, left, right = tree
    if symbol == "+":
        return _reference(left) + _reference(right)
    if symbol == "-":
        return _reference(left) - _reference(right)
    return _reference(left) * _reference(right)


@FAST
@given(trees, st.booleans())
def test_any_sum_difference_and_product_of_integers_equals_exact_arithmetic(
    tree: object, extra_parentheses: bool
) -> None:
    text = _text(tree, extra_parentheses)

    # At most 8 leaves of at most 50 keep every intermediate below 2**53, where floats are exact.
    assert parse_formula(text).evaluate(INPUTS) == _reference(tree)


formula_characters = st.sampled_from("ab1.0e+-*/()  _'\"[],:%<=!^~@#\\")


@FAST
@given(st.text(formula_characters, max_size=30) | st.text(max_size=30))
def test_any_text_either_parses_to_a_finite_value_or_is_refused_cleanly(text: str) -> None:
    refusal: FormulaError | None = None
    try:
        formula = parse_formula(text)
    except FormulaError as refused:
        refusal = refused
    if refusal is not None:
        assert refusal.message
        assert refusal.column is None or 1 <= refusal.column <= len(text) + 1
        return
    reason = ""
    try:
        value = formula.evaluate({"a": 0.0, "b": 7.0, "e": 1.0, "_": -2.0})
    except Unavailable as unavailable:
        value, reason = math.nan, unavailable.reason
    assert math.isfinite(value) or reason
