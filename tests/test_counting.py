"""analysis.query.counting: the arrays a Corpus counts with, against brute-force sums over small tables."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.query.counting import Counting, as_date
from analysis.timeline import Filters

N_KEYS = 5


def _db(docs: dict, pairs: list[tuple[int, int, int]]) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the ``docs`` and ``pairs`` tables of a Corpus (only the columns read)."""
    db = duckdb.connect(":memory:")
    db.register("_docs", pa.table(docs))
    db.execute("CREATE TABLE docs AS SELECT * FROM _docs")
    rows, keys, counts = zip(*pairs, strict=True) if pairs else ((), (), ())
    db.register("_pairs", pa.table({"_row": pa.array(rows, pa.int32()), "key_id": pa.array(keys, pa.int32()),
                                    "n": pa.array(counts, pa.int32())}))
    db.execute("CREATE TABLE pairs AS SELECT * FROM _pairs")
    return db


def _docs(n: int, *, order=None) -> dict:
    rows = list(range(n)) if order is None else list(order)
    return {
        "_row": pa.array(rows, pa.int32()),
        "_rank": pa.array([r % 3 for r in rows], pa.int8()),
        "date": pa.array([None if r % 4 == 3 else dt.date(2020, 1, 1) + dt.timedelta(days=40 * r) for r in rows],
                         pa.date32()),
        "n_words": pa.array([None if r == 1 else 10 * r for r in rows], pa.int64()),
        "date_method": pa.array([("body", "inferred", None, "text")[r % 4] for r in rows]),
        "date_hint": pa.array(["2000-01-01" if r % 4 == 3 and r % 8 == 3 else None for r in rows]),
        "duplicate_of": pa.array(["x" if r == 2 else None for r in rows]),
        "source": pa.array([None if r == 0 else f"s{r % 3}" for r in rows]),
    }


DOC_COLUMNS = {"_row": "INTEGER", "date_hint": "VARCHAR"}


def test_reads_the_documents_by_row_and_the_pairs_by_key():
    # The docs table in another order than its rows, pairs not sorted by key: both are put in order.
    pairs = [(3, 4, 1), (0, 1, 2), (2, 1, 5), (1, 0, 1), (0, 4, 7)]
    counting = Counting.load(_db(_docs(4, order=[2, 0, 3, 1]), pairs), DOC_COLUMNS, N_KEYS)
    assert counting.n_docs == 4
    assert counting.pair_key.tolist() == [0, 1, 1, 4, 4]
    assert counting.key_start.tolist() == [0, 1, 3, 3, 3, 5]
    assert counting.rank.tolist() == [0, 1, 2, 0]
    assert counting.dated.tolist() == [True, True, True, False]
    assert [as_date(d) for d in counting.day[:3]] == [dt.date(2020, 1, 1), dt.date(2020, 2, 10), dt.date(2020, 3, 21)]
    assert counting.n_words.tolist() == [0, 0, 20, 30]  # a missing count of words counts 0
    assert counting.body.tolist() == [True, False, False, False]
    assert counting.inferred.tolist() == [False, True, False, False]
    assert counting.duplicate.tolist() == [False, False, True, False]
    assert counting.hinted.tolist() == [False, False, False, True]


def test_rows_with_a_gap_are_refused():
    with pytest.raises(ValueError, match=r"rows are not 0 \.\. n-1"):
        Counting.load(_db(_docs(3, order=[0, 1, 3]), []), DOC_COLUMNS, N_KEYS)


def test_codes_and_filters_on_values_never_match_null():
    counting = Counting.load(_db(_docs(6), []), DOC_COLUMNS, N_KEYS)
    codes, values = counting.codes("source")
    assert codes[0] == -1 and sorted(values[codes[1:]]) == ["s0", "s1", "s1", "s2", "s2"]
    everything = np.ones(6, dtype=bool)
    assert sorted(counting.distinct("source", everything)) == ["s0", "s1", "s2"]
    keep = counting.where(Filters(sources=("s1", "nothing"), include_duplicates=True), key_ids=lambda k, v: [],
                          doc_rows=lambda ids: np.array([], dtype=np.int64), has_publisher=False)
    assert np.flatnonzero(keep).tolist() == [1, 4]


def test_publishers_on_a_build_without_them_are_refused():
    counting = Counting.load(_db(_docs(2), []), DOC_COLUMNS, N_KEYS)
    with pytest.raises(ValueError, match="no 'publisher' column.*rebuild the corpus"):
        counting.where(Filters(publishers=("MFA",)), key_ids=lambda k, v: [], doc_rows=lambda ids: ids,
                       has_publisher=False)


PAIRS = st.lists(st.tuples(st.integers(0, 7), st.integers(0, N_KEYS - 1), st.integers(1, 9)), max_size=30,
                 unique_by=lambda p: (p[0], p[1]))


