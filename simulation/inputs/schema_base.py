"""Building blocks shared by every input schema (catalogue, scenario).

* :class:`StrictModel` forbids unknown keys, so a misspelt option is an error, not a silent default.
* :class:`Sourced` is a number that carries its unit and its source (or the word ``assumption``):
  the shipped data must say where every figure comes from.
* :func:`sourced_number` is the type of a scenario parameter: a plain number, or a ``Sourced``
  mapping whose unit must be the one the parameter expects; ``Share`` is the commonest (0 to 1).
  Every number is finite and within a bound of :mod:`simulation.inputs.bounds`.
* :data:`FolderName` is a name that becomes a folder name (scenarios, experiments).
* :func:`check_unit` and :func:`check_non_negative` check a ``Sourced`` figure inside a model
  validator (catalogue and service files, whose units depend on the resource's own unit).
* :func:`problems_from_validation_error` turns pydantic's errors into ``file: field: message (fix)``.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simulation.inputs.bounds import MAX_MAGNITUDE, Bound
from simulation.inputs.errors import Problem, did_you_mean


class StrictModel(BaseModel):
    """Base of every input model: unknown keys are errors; non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def user_error(message: str, fix: str, field: str = "") -> PydanticCustomError:
    """An error raised inside a validator, carrying the fix shown to the user.

    ``field`` is the dotted path, below the model being validated, of the value at fault: a
    model validator sees the whole model, so without it the user would be pointed at the parent.
    """
    return PydanticCustomError("ecodistrict", "{message}", {"message": message, "fix": fix, "field": field})


def user_errors(problems: list[tuple[str, str, str]]) -> PydanticCustomError:
    """Several ``(field, message, fix)`` problems found by one model validator, reported one a line.

    Pydantic stops a model validator at its first raise; cross-reference checks collect every
    problem first so that ``ecodistrict validate`` shows them all at once.
    """
    message = "; ".join(f"{field}: {msg}" for field, msg, _ in problems)
    return PydanticCustomError("ecodistrict", "{message}",
                               {"message": message, "fix": problems[0][2], "problems": tuple(problems)})


class Sourced(StrictModel):
    """A figure with its unit and where it comes from.

    ``source`` cites an entry of ``docs/SOURCES.md`` by its key, or says ``assumption``.
    """

    value: float
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise user_error("source is blank", "cite an entry of docs/SOURCES.md or write 'assumption'")
        return value

    @model_validator(mode="after")
    def _bounded(self) -> Sourced:
        problem = MAX_MAGNITUDE.problem(self.value, self.unit)
        if problem is not None:
            raise user_error(*problem, field="value")
        return self


def _within(bound: Bound, unit: str):
    """Validator: refuse a number beyond ``bound``, naming the bound and its reason."""

    def within(value: float) -> float:
        problem = bound.problem(value, unit)
        if problem is not None:
            raise user_error(*problem)
        return value

    return within


def _unwrap(unit: str):
    """Validator: accept ``3.5`` or ``{value: 3.5, unit: ..., source: ...}``; check the unit."""

    def unwrap(raw: Any) -> Any:
        if isinstance(raw, dict):
            if set(raw) - {"value", "unit", "source"} or "value" not in raw:
                raise user_error(
                    "expected a number or a mapping with keys value, unit, source",
                    f"write e.g. '{{value: 1.0, unit: {unit}, source: assumption}}' or a plain number")
            given = raw.get("unit", unit)
            if given != unit:
                raise user_error(f"unit {given!r} does not match the expected unit {unit!r}",
                                 f"convert the value to {unit}")
            return raw["value"]
        return raw

    return unwrap


def sourced_number(unit: str, bound: Bound = MAX_MAGNITUDE, **constraints: Any) -> Any:
    """Type of a numeric scenario parameter expressed in ``unit``, with pydantic constraints: finite,
    and no farther from 0 than ``bound`` (:mod:`simulation.inputs.bounds`)."""
    return Annotated[float, BeforeValidator(_unwrap(unit)),
                     Field(allow_inf_nan=False, json_schema_extra={"unit": unit}, **constraints),
                     AfterValidator(_within(bound, unit))]


def sourced_int(unit: str, **constraints: Any) -> Any:
    """Integer counterpart of :func:`sourced_number` (counts, years)."""
    return Annotated[int, BeforeValidator(_unwrap(unit)),
                     Field(json_schema_extra={"unit": unit}, **constraints)]


