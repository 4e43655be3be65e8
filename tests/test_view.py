"""ecodistrict view (issue 14, acceptance 1): the live district driven in a real headless Chromium.

The server is started through the command line as a user starts it; Playwright drives Debian's
``chromium`` (no browser download). The page must load with the incumbents on the map, step year by
year with the KPI chart following, rebuild the model with a changed lever on Reset, and log no
error in the browser's console. The screenshots of the first and the fifth year are left in the
test's temporary folder (``benchmarks/view_screenshots.py`` copies them into docs/img).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from conftest import BASELINE, ROOT, assert_input_error, cli

pytestmark = pytest.mark.slow
START_TIMEOUT_S = 40
VIEWPORT = {"width": 1600, "height": 1000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_view(sources, port: int):
    """``python -m simulation.cli view SOURCES... --port PORT`` until the port answers; stopped at the end.
    ``sources``: a scenario, or a list of folders."""
    sources = [sources] if not isinstance(sources, (list, tuple)) else sources
    server = subprocess.Popen([sys.executable, "-m", "simulation.cli", "view", *map(str, sources), "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"ecodistrict view exited with code {server.returncode}:\n{server.stdout.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"ecodistrict view did not listen on port {port} within {START_TIMEOUT_S} s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


@contextmanager
def chromium_page():
    """A page of Debian's Chromium, headless, and the console errors it logs."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed (apt-get install chromium; .ci/run installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()


def step_to(page, year: int) -> None:
    page.get_by_role("button", name="Step").click()
    page.get_by_text(f"Start of {year}:").wait_for(timeout=15_000)


def test_view_runs_the_district_live_and_reset_applies_a_lever(tmp_path):
    with served_view(BASELINE, free_port()) as url, chromium_page() as (page, errors):
        page.goto(url)
        page.get_by_text("Start of 2026: 21 firms on 21 of 61 plots").wait_for(timeout=30_000)
        assert page.locator(".ecodistrict-map img").is_visible()
        assert page.locator(".ecodistrict-map").get_by_text("firm (21)").is_visible()  # the incumbents
        assert page.get_by_text("landfill tax inert 9.00 EUR/t").is_visible()  # the scenario's value
        chart_before = page.locator(".ecodistrict-kpi img").screenshot()
        page.screenshot(path=tmp_path / "view_2026.png", full_page=True)

        for year in range(2027, 2032):
            step_to(page, year)
        page.get_by_text("Indicators of 2030").wait_for()
        assert page.locator(".ecodistrict-kpi img").screenshot() != chart_before
        page.screenshot(path=tmp_path / "view_2031.png", full_page=True)
        page.locator(".ecodistrict-details .v-select", has_text="Firm").click()
        page.get_by_role("option").first.click()  # the first incumbent: its archetype, profit and partners
        page.get_by_text("profit last year").wait_for(timeout=10_000)

        slider = page.locator(".v-input", has_text="Landfill tax, inert waste").get_by_role("slider")
        slider.focus()
        slider.press("End")  # the slider's top: 100 EUR/t
        page.get_by_role("button", name="Reset").click()
        page.get_by_text("landfill tax inert 100.00 EUR/t").wait_for(timeout=15_000)
        assert page.get_by_text("Start of 2026: 21 firms").is_visible()
        step_to(page, 2027)
        assert errors == []


def test_view_refuses_a_bad_scenario_before_starting_a_server(tmp_path):
    bad = tmp_path / "scenario.yaml"
    bad.write_text(BASELINE.read_text().replace("seed: 42", "seed: -1"))
    result = cli("view", bad, "--port", str(free_port()), cwd=ROOT)
    assert_input_error(result, bad, "seed")
    assert "viewing" not in result.stdout
