"""The trigger conditions KFP compiles `dsl.If` / `dsl.Elif` / `dsl.Else` into: a small subset of CEL.

    inputs.parameter_values['pipelinechannel--flip-Output'] == 'heads'
    !(int(inputs.parameter_values['pipelinechannel--n']) > 5) && inputs.parameter_values['b'] == true

Understood: `||`, `&&`, `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, parentheses, string / number / true / false / null
literals, `inputs.parameter_values['NAME']` and the conversions `int()`, `double()`, `string()`, `bool()`.
Anything else is an InvalidSpecError naming the condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import InvalidSpecError

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<input>inputs\.parameter_values\[(?:'[^']*'|\"[^\"]*\")\])|(?P<op>\|\||&&|==|!=|<=|>=|[<>!()])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "int": lambda v: int(float(v)) if isinstance(v, str) else int(v),
    "double": float,
    "string": lambda v: v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)),
    "bool": lambda v: v.lower() == "true" if isinstance(v, str) else bool(v),
}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def evaluate(condition: str, parameters: Mapping[str, Any]) -> bool:
    """Whether `condition` holds for the task's input parameter values."""
    try:
        parser = _Parser(condition, parameters)
        value = parser.disjunction()
        if parser.position != len(parser.tokens):
            raise ValueError(f"unexpected {parser.tokens[parser.position][1]!r}")
        return bool(value)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidSpecError(f"Cannot evaluate the trigger condition {condition!r}: {error}") from error


class _Parser:
    def __init__(self, text: str, parameters: Mapping[str, Any]) -> None:
        self.parameters = parameters
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot read {text[position:position + 20]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match[kind]))
            position = match.end()
        self.position = 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self, op: str) -> bool:
        if self._peek() == ("op", op):
            self.position += 1
            return True
        return False

    def disjunction(self) -> Any:
        value = self.conjunction()
        while self._take("||"):
            right = self.conjunction()
            value = bool(value) or bool(right)
        return value

    def conjunction(self) -> Any:
        value = self.comparison()
        while self._take("&&"):
            right = self.comparison()
            value = bool(value) and bool(right)
        return value

    def comparison(self) -> Any:
        value = self.unary()
        kind, op = self._peek()
        if kind == "op" and op in _COMPARISONS:
            self.position += 1
            return _COMPARISONS[op](value, self.unary())
        return value

    def unary(self) -> Any:
        if self._take("!"):
            return not bool(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self._peek()
        self.position += 1
        if kind == "op" and text == "(":
            value = self.disjunction()
            if not self._take(")"):
                raise ValueError("a ( without its )")
            return value
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "input":
            name = text[len("inputs.parameter_values[") + 1 : -2]
            if name not in self.parameters:
                raise KeyError(f"no input parameter {name!r}")
            return self.parameters[name]
        if kind == "name" and text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if kind == "name" and text in _CONVERSIONS:
            if not self._take("("):
                raise ValueError(f"{text} without (")
            value = self.disjunction()
            if not self._take(")"):
                raise ValueError(f"{text}( without its )")
            return _CONVERSIONS[text](value)
        raise ValueError(f"unexpected {text or 'end'!r}")
