"""The demo report in a real headless Chromium: renders, stays offline, shows the right numbers.

The screenshot is kept at build/browser/report.png for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "browser" / "report.png"
STAGES = ("attract", "capture", "nurture", "convert", "expand")


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    return CHROMIUM


def test_demo_report_in_a_browser(chromium: str, demo_folder: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    runner = CliRunner()
    page_file = tmp_path / "report.html"
    made = runner.invoke(
        app, ["report", str(demo_folder), "--out", str(page_file), "-q", "--format", "json"]
    )
    assert made.exit_code == 0, made.output
    month = json.loads(made.stdout)["month"]
    listed = runner.invoke(
        app, ["metrics", str(demo_folder), "--from", month, "--to", month, "--format", "json", "-q"]
    )
    assert listed.exit_code == 0, listed.output
    expected = {
        r["metric"]: r["value"] for r in json.loads(listed.stdout) if r["dimension"] is None
    }
    # the attribution the page must show: the command's credits, summed over the 12 months
    start = f"{int(month[:4]) - 1}-{month[5:]}"
    first_year = runner.invoke(
        app,
        [
            *("attribution", str(demo_folder), "--model", "markov"),
            *("--from", start, "--to", month, "--format", "json", "-q"),
        ],
    )
    assert first_year.exit_code == 0, first_year.output
    months = {r["month"] for r in json.loads(first_year.stdout)}
    window = sorted(months)[-12:]
    markov: dict[str, float] = {}
    for r in json.loads(first_year.stdout):
        if r["model"] == "markov" and r["month"] in window:
            markov[r["member"]] = markov.get(r["member"], 0.0) + r["conversions"]

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(request_route) -> None:  # type: ignore[no-untyped-def]
            url = request_route.request.url
            if url.startswith("file://"):
                request_route.continue_()
            else:
                outside.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")

        for stage in STAGES:
            assert page.locator(f"section#stage-{stage}").is_visible(), stage
        charts = page.locator("svg")
        assert charts.count() >= 31
        box = page.locator("#stage-convert figure svg").first.bounding_box()
        assert box is not None and box["height"] > 50 and box["width"] > 100

        cards = page.locator(".headline .card")
        assert cards.count() == 8
        for index in range(cards.count()):
            card = cards.nth(index)
            metric = card.get_attribute("data-metric")
            shown = card.locator(".value").get_attribute("data-value")
            assert metric in expected
            if expected[metric] is None:
                assert shown == ""
            else:
                assert float(shown or "nan") == pytest.approx(expected[metric], rel=1e-12)

        # the channel table sorts in the page (its script is allowed by the CSP hash)
        header = page.locator("#channels th", has_text="New leads")
        header.click()
        values = page.locator("#channels tbody tr td:nth-child(2)").evaluate_all(
            "cells => cells.map(c => parseFloat(c.getAttribute('data-value')))"
        )
        assert values == sorted(values)

        # Convert answers "which sources bring customers" under every model, in a chart too
        assert page.locator("#stage-convert #attribution").is_visible()
        assert page.locator("#stage-convert h3#attribution + p + figure svg").count() == 1
        rows = page.locator("#attribution-channels tbody tr")
        assert rows.count() == len([m for m, v in markov.items() if v > 0])
        for index in range(rows.count()):
            row = rows.nth(index)
            member = row.get_attribute("data-member")
            shown = row.locator("td:nth-child(8)").get_attribute("data-value")  # the Markov column
            assert float(shown or "nan") == pytest.approx(markov[member or ""], rel=1e-9)
        # Expand answers "which customer programs work best"; Nurture shows score lift
        assert page.locator("#stage-expand #customer-programs").is_visible()
        assert page.locator("#stage-nurture #score-lift").is_visible()
        assert page.locator("#stage-nurture #score-lift + table td.bad").count() >= 1

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()
    assert outside == []
    assert errors == []
