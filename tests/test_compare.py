"""``ecodistrict compare``: the baseline against the two shipped policy scenarios, end to end.

Three seeds of three scenarios, five years each, are compared into a report folder in English and
in Italian. The browser test opens the report in headless Chromium (installed by the
``chromium`` fixture when missing) and checks that every figure loads and that the page makes no
request to the network.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.compare import SUMMARY_COLUMNS, compare, write_comparison
from analysis.families import indicators_in
from analysis.statistics import SAME, TOO_FEW
from simulation.inputs.errors import InputError
from simulation.runs import run_scenario
from tests.conftest import ROOT, assert_input_error

SCENARIOS = ("formigine_baseline", "landfill_tax_high", "facilitator_platform")
SEEDS = (1, 2, 3)
YEARS = 5
FIGURES = ("trajectories", "final_year_comparison", "district_map", "residue_fates", "network_metrics")
# indicators with no value in a year without material exchanges (the first year, before any synergy starts)
UNDEFINED_WITHOUT_EXCHANGES = {"mean_exchange_distance_km"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("runs")
    return [run_scenario(ROOT / "scenarios" / f"{name}.yaml", seed=seed, years=YEARS,
                         out=root / f"{name}-seed{seed}")[0] for name in SCENARIOS for seed in SEEDS]


@pytest.fixture(scope="module")
def reports(runs, tmp_path_factory) -> dict[str, Path]:
    """The English report through the API, the Italian one through the command line."""
    root = tmp_path_factory.mktemp("reports")
    english = write_comparison(compare(runs, baseline="formigine_baseline"), root / "en", lang="en")
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", *map(str, runs), "--baseline",
                           "formigine_baseline", "--out", str(root / "it"), "--lang", "it"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "facilitator_platform vs formigine_baseline in 2030" in done.stdout
    assert f"report written to {root / 'it' / 'report.html'}" in done.stdout
    return {"en": english, "it": root / "it"}


@pytest.mark.slow
def test_compare_writes_the_report_the_summary_and_every_figure(reports):
    out = reports["en"]
    for name in FIGURES:
        assert (out / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG"), name
        assert b"<svg" in (out / "figures" / f"{name}.svg").read_bytes()[:2000], name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<figure") == len(FIGURES) and html.count("src='data:image/png;base64,") == len(FIGURES)
    for name in SCENARIOS:
        assert name in html
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert len(summary) == len(SCENARIOS) * YEARS * len(indicators_in(summary.indicator.unique()))
    assert summary.loc[summary.scenario == "formigine_baseline", "verdict"].isna().all()
    others = summary[summary.scenario != "formigine_baseline"]
    # An indicator a run leaves empty in a year (no exchange yet in the first year: no mean exchange
    # distance) has fewer pairs that year; every other row pairs all the seeds.
    short = others[others.n_pairs != len(SEEDS)]
    assert set(short.indicator) <= UNDEFINED_WITHOUT_EXCHANGES and others.verdict.notna().all()


@pytest.mark.slow
def test_summary_numbers_are_those_of_the_run_folders(runs, reports):
    """The baseline mean and the paired difference, recomputed by hand from the run folders."""
    final = {(p.name.rsplit("-seed", 1)[0], int(p.name.rsplit("seed", 1)[1])):
             pd.read_csv(p / "indicators.csv").iloc[-1]["byproduct_exchanged_t"] for p in runs}
    summary = pd.read_csv(reports["en"] / "summary.csv")
    row = summary[(summary.year == 2026 + YEARS - 1) & (summary.indicator == "byproduct_exchanged_t")]
    base = row[row.scenario == "formigine_baseline"].iloc[0]
    assert base["mean"] == pytest.approx(np.mean([final["formigine_baseline", s] for s in SEEDS]))
    policy = row[row.scenario == "facilitator_platform"].iloc[0]
    assert policy.mean_difference == pytest.approx(np.mean(
        [final["facilitator_platform", s] - final["formigine_baseline", s] for s in SEEDS]))


@pytest.mark.slow
def test_the_report_speaks_the_language_asked(reports):
    english = (reports["en"] / "report.html").read_text(encoding="utf-8")
    italian = (reports["it"] / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in english and "<html lang='it'>" in italian
    assert "Summary" in english and "Landfill diversion rate" in english and "Sintesi" not in english
    assert "Sintesi" in italian and "Residui sottratti alla discarica" in italian and "Summary" not in italian
    # Scenarios are named by their titles in the report's language, with their descriptions in it.
    assert ("<h1>Scenario comparison: Formigine under current rules, Higher landfill tax, Facilitator platform"
            "</h1>") in english
    assert ("<h1>Confronto tra scenari: Formigine, regole attuali, Tributo di discarica più alto, "
            "Piattaforma di facilitazione</h1>") in italian
    assert "<h3>Higher landfill tax compared with Formigine under current rules, in 2030</h3>" in english
    assert "<h3>Tributo di discarica più alto rispetto a Formigine, regole attuali, nel 2030</h3>" in italian
    assert "Higher landfill tax" not in italian and "Does making disposal dearer" not in italian
    assert "Rendere lo smaltimento più caro" in italian and "Does making disposal dearer" in english
    for html in (english, italian):  # the ids stay in the appendix
        assert "<code>landfill_tax_high</code>" in html[html.index("id='appendix'"):]
    # The figures are drawn again in each language, not copied.
    assert (reports["en"] / "figures/trajectories.png").read_bytes() != \
        (reports["it"] / "figures/trajectories.png").read_bytes()


@pytest.mark.slow
def test_the_command_line_writes_the_same_files(reports):
    for lang in ("en", "it"):
        assert sorted(p.name for p in (reports[lang] / "figures").iterdir()) == sorted(
            f"{name}.{fmt}" for name in FIGURES for fmt in ("png", "svg"))
    assert pd.read_csv(reports["it"] / "summary.csv").equals(pd.read_csv(reports["en"] / "summary.csv"))


def test_a_report_written_over_another_leaves_none_of_its_figures(runs, tmp_path):
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "sensitivity.png").write_bytes(b"\x89PNG from an earlier sweep report")
    (out / "report_files.json").write_text(json.dumps({"files": ["figures/sensitivity.png"]}))  # that report's list
    (out / "notes.txt").write_text("the analyst's own file")
    write_comparison(compare(runs[:2]), out)  # two runs of the baseline: no sensitivity figure
    left = {p.name for p in (out / "figures").iterdir()}
    assert "sensitivity.png" not in left and {"district_map.png", "district_map.svg"} <= left
    assert (out / "notes.txt").read_text() == "the analyst's own file"


def test_too_few_replicates_are_warned_about(runs):
    result = compare([runs[0], runs[3]])  # one baseline run, one landfill_tax_high run
    assert ("warn_too_few", {"name": "landfill_tax_high", "n": 1, "min": 3}) in result.warnings
    assert set(result.differences.verdict) == {TOO_FEW}


def test_a_scenario_compared_with_itself_is_not_distinguishable(runs, tmp_path):
    """Copies of the baseline's runs under another name: every indicator is 'not distinguishable'."""
    copies = []
    for path in runs[:len(SEEDS)]:
        copy = shutil.copytree(path, tmp_path / f"twin-{path.name}")
        manifest = json.loads((copy / "manifest.json").read_text())
        manifest["scenario"]["name"] = "twin"
        (copy / "manifest.json").write_text(json.dumps(manifest))
        copies.append(copy)
    result = compare([*runs[:len(SEEDS)], *copies])
    d = result.differences
    defined = ~d.indicator.isin(UNDEFINED_WITHOUT_EXCHANGES) | (d.n_pairs == len(SEEDS))
    assert set(d.verdict[defined]) == {SAME}


