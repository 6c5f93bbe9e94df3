"""Corpus answers exactly what analysis.timeline answers on the same build: same columns, dtypes, order, numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import timeline as tl
from analysis.query import DOCUMENT_SORTS, Corpus, DocumentsPage
from analysis.store import BuildError, read_build, write_build
from analysis.timeline import Filters

GRANULARITIES = ("day", "week", "month", "quarter", "year")


# ------------------------------------------------------------------------------------------------ builds
def write_mixed_build(out: Path) -> Path:
    """Documents that exercise every rule: day, month and year dates, undated ones (one with a date hint),
    inferred and body dates, duplicates, unknown languages, publishers, a document in no cluster, two
    clusters sharing a label, a third without one, mentions of an unknown document, keys out of order."""
    specs = [
        # doc_id, source, seq, date, precision, method, language, duplicate_of, publisher, cluster
        ("m01", "x/a.txt", 0, "2019-12-30", "day", "metadata", "en", None, "MFA", 0),
        ("m02", "x/a.txt", 1, "2020-01-05", "day", "text", "en", None, "MFA", 1),
        ("m03", "x/b.txt", 0, "2020-02-01", "month", "text", "ru", None, "TASS", 0),
        ("m04", "x/b.txt", 1, "2020-01-01", "year", "path", None, None, "TASS", 2),
        ("m05", "x/c.txt", 0, None, None, None, "en", None, "MFA", -1),
        ("m06", "x/c.txt", 1, "2020-03-16", "day", "inferred", "ru", None, "MFA", 1),
        ("m07", "y/d.txt", 0, "2020-03-16", "day", "body", "en", None, "Kremlin", 0),
        ("m08", "y/d.txt", 1, "2020-03-16", "day", "metadata", "en", "m01", "Kremlin", 0),
        ("m09", "y/e.txt", 0, "2021-07-04", "day", "metadata", "fr", None, "Kremlin", 3),
        ("m10", "y/e.txt", 1, None, None, None, None, None, "TASS", 2),
        ("m11", "a.txt", 0, "2018-05-09", "day", "text", "en", None, "MFA", 1),
        ("m12", "a.txt", 1, "2021-12-31", "month", "text", "en", None, "MFA", 0),
    ]
    texts = {
        "m01": "The SCO and BRICS met. Multipolarity was the word! Then NATO. The SCO again.",
        "m02": "NATO and the EU discussed eurasian security. It was long.\n\nThe SCO was absent.",
        "m03": "BRICS, BRICS and BRICS. A multipolar world, said the ministers of the SCO.",
        "m04": "Year-dated: the UN and the SCO on NGOs and civil society.",
        "m05": "Undated text about the SCO mentioning 1 September 2000.",
        "m06": "Inferred date. The EU and NATO on multipolarity.",
        "m07": "Body dated. The SCO, BRICS and the UN on eurasian security.",
        "m08": "The SCO and BRICS met. Multipolarity was the word! Then NATO. The SCO again.",
        "m09": "Le BRICS et l'OTAN. NATO here too; and the ШОС (SCO).",
        "m10": "Undated, no hint: NGOs and the UN.",
        "m11": "A much earlier SCO statement about multipolarity and NGOs, in many words of text here.",
        "m12": "Month-dated at the end: NATO, the UN and eurasian security.",
    }
    rows = []
    for doc_id, source, seq, date, precision, method, language, dup, publisher, cluster in specs:
        text = texts[doc_id]
        rows.append({
            "doc_id": doc_id, "source": source, "seq": seq, "title": None if doc_id in ("m04", "m10") else f"T {doc_id}",
            "date": pd.Timestamp(date) if date else pd.NaT, "date_precision": precision, "date_method": method,
            "language": language, "text": text, "n_words": len(text.split()), "duplicate_of": dup,
            "cluster_id": cluster, "url": None, "format": "text", "date_surface": None,
            "date_evidence": method, "date_hint": "2000-09-01" if doc_id == "m05" else None,
            "date_hint_surface": "1 September 2000" if doc_id == "m05" else None, "publisher": publisher,
            "publisher_method": "override", "forwarded_by": None, "x": float(seq), "y": 0.5,
        })  # fmt: skip
    documents = pd.DataFrame(rows)
    surfaces = (("organisation", "SCO", "SCO"), ("organisation", "BRICS", "BRICS"), ("organisation", "NATO", "NATO"),
                ("organisation", "EU", "EU"), ("organisation", "UN", "UN"), ("organisation", "SCO", "ШОС"),
                ("theme", "multipolarity", "ultipolar"), ("theme", "eurasian_security", "eurasian security"),
                ("theme", "ngos", "NGOs"))  # fmt: skip
    mentions = []
    for doc_id, text in texts.items():
        for kind, key, surface in surfaces:
            start = text.find(surface)
            while start >= 0:
                mentions.append((doc_id, kind, key, surface, start, start + len(surface)))
                start = text.find(surface, start + 1)
    mentions.append(("zz-unknown", "theme", "ngos", "NGOs", 0, 4))
    mentions = pd.DataFrame(mentions[::-1], columns=["doc_id", "kind", "key", "surface", "start", "end"])
    clusters = pd.DataFrame({"cluster_id": [0, 1, 2], "label": ["sco · brics", "sco · brics", ""],
                             "top_terms": [["sco"], ["brics"], []], "size": [5, 3, 2]})
    entities = pd.DataFrame({"kind": ["organisation"] * 5 + ["theme"] * 3,
                             "key": ["SCO", "BRICS", "NATO", "EU", "UN", "multipolarity", "eurasian_security", "ngos"],
                             "label": ["SCO", "BRICS", "NATO", "EU", "UN", "Multipolarity", "Eurasian security", "NGOs"],
                             "category": [""] * 8, "description": [""] * 8})  # fmt: skip
    report = {"files": [], "totals": {"files": 0, "documents": len(documents)}}
    return write_build(out, documents=documents, mentions=mentions, clusters=clusters, entities=entities,
                       report=report, manifest={"build_hash": "mixed001"})


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory) -> Path:
    return write_mixed_build(tmp_path_factory.mktemp("mixed") / "build")


@pytest.fixture(scope="module")
def body_dated_build(tmp_path_factory) -> Path:
    from analysis.pipeline import run_build

    root = tmp_path_factory.mktemp("body")
    (root / "in").mkdir()
    (root / "in" / "a.txt").write_text("Statement (Astana, May 21, 2024)\n\nThe SCO met in Astana.\n", encoding="utf-8")
    (root / "in" / "b.txt").write_text("Remarks\n\nThe sides discussed trade at length and in detail. " * 3
                                       + "The treaty was signed on 12 June 1990 in Moscow.\n", encoding="utf-8")
    run_build([root / "in"], root / "build", body_dates=True)
    return root / "build"


BUILDS = ("tiny_build", "big_build", "sample_build", "body_dated_build", "mixed_build", "surge_build",
          "two_source_build")  # fmt: skip
_OPENED: dict[str, tuple[Corpus, object, pd.DataFrame]] = {}


@pytest.fixture
def opened(request):
    """(Corpus, the build read by read_build, its mentions with the cluster memberships) of a build fixture."""
    name = request.param
    path = request.getfixturevalue(name)
    key = f"{name}:{path}"
    if key not in _OPENED:
        build = read_build(path)
        every = pd.concat([build.mentions, tl.cluster_mentions(build.documents, build.clusters)], ignore_index=True)
        _OPENED[key] = (Corpus.open(path), build, every)
    return _OPENED[key]


def filter_states(build) -> dict[str, Filters]:
    """Filter states built from a build's own values: dates, org any/all, themes, sources, languages,
    publishers, duplicates, inferred and body dates, selections."""
    docs, mentions = build.documents, build.mentions
    orgs = mentions.loc[mentions["kind"] == "organisation", "key"].value_counts().index.tolist()
    themes = mentions.loc[mentions["kind"] == "theme", "key"].value_counts().index.tolist()
    sources = docs["source"].value_counts().index.tolist()
    languages = docs["language"].dropna().value_counts().index.tolist()
    dates = docs["date"].dropna().sort_values()
    states = {
        "none": Filters(),
        "everything": Filters(include_duplicates=True),
        "no_inferred_no_body": Filters(include_inferred=False, include_body_dates=False),
        "unknown_key": Filters(organisations=("no such org",)),
        "no_doc_ids": Filters(doc_ids=()),
    }
    if len(dates):
        first, last = dates.iloc[0].date(), dates.iloc[-1].date()
        middle = dates.iloc[len(dates) // 2].date()
        states["from_middle"] = Filters(start=middle)
        states["until_middle"] = Filters(end=middle)
        states["span"] = Filters(start=first, end=last, include_duplicates=True)
        states["one_day"] = Filters(start=middle, end=middle)
        states["wide"] = Filters(start=first - dt.timedelta(days=400), end=last + dt.timedelta(days=400))
    if orgs:
        states["org_any"] = Filters(organisations=tuple(orgs[:2]))
        states["org_all"] = Filters(organisations=tuple(orgs[:2]), org_mode="all")
        states["org_all_repeated"] = Filters(organisations=(orgs[0], orgs[0]), org_mode="all")
    if themes:
        states["themes"] = Filters(themes=tuple(themes[:2]))
        states["theme_and_org"] = Filters(themes=(themes[-1],), organisations=tuple(orgs[:1]))
    if sources:
        states["sources"] = Filters(sources=tuple(sources[:2]))
    if languages:
        states["language"] = Filters(languages=(languages[0],), include_duplicates=True)
    if "publisher" in docs and docs["publisher"].notna().any():
        states["publisher"] = Filters(publishers=(docs["publisher"].dropna().iloc[0],))
    states["selection"] = Filters(doc_ids=tuple(docs["doc_id"].iloc[::3]))
    return states


STATE_NAMES = ("none", "everything", "no_inferred_no_body", "unknown_key", "no_doc_ids", "from_middle",
               "until_middle", "span", "one_day", "wide", "org_any", "org_all", "org_all_repeated", "themes",
               "theme_and_org", "sources", "language", "publisher", "selection")  # fmt: skip


def _state(build, name: str) -> Filters:
    states = filter_states(build)
    if name not in states:
        pytest.skip(f"the build has no values for the {name!r} filter state")
    return states[name]


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs


# ------------------------------------------------------------------------------------------- equivalence
@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", STATE_NAMES)
def test_tables_match_timeline_module(opened, state):
    corpus, build, every = opened
    filters = _state(build, state)
    docs = build.documents
    assert corpus.summary(filters) == tl.summary(docs, build.mentions, filters)
    assert corpus.choose_granularity(filters) == tl.choose_granularity(docs, build.mentions, filters)
    assert_same(corpus.dating_gaps(filters), tl.dating_gaps(docs, build.mentions, filters))
    for kind in ("theme", "organisation", "cluster"):
        assert_same(corpus.ranking(kind=kind, filters=filters), tl.ranking(docs, every, kind=kind, filters=filters))
    for row_kind, col_kind in (("organisation", "theme"), ("organisation", "organisation"), ("cluster", "theme")):
        assert_same(corpus.crosstab(row_kind=row_kind, col_kind=col_kind, filters=filters),
                    tl.crosstab(docs, every, row_kind=row_kind, col_kind=col_kind, filters=filters))
    assert corpus.doc_ids(filters) == tuple(tl.filter_documents(docs, build.mentions, filters)["doc_id"])
    assert corpus.count(filters) == len(tl.filter_documents(docs, build.mentions, filters))
    for by in ("source", "language"):
        assert corpus.top_groups(by=by, filters=filters, n=3) == tl.top_groups(docs, build.mentions, by=by,
                                                                              filters=filters, n=3)


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", ("none", "everything", "from_middle", "span", "org_all", "themes", "language",
                                   "no_inferred_no_body", "unknown_key", "selection"))
@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_timeline_matches(opened, state, granularity):
    corpus, build, every = opened
    filters = _state(build, state)
    docs = build.documents
    for kind in ("theme", "organisation", "cluster"):
        assert_same(corpus.timeline(kind=kind, granularity=granularity, filters=filters),
                    tl.timeline(docs, every, kind=kind, granularity=granularity, filters=filters))
    keys = tuple(corpus.keys("organisation")[:2])[::-1] + ("never mentioned",)
    assert_same(corpus.timeline(kind="organisation", keys=keys, granularity=granularity, filters=filters),
                tl.timeline(docs, every, kind="organisation", keys=keys, granularity=granularity, filters=filters))


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("by", ("source", "language", "publisher", "date_method", "seq", "cluster_id"))
@pytest.mark.parametrize("granularity", ("month", "year"))
def test_timeline_by_group_matches(opened, by, granularity):
    corpus, build, every = opened
    if by not in build.documents:
        pytest.skip(f"the build has no {by!r} column")
    for filters in (Filters(), Filters(include_duplicates=True, include_inferred=False)):
        assert_same(corpus.timeline(kind="theme", granularity=granularity, filters=filters, by=by),
                    tl.timeline(build.documents, every, kind="theme", granularity=granularity, filters=filters, by=by))


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", ("none", "everything", "org_any", "span", "selection", "no_doc_ids"))
def test_rows_are_the_positions_of_the_filtered_documents(opened, state):
    corpus, build, _ = opened
    filters = _state(build, state)
    rows = corpus.rows(filters)
    assert rows.dtype == np.int64
    expected = tl.filter_documents(build.documents, build.mentions, filters)
    assert build.documents.index.equals(pd.RangeIndex(len(build.documents)))
    np.testing.assert_array_equal(rows, expected.index.to_numpy())
    pd.testing.assert_frame_equal(build.documents.iloc[rows], expected)


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", ("none", "everything", "org_any", "span", "selection", "no_doc_ids"))
def test_key_mentions_give_the_surfaces_and_samples_of_the_whole_tables(opened, state):
    from analysis import surfaces as sf

    corpus, build, _ = opened
    filters = _state(build, state)
    docs, mentions = build.documents, build.mentions
    for kind in ("theme", "organisation"):
        for key in corpus.keys(kind)[:3]:
            rows = corpus.key_mentions(kind=kind, key=key, filters=filters)
            expected = sf.top_surfaces(docs, mentions, kind=kind, key=key, filters=filters, top=None)
            pd.testing.assert_frame_equal(
                sf.top_surfaces(docs, mentions, kind=kind, key=key, filters=filters, top=None, key_mentions=rows),
                expected)
            # Counted in the engine: surfaces that differ only in whitespace merged, their documents counted once.
            per_surface = corpus.surface_counts(kind=kind, key=key, filters=filters)
            assert per_surface["mentions"].sum() == len(rows)
            pd.testing.assert_frame_equal(
                sf.top_surfaces_counted(per_surface, kind=kind, key=key, top=None,
                                        documents_of=lambda groups, kind=kind, key=key: corpus.surface_counts(
                                            kind=kind, key=key, filters=filters, groups=groups)["documents"].tolist()),
                expected)
            shown = sf.surfaces_as_shown(per_surface)
            for surface in (None, *expected["surface"][:2]):
                want = sf.surface_samples(docs, mentions, kind=kind, key=key, surface=surface, filters=filters, n=3)
                pd.testing.assert_frame_equal(
                    sf.surface_samples(docs, mentions, kind=kind, key=key, surface=surface, filters=filters, n=3,
                                       key_mentions=rows), want)
                if surface is not None:  # drawn from the mentions with the surfaces it stands for only
                    only = corpus.key_mentions(kind=kind, key=key, filters=filters, surfaces=shown[surface])
                    pd.testing.assert_frame_equal(
                        sf.surface_samples(docs, mentions, kind=kind, key=key, surface=surface, filters=filters, n=3,
                                           key_mentions=only), want)
    assert corpus.key_mentions(kind="theme", key="no such key", filters=filters).empty
    with pytest.raises(ValueError, match=r"kind"):
        corpus.key_mentions(kind="cluster", key="x")


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", ("none", "everything", "org_any", "span", "selection", "no_doc_ids"))
def test_concordance_matches(opened, state):
    corpus, build, every = opened
    filters = _state(build, state)
    docs = build.documents
    assert_same(corpus.concordance(filters=filters), tl.concordance(docs, every, filters=filters))
    for kind in ("theme", "organisation"):
        keys = corpus.keys(kind)
        if not keys:
            continue
        for key, width, limit in ((keys[0], 120, None), (keys[-1], 30, 3), (keys[:2], 0, 1), (keys[0], 500, 0)):
            assert_same(corpus.concordance(kind=kind, key=key, filters=filters, width=width, limit=limit),
                        tl.concordance(docs, every, kind=kind, key=key, filters=filters, width=width, limit=limit))


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
@pytest.mark.parametrize("state", ("none", "everything", "org_any", "from_middle", "selection", "no_doc_ids"))
def test_documents_page_is_a_slice_of_the_documents_table(opened, state):
    corpus, build, _ = opened
    filters = _state(build, state)
    table = tl.documents_table(build.documents, build.mentions, filters)
    whole = corpus.documents_page(filters, limit=len(table) + 5)
    assert isinstance(whole, DocumentsPage) and whole.total == len(table) and whole.offset == 0
    assert_same(whole.rows, table)
    for offset, limit in ((0, 1), (1, 2), (3, 1000), (len(table), 10), (len(table) + 3, 10), (0, 0)):
        page = corpus.documents_page(filters, offset=offset, limit=limit)
        assert page.total == len(table)
        assert_same(page.rows, table.iloc[offset:offset + limit].reset_index(drop=True))


@pytest.mark.parametrize("opened", ("mixed_build", "sample_build", "tiny_build"), indirect=True)
@pytest.mark.parametrize("sort", DOCUMENT_SORTS)
@pytest.mark.parametrize("descending", (False, True))
def test_documents_page_sorted_by_a_column(opened, sort, descending):
    corpus, build, _ = opened
    filters = Filters(include_duplicates=True)
    table = tl.documents_table(build.documents, build.mentions, filters)
    want = table.sort_values(sort, ascending=not descending, na_position="last", kind="stable").reset_index(drop=True)
    assert_same(corpus.documents_page(filters, sort=sort, descending=descending, limit=10_000).rows, want)
    assert_same(corpus.documents_page(filters, sort=sort, descending=descending, offset=2, limit=3).rows,
                want.iloc[2:5].reset_index(drop=True))


@pytest.mark.parametrize("opened", ("mixed_build", "sample_build"), indirect=True)
@pytest.mark.parametrize("search", ("t m0", "X/A", "a.txt", "zzz", "  ", "M1"))
def test_documents_page_search_is_the_readers_search(opened, search):
    corpus, build, _ = opened
    table = tl.documents_table(build.documents, build.mentions, Filters())
    hay = (table["title"].fillna("").astype(str) + " " + table["doc_id"].astype(str) + " "
           + table["source"].astype(str)).str.casefold()
    want = table[hay.str.contains(search.strip().casefold(), regex=False)] if search.strip() else table
    page = corpus.documents_page(Filters(), search=search, limit=10_000)
    assert page.total == len(want)
    assert_same(page.rows, want.reset_index(drop=True))


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
def test_document_is_the_row_and_its_mentions(opened):
    corpus, build, _ = opened
    docs, mentions = build.documents, build.mentions
    for pos in sorted({0, len(docs) // 2, len(docs) - 1}):
        doc_id = str(docs["doc_id"].iloc[pos])
        row, found = corpus.document(doc_id)
        pd.testing.assert_series_equal(row, docs.iloc[pos])
        want = mentions[(mentions["doc_id"] == doc_id) & mentions["kind"].isin(["theme", "organisation"])]
        pd.testing.assert_frame_equal(found, want)
        assert {int(s): int(e) for s, e in zip(found["start"], found["end"], strict=True)} and all(
            row["text"][s:e] == surface for s, e, surface in zip(found["start"], found["end"], found["surface"],
                                                               strict=True)) or found.empty


@pytest.mark.parametrize("opened", ("tiny_build",), indirect=True)
def test_unknown_document(opened):
    corpus, _, _ = opened
    row, found = corpus.document("no-such-id")
    assert row is None and found.empty and list(found.columns) == ["doc_id", "kind", "key", "surface", "start", "end"]


@pytest.mark.parametrize("opened", BUILDS, indirect=True)
def test_lists(opened):
    corpus, build, every = opened
    docs = build.documents
    assert corpus.sources() == tuple(sorted(docs["source"].astype(str).unique()))
    assert corpus.languages() == tuple(sorted(docs["language"].dropna().astype(str).unique()))
    assert corpus.publishers() == (tuple(sorted(docs["publisher"].dropna().astype(str).unique()))
                                   if "publisher" in docs else ())
    for kind in ("theme", "organisation", "cluster"):
        known = every[every["kind"] == kind]
        known = known[known["doc_id"].isin(docs["doc_id"])]
        assert corpus.keys(kind) == tuple(sorted(known["key"].unique()))
    assert corpus.n_documents == len(docs)
    assert corpus.entity_labels("organisation") == tl.entity_labels(build.entities, "organisation")
    assert corpus.entity_labels("cluster") == {}
    pd.testing.assert_frame_equal(corpus.clusters, build.clusters)
    assert corpus.manifest == build.manifest and corpus.build_hash == build.build_hash


@pytest.mark.parametrize("opened", ("mixed_build", "sample_build"), indirect=True)
def test_documents_without_text(opened):
    corpus, build, _ = opened
    for filters in (Filters(), Filters(languages=("en",)), Filters(doc_ids=())):
        want = tl.filter_documents(build.documents, build.mentions, filters).drop(columns="text")
        assert_same(corpus.documents(filters), want.reset_index(drop=True))
        assert list(corpus.documents(filters, columns=["source", "doc_id", "nope", "text"]).columns) == ["source", "doc_id"]


def test_texts_are_read_only_for_the_rows_asked(mixed_build):
    corpus = Corpus.open(mixed_build)
    build = read_build(mixed_build)
    assert corpus.texts([3, 0, 3]) == {0: build.documents["text"].iloc[0], 3: build.documents["text"].iloc[3]}
    assert corpus.texts([]) == {}
    assert "text" not in corpus.documents().columns


# ------------------------------------------------------------------------------------------- random filters
@st.composite
def random_filters(draw, build):
    docs, mentions = build.documents, build.mentions
    orgs = sorted(mentions.loc[mentions["kind"] == "organisation", "key"].unique())
    themes = sorted(mentions.loc[mentions["kind"] == "theme", "key"].unique())
    dates = pd.to_datetime(docs["date"].dropna())
    lo = (dates.min().date() if len(dates) else dt.date(2020, 1, 1)) - dt.timedelta(days=40)
    hi = (dates.max().date() if len(dates) else dt.date(2020, 1, 1)) + dt.timedelta(days=40)
    start = draw(st.none() | st.dates(lo, hi))
    end = draw(st.none() | st.dates(start or lo, hi))
    return Filters(
        start=start,
        end=end,
        organisations=draw(st.lists(st.sampled_from([*orgs, "nobody"]), max_size=3)),
        org_mode=draw(st.sampled_from(("any", "all"))),
        themes=draw(st.lists(st.sampled_from([*themes, "nothing"]), max_size=2)),
        sources=draw(st.lists(st.sampled_from(sorted(docs["source"].unique())), max_size=2)),
        languages=draw(st.lists(st.sampled_from([*sorted(docs["language"].dropna().unique()), "xx"]), max_size=2)),
        publishers=draw(st.lists(st.sampled_from(sorted(docs["publisher"].dropna().unique())), max_size=1))
        if "publisher" in docs and docs["publisher"].notna().any() else (),
        include_duplicates=draw(st.booleans()),
        include_inferred=draw(st.booleans()),
        include_body_dates=draw(st.booleans()),
        doc_ids=draw(st.none() | st.lists(st.sampled_from(list(docs["doc_id"])), max_size=6)),
    )


@pytest.mark.parametrize("name", ("mixed_build", "tiny_build"))
def test_random_filters_match(request, name):
    path = request.getfixturevalue(name)
    corpus, build = Corpus.open(path), read_build(path)
    docs = build.documents
    every = pd.concat([build.mentions, tl.cluster_mentions(docs, build.clusters)], ignore_index=True)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(filters=random_filters(build), granularity=st.sampled_from(GRANULARITIES),
           kind=st.sampled_from(("theme", "organisation", "cluster")), by=st.sampled_from((None, "source", "language")))
    def check(filters, granularity, kind, by):
        assert_same(corpus.timeline(kind=kind, granularity=granularity, filters=filters, by=by),
                    tl.timeline(docs, every, kind=kind, granularity=granularity, filters=filters, by=by))
        assert_same(corpus.ranking(kind=kind, filters=filters), tl.ranking(docs, every, kind=kind, filters=filters))
        assert_same(corpus.crosstab(row_kind=kind, col_kind="theme", filters=filters),
                    tl.crosstab(docs, every, row_kind=kind, col_kind="theme", filters=filters))
        assert_same(corpus.concordance(filters=filters, limit=7), tl.concordance(docs, every, filters=filters, limit=7))
        assert_same(corpus.documents_page(filters, limit=10_000).rows, tl.documents_table(docs, build.mentions, filters))
        assert corpus.summary(filters) == tl.summary(docs, build.mentions, filters)
        assert corpus.choose_granularity(filters) == tl.choose_granularity(docs, build.mentions, filters)
        assert_same(corpus.dating_gaps(filters), tl.dating_gaps(docs, build.mentions, filters))

    check()


# ------------------------------------------------------------------------------------------------ errors
def test_open_refuses_a_folder_that_is_no_build(tmp_path):
    with pytest.raises(BuildError, match=r"No build at .*expected a folder made by `python -m analysis build"):
        Corpus.open(tmp_path / "missing")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "manifest.json").write_text("{}")
    with pytest.raises(BuildError, match=r"not a complete build: missing documents.parquet"):
        Corpus.open(tmp_path / "half")


def test_open_refuses_a_corrupt_build(tmp_path, tiny_build):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_build, broken)
    (broken / "mentions.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(BuildError, match=r"cannot be read .*Rebuild it with `python -m analysis build"):
        Corpus.open(broken)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c: c.timeline(kind="topic"), r"'kind' parameter must be one of \['theme', 'organisation', 'cluster'\]"),
        (lambda c: c.timeline(granularity="decade"), r"'granularity' parameter must be one of \['day'"),
        (lambda c: c.timeline(by="text"), r"'by' parameter must be None or a documents column such as"),
        (lambda c: c.timeline(by="x"), r"'by' parameter must be None or a documents column"),
        (lambda c: c.ranking(kind="cluster", filters="SCO"), r"'filters' parameter must be an analysis.timeline.Filters"),
        (lambda c: c.crosstab(col_kind="word"), r"'col_kind' parameter must be one of"),
        (lambda c: c.concordance(width=-1), r"'width' parameter must be a non-negative integer; got -1"),
        (lambda c: c.concordance(limit=-2), r"'limit' parameter must be None or an integer >= 0; got -2"),
        (lambda c: c.documents_page(offset=-1), r"'offset' parameter must be an integer >= 0; got -1"),
        (lambda c: c.documents_page(sort="themes"), r"'sort' parameter must be one of \['date'"),
        (lambda c: c.top_groups(by="title"), r"'by' parameter must be one of \['language', 'source'\]; got 'title'"),
        (lambda c: c.summary(Filters(publishers=("TASS",))), r"no 'publisher' column, so they cannot be filtered"),
        (lambda c: c.keys("word"), r"'kind' parameter must be one of"),
    ],
)
def test_wrong_arguments_say_what_was_expected(tiny_build, call, message):
    corpus = Corpus.open(tiny_build)
    with pytest.raises((ValueError, TypeError), match=message):
        call(corpus)


def test_threads_share_a_corpus(sample_build):
    from concurrent.futures import ThreadPoolExecutor

    corpus = Corpus.open(sample_build)
    want = corpus.ranking(kind="theme")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: corpus.ranking(kind="theme"), range(16)))
    for got in results:
        assert_same(got, want)


def test_cluster_timeline_uses_the_cluster_labels(mixed_build):
    corpus = Corpus.open(mixed_build)
    keys = set(corpus.timeline(kind="cluster", granularity="year", filters=Filters(include_duplicates=True))["key"])
    # Two clusters share a label (told apart by their id), one has none, one is not in clusters.parquet.
    assert keys == {"sco · brics (#0)", "sco · brics (#1)", "Cluster 2", "Cluster 3"}
    assert np.all(corpus.timeline(kind="cluster", granularity="year")["documents_total"] >= 0)


def test_filters_are_immutable_inputs(mixed_build):
    corpus = Corpus.open(mixed_build)
    filters = Filters(organisations=["SCO", "NATO"], org_mode="all")
    corpus.timeline(filters=filters)
    assert filters == dataclasses.replace(filters) and filters.organisations == ("SCO", "NATO")


def test_a_builds_stored_query_tables_answer_as_tables_made_afresh(sample_build, tmp_path):
    """A build stores the tables a Corpus queries (query.duckdb); opened from them, it answers exactly as
    when they are made from the parquet files; a query file of another build, or a corrupt one, is ignored."""
    import shutil

    from analysis import panels
    from analysis.query.corpus import QUERY_FILE, _stored_tables, write_query_file

    assert (sample_build / QUERY_FILE).is_file() and _stored_tables(sample_build) is not None
    afresh = tmp_path / "afresh"
    shutil.copytree(sample_build, afresh)
    (afresh / QUERY_FILE).unlink()
    stored, made = Corpus.open(sample_build), Corpus.open(afresh)
    assert _stored_tables(afresh) is None and stored._keys == made._keys
    build = read_build(sample_build)
    for filters in filter_states(build).values():
        for name, options in (("overview-timeline", {"granularity": "month", "measure": "share"}),
                              ("organisation-ranking", {}), ("documents", {"limit": None}),
                              ("theme-heatmap", {"granularity": "year", "measure": "mentions"}), ("clusters", {}),
                              ("concordance", {"key": "SCO", "kind": "organisation", "limit": None})):
            assert_same(panels.run_panel(name, stored, filters=filters, **options).table,
                        panels.run_panel(name, made, filters=filters, **options).table)
    other = tmp_path / "other"
    shutil.copytree(sample_build, other)
    pd.read_parquet(other / "mentions.parquet").iloc[:5].to_parquet(other / "mentions.parquet", index=False)
    assert _stored_tables(other) is None  # made from other parquet files: not this build's
    assert len(Corpus.open(other).key_mentions(kind="organisation", key="SCO", filters=Filters())) <= 5
    (afresh / QUERY_FILE).write_bytes(b"not a database")
    assert _stored_tables(afresh) is None and Corpus.open(afresh)._keys == made._keys
    write_query_file(afresh / QUERY_FILE)  # made again, whole, over what was there
    assert _stored_tables(afresh) is not None and Corpus.open(afresh)._keys == made._keys


def test_texts_read_from_texts_arrow_are_those_of_documents_parquet(sample_build, tmp_path):
    """A build writes its texts again as texts.arrow (analysis.query.texts), which a Corpus reads passages and
    documents from; without it, or with another build's, the same answers come from documents.parquet."""
    import shutil

    from analysis import panels
    from analysis.query.texts import TEXTS_FILE

    bare, stale = tmp_path / "bare", tmp_path / "stale"
    shutil.copytree(sample_build, bare)
    (bare / TEXTS_FILE).unlink()
    shutil.copytree(sample_build, stale)
    pd.read_parquet(stale / "documents.parquet").assign(text="another text").to_parquet(stale / "documents.parquet")
    fast, slow = Corpus.open(sample_build), Corpus.open(bare)
    assert fast._text_file is not None and slow._text_file is None
    assert Corpus.open(stale)._text_file is None  # stamped for the parquet files it was made from
    assert set(Corpus.open(stale).texts([0, 1]).values()) == {"another text"}
    rows = range(fast.count(Filters(include_duplicates=True)) + 2)
    assert fast.texts(rows) == slow.texts(rows) and len(fast.texts(rows)) == len(rows) - 2
    for doc_id in fast.doc_ids(Filters(include_duplicates=True)):
        (row_a, mentions_a), (row_b, mentions_b) = fast.document(doc_id), slow.document(doc_id)
        pd.testing.assert_series_equal(row_a, row_b)
        pd.testing.assert_frame_equal(mentions_a, mentions_b)
    assert_same(fast.concordance(kind="theme", limit=40), slow.concordance(kind="theme", limit=40))
    options = {"kind": "organisation", "key": "SCO", "limit": None}
    assert_same(panels.run_panel("concordance", fast, filters=Filters(), **options).table,
                panels.run_panel("concordance", slow, filters=Filters(), **options).table)


