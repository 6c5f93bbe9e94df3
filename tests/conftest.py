"""Shared fixtures: a small synthetic build, the sample build (data/sample via run_build), Chromium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard.devserver import CHROMIUM, CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Five documents over three months with fixed dates, their mentions and two clusters."""
    texts = [
        "The SCO and BRICS support multipolarity. The SCO met in Astana.",
        "NATO expansion threatens eurasian security, said the minister.",
        "BRICS summit: a multipolar world order. NGOs were present.",
        "No dates here. The SCO again, and <b>bold</b> claims.",
        "The SCO and BRICS support multipolarity. The SCO met in Astana.",
    ]
    documents = pd.DataFrame({
        "doc_id": ["d1", "d2", "d3", "d4", "d5"],
        "source": ["a.txt", "a.txt", "b.txt", "c.txt", "d.txt"],
        "seq": [0, 1, 0, 0, 0],
        "title": ["SCO and BRICS", "NATO <script>x</script>", "BRICS summit", None, "SCO and BRICS (copy)"],
        "date": pd.to_datetime(["2024-01-10", "2024-02-05", "2024-03-20", None, "2024-01-10"]),
        "date_precision": ["day", "day", "day", None, "day"],
        "date_method": ["text", "metadata", "inferred", None, "text"],
        "language": ["en", "en", "ru", "en", "en"],
        "text": texts,
        "n_words": [len(t.split()) for t in texts],
        "duplicate_of": [None, None, None, None, "d1"],
        "cluster_id": [0, 1, 0, -1, 0],
        "url": [None] * 5,
        "format": ["text"] * 5,
        "date_surface": [None] * 5,
        "x": [0.1, 0.9, 0.2, 0.5, 0.1],
        "y": [0.2, 0.8, 0.3, 0.5, 0.2],
    })
    rows = []
    for doc_id, text in zip(documents["doc_id"], texts, strict=True):
        for kind, key, surface in (
            ("organisation", "SCO", "SCO"), ("organisation", "BRICS", "BRICS"), ("organisation", "NATO", "NATO"),
            ("theme", "multipolarity", "multipolarity"), ("theme", "multipolarity", "multipolar"),
            ("theme", "eurasian_security", "eurasian security"), ("theme", "ngos", "NGOs"),
        ):
            start = text.find(surface)
            while start >= 0:
                if not (surface == "multipolar" and text[start:start + 13] == "multipolarity"):
                    rows.append((doc_id, kind, key, surface, start, start + len(surface)))
                start = text.find(surface, start + 1)
    mentions = pd.DataFrame(rows, columns=["doc_id", "kind", "key", "surface", "start", "end"])
    clusters = pd.DataFrame({
        "cluster_id": [0, 1], "label": ["brics · sco", "nato · <i>security</i>"],
        "top_terms": [["brics", "sco"], ["nato", "security"]], "size": [3, 1],
    })
    entities = pd.DataFrame({
        "kind": ["organisation"] * 4 + ["theme"] * 3,
        "key": ["SCO", "BRICS", "NATO", "UN", "multipolarity", "eurasian_security", "ngos"],
        "label": ["SCO", "BRICS", "NATO", "UN", "Multipolarity", "Eurasian security", "NGOs"],
        "category": [""] * 7, "description": [""] * 7,
    })
    return {"documents": documents, "mentions": mentions, "clusters": clusters, "entities": entities}


SURGE_EVENTS = """
[[event]]
key = "summit-2016"
label = "Grain summit, Astana"
start = 2016-06-10
end = 2016-06-11
kind = "summit"
place = "Astana"
description = "Leaders on wheat."
source = "https://example.org/summit-2016"

[[event]]
key = "summit-2011"
label = "Old summit"
start = 2011-03-01
end = 2011-03-01
kind = "summit"
place = "Moscow"
description = "Long before."
source = "https://example.org/summit-2011"
"""


