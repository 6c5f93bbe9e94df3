"""Tests for analysis.term_store: a build's stored word counts give what counting the texts gives."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.surges import term_counts
from analysis.term_store import FILE_NAME, TermStore, TermStoreBuilder, TermStoreError
from analysis.topics import count_terms

WORDS = ["grain", "wheat", "the", "and", "Security", "council", "BRICS", "ШОС", "саммит", "g20", "2024", "über"]


def _store(texts: list[str], batch: int = 3, order=None) -> TermStore:
    ids = [f"d{i}" for i in range(len(texts))]
    rows = np.arange(len(texts)) if order is None else np.asarray(order)
    builder = TermStoreBuilder(ids)
    for a in range(0, len(rows), batch):
        part = rows[a:a + batch]
        builder.add(part, count_terms([texts[i] for i in part]))
    return builder.finish()


def _same(a, b) -> None:
    assert list(a.doc_ids) == list(b.doc_ids)
    assert list(a.terms) == list(b.terms)
    assert a.matrix.shape == b.matrix.shape and (a.matrix != b.matrix).nnz == 0


texts_strategy = st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(texts=texts_strategy, batch=st.integers(1, 7), data=st.data())
def test_stored_counts_of_any_documents_are_their_term_counts(texts, batch, data):
    order = data.draw(st.permutations(range(len(texts))))
    store = _store(texts, batch, order)
    chosen = data.draw(st.lists(st.integers(0, len(texts) - 1), min_size=1, max_size=len(texts), unique=True))
    ids = [f"d{i}" for i in chosen]
    documents = pd.DataFrame({"doc_id": ids, "text": [texts[i] for i in chosen]})
    for kwargs in ({}, {"min_df": 1, "max_df": 1.0}, {"max_features": 2}):
        _same(store.counts(ids, **kwargs), term_counts(documents, **kwargs))


def test_counts_of_a_document_not_stored_is_none():
    store = _store(["grain wheat", "council"])
    assert store.counts(["d0", "elsewhere"]) is None
    assert store.rows(["d2"]) is None
    rows = store.rows(["d1", "d0"])
    assert rows.shape == (2, len(store.terms)) and (rows != store.matrix[[1, 0]]).nnz == 0


def test_stop_words_are_not_stored():
    store = _store(["the grain and the wheat"], batch=1)
    assert list(store.terms) == ["grain", "wheat"]


@pytest.mark.parametrize(
    ("batches", "message"),
    [([[0]], r"1 were not counted and 0 more than once"), ([[0, 1], [1]], r"0 were not counted and 1 more than once")],
)
def test_every_document_must_be_counted_once(batches, message):
    builder = TermStoreBuilder(["a", "b"])
    for rows in batches:
        builder.add(rows, count_terms(["grain"] * len(rows)))
    with pytest.raises(ValueError, match=message):
        builder.finish()


def test_a_batch_must_have_a_row_per_text():
    with pytest.raises(ValueError, match=r"A batch of 2 counted texts was given 1 rows"):
        TermStoreBuilder(["a", "b"]).add([0], count_terms(["grain", "wheat"]))


def test_the_file_round_trips(tmp_path):
    store = _store(["grain wheat wheat", "", "саммит ШОС g20"])
    path = tmp_path / FILE_NAME
    path.write_bytes(store.to_bytes())
    _same(TermStore.load(path), store)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _arrays(store: TermStore) -> dict:
    with np.load(io.BytesIO(store.to_bytes()), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("data"), r"holds the arrays .*; expected"),
        (lambda a: a.update(format=np.array(9)), r"of format 9"),
        (lambda a: a.update(indices=a["indices"] + 50), r"counts matrix is inconsistent"),
        (lambda a: a.update(indptr=a["indptr"][:-1]), r"counts matrix is inconsistent"),
        (lambda a: a.update(data=-a["data"]), r"counts matrix is inconsistent"),
        (lambda a: a.update(terms=np.array([1.5])), r"must be UTF-8 text"),
        (lambda a: a.update(doc_ids=np.frombuffer(b"a\na\nb", dtype=np.uint8)), r"name a document twice"),
    ],
)
def test_a_damaged_or_forged_file_is_refused(tmp_path, change, message):
    arrays = _arrays(_store(["grain wheat", "council", "ШОС"]))
    change(arrays)
    path = tmp_path / FILE_NAME
    path.write_bytes(_npz(**arrays))
    with pytest.raises(TermStoreError, match=message):
        TermStore.load(path)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / FILE_NAME
    path.write_bytes(b"not a zip")
    with pytest.raises(TermStoreError, match=r"is not a readable term counts file"):
        TermStore.load(path)


def test_the_build_stores_the_counts_of_every_document(sample_build):
    from analysis.store import read_build

    build = read_build(sample_build)
    store = TermStore.load(sample_build / FILE_NAME)
    assert sorted(store.doc_ids) == sorted(build.documents["doc_id"].astype(str))
    ids = list(build.documents["doc_id"].astype(str))
    _same(store.counts(ids), term_counts(build.documents))
    assert build.manifest["term_counts"] == {"file": FILE_NAME, "documents": len(ids), "terms": len(store.terms),
                                             "counts": int(store.matrix.nnz)}


def test_the_worker_pool_stores_the_same_counts_as_one_process(tmp_path, monkeypatch):
    # Workers count the fitting sample and assign the rest (a sample smaller than the corpus here).
    import analysis.pipeline as pipeline
    import analysis.topics as topics

    class SmallSample(topics.TopicModel):
        def __init__(self, **kwargs):
            super().__init__(max_fit_documents=30, **kwargs)

    monkeypatch.setattr(pipeline, "TopicModel", SmallSample)
    monkeypatch.setattr(pipeline, "_use_pool", lambda workers, n: workers > 1)
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(80):
        words = rng.choice(["grain", "wheat", "security", "council", "BRICS", "summit", "harvest"], size=30)
        (folder / f"{i:03d}.txt").write_text(f"Speech {i}. " + " ".join(words) + ".", encoding="utf-8")
    one = pipeline.run_build([folder], tmp_path / "one", workers=1)
    two = pipeline.run_build([folder], tmp_path / "two", workers=2)
    a, b = TermStore.load(tmp_path / "one" / FILE_NAME), TermStore.load(tmp_path / "two" / FILE_NAME)
    _same(a, b)
    pd.testing.assert_frame_equal(one.documents[["doc_id", "cluster_id"]], two.documents[["doc_id", "cluster_id"]])
    _same(a.counts(list(one.documents["doc_id"])), term_counts(one.documents))


def test_a_built_store_is_clean_and_a_store_that_is_not_counts_the_same():
    # clean (terms in order, no stop word, no zero stored) lets select_terms skip those look-ups; a store
    # that breaks one of them is not clean and still gives the counts of the texts.
    texts = ["grain wheat grain", "wheat council", "council grain BRICS", "BRICS wheat"] * 6
    store = _store(texts)
    assert store.clean
    documents = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts})
    ids = list(documents["doc_id"])
    order = np.arange(len(store.terms))[::-1]
    reversed_terms = TermStore(store.doc_ids, store.terms[order], store.matrix[:, order].tocsr())
    with_stop = TermStore(store.doc_ids, np.array(["and", *store.terms[1:]], dtype=object), store.matrix)
    zero = store.matrix.copy()
    zero.data[0] = 0
    with_zero = TermStore(store.doc_ids, store.terms, zero)
    assert not reversed_terms.clean and not with_stop.clean and not with_zero.clean
    for kwargs in ({}, {"max_features": 2}):
        _same(reversed_terms.counts(ids, **kwargs), term_counts(documents, **kwargs))
        _same(store.counts(ids, **kwargs), term_counts(documents, **kwargs))
    assert "and" not in list(with_stop.counts(ids).terms)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join), min_size=2, max_size=40),
       data=st.data())
def test_a_window_summed_off_the_store_explains_as_its_counts_do(texts, data):
    """TermStore.window (sums over row masks, the surge's rows only copied) gives the words and scores that
    distinctive_words and document_scores give on the counts of the same documents, the surge's first."""
    from analysis.surges import distinctive_words, document_scores

    store = _store(texts, 3, data.draw(st.permutations(range(len(texts)))))
    chosen = data.draw(st.lists(st.integers(0, len(texts) - 1), min_size=2, max_size=len(texts), unique=True))
    cut = data.draw(st.integers(1, len(chosen) - 1))
    surge, others = [f"d{i}" for i in chosen[:cut]], [f"d{i}" for i in chosen[cut:]]
    for kwargs in ({}, {"min_df": 1, "max_df": 1.0}, {"max_features": 2}):
        window = store.window(surge, others, **kwargs)
        counts = store.counts(surge + others, **kwargs)
        assert list(window.terms) == list(counts.terms)
        if not len(counts.terms):
            continue
        mask = counts.mask(surge)
        words = distinctive_words(counts.matrix, counts.terms, mask, reference=~mask, corpus=counts.totals, top=5)
        if words.empty or counts.totals.sum() == 0:
            assert window.words(top=5).empty
            continue
        pd.testing.assert_frame_equal(window.words(top=5), words)
        pd.testing.assert_series_equal(window.scores(words), document_scores(counts, words, doc_ids=surge))


def test_a_window_with_an_unknown_or_shared_document_is_none():
    store = _store(["grain wheat", "council", "grain council"])
    assert store.window(["d0"], ["elsewhere"]) is None
    assert store.window(["d0", "d1"], ["d1", "d2"]) is None  # one document on both sides
    assert store.window(["d0"], ["d1", "d2"]) is not None