def _edited_copy(run: Path, folder: Path, edit) -> Path:
    copy = shutil.copytree(run, folder)
    manifest = json.loads((copy / "manifest.json").read_text())
    edit(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_bad_folders_are_input_errors(runs, tmp_path):
    base = runs[0]
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "empty").mkdir()
    changed = _edited_copy(base, tmp_path / "changed", lambda m: m.update(
        seed=99, scenario={**m["scenario"], "firms": {**m["scenario"]["firms"], "incumbents": []}}))
    broken = shutil.copytree(base, tmp_path / "broken")
    (broken / "manifest.json").write_text("{not json")
    short = run_scenario(ROOT / "scenarios" / "landfill_tax_high.yaml", seed=1, years=2, out=tmp_path / "short")[0]
    cases = [
        ([tmp_path / "a_file"], "is a file, not a folder"),
        ([tmp_path / "empty"], "no manifest.json"),
        ([tmp_path / "missing"], "folder not found"),
        ([base, base], "already given by"),
        ([base, changed], "these runs are not replicates"),
        ([broken], "not valid JSON"),
        ([base, short], "covers 2026-2027 but 'formigine_baseline' covers 2026-2030"),
    ]
    for folders, says in cases:
        with pytest.raises(InputError, match=says):
            compare(folders)


@pytest.mark.slow
def test_cli_refuses_an_unknown_baseline_without_a_traceback(runs, tmp_path):
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "compare", str(runs[0]), str(runs[3]),
                           "--baseline", "formigine_basline", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=300)
    assert_input_error(done, "command line", "--baseline", ("no scenario named 'formigine_basline'",
                                                             "did you mean formigine_baseline?"))
    assert not (tmp_path / "r").exists()


