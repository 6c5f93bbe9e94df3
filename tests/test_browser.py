"""Real-browser tests of the dashboard (Playwright + Debian's Chromium): charts, filters, downloads,
chart selections and escaping of hostile document text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.devserver import serve_app

pytestmark = pytest.mark.browser

CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
TIMEOUT = 60_000
XSS_TEXT = (
    "Statement <img src=x onerror=alert(1)> on the SCO\n\n"
    "Moscow, 16 May 2024\n\n"
    "Statement on the SCO <img src=x onerror=alert(1)> and multipolarity.\n"
    "<script>alert(2)</script> The BRICS partners [click](javascript:alert(3)) agreed.\n"
)


@pytest.fixture(scope="module")
def sample_url(sample_build, chromium_path):
    with serve_app(sample_build) as url:
        yield url


@pytest.fixture(scope="module")
def xss_url(tmp_path_factory, chromium_path):
    from analysis.pipeline import run_build

    folder = tmp_path_factory.mktemp("xss")
    (folder / "inputs").mkdir()
    (folder / "inputs" / "hostile.txt").write_text(XSS_TEXT, encoding="utf-8")
    run_build([folder / "inputs"], folder / "build")
    with serve_app(folder / "build") as url:
        yield url


@pytest.fixture(autouse=True)
def _patient_expect(chromium_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield page
    context.close()


def _drawn(page):
    """Wait until the open view is drawn: its script run reached the end (the manifest button closes every
    view) and nothing on the page is stale, so charts no longer move."""
    from playwright.sync_api import expect

    panel = page.locator("[role=tabpanel]:not([hidden])")
    expect(panel.get_by_role("button", name="Download manifest (JSON)")).to_be_visible()
    expect(page.locator("[data-stale=true]")).to_have_count(0)
    return panel


def _open(page, url: str):
    page.goto(url)
    page.wait_for_selector(CHART)
    _drawn(page)
    return page


def _trace_count(page, index: int = 0) -> int:
    return page.evaluate(f"document.querySelectorAll('{CHART}')[{index}].data.length")


def test_charts_render_with_data(page, sample_url):
    from playwright.sync_api import expect

    _open(page, sample_url)
    expect(page.locator(".gtitle").first).to_have_text(re.compile(r"^Share of documents mentioning each theme"))
    assert _trace_count(page) > 0
    points = page.evaluate(f"document.querySelector('{CHART}').data.map(t => t.y.length)")
    assert sum(points) > 0


def test_a_filter_change_updates_a_chart(page, sample_url):
    from playwright.sync_api import expect

    _open(page, sample_url)
    title = page.locator(".gtitle").first
    expect(title).to_have_text(re.compile(r"^Share of documents"))
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Measure").click()
    page.get_by_role("option", name=re.compile(r"^Number of times the term is mentioned")).click()
    expect(title).to_have_text(re.compile(r"^Mentions of each theme"))
    expect(page).to_have_url(re.compile(r"measure=mentions"))


def test_a_download_delivers_the_csv(page, sample_url, sample_build):
    from analysis import timeline as tl
    from analysis.store import read_build
    from dashboard.app import _OVERVIEW_THEMES, chart_csv

    _open(page, sample_url)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").first.click()
    download = info.value
    assert download.suggested_filename.startswith("theme-timeline_year_share")
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    header = content[3:].splitlines()[0].decode()
    assert header == ("period,period_end,period_label,key,label,mentions,documents_mentioning,documents_total,"
                      "words_total,share_pct,share_low,share_high,per_10k_words,partial")
    build = read_build(sample_build)
    keys = tuple(tl.ranking(build.documents, build.mentions, kind="theme")["key"].head(_OVERVIEW_THEMES))
    expected = tl.timeline(build.documents, build.mentions, kind="theme", keys=keys, granularity="year")
    assert content == chart_csv(tl.add_labels(expected, build.entities, kind="theme"))


def test_a_chart_selection_narrows_the_documents(page, sample_url):
    from playwright.sync_api import expect

    _open(page, sample_url)
    chip = page.get_by_text("Narrowed by chart selection:")
    expect(chip).to_have_count(0)
    # Click the first bar of the "Top organisations" ranking: the documents mentioning that organisation.
    bar = page.locator(f"{CHART} .barlayer .trace .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(chip.first).to_contain_text(re.compile(r"organisation \S+ — [1-9]\d* documents?"))
    n = int(re.search(r"— (\d+) document", chip.first.inner_text()).group(1))
    page.get_by_role("tab", name="Documents").click()
    expect(page.get_by_text(f"Narrowed by chart selection: {n} documents.")).to_be_visible()
    # Another rerun while the chart is not drawn (only the open tab is) keeps the selection.
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Measure").click()
    page.get_by_role("option", name=re.compile(r"^Number of times the term is mentioned")).click()
    expect(page).to_have_url(re.compile(r"measure=mentions"))
    expect(page.get_by_text(f"Narrowed by chart selection: {n} documents.")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    expect(chip).to_have_count(0)
    expect(page.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")


def test_hostile_text_is_shown_as_text_and_runs_nothing(page, xss_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(xss_url)
    page.get_by_role("tab", name="Documents").click()
    reader = page.locator("[data-testid=stHtml]").first
    expect(reader).to_contain_text("<img src=x onerror=alert(1)>")
    expect(reader).to_contain_text("<script>alert(2)</script>")
    expect(reader).to_contain_text("[click](javascript:alert(3))")
    expect(reader.locator("mark").first).to_be_visible()
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.get_by_role("tab", name="Topics").click()
    panel = _drawn(page)
    # The document map's only point: its hover label shows the hostile title as text.
    point = panel.locator(CHART).last.locator(".scatterlayer .points path").first
    hover = page.locator(".hoverlayer .hovertext").first
    for _ in range(5):  # the page may still reflow after drawing: aim at where the point is now
        point.scroll_into_view_if_needed()
        box = point.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            hover.wait_for(state="visible", timeout=3000)
            break
        except PlaywrightTimeout:  # move away and aim again
            page.mouse.move(0, 0)
    expect(hover).to_contain_text("Statement <img src=x onerror=alert(1)>")
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []



def test_an_upload_is_built_and_opened(page, sample_url, tmp_path):
    from playwright.sync_api import expect

    note = tmp_path / "statement.txt"
    note.write_text("Moscow, 16 May 2024\n\nThe SCO and BRICS discussed multipolarity.\n", encoding="utf-8")
    (tmp_path / "empty.bin").write_bytes(b"\x00\x01\x02" * 10)
    _open(page, sample_url)
    page.get_by_text("Open your own files").click()
    page.locator(".st-key-upload_files input[type=file]").set_input_files([str(note), str(tmp_path / "empty.bin")])
    page.get_by_role("button", name="Build and open").click()
    expect(page.get_by_text("Your files were built")).to_be_visible()
    expect(page.get_by_text("1 document in this build")).to_be_visible()
    expect(page.locator(".gtitle").first).to_have_text(re.compile(r"^Share of documents mentioning each theme"))
