"""The report matchmake hands to each firm (issue 14, item 5), through the real command line.

On the four-firm case of ``tests/test_matchmaking.py`` (two-firm catalogue, hand-computed table):
S1 supplies B1 (rank 1, 750 t, 58,400 EUR/yr) and B2 (rank 4, 300 t, 21,770 EUR/yr); the optimal
allocation keeps S1 → B1 at 750 t and drops S1 → B2. A second run gives the firms names that a
browser would take as markup and a spreadsheet as a formula.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.io.cells import display_path, safe_file_names
from simulation.matchmake.tables import group_quartiles
from tests.conftest import FIXTURES, ROOT

FOUR = FIXTURES / "profiles" / "four_firms.csv"
CATALOG = FIXTURES / "two_firms" / "resources.yaml"
FORMULA = "=cmd|' /C calc'!A0"
MARKUP = "<b>x</b>"
HOSTILE = {"S1": FORMULA, "B1": MARKUP, "S2": "-S2", "B2": "Città & Co"}
ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:home|tmp|work|usr|root|var|opt|private|Users)/")


def matchmake(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", "matchmake", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=cwd)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{"en", "it", "hostile"}`` -> the exchanges CSV each run wrote (absolute paths given, cwd apart)."""
    root = tmp_path_factory.mktemp("firm-reports")
    lines = FOUR.read_text(encoding="utf-8").splitlines(keepends=True)
    hostile = root / "hostile.csv"
    hostile.write_text("".join(HOSTILE.get(line.split(",", 1)[0], line.split(",", 1)[0]) + "," + line.split(",", 1)[1]
                               if "," in line and not line.startswith("#") else line for line in lines),
                       encoding="utf-8")
    out = {}
    for key, profiles, extra in (("en", FOUR, ()), ("it", FOUR, ("--lang", "it")), ("hostile", hostile, ())):
        target = root / key / "mm.csv"
        result = matchmake(profiles, "--catalog", CATALOG, "--optimal", "--out", target, "-q", *extra, cwd=root)
        assert result.returncode == 0, result.stderr
        out[key] = target
    return out


class _Page(HTMLParser):
    """Texts of the synergy rows (by rank), links, and all text of a page."""

    def __init__(self):
        super().__init__()
        self.rows: dict[int, list[str]] = {}
        self.links: list[str] = []
        self.title = ""
        self._row: int | None = None
        self._cell: list[str] | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("class") == "synergy":
            self._row = int(attrs["data-rank"])
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a":
            self.links.append(attrs["href"])
        elif tag == "h1":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "h1":
            self._in_title = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _reports(out: Path) -> Path:
    return out.with_name(out.stem + "_reports")


@pytest.mark.slow
def test_a_firm_report_lists_its_rows_of_the_exchanges_table(runs):
    out = runs["en"]
    exchanges = pd.read_csv(out)
    mine = exchanges[(exchanges.supplier == "S1") | (exchanges.buyer == "S1")]
    page = _parse(_reports(out) / "firms" / "S1.html")
    assert list(page.rows) == list(mine["rank"]) == [1, 4]
    for row in mine.itertuples():
        cells = page.rows[row.rank]
        assert cells[1] == "supplies" and cells[2] == row.buyer
        assert f"{row.quantity:,.0f} t" in cells and f"{row.surplus_eur_per_yr:,.0f}" in cells
        assert f"{row.co2_avoided_t:,.1f}" in cells and f"{row.distance_km:.2f}" in cells
        assert f"{row.optimal_quantity:,.0f} t" in cells or (row.optimal_quantity == 0 and "0.0 t" in cells)
    html = (_reports(out) / "firms" / "S1.html").read_text(encoding="utf-8")
    assert "58,400" in html and "21,770" in html and "Talk to B1" in html
    assert "data:image/png;base64," in html and "Content-Security-Policy" in html
    assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html), "a page refers to another host"
    buyer = _parse(_reports(out) / "firms" / "B2.html")
    assert list(buyer.rows) == [3, 4] and [r[1] for r in buyer.rows.values()] == ["takes", "takes"]


@pytest.mark.slow
def test_every_firm_gets_a_report_and_the_index_links_each(runs):
    for out in runs.values():
        reports = _reports(out)
        pages = sorted((reports / "firms").iterdir())
        assert len(pages) == 4
        index = _parse(reports / "index.html")
        hrefs = sorted(set(index.links))
        assert hrefs == sorted(f"firms/{p.name}" for p in pages)
        assert all((reports / h).is_file() for h in hrefs)
        for page in pages:
            assert _parse(page).links[0] == "../index.html"


