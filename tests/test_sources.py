"""Every ``source`` of the shipped data resolves to an entry of ``docs/SOURCES.md`` (issue 15, point 6).

A source cites entries by key in square brackets (``[er-landfill-tax] inert 9.00 EUR/t [R]``) or
contains the word ``assumption``; it must not point to a document outside the repository. The same
checking function runs on the shipped files and on a few hand-written strings, so a broken checker
cannot pass unnoticed.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

SOURCES_MD = ROOT / "docs" / "SOURCES.md"
DATA_DIRS = ("simulation/data", "scenarios", "experiments", "tests/fixtures")
KEY = re.compile(r"\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]")
"""A cited key: lowercase words joined by hyphens, in brackets (flags such as ``[R]`` never match)."""
HEADING = re.compile(r"^### (.+?)\s*$", re.MULTILINE)
OUTSIDE_DOCUMENTS = ("reference_data", "DESIGN")
ADDRESS = re.compile(r"^- \*\*Address:\*\* (.+)$", re.MULTILINE)


def entries(text: str) -> list[tuple[str, str]]:
    """(key, body) of each ``### <key>`` entry, in file order; the body runs to the next heading."""
    heads = list(HEADING.finditer(text))
    out = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[head.end():end]
        section = re.search(r"^## ", body, re.MULTILINE)
        out.append((head.group(1), body[:section.start()] if section else body))
    return out


def known_keys() -> set[str]:
    return {key for key, _ in entries(SOURCES_MD.read_text(encoding="utf-8"))}


def citation_problems(source: str, keys: set[str]) -> list[str]:
    """What is wrong with one ``source`` string: unknown keys, no citation, outside documents."""
    cited = KEY.findall(source)
    problems = [f"unknown key [{k}]" for k in cited if k not in keys]
    if not cited and "assumption" not in source.lower():
        problems.append("cites no key of docs/SOURCES.md and is not marked assumption")
    problems += [f"cites {doc}, which is not in the repository" for doc in OUTSIDE_DOCUMENTS if doc in source]
    return problems


def yaml_sources(node, path: str = ""):
    """(dotted path, text) of every string-valued ``source`` field, at any depth.

    A mapping under ``source`` (a shared service's heat source) is walked, not checked.
    """
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}" if path else str(k)
            if k == "source" and isinstance(v, str):
                yield here, v
            else:
                yield from yaml_sources(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from yaml_sources(v, f"{path}.{i}")


def csv_sources(text: str):
    """(row label, text) of the ``source`` column of a profile CSV (``#`` lines are comments)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for i, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines)))):
        if row.get("source") is not None:
            yield f"row {i + 1}", row["source"]


def shipped_files() -> list[Path]:
    return sorted(p for d in DATA_DIRS for ext in ("*.yaml", "*.yml", "*.csv") for p in (ROOT / d).rglob(ext))


def sources_of(path: Path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        return list(csv_sources(text))
    return list(yaml_sources(yaml.safe_load(text)))


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_source_cites_a_key_or_says_assumption(path):
    keys = known_keys()
    bad = [(where, source, problems) for where, source in sources_of(path)
           if (problems := citation_problems(source, keys))]
    assert bad == [], f"{path.relative_to(ROOT)}: {bad[:5]}"


def test_the_walk_reaches_the_shipped_sources():
    """Guard against a vacuous pass: the shipped files hold several hundred sources, some in CSV columns."""
    files = shipped_files()
    counts = {p.relative_to(ROOT).as_posix(): len(sources_of(p)) for p in files}
    assert sum(counts.values()) > 800
    assert counts["simulation/data/resources.yaml"] > 100
    assert counts["scenarios/profiles/formigine_example.csv"] > 50
    cited = sum(bool(KEY.search(s)) for p in files for _, s in sources_of(p))
    assert cited > 300


def test_references_file_has_unique_keys_and_addresses():
    found = entries(SOURCES_MD.read_text(encoding="utf-8"))
    keys = [k for k, _ in found]
    assert len(keys) > 40
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
    assert [k for k in keys if not KEY.fullmatch(f"[{k}]")] == [], "keys are lowercase words joined by hyphens"
    for key, body in found:
        address = ADDRESS.search(body)
        assert address, f"{key}: no '- **Address:**' line"
        text = address.group(1)
        assert re.search(r"https?://|doi\.org/", text) or re.match(r"none( recorded)?: \w+", text), (
            f"{key}: the address is neither a URL/DOI nor 'none: <why>'")
        assert "**Publication:**" in body, f"{key}: no publication"


def test_checker_rejects_bad_citations():
    keys = {"er-landfill-tax", "est-prices"}
    assert citation_problems("[er-landfill-tax] inert 9.00 EUR/t [R]", keys) == []
    assert citation_problems("assumption: a round number", keys) == []
    assert citation_problems("[er-landfill-tax] [est-prices] 9 + 5 EUR/t [R] [E]", keys) == []
    assert citation_problems("[no-such-entry] 12 EUR/t [R]", keys) == ["unknown key [no-such-entry]"]
    assert citation_problems("12 EUR/t from a regional report [R]", keys) != []
    assert citation_problems("reference_data §5 landfill tax [R]", keys) != []
    assert citation_problems("assumption after DESIGN §5", keys) != []
    assert citation_problems("[er-landfill-tax] 9 EUR/t, [typo-key] [R]", keys) == ["unknown key [typo-key]"]


def test_checker_reads_nested_yaml_and_csv_columns():
    doc = yaml.safe_load("""
a: {value: 1, unit: t, source: "[k-one] x"}
services:
  heat:
    source: {residue: waste_heat, max_share: {value: 0.5, unit: share, source: "assumption: half"}}
    rows: [{value: 2, unit: t, source: "[k-two] y"}]
""")
    assert sorted(s for _, s in yaml_sources(doc)) == ["[k-one] x", "[k-two] y", "assumption: half"]
    table = "# comment, with a comma\nfirm,source\nf1,[k-one] scaled\nf2,\"assumption (x, y)\"\n"
    assert [s for _, s in csv_sources(table)] == ["[k-one] scaled", "assumption (x, y)"]
