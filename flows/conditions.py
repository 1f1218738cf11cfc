"""Conditions on earlier answers: `budget_known == "no"`, `employees > 100 and "price" in pains`.

The text is parsed by Python's `ast` module (expression mode), every node is checked
against a short whitelist, and evaluation walks the tree itself: nothing is ever
passed to `eval`. An unanswered or skipped question reads as `None`; ordering
comparisons with `None` or with a value of another type are simply false, so a
condition can never crash an interview at run time.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_CONDITION_LENGTH = 500

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SYMBOLS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
Scalar = str | int | float | bool | None


class ConditionError(ValueError):
    def __init__(self, problem: str, column: int, expected: str) -> None:
        super().__init__(problem)
        self.problem, self.column, self.expected = problem, column, expected


@dataclass(frozen=True, slots=True)
class Comparison:
    """`name <op> constant` as written (op is "==", "in", "not in", ...)."""

    name: str
    op: str
    constant: Scalar | tuple[Scalar, ...]
    column: int


@dataclass(frozen=True)
class Condition:
    source: str
    tree: ast.expr
    names: tuple[str, ...]
    # the tree made into closures once (an interview evaluates every condition several
    # times per answer: walking the tree each time was a tenth of the bot's CPU)
    run: Callable[[Mapping[str, Any]], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "run", _compile(self.tree))

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        return bool(self.run(answers))

    def comparisons(self) -> Iterator[Comparison]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Compare):
                yield from _comparisons(node)

    def constants(self) -> list[Scalar]:
        """Every literal in the condition (used to pick test values for reachability)."""
        return [n.value for n in ast.walk(self.tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str | int | float | None)]


def parse_condition(source: str) -> Condition:
    if not isinstance(source, str) or not source.strip():
        raise ConditionError("the condition is empty", 0, 'an expression like `size == "large"`')
    if len(source) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            f"the condition is {len(source)} characters long", 0,
            f"at most {MAX_CONDITION_LENGTH} characters",
        )
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConditionError(
            f"cannot read the condition ({exc.msg})", (exc.offset or 1) - 1,
            'an expression like `employees > 100 and "price" in pains`',
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ConditionError("cannot read the condition", 0, "a short expression") from None
    names: list[str] = []
    _check(tree, names, top=True)
    return Condition(source, tree, tuple(dict.fromkeys(names)))


def _check(node: ast.AST, names: list[str], top: bool = False) -> None:
    col = getattr(node, "col_offset", 0)
    match node:
        case ast.BoolOp(values=values):
            for v in values:
                _check(v, names, top=True)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            _check(operand, names, top=True)
        case ast.Compare(left=left, comparators=comparators, ops=ops):
            for op in ops:
                if type(op) not in _COMPARE and not isinstance(op, ast.In | ast.NotIn):
                    raise ConditionError(
                        f"the operator `{type(op).__name__}` is not supported", col,
                        "one of == != < <= > >= in, not in",
                    )
            for operand in (left, *comparators):
                _check_operand(operand, names)
        case ast.Constant(value=bool()) if top:
            return
        case ast.Name(id=name) if top:
            raise ConditionError(
                f"`{name}` on its own is not a condition", col,
                f'a comparison such as `{name} == "yes"` or `{name} != None`',
            )
        case _:
            raise ConditionError(
                f"`{ast.unparse(node)}` is not allowed here", col,
                "comparisons joined by and / or / not",
            )


def _check_operand(node: ast.AST, names: list[str]) -> None:
    match node:
        case ast.Name(id=name):
            names.append(name)
        case ast.Constant(value=value) if value is None or isinstance(value, str | int | float):
            return
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float())):
            return
        case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
            for elt in elts:
                if not isinstance(elt, ast.Constant):
                    raise ConditionError(
                        "a list in a condition may hold only literal values",
                        getattr(elt, "col_offset", 0), 'a list like `["a", "b"]`',
                    )
        case _:
            raise ConditionError(
                f"`{ast.unparse(node)}` is not allowed in a comparison",
                getattr(node, "col_offset", 0),
                "a question id, a quoted text, a number, a list of literals or None",
            )


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return -_literal(node.operand)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return tuple(_literal(e) for e in node.elts)
    raise TypeError(node)


def _comparisons(node: ast.Compare) -> Iterator[Comparison]:
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        left, right = operands[i], operands[i + 1]
        symbol = _symbol(op)
        if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
            yield Comparison(left.id, symbol, _literal(right), node.col_offset)
        elif isinstance(right, ast.Name) and not isinstance(left, ast.Name):
            yield Comparison(right.id, _mirror(symbol), _literal(left), node.col_offset)


def _symbol(op: ast.cmpop) -> str:
    if isinstance(op, ast.In):
        return "in"
    if isinstance(op, ast.NotIn):
        return "not in"
    return _SYMBOLS[type(op)]


def _mirror(symbol: str) -> str:
    """`3 < x` is `x > 3`; `"a" in x` stays "contains" from x's side."""
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "in": "contains",
            "not in": "not contains"}.get(symbol, symbol)


Reader = Callable[[Mapping[str, Any]], Any]


def _compile(node: ast.expr) -> Reader:
    """The condition as closures over the answers, built once: an unanswered name reads as
    None, a list as a tuple; `and`/`or` stop early."""
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            def every(answers: Mapping[str, Any]) -> bool:
                return all(part(answers) for part in parts)
            return every

        def some(answers: Mapping[str, Any]) -> bool:
            return any(part(answers) for part in parts)
        return some
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand)
        return lambda answers: not inner(answers)
    if isinstance(node, ast.Compare):
        operands = [_operand(x) for x in (node.left, *node.comparators)]
        ops = list(node.ops)
        if len(ops) == 1:
            op, left, right = ops[0], operands[0], operands[1]
            if isinstance(op, ast.Eq):
                return lambda answers: bool(left(answers) == right(answers))
            if isinstance(op, ast.NotEq):
                return lambda answers: bool(left(answers) != right(answers))
            return lambda answers: _compare(op, left(answers), right(answers))

        def chain(answers: Mapping[str, Any]) -> bool:
            values = [operand(answers) for operand in operands]
            return all(_compare(op, values[i], values[i + 1]) for i, op in enumerate(ops))
        return chain
    return _operand(node)


def _operand(node: ast.expr) -> Reader:
    if isinstance(node, ast.Name):
        name = node.id

        def read(answers: Mapping[str, Any]) -> Any:
            value = answers.get(name)
            return tuple(value) if isinstance(value, list) else value
        return read
    constant = _literal(node)
    return lambda _answers: constant


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.In | ast.NotIn):
        found = _contains(right, left)
        return found if isinstance(op, ast.In) else not found
    if isinstance(op, ast.Eq | ast.NotEq):
        return bool(_COMPARE[type(op)](left, right))
    try:
        return bool(_COMPARE[type(op)](left, right))
    except TypeError:
        return False


def _contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, tuple):
        return item in container
    return False
