"""Shipped data: every number states its unit and its source (or the word 'assumption')."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from simulation.inputs.catalogue import shipped_path
from tests.conftest import ROOT
from tests.test_sources import citation_problems, known_keys

SHIPPED = [shipped_path(n) for n in ("resources.yaml", "archetypes.yaml", "defaults.yaml", "services.yaml")] + sorted(
    (ROOT / "scenarios").glob("*.yaml"))
CALENDAR_KEYS = {"seed", "start", "end", "year", "start_year", "end_year"}


def unsourced_numbers(node, path=""):
    """Dotted paths of numbers that are not the ``value`` of a {value, unit, source} mapping."""
    if isinstance(node, dict):
        if set(node) == {"value", "unit", "source"}:
            source = str(node["source"]).strip()
            return [] if source and str(node["unit"]).strip() else [path]
        return [p for k, v in node.items() if k not in CALENDAR_KEYS
                for p in unsourced_numbers(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in unsourced_numbers(v, f"{path}.{i}")]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [path]
    return []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_number_has_unit_and_source(path):
    assert unsourced_numbers(yaml.safe_load(path.read_text())) == []


def test_sources_are_references_or_assumptions():
    keys = known_keys()
    for path in SHIPPED:
        for source in _sourced(yaml.safe_load(path.read_text())):
            assert citation_problems(source, keys) == [], (path.name, source)


def _sourced(node):
    if isinstance(node, dict):
        if "source" in node and "value" in node:
            yield str(node["source"])
        else:
            for v in node.values():
                yield from _sourced(v)
    elif isinstance(node, list):
        for v in node:
            yield from _sourced(v)


def test_catalogue_has_the_district_archetypes():
    from simulation.inputs.catalogue import load_catalogue
    cat = load_catalogue()
    assert len(cat.archetype_ids) >= 12
    assert {"ceramic_tiles_full_cycle", "ceramic_tiles_partial_cycle", "spray_drying_centre", "glaze_frit_maker",
            "ceramic_machinery", "metalworking_sme", "dairy_parmigiano", "meat_processing", "logistics_warehouse",
            "plastics_converter", "packaging_converter", "construction_materials", "energy_chp_biogas",
            "waste_recovery_operator"} <= set(cat.archetype_ids)


def test_shipped_files_validate():
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "validate", *map(str, SHIPPED[:2]), str(SHIPPED[3]),
                           *map(str, sorted((ROOT / "scenarios").glob("*.yaml")))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
