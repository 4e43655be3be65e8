"""Text a user writes once per language: a scenario's or an experiment's ``title`` and ``description``.

Written either as a plain string (the same text in every language) or as a mapping from language
to text (``title: {en: Higher landfill tax, it: Tassa di discarica più alta}``). A language the
reports do not speak is refused when the file is read, so that a misspelt key (``itt``, ``IT``)
cannot silently leave the Italian report with the English title. A mapping that leaves out a
language falls back to the English text (or, without English, to the first one given).

The validated value is always the full mapping, one text per language of :data:`LANGUAGES`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from simulation.inputs.schema_base import user_error

LANGUAGES = ("en", "it")  # the languages of the reports, English first (the fallback)

_FIX = ("write a plain text, or one text per language as {" + ", ".join(f"{lang}: ..." for lang in LANGUAGES)
        + "}")


def _localise(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        return {lang: raw for lang in LANGUAGES}
    if not isinstance(raw, dict):
        raise user_error("expected a text, or a mapping from language to text", _FIX)
    for key, text in raw.items():
        if key not in LANGUAGES:
            raise user_error(f"unknown language {key!r}: the reports are written in {', '.join(LANGUAGES)}",
                             f"use the language codes {', '.join(LANGUAGES)}; " + _FIX, field=str(key))
        if not isinstance(text, str):
            raise user_error("expected a text", "write the text of this language as a plain string", field=str(key))
    if not raw:
        raise user_error("no text in any language", _FIX)
    fallback = raw.get(LANGUAGES[0], next(iter(raw.values())))
    return {lang: raw.get(lang, fallback) for lang in LANGUAGES}


Localised = Annotated[dict[str, str], BeforeValidator(_localise)]
"""A text in every language of :data:`LANGUAGES` (a plain string: the same in each)."""


def no_text() -> dict[str, str]:
    """The empty text in every language (a description left out)."""
    return {lang: "" for lang in LANGUAGES}


def in_language(value: Any, lang: str, default: str = "") -> str:
    """The text of ``value`` (a plain string, a mapping by language, or ``None``) in ``lang``.

    Reads what manifests hold: run folders written before titles existed have a plain
    description and no title (``default``).
    """
    if isinstance(value, dict):
        text = value.get(lang) or value.get(LANGUAGES[0]) or next((v for v in value.values() if v), None)
        return text if isinstance(text, str) else default
    return value if isinstance(value, str) and value else default
