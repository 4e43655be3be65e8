"""The report's two languages carry the same content, and numbers are written each language's way."""

from __future__ import annotations

import string

import pytest

from analysis.families import FAMILIES
from analysis.i18n import INDICATOR_LABELS, LANGUAGES, NAMES, RESOURCES, SECTORS, TEXT, Texts


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("table", [TEXT, NAMES, SECTORS, RESOURCES, INDICATOR_LABELS],
                         ids=["text", "names", "sectors", "resources", "labels"])
def test_both_languages_have_the_same_keys_and_placeholders(table):
    english, italian = (table[lang] for lang in LANGUAGES)
    assert english.keys() == italian.keys()
    for key in english:
        assert _placeholders(english[key]) == _placeholders(italian[key]), key


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
    assert en.quantity(0.4567, share=True) == "45.7 %" and it.quantity(0.4567, share=True) == "45,7 %"
    assert en.change(0.021, 0.5, share=True) == "+2.1 pp" and it.change(0.021, 0.5, share=True) == "+2,1 p.p."
    assert en.change(-300.0, -0.125, share=False) == "−12.5 %"
    assert en.number(-0.0001, 1, sign=True) == "+0.0"  # no "−0.0"
    assert en.number(float("nan")) == "–"


def test_every_shipped_residue_has_a_name_in_each_language():
    from simulation.inputs.catalogue import load_catalogue
    catalogue = load_catalogue()
    residues = {rid for rid, r in catalogue.resources.items() if r.disposal is not None}
    for lang in LANGUAGES:
        assert residues <= RESOURCES[lang].keys()