def surge_tables(years=range(2010, 2020), per_year: int = 40, surge=(2016, 2017)):
    """Yearly documents (documents, mentions); "grain" is mentioned by 2 documents a year, and by 30 in the surge years, where
    its documents also talk of wheat and harvests."""
    rows, mentions = [], []
    for year in years:
        high = surge[0] <= year <= surge[1]
        for i in range(per_year):
            doc_id = f"{year}-{i:02d}"
            mentioning = i < (30 if high else 2)
            if mentioning and high:
                text = f"The grain deal of {year}: wheat harvests, wheat exports and fertiliser ports matter."
            elif mentioning:
                text = f"A word on grain in {year}, among security and diplomacy matters."
            else:
                text = f"Security council diplomacy and sanctions talks in {year}, number {i}."
            rows.append({"doc_id": doc_id, "source": "s.txt", "seq": len(rows), "title": doc_id,
                         "date": pd.Timestamp(year, 6, 1 + i % 28), "date_precision": "day", "date_method": "text",
                         "language": "en", "text": text, "n_words": len(text.split()), "duplicate_of": None})  # fmt: skip
            if mentioning:
                start = text.index("grain")
                mentions.append({"doc_id": doc_id, "kind": "theme", "key": "grain", "surface": "grain",
                                 "start": start, "end": start + 5})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(mentions)


def write_surge_build(out: Path) -> Path:
    """surge_tables as a build folder, with a calendar of two events (one in the surge) as its events.toml."""
    from analysis.store import write_build

    documents, mentions = surge_tables()
    documents = documents.assign(cluster_id=0, url=None, format="text", date_surface=None, x=0.0, y=0.0)
    clusters = pd.DataFrame({"cluster_id": [0], "label": ["grain · wheat"], "top_terms": [["grain", "wheat"]],
                             "size": [len(documents)]})
    entities = pd.DataFrame({"kind": ["theme"], "key": ["grain"], "label": ["Grain"], "category": [""],
                             "description": [""]})
    report = {"files": [{"path": "s.txt", "status": "parsed", "reason": None, "documents": len(documents),
                         "encoding": "utf-8"}],
              "totals": {"files": 1, "parsed": 1, "skipped": 0, "failed": 0, "documents": len(documents)}}
    path = write_build(out, documents=documents, mentions=mentions, clusters=clusters, entities=entities,
                       report=report, manifest={"build_hash": "surge001"})
    (Path(path) / "events.toml").write_text(SURGE_EVENTS, encoding="utf-8")
    return path


def write_two_source_build(out: Path) -> Path:
    """Two sources over 20 years, B mentioning "grain" as A did a year before (analysis.compare's case)."""
    from analysis.store import write_build

    pattern = [2, 3, 12, 4, 2, 2, 15, 5, 3, 2, 2, 10, 18, 6, 2, 3, 2, 14, 4, 2]
    rows, mentions = [], []
    for t, year in enumerate(range(2000, 2020)):
        for source, count in (("a.txt", pattern[t]), ("b.txt", pattern[t - 1] if t else 2)):
            for i in range(20):
                doc_id = f"{source[0]}{year}-{i:02d}"
                rows.append({"doc_id": doc_id, "source": source, "seq": i, "title": None,
                             "date": pd.Timestamp(year, 3, 1 + i), "date_precision": "day", "date_method": "text",
                             "language": "en", "text": "grain talk" if i < count else "other talk", "n_words": 2,
                             "duplicate_of": None, "cluster_id": 0, "url": None, "format": "text",
                             "date_surface": None, "x": 0.0, "y": 0.0})  # fmt: skip
                if i < count:
                    mentions.append({"doc_id": doc_id, "kind": "theme", "key": "grain", "surface": "grain",
                                     "start": 0, "end": 5})  # fmt: skip
    documents = pd.DataFrame(rows)
    clusters = pd.DataFrame({"cluster_id": [0], "label": ["grain · talk"], "top_terms": [["grain", "talk"]],
                             "size": [len(documents)]})
    entities = pd.DataFrame({"kind": ["theme"], "key": ["grain"], "label": ["Grain"], "category": [""],
                             "description": [""]})
    report = {"files": [{"path": s, "status": "parsed", "reason": None, "documents": 400, "encoding": "utf-8"}
                        for s in ("a.txt", "b.txt")],
              "totals": {"files": 2, "parsed": 2, "skipped": 0, "failed": 0, "documents": len(documents)}}
    return write_build(out, documents=documents, mentions=pd.DataFrame(mentions), clusters=clusters,
                       entities=entities, report=report, manifest={"build_hash": "twosrc01"})