@pytest.mark.slow
def test_lang_it_writes_the_reports_in_italian(runs):
    reports = _reports(runs["it"])
    html = (reports / "firms" / "S1.html").read_text(encoding="utf-8")
    assert '<html lang="it">' in html
    for fragment in ("Rapporto di matchmaking: S1", "Prossimi passi", "Posizione rispetto al gruppo",
                     "Le sue sinergie", "58.400", "cede", "sottoprodotto", "EUR/anno"):
        assert fragment in html, fragment
    for english in ("Next steps", "supplies", "Position against the group"):
        assert english not in html
    assert "Rapporti di matchmaking delle 4 imprese" in (reports / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_names_with_markup_and_formula_characters_are_escaped_and_made_safe_file_names(runs):
    reports = _reports(runs["hostile"])
    pages = sorted((reports / "firms").iterdir())
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", p.name) for p in pages), [p.name for p in pages]
    texts = [p.read_text(encoding="utf-8") for p in [*pages, reports / "index.html"]]
    assert not any(MARKUP in t for t in texts), "a firm's name became markup"
    # B1's page, the index and its suppliers' pages (S1, S2) name it; B2's does not.
    assert sum("&lt;b&gt;x&lt;/b&gt;" in t for t in texts) == 4
    titles = {_parse(p).title for p in pages}
    assert titles == {f"Matchmaking report: {name}" for name in HOSTILE.values()}
    assert any("=cmd|&#39; /C calc&#39;!A0" in t for t in texts) and any("Città &amp; Co" in t for t in texts)


@pytest.mark.slow
def test_no_written_file_names_an_absolute_path(runs, tmp_path):
    scenario = matchmake(FOUR, "--scenario", FIXTURES / "profiles" / "scenario.yaml", "--out",
                         tmp_path / "sc" / "mm.csv", "-q", cwd=tmp_path)
    assert scenario.returncode == 0, scenario.stderr
    folders = [out.parent for out in runs.values()] + [tmp_path / "sc"]
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 4 * (3 + 5)  # exchanges, profiles, summary (no service kinds), index, 4 pages
    for path in files:
        text = path.read_text(encoding="utf-8")
        for absolute in (str(tmp_path), str(ROOT), str(Path.home()), str(runs["en"].parent.parent)):
            assert absolute not in text, (path, absolute)
        assert not ABSOLUTE.search(text), (path, ABSOLUTE.search(text))
    summary = (tmp_path / "sc" / "mm.md").read_text(encoding="utf-8")
    assert "tests/fixtures/profiles/four_firms.csv" in summary and "scenario tests/fixtures/profiles" in summary


@pytest.mark.slow
def test_existing_firm_reports_are_kept_without_force(runs, tmp_path):
    out = tmp_path / "mm.csv"
    assert matchmake(FOUR, "--catalog", CATALOG, "--out", out, "-q", cwd=tmp_path).returncode == 0
    for name in ("mm.csv", "mm_firms.csv", "mm.md"):
        (tmp_path / name).unlink()
    index = _reports(out) / "index.html"
    index.write_text("a page of the user's", encoding="utf-8")
    refused = matchmake(FOUR, "--catalog", CATALOG, "--out", out, cwd=tmp_path)
    assert refused.returncode == 2 and "index.html" in refused.stderr and "--force" in refused.stderr
    assert index.read_text(encoding="utf-8") == "a page of the user's" and not out.exists()
    assert matchmake(FOUR, "--catalog", CATALOG, "--out", out, "--force", "-q", cwd=tmp_path).returncode == 0
    assert "S1.html" in index.read_text(encoding="utf-8")
    skipped = matchmake(FOUR, "--catalog", CATALOG, "--out", tmp_path / "b.csv", "--no-firm-reports", "-q",
                        cwd=tmp_path)
    assert skipped.returncode == 0 and not _reports(tmp_path / "b.csv").exists()


def test_safe_file_names_are_distinct_even_ignoring_case():
    names = ["ceramica_alfa", "a b", "a_b", "Alfa", "alfa", FORMULA, MARKUP, "CON", "Città", "../etc", "", ".x"]
    files = safe_file_names(names, ".html")
    assert files[0] == "ceramica_alfa.html"  # a safe name is kept
    assert len({f.casefold() for f in files}) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.html", f) for f in files), files
    assert files == safe_file_names(names, ".html")  # the same on every run
    assert files[names.index("Città")].startswith("Citta-")


def test_display_path_is_never_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(Path("a/b.csv")) == "a/b.csv"
    assert display_path(tmp_path / "x" / "f.csv") == "x/f.csv"
    assert display_path(ROOT / "scenarios" / "f.csv") == "scenarios/f.csv"
    assert display_path(Path("/elsewhere/private/f.csv")) == "f.csv"


def test_group_quartiles_leave_out_the_group_row_and_missing_values():
    firms = pd.DataFrame({"firm": ["a", "b", "c", "d", "(group)"],
                          "residue_outlet_share": [0.0, 0.5, 1.0, np.nan, 0.4], "links": [1, 2, 3, 10, 16]})
    q = group_quartiles(firms)
    assert list(q.index) == ["residue_outlet_share", "links"]
    assert q.loc["residue_outlet_share", "firms"] == 3
    assert tuple(q.loc["residue_outlet_share", ["q1", "median", "q3"]]) == (0.25, 0.5, 0.75)
    assert tuple(q.loc["links", ["q1", "median", "q3"]]) == tuple(np.percentile([1, 2, 3, 10], [25, 50, 75]))
