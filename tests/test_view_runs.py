"""ecodistrict view over finished runs (issue 14, item 2): run and sweep folders in a real headless Chromium.

The folders are made here as a user makes them (``ecodistrict run`` and ``ecodistrict sweep``, 3
years, 2 seeds); the server is started through the command line and driven by Playwright with
Debian's ``chromium``, as in tests/test_view.py. The page must load without simulating, follow the
year slider, show the comparison charts (and a grid sweep's dose-response), and log no error in
the browser's console. Each screenshot is left in the test's temporary folder
(``benchmarks/view_screenshots.py`` copies ``view_runs.png`` into docs/img).
"""

from __future__ import annotations

import pytest
import yaml
from conftest import BASELINE, ROOT, assert_input_error, cli
from test_view import chromium_page, free_port, served_view

pytestmark = pytest.mark.slow
YEARS = 3
SEEDS = (1, 2)
# Its effect shows within 3 years (a landfill tax's does not yet): the comparison chart has something to show.
FACILITATOR = ROOT / "scenarios" / "facilitator_platform.yaml"


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory):
    """Two scenarios, two seeds each, 3 years: four run folders, baseline first."""
    root = tmp_path_factory.mktemp("runs")
    folders = []
    for scenario in (BASELINE, FACILITATOR):
        for seed in SEEDS:
            out = root / f"{scenario.stem}-seed{seed}"
            done = cli("run", scenario, "--years", YEARS, "--seed", seed, "--out", out, "-q", cwd=ROOT)
            assert done.returncode == 0, done.stderr
            folders.append(out)
    return folders


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    """The shipped landfill tax grid with 2 replicates and 3 years."""
    root = tmp_path_factory.mktemp("sweep")
    doc = yaml.safe_load((ROOT / "experiments" / "landfill_tax_grid.yaml").read_text())
    doc.update(scenario=str(BASELINE), replicates=2, years=YEARS)
    experiment = root / "grid.yaml"
    experiment.write_text(yaml.safe_dump(doc))
    done = cli("sweep", experiment, "--out", root / "sweep", "--workers", 1, "-q", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return root / "sweep"


def move_year(page, key: str, year: int) -> None:
    slider = page.locator(".ecodistrict-pickers").get_by_role("slider")
    slider.focus()
    slider.press(key)
    page.get_by_text(f"Year shown: {year}").wait_for(timeout=20_000)


def test_view_shows_run_folders_of_two_scenarios(run_folders, tmp_path):
    with served_view(run_folders, free_port()) as url, chromium_page() as (page, errors):
        page.goto(url)
        page.get_by_text("Year shown: 2028").wait_for(timeout=60_000)  # the last stored year first
        page.get_by_text("Formigine under current rules, seed 1, in 2028:").wait_for(timeout=20_000)
        assert page.locator(".ecodistrict-map img").is_visible()
        assert page.locator(".ecodistrict-trajectories img").is_visible()
        assert page.locator(".ecodistrict-comparison img").is_visible()
        assert page.get_by_text("Change against the baseline in 2028").is_visible()
        map_before = page.locator(".ecodistrict-map img").screenshot()
        page.set_viewport_size({"width": 1600, "height": 1500})
        page.wait_for_timeout(1000)
        page.screenshot(path=tmp_path / "view_runs.png")

        move_year(page, "Home", 2026)  # the slider's start: the district of the first year
        page.get_by_text("Formigine under current rules, seed 1, in 2026:").wait_for(timeout=20_000)
        page.get_by_text("Change against the baseline in 2026").wait_for(timeout=20_000)
        page.wait_for_timeout(500)
        assert page.locator(".ecodistrict-map img").screenshot() != map_before

        page.locator(".ecodistrict-pickers .v-select", has_text="Scenario of the map").click()
        page.get_by_role("option", name="facilitator_platform").click()
        page.get_by_text("Facilitator platform, seed 1, in 2026:").wait_for(timeout=20_000)
        page.screenshot(path=tmp_path / "view_runs_2026.png")
        assert errors == []


def test_view_shows_a_grid_sweep_with_its_dose_response(grid_sweep, tmp_path):
    with served_view([grid_sweep], free_port()) as url, chromium_page() as (page, errors):
        page.goto(url)
        page.get_by_text("Year shown: 2028").wait_for(timeout=60_000)
        dose = page.locator(".ecodistrict-dose-landfill_tax_grid")
        dose.get_by_text("Dose-response of landfill_tax_grid in 2028").wait_for(timeout=20_000)
        assert dose.locator("img").is_visible()
        assert page.locator(".ecodistrict-trajectories img").is_visible()
        assert page.locator(".ecodistrict-comparison img").is_visible()
        assert page.get_by_text("Sweep points keep no run folders: no district map").is_visible()
        move_year(page, "ArrowLeft", 2027)
        dose.get_by_text("Dose-response of landfill_tax_grid in 2027").wait_for(timeout=20_000)
        page.set_viewport_size({"width": 1600, "height": 2400})
        page.wait_for_timeout(1000)
        page.screenshot(path=tmp_path / "view_sweep.png")
        assert errors == []


def test_view_refuses_bad_folders_before_starting_a_server(tmp_path, run_folders):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, file, field, says in (
            ([empty], empty, "(document)", ["no manifest.json"]),
            ([run_folders[0], tmp_path / "missing"], tmp_path / "missing", "(document)", ["folder not found"]),
            ([run_folders[0], BASELINE], BASELINE, "(document)", ["is a file", "ecodistrict view SCENARIO.yaml"]),
            ([*run_folders, "--baseline", "nope"], "command line", "--baseline", ["formigine_baseline"])):
        result = cli("view", *args, "--port", str(free_port()), cwd=ROOT)
        assert_input_error(result, file, field, says)
        assert "viewing" not in result.stdout


def test_a_replicates_folder_stands_for_its_run_folders(tmp_path):
    from simulation.view.figures import draw_district
    from simulation.view.stored import StoredRuns, district_state

    out = tmp_path / "replicates"
    done = cli("run", BASELINE, "--years", YEARS, "--replicates", 2, "--workers", 1, "--out", out, "-q", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    seeds = sorted(yaml.safe_load((out / "manifest.json").read_text())["seeds"])
    stored = StoredRuns.read([out])
    assert stored.scenarios == ["formigine_baseline"] and stored.seeds("formigine_baseline") == seeds
    assert stored.years == [2026, 2027, 2028]
    run = stored.run("formigine_baseline", seeds[0])
    state = district_state(run, 2028)
    present = run.firms[(run.firms.entry_year <= 2028) & (run.firms.exit_year.isna() | (run.firms.exit_year >= 2028))]
    assert len(state.where) == len(present) > 0
    _, keys = draw_district(state)
    assert f"firm ({len(present)})" in [k.label for k in keys]