def write_tiny_build(out: Path) -> Path:
    """The tiny tables written as a build folder (analysis.store.write_build)."""
    from analysis.store import write_build

    tables = tiny_tables()
    report = {"files": [{"path": "a.txt", "status": "parsed", "reason": None, "documents": 2, "encoding": "utf-8"},
                        {"path": "e.bin", "status": "skipped", "reason": "binary file", "documents": 0,
                         "encoding": None}],
              "totals": {"files": 2, "parsed": 1, "skipped": 1, "failed": 0, "documents": 5}}
    manifest = {"build_hash": "tiny0001", "created": dt.datetime(2024, 5, 1).isoformat()}
    return write_build(out, report=report, manifest=manifest, **tables)


def write_big_build(out: Path, n: int = 3500) -> Path:
    """``n`` short speeches dated only to their year (1946 onwards, like the UN General Debate), each
    mentioning the SCO and one theme, with map coordinates and four clusters: larger than every display cap
    of the dashboard."""
    import numpy as np

    from analysis.store import write_build

    rng = np.random.default_rng(0)
    years = 1946 + np.arange(n) % 75
    themes = ["multipolarity", "ngos", "eurasian_security"]
    texts = [f"Speech {i}. The SCO and {themes[i % 3].replace('_', ' ')} were discussed in {y}." for i, y in
             enumerate(years)]
    documents = pd.DataFrame({
        "doc_id": [f"b{i:05d}" for i in range(n)], "source": [f"S{y}/C{i % 190}_{y}.txt" for i, y in enumerate(years)],
        "seq": [0] * n, "title": [f"Speech {i} ({y})" for i, y in enumerate(years)],
        "date": pd.to_datetime([f"{y}-01-01" for y in years]), "date_precision": ["year"] * n,
        "date_method": ["path"] * n, "language": ["en"] * n, "text": texts,
        "n_words": [len(t.split()) for t in texts], "duplicate_of": [None] * n,
        "cluster_id": (np.arange(n) % 4).astype("int64"), "url": [None] * n, "format": ["text"] * n,
        "date_surface": [None] * n, "x": rng.normal(size=n), "y": rng.normal(size=n),
    })
    rows = []
    for doc_id, text, i in zip(documents["doc_id"], texts, range(n), strict=True):
        start = text.index("SCO")
        rows.append((doc_id, "organisation", "SCO", "SCO", start, start + 3))
        surface = themes[i % 3].replace("_", " ")
        start = text.index(surface)
        rows.append((doc_id, "theme", themes[i % 3], surface, start, start + len(surface)))
    mentions = pd.DataFrame(rows, columns=["doc_id", "kind", "key", "surface", "start", "end"])
    clusters = pd.DataFrame({"cluster_id": [0, 1, 2, 3], "label": ["a · b", "c · d", "e · f", "g · h"],
                             "top_terms": [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]],
                             "size": [int((documents["cluster_id"] == c).sum()) for c in range(4)]})
    entities = tiny_tables()["entities"]
    report = {"files": [{"path": s, "status": "parsed", "reason": None, "documents": 1, "encoding": "utf-8"}
                        for s in documents["source"]],
              "totals": {"files": n, "parsed": n, "skipped": 0, "failed": 0, "documents": n}}
    manifest = {"build_hash": "big00001", "inputs": [{"path": s, "sha256": "0" * 64} for s in documents["source"]]}
    return write_build(out, documents=documents, mentions=mentions, clusters=clusters, entities=entities,
                       report=report, manifest=manifest)


@pytest.fixture(scope="session")
def big_build(tmp_path_factory) -> Path:
    return write_big_build(tmp_path_factory.mktemp("big") / "build")


@pytest.fixture
def tiny():
    return tiny_tables()


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory) -> Path:
    return write_tiny_build(tmp_path_factory.mktemp("tiny") / "build")


@pytest.fixture(scope="session")
def surge_build(tmp_path_factory) -> Path:
    return write_surge_build(tmp_path_factory.mktemp("surge") / "build")


@pytest.fixture(scope="session")
def two_source_build(tmp_path_factory) -> Path:
    return write_two_source_build(tmp_path_factory.mktemp("twosrc") / "build")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """data/sample built once per session with analysis.pipeline.run_build; returns the build folder."""
    from analysis.pipeline import run_build

    out = tmp_path_factory.mktemp("sample") / "build"
    run_build([SAMPLE], out)
    return out


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium for Playwright; the browser tests are skipped when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (sh scripts/ensure_chromium.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed: pip install playwright")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


