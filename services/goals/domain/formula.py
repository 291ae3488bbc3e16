"""The safe expression language of metric formulas (G2): arithmetic over named inputs.

A formula has numbers, input names, binary + - * /, unary - and +, and parentheses; nothing else.
It is read by a small recursive-descent parser, never by Python's eval, so a formula can only
compute: it cannot call, import or reach any object. Errors say what is wrong and at which column.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

MAX_LENGTH = 500
MAX_NESTING = 50

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHITESPACE = " \t\r\n"
_OPERATORS = "+-*/"
_LANGUAGE = "a formula uses numbers, input names, + - * / and parentheses"
_CHARACTER_PROBLEMS = {
    "'": "text in quotes is not allowed",
    '"': "text in quotes is not allowed",
    "[": "square brackets are not allowed: a formula has no lists or subscripts",
    "]": "square brackets are not allowed: a formula has no lists or subscripts",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "=": "comparisons and assignments are not allowed",
    "!": "comparisons are not allowed",
    ",": "commas are not allowed: a formula has no function calls",
    ".": "'.' is only allowed inside a number such as 0.5: attribute access is not allowed",
    "%": "'%' (remainder) is not allowed",
}


class FormulaError(ValueError):
    """A formula that does not parse, or names an input the metric does not have."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"{message} (column {column})")


class Unavailable(Exception):
    """The formula has no value for these inputs; `reason` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class _Number:
    number: float
    source: str

    def value(self, inputs: Mapping[str, float]) -> float:
        return self.number


@dataclass(frozen=True)
class _Input:
    name: str
    source: str

    def value(self, inputs: Mapping[str, float]) -> float:
        try:
            number = inputs[self.name]
        except KeyError:
            raise Unavailable(f"there is no value of {self.name}") from None
        if not math.isfinite(number):
            raise Unavailable(f"{self.name} is {number}, not a finite number")
        return number


@dataclass(frozen=True)
class _Negation:
    operand: _Expression
    source: str

    def value(self, inputs: Mapping[str, float]) -> float:
        return -self.operand.value(inputs)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


@dataclass(frozen=True)
class _Binary:
    symbol: str
    left: _Expression
    right: _Expression
    source: str

    def value(self, inputs: Mapping[str, float]) -> float:
        left = self.left.value(inputs)
        right = self.right.value(inputs)
        if self.symbol == "/" and right == 0:
            raise Unavailable(f"{self.right.source} is 0: division by zero")
        result = _ARITHMETIC[self.symbol](left, right)
        if not math.isfinite(result):
            raise Unavailable(f"{self.source} is too large to compute (overflow)")
        return result


_Expression = _Number | _Input | _Negation | _Binary


@dataclass(frozen=True)
class Formula:
    text: str
    names: frozenset[str]
    root: _Expression = field(repr=False, compare=False)

    def evaluate(self, inputs: Mapping[str, float]) -> float:
        """The formula's value; Unavailable on division by zero, a missing input or an overflow."""
        return self.root.value(inputs)


def parse_formula(text: str, known_inputs: Iterable[str] | None = None) -> Formula:
    """Read `text`; with `known_inputs`, every name in it must be one of them."""
    if not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    parser = _Parser(text, _tokens(text))
    root = parser.formula()
    if known_inputs is not None:
        known = set(known_inputs)
        for name, column in parser.names:
            if name not in known:
                inputs = ", ".join(sorted(known)) if known else "none"
                raise FormulaError(f"unknown input '{name}'; the metric's inputs are: {inputs}", column)
    return Formula(text, frozenset(name for name, _ in parser.names), root)


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", one of "+-*/()", or "end"
    text: str
    start: int  # 0-based offset into the formula

    @property
    def column(self) -> int:
        return self.start + 1

    def described(self) -> str:
        if self.kind == "end":
            return "the end of the formula"
        if self.kind == "name":
            return f"the name '{self.text}'"
        if self.kind == "number":
            return f"the number {self.text}"
        return f"'{self.text}'"


