"""The machinery every spec model shares.

- ``ApiModel``: a pydantic model named after an API message. Python names are snake_case, the wire is camelCase;
  both spellings are accepted on input. ``to_api()`` gives the exact v1 REST JSON, ``from_api()`` reads an API
  response (unknown and server-only keys ignored, enums as names or numbers, numbers as floats or strings).
- Field declarations: each field of a resource spec carries one ``Change`` marker saying how a change to it is
  handled (output-only, replace-on-change, updatable in place with its update-mask path, provider-only). Diff,
  update masks and request bodies are derived from these markers, never from lists of names.
- Rules: a model states its cross-field rules in ``_problems()``. One ``SpecError`` lists, with field paths,
  every type error in a spec and the broken rules of every part whose own fields are valid (a part whose
  fields are broken cannot be judged as a whole).
- Outputs: any field takes a ``pulumi.Output`` (the id of a dataset created in the same program, a bucket's
  URL ...). What is known is checked at once; a rule at or around an Output waits for the provider's check,
  when the engine knows the value. The Output stays in the model, and ``to_plain()`` hands it to the engine.
"""

from __future__ import annotations

import collections.abc
import contextvars
import enum
import functools
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from typing_extensions import Self

from ..errors import Problem, SpecError
from ._types import NOT_KNOWN_YET

__all__ = [
    "OUTPUT_ONLY",
    "PLACEMENT",
    "PROVIDER_ONLY",
    "REPLACE",
    "ApiModel",
    "Change",
    "FieldKind",
    "change_of",
    "updatable",
    "walk",
]


class FieldKind(enum.Enum):
    """How a change to a field is handled."""

    OUTPUT_ONLY = "output-only"
    REPLACE = "replace-on-change"
    UPDATABLE = "updatable in place"
    PROVIDER_ONLY = "provider-only"


@dataclass(frozen=True)
class Change:
    """The declaration attached to a field with ``Annotated[T, <Change>]``.

    ``in_body`` says whether the field is part of the resource message sent to the API; placement fields
    (project, location) and request-level fields (parent model, model id) are not.
    """

    kind: FieldKind
    update_mask: str | None = None
    in_body: bool = True


OUTPUT_ONLY = Change(FieldKind.OUTPUT_ONLY, in_body=False)
REPLACE = Change(FieldKind.REPLACE)
PROVIDER_ONLY = Change(FieldKind.PROVIDER_ONLY, in_body=False)
# Part of the resource's name or of the create request, not of its message: a change still replaces it.
PLACEMENT = Change(FieldKind.REPLACE, in_body=False)


def updatable(update_mask: str) -> Change:
    """A field the API can change in place; ``update_mask`` is its path in the PATCH update mask."""
    return Change(FieldKind.UPDATABLE, update_mask=update_mask)


def change_of(info: FieldInfo) -> Change | None:
    """The ``Change`` declared on a field, if any."""
    for meta in info.metadata:
        if isinstance(meta, Change):
            return meta
    return None


def _problems_from(error: ValidationError) -> Iterator[Problem]:
    for item in error.errors(include_url=False):
        path = tuple(part for part in item["loc"] if not _is_validator_label(part))
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, SpecError):  # a nested model's rules, or its own constructor
            for problem in cause.problems:
                yield problem.under(*path)
            continue
        if item["type"] == "extra_forbidden":
            yield Problem(path, "unknown field")
            continue
        message = str(cause) if isinstance(cause, ValueError) else item["msg"]
        yield Problem(path, message[0].lower() + message[1:] if message else message)


# Tags of discriminated unions (such as the split kinds): pydantic puts them into error locations, but users
# only know field names, so they are left out of paths.
UNION_TAGS: set[str] = set()


def _is_validator_label(part: str | int) -> bool:
    # pydantic also puts union-member and validator labels into locations.
    return isinstance(part, str) and ("[" in part or part.startswith("function-") or part in UNION_TAGS)


Path = tuple[str | int, ...]


def _fields_of(model: ApiModel) -> dict[str, Any]:
    values = {name: getattr(model, name) for name in type(model).model_fields}
    return {name: value for name, value in values.items() if value is not None}


_SCALARS = (str, int, float, bool, type(None))
_AROUND_OUTPUTS: contextvars.ContextVar[bool] = contextvars.ContextVar("around_outputs", default=False)