def test_rows_with_coordinates_and_the_documents_at_rows(tmp_path):
    """rows(present=...) keeps the filtered rows whose columns hold a number (missing and NaN left out, as
    pandas' notna); documents_at reads those rows only, as documents() gives them."""
    from analysis import panels

    path = write_mixed_build(tmp_path / "build")
    docs = pd.read_parquet(path / "documents.parquet")
    x, y = docs["x"].to_numpy(dtype=np.float64).copy(), docs["y"].to_numpy(dtype=np.float64).copy()
    x[[1, 7]] = np.nan  # NaN values, kept as NaN (an array from numpy), and a null
    table = pa.Table.from_pandas(docs, preserve_index=False).replace_schema_metadata(None)
    table = table.set_column(table.schema.get_field_index("x"), "x", pa.array(x, pa.float64()))
    table = table.set_column(table.schema.get_field_index("y"), "y",
                             pa.array(y, pa.float64(), mask=np.arange(len(y)) == 4))
    assert table.column("x").null_count == 0 and table.column("y").null_count == 1
    pq.write_table(table, path / "documents.parquet")
    corpus, build = Corpus.open(path), read_build(path)
    for filters in filter_states(build).values():
        kept = tl.filter_documents(build.documents, build.mentions, filters)
        with_xy = kept[kept["x"].notna() & kept["y"].notna()]
        rows = corpus.rows(filters, present=("x", "y"))
        assert rows.tolist() == with_xy.index.tolist()
        pd.testing.assert_frame_equal(corpus.documents_at(rows[::2], columns=panels.MAP_COLUMNS),
                                      corpus.documents(filters, columns=panels.MAP_COLUMNS)
                                      .pipe(lambda d: d[d["x"].notna() & d["y"].notna()])
                                      .iloc[::2].reset_index(drop=True))
        mapped = panels.run_panel("document-map", corpus, filters, limit=3)
        expected = with_xy[panels.MAP_COLUMNS].reset_index(drop=True)
        if len(expected) > 3:
            expected = expected.iloc[np.sort(np.random.default_rng(0).choice(len(expected), size=3, replace=False))]
        expected = expected.reset_index(drop=True)
        assert_same(mapped.table, expected)
        assert mapped.notes == {"total": len(with_xy), "rows_left_out": max(0, len(with_xy) - 3)}
    with pytest.raises(ValueError, match=r"no columns \['z'\]"):
        corpus.rows(Filters(), present=("z",))