@settings(max_examples=60, deadline=None)
@given(pairs=PAIRS, chosen=st.lists(st.booleans(), min_size=8, max_size=8))
def test_sums_are_brute_force_sums(pairs, chosen):
    counting = Counting.load(_db(_docs(8), pairs), DOC_COLUMNS, N_KEYS)
    mask = np.array(chosen)
    kept = [(r, k, n) for r, k, n in pairs if chosen[r]]
    # per key, over ids 1 to 3
    ids, docs, mentions = counting.per_key(1, 4, mask)
    want = sorted({k for _, k, _ in kept if 1 <= k < 4})
    assert ids.tolist() == want
    assert docs.tolist() == [sum(1 for _, k, _ in kept if k == key) for key in want]
    assert mentions.tolist() == [sum(n for _, k, n in kept if k == key) for key in want]
    # mentions of every key but ids 3 and 4
    assert counting.mentions(mask, skip=(3, 5)) == sum(n for _, k, n in kept if k < 3)
    assert counting.mentions(mask) == sum(n for _, _, n in kept)
    # co-occurrence of ids 0-1 (rows) with ids 2-4 (columns), and of a range with itself
    rows, _, _ = counting.per_key(0, 2, mask)
    cols, _, _ = counting.per_key(2, 5, mask)
    if len(rows) and len(cols):
        both = counting.co_occurrence((0, 2), (2, 5), rows, cols, mask).reshape(len(rows), len(cols))
        by_doc = {}
        for r, k, _ in kept:
            by_doc.setdefault(r, set()).add(k)
        for i, a in enumerate(rows):
            for j, b in enumerate(cols):
                assert both[i, j] == sum(1 for keys in by_doc.values() if a in keys and b in keys)
        same = counting.co_occurrence((0, 2), (0, 2), rows, rows, mask).reshape(len(rows), len(rows))
        assert np.diag(same).tolist() == [sum(1 for _, k, _ in kept if k == a) for a in rows]
    # timeline cells: periods are the documents' rows mod 3, one group; key -1 counts nothing
    period, group = np.arange(8) % 3, np.zeros(8, dtype=np.int64)
    key_ids = [4, -1, 0]
    counted, documents = counting.timeline_cells(key_ids, mask, period, group, n_periods=3, n_groups=1)
    for p in range(3):
        for position, key in enumerate(key_ids):
            cell = p * len(key_ids) + position
            hits = [n for r, k, n in kept if k == key and r % 3 == p]
            assert (counted[cell], documents[cell]) == (sum(hits), len(hits))


def test_spans_and_period_cells():
    counting = Counting.load(_db(_docs(8), []), DOC_COLUMNS, N_KEYS)
    mask = np.array([True, True, True, True, False, True, True, True])
    spans = counting.spans(mask)
    assert spans.undated == 2  # rows 3 and 7
    assert spans.count == {0: 2, 1: 1, 2: 2}  # dated rows kept: 0, 6 (rank 0); 1 (rank 1); 2, 5 (rank 2)
    assert (as_date(spans.first[0]), as_date(spans.last[0])) == (dt.date(2020, 1, 1), dt.date(2020, 8, 28))
    docs, words = counting.period_cells(mask & counting.dated, np.arange(8) % 2, np.zeros(8, dtype=np.int64),
                                        n_periods=2, n_groups=1)
    assert docs.tolist() == [3, 2] and words.tolist() == [0 + 20 + 60, 0 + 50]


def test_periods_are_pandas_ordinals():
    import pandas as pd

    counting = Counting.load(_db(_docs(8), []), DOC_COLUMNS, N_KEYS)
    for freq in ("D", "W-SUN", "M", "Q-DEC", "Y-DEC"):
        got = counting.periods(freq)
        for row in np.flatnonzero(counting.dated):
            assert got[row] == pd.Period(as_date(counting.day[row]), freq).ordinal
        assert (got[~counting.dated] == 0).all()


@settings(max_examples=60, deadline=None)
@given(pairs=PAIRS, chosen=st.lists(st.booleans(), min_size=8, max_size=8), limit=st.integers(0, 40))
def test_the_rows_that_can_hold_the_first_passages_by_date(pairs, chosen, limit):
    counting = Counting.load(_db(_docs(8), pairs), DOC_COLUMNS, N_KEYS)
    mask = np.array(chosen)
    rows, weights = counting.mentions_per_row([0, 3], mask)
    kept = [(r, n) for r, k, n in pairs if chosen[r] and k in (0, 3)]
    assert rows.tolist() == sorted({r for r, _ in kept})
    assert weights.tolist() == [sum(n for r, n in kept if r == row) for row in rows]
    first = counting.first_by_date(rows, weights, limit)
    # Every document holding one of the first `limit` items by date (undated last, any order among a date's
    # documents) is among them, and none dated after the last such document's date.
    date = {int(r): (int(counting.day[r]) if counting.dated[r] else 1 << 40) for r in rows}
    items = sorted((date[int(r)], int(r)) for r, w in zip(rows, weights, strict=True) for _ in range(w))
    needed = {r for _, r in items[:limit]}
    assert needed <= set(first.tolist())
    if int(weights.sum()) > limit:
        boundary = items[max(limit - 1, 0)][0]  # the date of the last item needed
        assert set(first.tolist()) == {r for r in rows.tolist() if date[r] <= boundary}
    else:
        assert first.tolist() == rows.tolist()


@settings(max_examples=60, deadline=None)
@given(pairs=PAIRS, rows=st.lists(st.integers(-2, 9), max_size=8), lo=st.integers(0, N_KEYS), span=st.integers(0, 3))
def test_the_keys_of_a_few_rows(pairs, rows, lo, span):
    # Pairs in any order (the table's scan order is not trusted): by key, then row, as the brute force lists them.
    counting = Counting.load(_db(_docs(8), list(reversed(pairs))), DOC_COLUMNS, N_KEYS)
    hi = min(N_KEYS, lo + span)
    found_rows, found_keys = counting.keys_of(np.array(rows, dtype=np.int64), lo, hi)
    want = sorted((k, r) for r, k, _ in pairs if r in rows and lo <= k < hi)
    assert list(zip(found_keys.tolist(), found_rows.tolist(), strict=True)) == want