Share = sourced_number("share", ge=0, le=1)


def _folder_name(name: str) -> str:
    if not name.strip("."):
        raise user_error(f"{name!r} names the current or the parent folder, and the outputs are written in a "
                         "folder of this name", "give a name with a letter or a digit")
    return name


FolderName = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$"), AfterValidator(_folder_name)]
"""A scenario's or experiment's name, which names its output folders: letters, digits, ``_ . -``,
and not ``.`` or ``..`` alone (those would make the current or the parent folder the output)."""


def unit_problem(figure: Sourced | None, expected: str) -> tuple[str, str] | None:
    """``(message, fix)`` when ``figure`` is not in ``expected``, else ``None``."""
    if figure is not None and figure.unit != expected:
        return f"unit is {figure.unit!r} but must be {expected!r}", f"convert the value to {expected}"
    return None


def check_unit(figure: Sourced | None, expected: str, what: str) -> None:
    """Raise a user error at field ``what`` (dotted, below the model) when the unit is wrong."""
    problem = unit_problem(figure, expected)
    if problem is not None:
        raise user_error(*problem, field=what)


def check_non_negative(figure: Sourced | None, what: str) -> None:
    """Raise a user error at field ``what`` when the figure is below 0 (quantities, prices, costs)."""
    if figure is not None and figure.value < 0:
        raise user_error(f"negative value ({figure.value:g})", "give a value >= 0", field=what)


_FIXES: dict[str, str] = {
    "extra_forbidden": "remove this key or correct its spelling",
    "missing": "add this field",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "int_from_float": "give a whole number",
    "finite_number": "give a finite number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "give a text value",
    "string_too_short": "give a non-empty text",
    "dict_type": "give a mapping (key: value lines)",
    "model_type": "give a mapping (key: value lines)",
    "model_attributes_type": "give a mapping (key: value lines)",
    "string_pattern_mismatch": "use only the characters the pattern allows",
    "list_type": "give a list (lines starting with '- ')",
    "too_short": "add at least one entry",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "union_tag_invalid": "use one of the allowed kinds",
    "union_tag_not_found": "add the discriminating key",
}


def _is_tag(part: Any) -> bool:
    """Pydantic's own steps in an error location (``function-after[...]``), not a user's key."""
    return isinstance(part, str) and "[" in part and part.endswith("]")


def _key(part: Any) -> str:
    """A key as shown in a dotted path: quoted when empty or when it holds dots, colons or spaces."""
    text = str(part)
    plain = text and not any(c.isspace() or c in ".:" or not c.isprintable() for c in text)
    return text if plain else repr(text)


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(_key(p) for p in loc if not _is_tag(p))


def _bare(tp: Any) -> Any:
    """``tp`` without ``Annotated[...]`` and ``X | None`` wrappers."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _keys_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model holding the last key of ``loc`` (to suggest a spelling), or []."""
    tp: Any = model
    for part in [p for p in loc if not _is_tag(p)][:-1]:
        tp = _bare(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return []
            tp = tp.model_fields[part].annotation
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return []
    tp = _bare(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _kind_of(value: Any) -> str:
    """What a YAML value is, in the user's words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else "a value"


def problems_from_validation_error(exc: ValidationError, file: str, prefix: str = "",
                                   model: type[BaseModel] | None = None) -> list[Problem]:
    """Translate every pydantic error into a :class:`Problem` with a fix a user can act on.

    Give ``model`` (the class that was validated) to get a spelling suggestion for unknown keys.
    """
    problems = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        fix = ctx.get("fix") or _FIXES.get(err["type"], "see the documentation of this field")
        message = err["msg"]
        if err["type"].startswith("value_error") and message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err["type"] in ("model_type", "model_attributes_type", "dict_type"):
            # pydantic names the schema's class ("instance of ArchetypeFile"), which is no word of the user's
            message = f"expected a mapping of keys, not {_kind_of(err.get('input'))}"
        if err["type"] == "extra_forbidden":
            message = "unknown key"
            fix += did_you_mean(err["loc"][-1], _keys_at(model, tuple(err["loc"])))
        loc = tuple(prefix.split(".") if prefix else ()) + tuple(err["loc"])
        parts = ctx.get("problems") or ((ctx.get("field", ""), message, fix),)
        for sub_field, sub_message, sub_fix in parts:
            field = _dotted(loc + tuple(sub_field.split(".") if sub_field else ()))
            problems.append(Problem(file, field, sub_message, sub_fix))
    return problems