def _tokens(text: str) -> Iterator[_Token]:
    """The formula's tokens, read lazily so that the leftmost problem is the one reported."""
    position = 0
    while position < len(text):
        character = text[position]
        if character in _WHITESPACE:
            position += 1
            continue
        if matched := _NUMBER.match(text, position):
            if not math.isfinite(float(matched.group())):
                raise FormulaError(f"the number {matched.group()} is too large", position + 1)
            yield _Token("number", matched.group(), position)
            position = matched.end()
        elif matched := _NAME.match(text, position):
            yield _Token("name", matched.group(), position)
            position = matched.end()
        elif text.startswith("**", position):
            raise FormulaError("'**' (power) is not allowed; " + _LANGUAGE, position + 1)
        elif text.startswith("//", position):
            raise FormulaError("'//' is not allowed; use / to divide", position + 1)
        elif character in _OPERATORS or character in "()":
            yield _Token(character, character, position)
            position += 1
        else:
            problem = _CHARACTER_PROBLEMS.get(character, f"{character!r} is not allowed; {_LANGUAGE}")
            raise FormulaError(problem, position + 1)
    yield _Token("end", "", len(text))


class _Parser:
    """formula := sum end; sum := product (('+'|'-') product)*; product := signed (('*'|'/') signed)*;
    signed := ('+'|'-') signed | atom; atom := number | name | '(' sum ')'."""

    def __init__(self, text: str, tokens: Iterator[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.current = next(tokens)
        self.previous = self.current
        self.names: list[tuple[str, int]] = []

    def advance(self) -> None:
        self.previous = self.current
        self.current = next(self.tokens, self.current)

    def formula(self) -> _Expression:
        root = self.sum(0)
        token = self.current
        if token.kind == ")":
            raise FormulaError("')' has no matching '('", token.column)
        if token.kind != "end":
            raise FormulaError(f"an operator (+ - * /) is missing before {token.described()}", token.column)
        return root

    def sum(self, depth: int) -> _Expression:
        return self.chain(("+", "-"), self.product, depth)

    def product(self, depth: int) -> _Expression:
        return self.chain(("*", "/"), self.signed, depth)

    def chain(
        self, symbols: tuple[str, ...], operand: Callable[[int], _Expression], depth: int
    ) -> _Expression:
        start = self.current.start
        left = operand(depth)
        while self.current.kind in symbols:
            symbol = self.current.kind
            self.advance()
            right_token = self.current
            right = operand(depth)
            if symbol == "/" and isinstance(right, _Number) and right.number == 0:
                raise FormulaError("division by the number 0", right_token.column)
            left = _Binary(symbol, left, right, self.source_from(start))
        return left

    def signed(self, depth: int) -> _Expression:
        token = self.current
        if token.kind not in ("+", "-"):
            return self.atom(depth)
        self.check_depth(depth + 1, token)
        self.advance()
        operand = self.signed(depth + 1)
        return operand if token.kind == "+" else _Negation(operand, self.source_from(token.start))

    def atom(self, depth: int) -> _Expression:
        token = self.current
        self.advance()
        if token.kind == "number":
            return _Number(float(token.text), token.text)
        if token.kind == "name":
            if self.current.kind == "(":
                raise FormulaError(
                    f"'{token.text}(...)' is a function call; calls are not allowed", token.column
                )
            self.names.append((token.text, token.column))
            return _Input(token.text, token.text)
        if token.kind == "(":
            self.check_depth(depth + 1, token)
            inner = self.sum(depth + 1)
            if self.current.kind == "end":
                raise FormulaError("'(' is never closed", token.column)
            if self.current.kind != ")":
                raise FormulaError(
                    f"an operator (+ - * /) is missing before {self.current.described()}", self.current.column
                )
            self.advance()
            # The text with its parentheses is what a person recognizes when it is named as a divisor.
            return replace(inner, source=self.source_from(token.start))
        raise FormulaError(
            f"expected a number, an input name or '(' but found {token.described()}", token.column
        )

    def check_depth(self, depth: int, token: _Token) -> None:
        if depth > MAX_NESTING:
            raise FormulaError(f"the formula nests deeper than {MAX_NESTING} levels", token.column)

    def source_from(self, start: int) -> str:
        return self.text[start : self.previous.start + len(self.previous.text)]