# --- the report in a real browser -------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a root, headless, offline machine (see the machine notes); --host-resolver-rules makes
# every host name unresolvable, so nothing could leave the machine even if the page asked.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND"]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt when missing (CI runs as root on a clean machine).

    Fails, not skips, when it cannot be installed: the report's browser check is part of the suite.
    """
    if not CHROMIUM.exists():
        if os.geteuid() != 0:
            pytest.fail("Chromium is missing: install it as root with 'apt-get update && apt-get install -y chromium'")
        # pytest-xdist workers may get here together: one installs, the others wait on the lock.
        with open(Path(tempfile.gettempdir()) / "ecodistrict-chromium-install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not CHROMIUM.exists():
                done = subprocess.run("apt-get update && apt-get install -y chromium", shell=True,
                                      capture_output=True, text=True, timeout=1800,
                                      env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
                if done.returncode != 0 or not CHROMIUM.exists():
                    pytest.fail("could not install Chromium with apt-get:\n"
                                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return CHROMIUM


def browse(chromium: Path, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Open ``page`` in headless Chromium with a new, empty profile."""
    profile.mkdir(parents=True)
    return subprocess.run([str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=180)


def page_requests(net_log: Path) -> list[str]:
    """URLs the page itself asked the network stack for, from Chromium's net log.

    Chromium's own background requests (update checks, account look-ups) run outside any page;
    requests a page makes carry the page's site in their network isolation key (here ``file://``).
    """
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"]
            if e["type"] == start_job and "file://" in str(e.get("params", {}).get("network_isolation_key", ""))
            and not e["params"]["url"].startswith(("file:", "data:"))]


class _Links(HTMLParser):
    """Every URL-valued attribute of a page."""

    URL_ATTRIBUTES = {"src", "href", "srcset", "action", "poster", "data", "formaction"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in self.URL_ATTRIBUTES and value]


def test_the_net_log_check_sees_a_page_that_fetches(chromium, tmp_path):
    """Control: a page with an external image and style sheet is caught by :func:`page_requests`."""
    page = tmp_path / "fetches.html"
    page.write_text("<!DOCTYPE html><img src='http://example.invalid/a.png'>"
                    "<link rel='stylesheet' href='https://cdn.example.invalid/b.css'>", encoding="utf-8")
    browse(chromium, page, tmp_path / "profile", f"--log-net-log={tmp_path / 'net.json'}", "--dump-dom")
    assert sorted(page_requests(tmp_path / "net.json")) == ["http://example.invalid/a.png",
                                                             "https://cdn.example.invalid/b.css"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "it"])
