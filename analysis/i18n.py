"""English and Italian words of the comparison report and its figures, from gettext catalogues.

Planners present results to councils and firms in Italian; analysts often read English. Every
word a reader sees passes through :class:`Texts`, so both languages always carry the same
content. The words live in gettext catalogues, the format translators know:

* ``analysis/locale/ecodistrict.pot``, the template: one entry per text, its ``msgctxt`` the key
  the code asks for (``howto_text``, ``sector:ceramics``) and its ``msgid`` the English text;
* ``analysis/locale/<lang>/LC_MESSAGES/ecodistrict.po``, one per other language, the ``msgstr``
  its translation (a test checks that it translates every entry of the template, with the same
  placeholders).

The ``.po`` files are read with Babel when a language is first used, so nothing is compiled at
install (no ``.mo``). Keys are prefixed by what they name: ``name:`` (indicator families,
verdicts, resource families, sensitivity indices), ``sector:``, ``service:``, ``resource:``,
``parameter:`` (a lever a sweep varies) and ``value:``; the others are sentences of the report.

Numbers are written the way each language writes them (``1,234.5`` / ``1.234,5``, ``45.7%`` /
``45,7%``) by Babel's CLDR formats. Scenario and experiment titles are the user's own words
(:mod:`simulation.inputs.localised`); :meth:`Texts.named` gives a :class:`Texts` that shows them.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from simulation.indicators import REGISTRY
from simulation.inputs.localised import LANGUAGES, in_language

SOURCE_LANGUAGE = LANGUAGES[0]  # the language of the template's msgids
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ecodistrict"

# Indicator labels are defined with the indicators (simulation/indicators.py).
INDICATOR_LABELS = {"en": {i.name: i.label_en for i in REGISTRY}, "it": {i.name: i.label_it for i in REGISTRY}}


def catalogue_path(lang: str) -> Path:
    """The template for the source language, the language's ``.po`` file otherwise."""
    if lang == SOURCE_LANGUAGE:
        return LOCALE_DIR / f"{DOMAIN}.pot"
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path):
    """A ``.po``/``.pot`` file as a Babel :class:`~babel.messages.catalog.Catalog`."""
    from babel.messages.pofile import read_po  # Babel is imported when a report is written, not by every command

    with path.open("rb") as file:
        return read_po(file)


@functools.cache
def messages(lang: str) -> dict[str, str]:
    """``{key: text}`` of one language: the template's English msgids, or the language's translations.

    An entry left untranslated or marked fuzzy falls back to the English text, as gettext does.
    """
    english = {m.context: m.id for m in read_catalogue(catalogue_path(SOURCE_LANGUAGE)) if m.id}
    if lang == SOURCE_LANGUAGE:
        return english
    translated = {m.context: m.string for m in read_catalogue(catalogue_path(lang))
                  if m.id and m.string and not m.fuzzy}
    return {key: translated.get(key, text) for key, text in english.items()}


class Texts:
    """The words and number formats of one language, and the titles of what a report compares."""

    def __init__(self, lang: str, scenarios: dict[str, Any] | None = None, experiments: dict[str, Any] | None = None):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._messages = messages(lang)
        self._scenarios = dict(scenarios or {})
        self._experiments = dict(experiments or {})

    def __call__(self, key: str, **values) -> str:
        return self._messages[key].format(**values)

    def __contains__(self, key: str) -> bool:
        return key in self._messages

    def named(self, scenarios: dict[str, Any] | None = None, experiments: dict[str, Any] | None = None) -> Texts:
        """These texts, showing scenarios and experiments by their titles (``{id: text or {lang: text}}``)."""
        return Texts(self.lang, {**self._scenarios, **(scenarios or {})}, {**self._experiments, **(experiments or {})})

    def scenario(self, name: str) -> str:
        """A scenario's title in this language; its name when it has none."""
        return in_language(self._scenarios.get(name), self.lang, default=name)

    def experiment(self, name: str) -> str:
        """An experiment's title in this language; its name when it has none."""
        return in_language(self._experiments.get(name), self.lang, default=name)

    def label(self, indicator: str) -> str:
        """An indicator's label; an indicator this version does not know keeps its column name."""
        return INDICATOR_LABELS[self.lang].get(indicator, indicator)

    def name(self, key: str) -> str:
        """An indicator family, a verdict, a resource family or a sensitivity index."""
        return self._messages[f"name:{key}"]

    def _named(self, kind: str, key: str) -> str:
        return self._messages.get(f"{kind}:{key}", key.replace("_", " "))

    def resource(self, resource: str) -> str:
        """A residue's short name; resources of another catalogue are shown by their id."""
        return self._named("resource", resource)

    def service(self, kind: str) -> str:
        """A kind of shared service; kinds of another catalogue are shown by their id."""
        return self._named("service", kind)

    def sector(self, group: str) -> str:
        """A sector group; groups of another catalogue are shown as they are written."""
        return self._named("sector", group)

    def parameter(self, path: str) -> str:
        """A scenario field a sweep varies (dotted path); a field without a label by its last name."""
        return self._messages.get(f"parameter:{path}", path.rsplit(".", 1)[-1])

    def level(self, value: Any) -> str:
        """A lever's value: a number in this language's style, yes or no, or a text as written."""
        if isinstance(value, bool):
            return self._messages[f"value:{str(value).lower()}"]
        if isinstance(value, (int, float)):
            from babel.numbers import format_decimal
            return format_decimal(value, locale=self.lang).replace("-", "−")
        return str(value)

    def number(self, value: float, digits: int = 0, sign: bool = False) -> str:
        """``value`` with thousands separators and ``digits`` decimals, in this language's style."""
        from babel.numbers import format_decimal

        if value is None or not math.isfinite(value):
            return "–"
        value = 0.0 if round(value, digits) == 0 else value  # no "−0.0"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        text = format_decimal(value, format=f"+{pattern};-{pattern}" if sign else pattern, locale=self.lang)
        return text.replace("-", "−")

    def percent(self, fraction: float, digits: int = 1, sign: bool = False) -> str:
        """``fraction`` as a percentage with ``digits`` decimals (0.457: ``45.7%``, ``45,7%``)."""
        from babel.numbers import format_percent

        if fraction is None or not math.isfinite(fraction):
            return "–"
        fraction = 0.0 if round(100 * fraction, digits) == 0 else fraction
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
        text = format_percent(fraction, format=f"+{pattern};-{pattern}" if sign else pattern, locale=self.lang)
        return text.replace("-", "−")

    def quantity(self, value: float, share: bool = False, sign: bool = False, like: float | None = None) -> str:
        """An indicator value: shares as percentages, others with as many decimals as their size needs.

        ``like`` sets the decimals from another number (an interval is written like its mean).
        """
        if share:
            return self.percent(value, 1, sign)
        reference = value if like is None else like
        size = abs(reference) if reference is not None and math.isfinite(reference) else 0
        return self.number(value, 0 if size >= 100 else 2 if size < 10 else 1, sign)

    def change(self, difference: float, relative: float, share: bool) -> str:
        """A difference against the baseline: percentage points for shares, else relative %."""
        if share:
            return self.number(100 * difference, 1, sign=True) + self("pp")
        if relative is None or not math.isfinite(relative):
            return self.quantity(difference, sign=True)
        return self.percent(relative, 1, sign=True)