def pending_paths(value: Any, is_pending: Callable[[Any], bool], path: Path = ()) -> Iterator[Path]:
    """Where ``value`` holds values not known yet (``is_pending``): in itself, its mappings, lists and spec
    models (by field name)."""
    if isinstance(value, _SCALARS):  # the common case first: a check walks every value of every spec
        return
    if is_pending(value):
        yield path
    elif isinstance(value, ApiModel):
        yield from pending_paths(_fields_of(value), is_pending, path)
    elif isinstance(value, dict | collections.abc.Mapping):
        for key, item in value.items():
            yield from pending_paths(item, is_pending, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from pending_paths(item, is_pending, (*path, index))


def _holds_outputs(value: Any) -> bool:
    return next(output_paths(value), None) is not None


def is_output(value: Any) -> bool:
    return isinstance(value, pulumi.Output)


def output_paths(value: Any) -> Iterator[Path]:
    """Where ``value`` holds Outputs (a program's values not known yet)."""
    return pending_paths(value, is_output)


def with_stand_ins(value: Any, is_pending: Callable[[Any], bool], *, keep_models: bool = False) -> Any:
    """``value`` with each pending value (``is_pending``) replaced by ``NOT_KNOWN_YET``: the rules around a value
    not known yet still run; what the stand-in itself breaks is filtered out by path (``related``). Spec models
    become their fields, or with ``keep_models`` stay models (to serialize as their types say: durations ...)."""
    if isinstance(value, _SCALARS):
        return value
    if is_pending(value):
        return NOT_KNOWN_YET
    if isinstance(value, ApiModel):
        if not keep_models:
            return with_stand_ins(_fields_of(value), is_pending)
        if next(pending_paths(value, is_pending), None) is None:
            return value
        fields = {k: with_stand_ins(v, is_pending, keep_models=True) for k, v in _fields_of(value).items()}
        return type(value).model_construct(**fields)
    if isinstance(value, dict | collections.abc.Mapping):
        return {key: with_stand_ins(item, is_pending, keep_models=keep_models) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_stand_ins(item, is_pending, keep_models=keep_models) for item in value]
    return value


def related(problem: Path, pending: Path) -> bool:
    """A problem at, inside or around a value not known yet: it waits until the value is known."""
    shorter = min(len(problem), len(pending))
    return problem[:shorter] == pending[:shorter]


def _value_at(value: Any, path: Path) -> Any:
    for part in path:
        value = getattr(value, str(part)) if isinstance(value, ApiModel) else value[part]
    return value


def _put(data: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _never(value: Any) -> bool:
    return False


def _is_zero_int(value: Any) -> bool:
    return not isinstance(value, bool) and value in (0, "0")


def _proto_zero_checks(model_type: type[BaseModel]) -> dict[str, Callable[[Any], bool]]:
    """For each optional field, a test for the proto3 zero value of its type.

    Proto3 does not tell an unset scalar, list or map from its zero value, and servers render them either way
    (``"acceleratorCount": 0``, ``"args": []``, ``"state": "X_UNSPECIFIED"``). Reading zeros as unset keeps a
    spec equal to itself however it travelled. Messages keep their presence (``predictSchemata: {}``).
    """
    cached = _ZERO_CHECKS.get(model_type)
    if cached is not None:
        return cached
    checks: dict[str, Callable[[Any], bool]] = {}
    for name, field in model_type.model_fields.items():
        if field.default is not None or field.is_required():
            continue
        check = _zero_check_for(field.annotation)
        if check is not None:
            checks[name] = check
            if field.alias:
                checks[field.alias] = check
    _ZERO_CHECKS[model_type] = checks
    return checks


_ZERO_CHECKS: dict[type[BaseModel], dict[str, Callable[[Any], bool]]] = {}


def _zero_check_for(annotation: Any) -> Callable[[Any], bool] | None:
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    base = (
        args[0] if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1 else annotation
    )
    while typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    origin = typing.get_origin(base) or base
    if origin is list:
        return lambda value: value == []
    if origin is dict:
        return lambda value: value == {}
    if base is bool:
        return lambda value: value is False
    if base is str:
        return lambda value: value == ""
    if base is int:
        return _is_zero_int
    if base is float:
        return lambda value: _is_zero_int(value) or value == 0.0
    if base is timedelta:
        return lambda value: value in ("0s", 0)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return lambda value: _is_zero_int(value) or (isinstance(value, str) and value.endswith("_UNSPECIFIED"))
    return None


class ApiModel(BaseModel):
    """Base of every spec model: camelCase on the wire, strict about unknown input, lenient with responses."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
        loc_by_alias=False,
        use_enum_values=False,
        validate_default=False,
        # A field's meaning is the docstring under it, read by _docs when asked (not here: it costs every import).
    )

    _around_outputs_built: bool = PrivateAttr(default=False)
    """Built around Outputs (``_around_outputs``): only such a model holds any, and to_plain looks for them."""

    def __new__(cls, /, **data: Any) -> Self:
        # A model around Outputs is built here (pydantic's __init__ must return the instance it was given).
        if _holds_outputs(data):
            return cls._around_outputs(data)
        return super().__new__(cls)

    def __init__(self, /, **data: Any) -> None:
        if _holds_outputs(data):
            return  # built by __new__
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise SpecError(_problems_from(error), subject=type(self).__name__) from None

    # Only wraps the error type: tells pydantic to validate nested models in its core (keeping the validation
    # context) instead of calling this constructor for each of them.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Validate user input (snake_case or camelCase keys); raises ``SpecError`` listing every problem."""
        if isinstance(data, dict) and _holds_outputs(data):
            return cls._around_outputs(data)
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise SpecError(_problems_from(error), subject=cls.__name__) from None

    @classmethod
    def from_api(cls, data: Any) -> Self:
        """Read an API response: unknown keys are ignored, enums and numbers accepted in any wire form."""
        try:
            return cls.model_validate(data, context={"lenient": True})
        except ValidationError as error:
            raise SpecError(_problems_from(error), subject=f"{cls.__name__} from the API") from None

    def to_api(self) -> dict[str, Any]:
        """The exact v1 REST JSON of this message (camelCase, enum names, int64 strings, durations)."""
        dumped: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True, context={"api": True})
        return dumped

    def to_plain(self) -> dict[str, Any]:
        """Every field by its Python name in JSON form: what the provider stores and diffs. Outputs stay Outputs
        (the engine resolves them before the provider sees them)."""
        pending = list(output_paths(self)) if self._around_outputs_built else []
        if not pending:
            dumped: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
            return dumped
        # Dumped with stand-ins where the Outputs are (no warnings: the types there say str, int ...), then the
        # Outputs put back in their places.
        stand_in = with_stand_ins(self, is_output, keep_models=True)
        dumped = stand_in.model_dump(mode="json", exclude_none=True, warnings=False)
        for path in pending:
            _put(dumped, path, _value_at(self, path))
        return dumped

    def _problems(self) -> Iterator[Problem]:
        """Cross-field rules of this model; paths are relative to it."""
        return iter(())

    def _rules(self) -> Iterator[Problem]:
        """Everything checked once the fields are valid: ``_problems`` (bases may add rules of their own)."""
        return self._problems()

    def _notes(self) -> Iterator[Problem]:
        """Warnings: what may still fail but cannot be known offline (region availability ...)."""
        return iter(())

    def notes(self) -> list[Problem]:
        """The warnings of this model and of every model in it, with their paths."""
        return [note.under(*path) for path, model in walk(self) for note in model._notes()]

    @classmethod
    def _from_wire_shape(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Hook: turn an API-shaped dict into this model's field layout (most models need nothing)."""
        return data

    def _to_wire_shape(self, data: dict[str, Any]) -> dict[str, Any]:
        """Hook: turn this model's dumped fields into the API's shape (most models need nothing)."""
        return data

    @classmethod
    def _around_outputs(cls, data: dict[str, Any]) -> Self:
        """The model of ``data`` that holds Outputs: everything else is checked now, as the provider's check
        does around values not known yet; each field that holds no Output is validated, the rest kept as is."""
        pending = list(output_paths(data))
        try:
            cls.parse(with_stand_ins(data, is_output))
        except SpecError as error:
            problems = [p for p in error.problems if not any(related(p.path, path) for path in pending)]
            if problems:
                raise SpecError(problems, subject=cls.__name__) from None
        by_alias = {field.alias: name for name, field in cls.model_fields.items() if field.alias}
        fields: dict[str, Any] = {}
        around = _AROUND_OUTPUTS.set(True)  # the models inside may hold Outputs too: they look for them
        try:
            for key, value in data.items():
                name = by_alias.get(key, key)
                try:
                    fields[name] = field_adapter(cls, name).validate_python(value)
                except (ValidationError, SpecError):  # the Output (or a list or map holding one) itself
                    fields[name] = value
        finally:
            _AROUND_OUTPUTS.reset(around)
        built = cls.model_construct(**fields)
        built._around_outputs_built = True
        return typing.cast("Self", built)

    @model_validator(mode="wrap")
    @classmethod
    def _lenient_and_rules(cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        lenient = bool(info.context and info.context.get("lenient"))
        # Only a model built around Outputs (see __new__, parse) can have them inside: the others skip the walk.
        if _AROUND_OUTPUTS.get() and isinstance(data, dict) and not lenient and _holds_outputs(data):
            return cls._around_outputs(data)
        if isinstance(data, dict):
            data = cls._from_wire_shape(data)
            zero_checks = _proto_zero_checks(cls)
            data = {key: value for key, value in data.items() if not zero_checks.get(key, _never)(value)}
        if isinstance(data, dict) and info.context and info.context.get("lenient"):
            known = set()
            for name, field in cls.model_fields.items():
                known.add(name)
                if field.alias:
                    known.add(field.alias)
            data = {key: value for key, value in data.items() if key in known}
        model = handler(data)
        if info.context and info.context.get("lenient"):
            return model  # the API's answer is what it is: rules are for what users write
        problems = list(model._rules())
        if problems:
            raise SpecError(problems, subject=cls.__name__)
        return model

    @model_serializer(mode="wrap")
    def _drop_non_body_fields(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if isinstance(data, dict) and info.context and info.context.get("api"):
            for name, field in type(self).model_fields.items():
                change = change_of(field)
                if change is not None and not change.in_body:
                    data.pop(field.alias if info.by_alias and field.alias else name, None)
            data = self._to_wire_shape(data)
        return data


@functools.cache
def field_adapter(model_type: type[ApiModel], name: str) -> TypeAdapter[Any]:
    info = model_type.model_fields[name]
    return TypeAdapter(typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)


def walk(model: ApiModel, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], ApiModel]]:
    """``model`` and every model inside it (in fields and lists), each with its path."""
    yield path, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if isinstance(item, ApiModel):
                yield from walk(item, (*path, name) if index is None else (*path, name, index))
