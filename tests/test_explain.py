"""Tests for analysis.explain: the surges of a filtered corpus with their events, one surge's words and
passages, and the events table."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from conftest import SURGE_EVENTS as _EVENTS
from conftest import surge_tables as _corpus

from analysis.explain import (
    EXPLAIN_COLUMNS,
    PASSAGE_COLUMNS,
    SURGE_TABLE_COLUMNS,
    events_table,
    surge_explanation,
    surge_table,
)
from analysis.timeline import Filters


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.toml"
    path.write_text(_EVENTS, encoding="utf-8")
    return path


def test_surge_table_finds_the_planted_surge_with_its_events(events_file):
    documents, mentions = _corpus()
    table = surge_table(documents, mentions, kind="theme", granularity="year", events_file=events_file)
    assert list(table.columns) == list(SURGE_TABLE_COLUMNS)
    burst = table[table["method"] == "burst"]
    assert len(burst) == 1
    row = burst.iloc[0]
    assert (row["key"], row["start"], row["end"]) == ("grain", pd.Timestamp("2016-01-01"), pd.Timestamp("2017-12-31"))
    assert row["documents"] == 60 and row["significant"]
    # Both years overlap the 2016 summit only; the peak (2016) holds it.
    assert row["events"] == 1
    assert row["peak"] == pd.Timestamp("2016-01-01") and row["peak_events"] == "Grain summit, Astana"
    assert "reported" in table.attrs["help"]


def test_surge_table_without_a_surge_and_without_events(events_file):
    documents, mentions = _corpus(surge=(3000, 3000))
    table = surge_table(documents, mentions, granularity="year", events_file=events_file)
    assert table.empty and list(table.columns) == list(SURGE_TABLE_COLUMNS)
    documents, mentions = _corpus()
    quiet = surge_table(documents, mentions, granularity="year", with_events=False)
    assert (quiet["events"] == 0).all() and (quiet["peak_events"] == "").all()


def test_surge_table_follows_the_filters(events_file):
    documents, mentions = _corpus()
    before = surge_table(documents, mentions, granularity="year", events_file=events_file,
                         filters=Filters(end=dt.date(2015, 12, 31)))  # fmt: skip
    assert before.empty


def test_surge_explanation_words_passages_and_documents():
    documents, mentions = _corpus()
    got = surge_explanation(documents, mentions, kind="theme", key="grain", start="2016-01-01", end="2017-12-31",
                            top=5, passages=3)  # fmt: skip
    words = got["words"]
    assert list(words.columns) == list(EXPLAIN_COLUMNS)
    surge_words = words[words["side"] == "surge"]["term"].tolist()
    assert "wheat" in surge_words[:3]
    assert "sanctions" in words[words["side"] == "rest"]["term"].tolist()
    assert len(got["doc_ids"]) == 60 and all(d.startswith(("2016", "2017")) for d in got["doc_ids"])
    passages = got["passages"]
    assert list(passages.columns) == list(PASSAGE_COLUMNS)
    assert len(passages) == 3 and set(passages["match"]) == {"grain"}
    assert passages["score"].is_monotonic_decreasing and passages["doc_id"].is_unique


def test_surge_explanation_compares_with_outside_documents_when_the_window_has_no_others():
    documents, mentions = _corpus(per_year=12, surge=(2016, 2016))
    # In 2016 every one of the 12 documents mentions grain (30 > 12): the rest comes from outside the window.
    got = surge_explanation(documents, mentions, key="grain", start=dt.date(2016, 1, 1), end=dt.date(2016, 12, 31))
    assert len(got["doc_ids"]) == 12
    assert "wheat" in got["words"].query("side == 'surge'")["term"].tolist()


def test_surge_explanation_of_a_window_without_mentions_is_empty():
    documents, mentions = _corpus()
    got = surge_explanation(documents, mentions, key="grain", start="2030-01-01", end="2030-12-31")
    assert got["doc_ids"] == () and got["words"].empty and got["passages"].empty
    assert list(got["passages"].columns) == list(PASSAGE_COLUMNS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "grain", "start": "2017-01-01", "end": "2016-01-01"}, r"end \(2016-01-01\) must be on or after"),
        ({"key": "grain", "start": "soon", "end": "2016-01-01"}, r"'start' of a surge must be a date.*'soon'"),
        ({"key": "", "start": "2016-01-01", "end": "2016-12-31"}, r"'key' parameter must name a theme"),
    ],
)
def test_surge_explanation_refuses_bad_windows(kwargs, message):
    documents, mentions = _corpus()
    with pytest.raises(ValueError, match=message):
        surge_explanation(documents, mentions, **kwargs)


def test_events_table_window(events_file):
    every = events_table(events_file)
    assert every["key"].tolist() == ["summit-2011", "summit-2016"] and "line" not in every.columns
    assert events_table(events_file, start="2016-01-01", end="2016-12-31")["key"].tolist() == ["summit-2016"]
    assert events_table(events_file, start="2012-01-01")["key"].tolist() == ["summit-2016"]
    assert events_table(events_file, start="2020-01-01").empty


def test_events_table_reads_the_file_again_when_it_changes(events_file):
    assert len(events_table(events_file)) == 2
    text = events_file.read_text(encoding="utf-8")
    events_file.write_text(text.split("[[event]]")[0] + "[[event]]" + text.split("[[event]]")[1], encoding="utf-8")
    import os

    stat = events_file.stat()
    os.utime(events_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert events_table(events_file)["key"].tolist() == ["summit-2016"]


def test_bundled_events_cover_the_years_asked():
    bundled = events_table()
    years = set(bundled["start"].dt.year)
    assert set(range(2015, 2026)) <= years
    assert bundled["source"].map(lambda s: bool(re.match(r"https?://", s))).all()
    assert np.all(bundled["end"] >= bundled["start"])


def test_surges_with_events_of_a_timeline_is_the_surge_table(events_file):
    from analysis.explain import surges_with_events
    from analysis.timeline import timeline

    documents, mentions = _corpus()
    for filters in (Filters(), Filters(start=dt.date(2016, 1, 1))):
        expected = surge_table(documents, mentions, granularity="year", filters=filters, events_file=events_file)
        series = timeline(documents, mentions, kind="theme", granularity="year", filters=filters)
        got = surges_with_events(series, events_file=events_file)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs


@pytest.mark.parametrize("window", [("2016-01-01", "2017-12-31"), ("2016-01-01", "2016-12-31")])
def test_surge_explanation_reads_only_the_texts_it_compares(window):
    documents, mentions = _corpus()
    expected = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1])
    by_id = dict(zip(documents["doc_id"].astype(str), documents["text"], strict=True))
    asked: list[str] = []

    def texts(doc_ids):
        asked.extend(doc_ids)
        return {d: by_id[d] for d in doc_ids}

    got = surge_explanation(documents.drop(columns="text"), mentions, key="grain", start=window[0], end=window[1],
                            texts=texts)
    pd.testing.assert_frame_equal(got["words"], expected["words"])
    pd.testing.assert_frame_equal(got["passages"], expected["passages"])
    assert got["doc_ids"] == expected["doc_ids"] and expected["doc_ids"]
    assert 0 < len(set(asked)) < len(documents)


@pytest.mark.parametrize("window", [("2016-01-01", "2017-12-31"), ("2016-01-01", "2016-12-31")])
@pytest.mark.parametrize("filters", [Filters(), Filters(themes=("grain",)),
                                     Filters(doc_ids=tuple(f"{y}-{i:02d}" for y in range(2014, 2019) for i in (0, 1, 5)))])
def test_surge_explanation_with_a_query_layers_rows_and_mentions_is_the_same(window, filters):
    # select and key_mentions hand over what a query layer (analysis.query.Corpus) found; the explanation
    # must be the one made by filtering the tables here, the outside sample (the 2016 window) included.
    from analysis import timeline as tl

    documents, mentions = _corpus()
    expected = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1], filters=filters)
    asked: list[Filters] = []

    def select(chosen):
        asked.append(chosen)
        return documents.index.get_indexer(tl.filter_documents(documents, mentions, chosen).index)

    def key_mentions(chosen):
        ids = tl.filter_documents(documents, mentions, chosen)["doc_id"]
        return mentions[(mentions["key"] == "grain") & mentions["doc_id"].isin(ids)]

    got = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1], filters=filters,
                            select=select, key_mentions=key_mentions)
    pd.testing.assert_frame_equal(got["words"], expected["words"])
    pd.testing.assert_frame_equal(got["passages"], expected["passages"])
    assert got["doc_ids"] == expected["doc_ids"] and asked
    assert filters.doc_ids is not None or not expected["words"].empty


def _varied_corpus():
    """The surge corpus with the surge's documents using its words unevenly (scores differ, some tie), and a
    few of them mentioning grain twice (further lines)."""
    documents, mentions = _corpus()
    rng = np.random.default_rng(7)
    texts, extra = [], []
    for doc_id, text in zip(documents["doc_id"], documents["text"], strict=True):
        if "wheat" in text:
            text = text + " wheat" * int(rng.integers(0, 4)) + " council" * int(rng.integers(0, 3))
            if rng.random() < 0.3:
                text = text + " More grain."
                start = text.rindex("grain")
                extra.append({"doc_id": doc_id, "kind": "theme", "key": "grain", "surface": "grain",
                              "start": start, "end": start + 5})
        texts.append(text)
    documents = documents.assign(text=texts, n_words=[len(t.split()) for t in texts])
    return documents, pd.concat([mentions, pd.DataFrame(extra)], ignore_index=True)


@pytest.mark.parametrize("passages", [1, 2, 5, 29, 60, 90])
@pytest.mark.parametrize("window", [("2016-01-01", "2017-12-31"), ("2016-01-01", "2016-12-31")])
def test_surge_passages_come_from_the_best_documents_as_from_all_of_them(monkeypatch, passages, window):
    # Only the lines of the best-scoring documents are made; the passages must be those that every line of
    # every document of the surge gives.
    import analysis.explain as ex
    from analysis.timeline import concordance

    documents, mentions = _varied_corpus()
    made = []
    real = ex.tl.concordance

    def counting(docs, *args, **kwargs):
        made.append(len(docs))
        return real(docs, *args, **kwargs)

    monkeypatch.setattr(ex.tl, "concordance", counting)
    got = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1], passages=passages)
    # The reference: every line of the key in the window, from all the documents and all the mentions.
    whole = Filters(start=dt.date.fromisoformat(window[0]), end=dt.date.fromisoformat(window[1]))
    monkeypatch.setattr(ex, "_surge_lines", lambda *args, **kw: concordance(
        documents, mentions, kind="theme", key="grain", filters=whole))
    expected = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1],
                                 passages=passages)
    pd.testing.assert_frame_equal(got["passages"], expected["passages"])
    assert len(got["passages"]) == min(passages, len(expected["passages"]))
    if passages <= 5:
        assert made[0] < len(got["doc_ids"])  # fewer documents' lines were made


def test_surge_explanation_from_stored_counts_is_the_same():
    from analysis.term_store import TermStore
    from analysis.topics import count_terms

    documents, mentions = _varied_corpus()
    rows = np.arange(len(documents))
    store = TermStore.from_batches(documents["doc_id"], [(rows[a:a + 70], count_terms(
        documents["text"].iloc[a:a + 70].tolist())) for a in range(0, len(documents), 70)])
    asked = []

    def stored(doc_ids):
        asked.append(len(doc_ids))
        return store.counts(doc_ids)

    for window in (("2016-01-01", "2017-12-31"), ("2016-01-01", "2016-12-31"), ("2012-01-01", "2012-12-31")):
        expected = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1])
        got = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1],
                                term_counts=stored)
        for part in ("words", "passages"):
            pd.testing.assert_frame_equal(got[part], expected[part])
        assert got["doc_ids"] == expected["doc_ids"]
    assert len(asked) == 3
    # Summed off the store by row masks (TermStore.window, what the dashboard asks first): the same again,
    # the per-document counts never asked; a window that cannot answer (None) falls to them.
    for window in (("2016-01-01", "2017-12-31"), ("2016-01-01", "2016-12-31"), ("2012-01-01", "2012-12-31")):
        expected = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1])
        got = surge_explanation(documents, mentions, key="grain", start=window[0], end=window[1],
                                term_counts=stored, window_counts=store.window)
        for part in ("words", "passages"):
            pd.testing.assert_frame_equal(got[part], expected[part])
        assert got["doc_ids"] == expected["doc_ids"]
    assert len(asked) == 3
    got = surge_explanation(documents, mentions, key="grain", start="2016-01-01", end="2017-12-31",
                            term_counts=stored, window_counts=lambda surge, others: None)
    assert len(asked) == 4 and not got["words"].empty
    # Counts that cannot answer (None) fall back to counting the texts.
    fallback = surge_explanation(documents, mentions, key="grain", start="2016-01-01", end="2017-12-31",
                                 term_counts=lambda ids: None)
    pd.testing.assert_frame_equal(fallback["words"], surge_explanation(
        documents, mentions, key="grain", start="2016-01-01", end="2017-12-31")["words"])
