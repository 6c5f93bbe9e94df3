"""Start the dashboard on a build and save one PNG per tab to build/screenshots/ (Playwright + Chromium).

    .venv/bin/python scripts/screenshots.py [--data build/sample] [--out build/screenshots]
    .venv/bin/python scripts/screenshots.py --data /tmp/ungdc_build --out build/screenshots/ungdc
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.store import BuildError, check_build
from dashboard.devserver import CHROMIUM, CHROMIUM_FLAGS, serve_app

ROOT = Path(__file__).resolve().parents[1]

TABS = ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report")
WIDTH = 1440
MAX_HEIGHT = 7000




_DRAWN = """() => {
    const panel = document.querySelector('[role=tabpanel]:not([hidden])');
    if (!panel || document.querySelector('[data-stale=true]')) return false;
    // Every view ends with its "Download manifest (JSON)" button: the script run has reached the end.
    const done = [...panel.querySelectorAll('button')].some(b => b.innerText.includes('Download manifest'));
    const charts = [...panel.querySelectorAll('.js-plotly-plot')]
        .every(p => p._fullLayout && p.querySelector('.main-svg'));
    const tables = [...panel.querySelectorAll('[data-testid=stDataFrame] canvas')]
        .every(c => c.width > 0 && c.height > 0);
    return done && charts && tables;
}"""


def _settle(page) -> None:
    """Wait until the open tab's script run is over, every chart and table in it has drawn, and the page
    height has stopped changing."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.wait_for_function(_DRAWN, timeout=120_000)
    last = -1
    for _ in range(50):  # the height settles once the last element has laid out
        height = _page_height(page)
        if height == last:
            break
        last = height
        page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 200)))")


def _page_height(page) -> int:
    return page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return Math.max(m.scrollHeight, document.body.scrollHeight); }"
    )


def take(url: str, out: Path, chromium: str = str(CHROMIUM)) -> list[Path]:
    """One full-height PNG per tab of the page at ``url``; returns the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 1000}, device_scale_factor=1)
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_selector("[data-testid=stPlotlyChart] .js-plotly-plot")
        for i, name in enumerate(TABS):
            page.set_viewport_size({"width": WIDTH, "height": 1000})
            page.get_by_role("tab", name=name).click()
            page.wait_for_function(
                f"() => document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === '{name}'"
            )
            _settle(page)
            height = _page_height(page)
            page.set_viewport_size({"width": WIDTH, "height": int(min(max(height, 1000), MAX_HEIGHT))})
            _settle(page)
            path = out / f"{i + 1}_{name.lower()}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "build" / "sample"), help="the build folder to open")
    parser.add_argument("--out", default=str(ROOT / "build" / "screenshots"), help="where to write the PNGs")
    args = parser.parse_args(argv)
    try:
        build = check_build(args.data)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print("Debian's chromium is missing: sh scripts/ensure_chromium.sh", file=sys.stderr)
        return 2
    with serve_app(build, timeout=90.0) as url:
        for path in take(url, Path(args.out)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