def test_report_opens_offline_in_chromium_with_every_figure(chromium, reports, tmp_path, lang):
    report = reports[lang] / "report.html"
    html = report.read_text(encoding="utf-8")
    links = _Links()
    links.feed(html)
    assert links.urls and all(url.startswith(("data:", "#")) for url in links.urls), links.urls
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in html  # the page's own policy forbids any other source

    dom = browse(chromium, report, tmp_path / "profile-dom", f"--log-net-log={tmp_path / 'net.json'}", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert page_requests(tmp_path / "net.json") == []
    body = next(line for line in dom.stdout.splitlines() if line.startswith("<body"))
    assert f'data-figures="{len(FIGURES)}"' in body and f'data-figures-loaded="{len(FIGURES)}"' in body, body

    screenshot = tmp_path / f"report-{lang}.png"
    shot = browse(chromium, report, tmp_path / "profile-shot", "--window-size=1280,2400",
                  f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000
    print(f"screenshot of the {lang} report: {screenshot}")


@pytest.mark.slow
def test_embedded_figures_are_the_saved_pngs(reports):
    html = (reports["en"] / "report.html").read_text(encoding="utf-8")
    for name in FIGURES:
        data = base64.b64encode((reports["en"] / "figures" / f"{name}.png").read_bytes()).decode("ascii")
        assert f"<figure id='{name}'><img alt='{name}' src='data:image/png;base64,{data}'>" in html


# --- sweep folders ----------------------------------------------------------------------------

TINY_GRID = """
name: tiny_grid
description: Two landfill tax levels, three replicates, three years (a test).
scenario: {scenario}
replicates: 3
seed: 5
years: 3
outcomes: [byproduct_exchanged_t, landfill_diversion_rate, symbiosis_links, net_savings_eur]
grid:
  policy.landfill_tax.nonhazardous_eur_per_t: [12, 40]
"""


@pytest.mark.slow
def test_a_grid_sweep_compares_its_points_paired_on_their_seeds(runs, tmp_path):
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(TINY_GRID.format(scenario=ROOT / "scenarios" / "formigine_baseline.yaml"), encoding="utf-8")
    sweep = tmp_path / "sweep"
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "sweep", str(experiment), "--workers", "1",
                           "--out", str(sweep)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = compare([sweep], baseline="tiny_grid/nonhazardous_eur_per_t=12")
    assert result.scenarios == ["tiny_grid/nonhazardous_eur_per_t=12", "tiny_grid/nonhazardous_eur_per_t=40"]
    assert result.inputs.indicator_names == ["landfill_diversion_rate", "byproduct_exchanged_t", "symbiosis_links",
                                             "net_savings_eur"]
    assert (result.differences.n_pairs == 3).all() and not result.warnings
    out = write_comparison(result, tmp_path / "report")
    assert sorted(p.stem for p in (out / "figures").glob("*.png")) == [
        "dose_response_tiny_grid", "final_year_comparison", "network_metrics",
        "trajectories"]  # no run folders: no map, no fates
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "policy.landfill_tax.nonhazardous_eur_per_t" in html  # what the point changes
    # An experiment without a title: its name, then the lever's label and level.
    assert ("<h3>tiny_grid: landfill tax on non-hazardous waste (EUR/t) = 40 compared with "
            "tiny_grid: landfill tax on non-hazardous waste (EUR/t) = 12, in 2028</h3>") in html

    with pytest.raises(InputError, match="covers 2026-2030 but"):
        compare([sweep, runs[0]])  # three simulated years against five

    sampled = shutil.copytree(sweep, tmp_path / "sampled")
    manifest = json.loads((sampled / "manifest.json").read_text())
    manifest["experiment"]["design"] = {"method": "sobol"}
    (sampled / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame({"outcome": ["symbiosis_links", "net_savings_eur"], "parameter": ["policy.x.y"] * 2,
                  "S1": [0.2, 0.5], "S1_conf": [0.1, 0.1], "ST": [0.4, 0.6], "ST_conf": [0.1, 0.2]}).to_csv(
        sampled / "sensitivity.csv", index=False)
    result = compare([sampled])
    assert result.scenarios == [] and list(result.inputs.sensitivity) == ["tiny_grid"]
    out = write_comparison(result, tmp_path / "sensitivity", lang="it")
    assert [p.name for p in (out / "figures").glob("*.png")] == ["sensitivity_tiny_grid.png"]


@pytest.mark.slow
def test_the_landfill_tax_grid_gets_a_dose_response_chart(tmp_path):
    """The shipped grid experiment, its replicates and years cut for speed: one dot per tax level and
    headline indicator, at the mean of its replicates, with the 95 % interval of that mean."""
    from analysis.compare import figures
    from analysis.i18n import Texts

    text = (ROOT / "experiments" / "landfill_tax_grid.yaml").read_text(encoding="utf-8")
    text = text.replace("replicates: 10", "replicates: 3\nyears: 4").replace(
        "scenario: ../scenarios/", f"scenario: {ROOT / 'scenarios'}/")
    experiment = tmp_path / "landfill_tax_grid.yaml"
    experiment.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "sweep", str(experiment), "--workers", "1",
                           "--out", str(tmp_path / "sweep")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    baseline = "landfill_tax_grid/nonhazardous_eur_per_t=12"
    result = compare([tmp_path / "sweep"], baseline=baseline)
    drawn = {f.name: f for f in figures(result, Texts("it"))}
    chart = drawn["dose_response_landfill_tax_grid"]
    assert "dei 4 livelli" in chart.caption and str(result.final_year) in chart.caption
    final = result.summary[result.summary.year == result.final_year].set_index(["scenario", "indicator"])
    panels = [ax for ax in chart.figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [Texts("it").label(i) for i in result.inputs.indicator_names]
    for ax, indicator in zip(panels, result.inputs.indicator_names):
        line = next(line for line in ax.get_lines() if len(line.get_xdata()) == 4)  # the levels, in order
        assert list(line.get_xdata()) == [0, 12, 40, 80]
        expected = [final.loc[f"landfill_tax_grid/nonhazardous_eur_per_t={v}", indicator]["mean"]
                    for v in (0, 12, 40, 80)]
        assert np.allclose(line.get_ydata(), expected, equal_nan=True)
    out = write_comparison(result, tmp_path / "report", lang="it")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<figure id='dose_response_landfill_tax_grid'>" in html
    assert ("<h3>Livelli del tributo di discarica: tributo di discarica sui rifiuti non pericolosi (EUR/t) = 80 "
            "rispetto a Livelli del tributo di discarica: tributo di discarica sui rifiuti non pericolosi (EUR/t) "
            "= 12, nel 2029</h3>") in html
    assert "nonhazardous_eur_per_t=80" not in html[:html.index("id='appendix'")]  # ids only in the appendix
    assert html.index("id='summary'") < html.index("<figure id='dose_response_landfill_tax_grid'>") < html.index(
        "id='appendix'")
