"""Building blocks shared by every input schema (catalogue, scenario).

* :class:`StrictModel` forbids unknown keys, so a misspelt option is an error, not a silent default.
* :class:`Sourced` is a number that carries its unit and its source (or the word ``assumption``):
  the shipped data must say where every figure comes from.
* :func:`sourced_number` is the type of a scenario parameter: a plain number, or a ``Sourced``
  mapping whose unit must be the one the parameter expects.
* :func:`problems_from_validation_error` turns pydantic's errors into ``file: field: message (fix)``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from simulation.errors import Problem


class StrictModel(BaseModel):
    """Base of every input model: unknown keys are errors; non-finite numbers are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def user_error(message: str, fix: str) -> PydanticCustomError:
    """An error raised inside a validator, carrying the fix shown to the user."""
    return PydanticCustomError("ecodistrict", "{message}", {"message": message, "fix": fix})


class Sourced(StrictModel):
    """A figure with its unit and where it comes from.

    ``source`` cites ``reference_data.md`` (section and flag) or says ``assumption``.
    """

    value: float
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise user_error("source is blank", "cite reference_data.md or write 'assumption'")
        return value


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


def sourced_number(unit: str, **constraints: Any) -> Any:
    """Type of a numeric scenario parameter expressed in ``unit``, with pydantic constraints."""
    return Annotated[float, BeforeValidator(_unwrap(unit)),
                     Field(allow_inf_nan=False, json_schema_extra={"unit": unit}, **constraints)]


def sourced_int(unit: str, **constraints: Any) -> Any:
    """Integer counterpart of :func:`sourced_number` (counts, years)."""
    return Annotated[int, BeforeValidator(_unwrap(unit)),
                     Field(json_schema_extra={"unit": unit}, **constraints)]


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


def _dotted(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and "[" in p and p.endswith("]"))]
    return ".".join(parts)


def problems_from_validation_error(exc: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    """Translate every pydantic error into a :class:`Problem` with a fix a user can act on."""
    problems = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        fix = ctx.get("fix") or _FIXES.get(err["type"], "see the documentation of this field")
        message = err["msg"]
        if err["type"].startswith("value_error") and message.startswith("Value error, "):
            message = message[len("Value error, "):]
        field = _dotted(tuple(err["loc"]))
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        problems.append(Problem(file, field, message, fix))
    return problems


def is_finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
