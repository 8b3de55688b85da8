"""The small expression language of catalog rules, derived parts and price lines.

Expressions are evaluated by simpleeval (no Python builtins, no dunder access); numbers
are Decimal so money and measurements are exact.
"""

from __future__ import annotations

import ast
import functools
import string
import threading
from decimal import Decimal
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Set

import simpleeval


class ExpressionError(Exception):
    """An expression cannot be parsed or evaluated."""


class ChoiceRef:
    """A chosen catalog value inside an expression.

    Compares equal to its id ("graphics == 'none'") and exposes name, price and the
    value's attributes as attributes ("cpu.socket").
    """

    __slots__ = ("id", "name", "price", "_attributes")

    def __init__(self, value_id: str, name: str, price: Optional[Decimal], attributes: Mapping[str, Any]):
        self.id = value_id
        self.name = name
        self.price = price
        self._attributes = {key: as_decimal(item) for key, item in attributes.items()}

    def __getattr__(self, attribute: str) -> Any:
        try:
            return self._attributes[attribute]
        except KeyError:
            raise AttributeError(attribute) from None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChoiceRef):
            return self.id == other.id
        return self.id == other

    def __hash__(self) -> int:
        return hash(self.id)

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)


def as_decimal(value: Any) -> Any:
    """Numbers (not booleans) become Decimal; lists are converted item by item."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, list):
        return [as_decimal(item) for item in value]
    return value


class _DecimalEval(simpleeval.SimpleEval):
    def __init__(self, names: Dict[str, Any]):
        super().__init__(functions={"min": min, "max": max, "round": round, "abs": abs}, names=names)

    def _eval_constant(self, node: ast.Constant) -> Any:
        return as_decimal(node.value)

    def _eval_name(self, node: ast.Name) -> Any:
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        return super()._eval_name(node)


@functools.lru_cache(maxsize=1024)  # the catalog's few expressions, asked about on every turn
def names_in(text: str) -> FrozenSet[str]:
    """The option ids an expression refers to (the root of every name)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"'{text}' is not a valid expression: {error.msg}") from None
    return frozenset(
        node.id for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in ("true", "false", "True", "False", "min", "max", "round", "abs")
    )


def attributes_used(text: str) -> Set[tuple]:
    """(name, attribute) pairs such as ('cpu', 'socket') for 'cpu.socket == "AM5"'."""
    tree = ast.parse(text, mode="eval")
    return {
        (node.value.id, node.attr) for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }


def literals_compared(text: str) -> Set[tuple]:
    """(name, text) pairs where a bare name is compared with a string: belt == "pvc"."""
    tree = ast.parse(text, mode="eval")
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        names = [o.id for o in operands if isinstance(o, ast.Name)]
        strings = [o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, str)]
        for container in operands:
            if isinstance(container, (ast.List, ast.Tuple, ast.Set)):
                strings += [e.value for e in container.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        found |= {(name, literal) for name in names for literal in strings}
    return found


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> ast.AST:
    """simpleeval's tree of `text`, parsed once per expression text (a catalog has a few
    hundred): a turn evaluates the same rules and price lines many times. The tree is only
    read by the evaluator. A text that does not parse raises every time (nothing cached)."""
    return simpleeval.SimpleEval.parse(text)


_evaluators = threading.local()


def _evaluator(names: Dict[str, Any]) -> _DecimalEval:
    """This thread's evaluator with `names`: building one (its table of node handlers and
    the check of its functions) cost more than the evaluation. Evaluating is synchronous and
    never re-entered (no function given to the evaluator evaluates), so one per thread does."""
    evaluator = getattr(_evaluators, "evaluator", None)
    if evaluator is None:
        evaluator = _evaluators.evaluator = _DecimalEval({})
    evaluator.names = names
    return evaluator


def evaluate(text: str, names: Dict[str, Any]) -> Any:
    evaluator = _evaluator(names)
    try:
        return evaluator.eval(text, previously_parsed=_parsed(text))
    except (simpleeval.InvalidExpression, ArithmeticError, TypeError, AttributeError) as error:
        raise ExpressionError(f"cannot evaluate '{text}': {error}") from None
    finally:
        evaluator.names = {}  # the caller's values are not kept alive until the next call


def names_in_template(template: str) -> Set[str]:
    """The option ids a label template such as '{belt.name} x {length}' uses."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    except ValueError as error:
        raise ExpressionError(f"'{template}' is not a valid label: {error}") from None
    return {field.split(".")[0].split("[")[0] for field in fields}


class _LabelFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Decimal) and not format_spec:
            return format_number(value)
        return super().format_field(value, format_spec)


def format_label(template: str, names: Dict[str, Any]) -> str:
    try:
        return _LabelFormatter().vformat(template, (), names)
    except (KeyError, AttributeError, IndexError, ValueError) as error:
        raise ExpressionError(f"cannot fill label '{template}': {error}") from None


def format_number(value: Decimal) -> str:
    """12.50 -> '12.5', 600.0 -> '600': the number as a person writes it."""
    text = format(value.normalize(), "f")
    return text


def all_names(texts: Iterable[str]) -> Set[str]:
    used: Set[str] = set()
    for text in texts:
        used |= names_in(text)
    return used
