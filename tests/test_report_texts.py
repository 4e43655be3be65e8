"""The report's two languages carry the same content, and numbers are written each language's way.

The words are gettext catalogues (analysis/locale): the template's msgids are the English texts,
the Italian ``.po`` translates every one of them with the same placeholders, and no text the code
asks for is missing from the template.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pytest

from analysis.families import FAMILIES
from analysis.i18n import INDICATOR_LABELS, LANGUAGES, SOURCE_LANGUAGE, Texts, catalogue_path, messages, read_catalogue
from tests.conftest import ROOT

TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _entries(lang: str) -> dict[str, object]:
    return {m.context: m for m in read_catalogue(catalogue_path(lang)) if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_entry_of_the_template_is_translated_with_the_same_placeholders(lang):
    template, po = _entries(SOURCE_LANGUAGE), _entries(lang)
    assert po.keys() == template.keys(), "update the .po from the template (pybabel update, see the README)"
    for key, entry in template.items():
        assert po[key].id == entry.id, f"{key}: the .po translates an older English text"
        assert po[key].string and not po[key].fuzzy, f"{key}: not translated"
        assert _placeholders(po[key].string) == _placeholders(entry.id), key
        assert ("python-brace-format" in entry.flags) == bool(_placeholders(entry.id)), key


def test_every_key_the_code_asks_for_is_in_the_template():
    """Literal keys (``texts("howto")``, ``texts(f"reading:{key}")`` prefixes) of the report, figures and CLI."""
    english = messages(SOURCE_LANGUAGE)
    sources = [*Path(ROOT / "analysis").glob("*.py"), ROOT / "simulation/cli/compare.py"]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    literal = set(re.findall(r"\btexts\(\s*[\"']([a-z_:]+)[\"']", code))
    assert literal and literal <= english.keys(), literal - english.keys()
    prefixes = set(re.findall(r"\btexts\(\s*f[\"']([a-z_]+:?)\{", code))
    assert prefixes and all(any(k.startswith(p) for k in english) for p in prefixes), prefixes
    from analysis.statistics import HIGHER, LIKELY_HIGHER, LIKELY_LOWER, LOWER, SAME, TOO_FEW
    for key in (HIGHER, LOWER, LIKELY_HIGHER, LIKELY_LOWER, SAME, TOO_FEW):
        assert f"reading:{key}" in english
    for key in (HIGHER, LOWER, SAME, TOO_FEW):
        assert f"name:{key}" in english and f"name:short:{key}" in english
    for family in FAMILIES:
        assert f"name:{family}" in english


def test_the_italian_report_contains_no_english_sentence_of_the_template():
    """Every run of five words or more of an English text that its translation changes is absent
    from the Italian report (a synthetic comparison with warnings, a summary and the appendix)."""
    from analysis.report import render_report
    from tests.test_council_summary import _synthetic

    result = _synthetic(np.random.default_rng(3))
    result.warnings = [("warn_single", {}), ("warn_too_few", {"name": "policy", "n": 1, "min": 3}),
                       ("warn_unpaired", {"name": "policy", "seeds": "4"})]
    italian = render_report(result, [("x", Texts("it")("cap_trajectories"), b"")], Texts("it"))
    english, translated = messages(SOURCE_LANGUAGE), messages("it")
    checked = 0
    for key, text in english.items():
        if translated[key] == text:
            continue  # the same in both languages (x (m), μ*)
        for part in re.split(r"\{[a-z_]+\}", text):
            words = part.split()
            for k in range(len(words) - 4):
                phrase = " ".join(words[k:k + 5])
                assert phrase not in italian, f"{key}: {phrase!r}"
                checked += 1
    assert checked > 500 and "Sintesi" in italian


def test_every_indicator_of_the_model_belongs_to_a_family():
    """A new column of indicators.csv must be placed in a family, or comparisons would leave it out."""
    from simulation.indicators import INDICATORS
    assert set(INDICATORS) <= {i for members in FAMILIES.values() for i in members}


def test_every_indicator_of_the_three_families_has_a_label():
    for lang in LANGUAGES:
        assert {i for members in FAMILIES.values() for i in members} <= INDICATOR_LABELS[lang].keys()


def test_numbers_are_written_as_each_language_writes_them():
    en, it = Texts("en"), Texts("it")
    assert en.number(12345.678, 1) == "12,345.7" and it.number(12345.678, 1) == "12.345,7"
    assert en.quantity(0.4567, share=True) == "45.7%" and it.quantity(0.4567, share=True) == "45,7%"
    assert en.change(0.021, 0.5, share=True) == "+2.1 pp" and it.change(0.021, 0.5, share=True) == "+2,1 p.p."
    assert en.change(-300.0, -0.125, share=False) == "−12.5%" and it.change(-300.0, -0.125, share=False) == "−12,5%"
    assert en.number(-0.0001, 1, sign=True) == "+0.0"  # no "−0.0"
    assert en.percent(-0.00001, 1, sign=True) == "+0.0%"
    assert en.number(float("nan")) == "–" and it.percent(float("nan")) == "–"
    assert en.number(1234567, 0, sign=True) == "+1,234,567" and it.number(-1234567.891, 2) == "−1.234.567,89"
    assert en.level(12.5) == "12.5" and it.level(12.5) == "12,5"
    assert it.level(True) == "sì" and it.level("ranking") == "ranking"


def test_titles_are_shown_in_the_language_of_the_texts():
    titles = {"a": {"en": "Higher landfill tax", "it": "Tributo di discarica più alto"}, "b": "Plain"}
    en, it = Texts("en").named(titles), Texts("it").named(titles)
    assert en.scenario("a") == "Higher landfill tax" and it.scenario("a") == "Tributo di discarica più alto"
    assert en.scenario("b") == it.scenario("b") == "Plain" and it.scenario("unknown_id") == "unknown_id"
    assert Texts("it").scenario("a") == "a"  # texts without titles show ids


def test_every_shipped_residue_has_a_name_in_each_language():
    from simulation.inputs.catalogue import load_catalogue
    catalogue = load_catalogue()
    residues = {rid for rid, r in catalogue.resources.items() if r.disposal is not None}
    for lang in LANGUAGES:
        assert {f"resource:{r}" for r in residues} <= messages(lang).keys()
