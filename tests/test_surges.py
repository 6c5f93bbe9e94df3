"""Tests for analysis.surges: Wilson intervals, the burst automaton, change points, the surges table and the
distinctive words and passages of a surge."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
import ruptures
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from analysis.surges import (
    DISTINCTIVE_COLUMNS,
    SURGE_COLUMNS,
    SURGE_HELP,
    TermCounts,
    add_share_interval,
    burst_states,
    change_points,
    distinctive_words,
    document_scores,
    representative_passages,
    surges,
    term_counts,
    wilson_interval,
)
from analysis.timeline import TIMELINE_COLUMNS, concordance, timeline


def _timeline(series: dict[str, tuple[list[int], list[int]]], start: int = 2000) -> pd.DataFrame:
    """A yearly timeline-shaped table: key -> (documents mentioning, documents per year)."""
    frames = []
    for key, (mentioning, totals) in series.items():
        periods = pd.period_range(str(start), periods=len(totals), freq="Y")
        frames.append(
            pd.DataFrame(
                {
                    "period": periods.start_time,
                    "period_end": periods.end_time.normalize(),
                    "period_label": [str(p.year) for p in periods],
                    "key": key,
                    "documents_mentioning": np.asarray(mentioning, dtype=np.int64),
                    "documents_total": np.asarray(totals, dtype=np.int64),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(["period", "key"], ignore_index=True)
    out.attrs["kind"] = "theme"
    return out


def _planted(n: int, first: int, length: int, *, base: int = 5, high: int = 30, total: int = 100):
    mentioning = [base] * n
    for t in range(first, first + length):
        mentioning[t] = high
    return mentioning, [total] * n


# ------------------------------------------------------------------------------------------- Wilson


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine
# 17:857-872, Table II, method 3 (score interval without continuity correction).
@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_newcombe(successes, trials, low, high):
    (got_low,), (got_high,) = wilson_interval([successes], [trials])
    assert round(got_low, 4) == low
    assert round(got_high, 4) == high


def test_wilson_interval_is_symmetric_and_widens_with_confidence():
    low, high = wilson_interval([3, 7], [10, 10])
    assert low[0] == pytest.approx(1 - high[1]) and high[0] == pytest.approx(1 - low[1])
    wide_low, wide_high = wilson_interval([3], [10], confidence=0.99)
    assert wide_low[0] < low[0] and wide_high[0] > high[0]
    all_low, all_high = wilson_interval([10], [10])
    assert all_high[0] == 1.0 and all_low[0] < 1.0


def test_wilson_interval_without_trials_is_nan():
    low, high = wilson_interval([0, 2], [0, 4])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 < low[1] < 0.5 < high[1] < 1


@pytest.mark.parametrize(
    ("successes", "trials", "confidence", "error", "message"),
    [
        ([5], [4], 0.95, ValueError, r"'successes' must be between 0 and 'trials'"),
        ([-1], [4], 0.95, ValueError, r"'successes' must be between 0 and 'trials'"),
        ([1], [4], 1.0, ValueError, r"'confidence' parameter must be in \(0, 1\); got 1.0"),
        ([1], [4], "high", TypeError, r"'confidence' parameter must be a number; got str"),
    ],
)
def test_wilson_interval_refuses_bad_values(successes, trials, confidence, error, message):
    with pytest.raises(error, match=message):
        wilson_interval(successes, trials, confidence=confidence)


def test_add_share_interval_on_a_real_timeline():
    texts = ["multipolar world", "nothing here", "a multipolar order", "more", "still nothing"]
    documents = pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(5)],
            "source": ["a.txt"] * 5,
            "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", "2024-03-09", "2024-03-30"]),
            "date_precision": ["day"] * 5,
            "date_method": ["text"] * 5,
            "language": ["en"] * 5,
            "text": texts,
            "n_words": [len(t.split()) for t in texts],
            "duplicate_of": [None] * 5,
        }
    )
    mentions = pd.DataFrame(
        {"doc_id": ["d0", "d2"], "kind": ["theme", "theme"], "key": ["multipolarity"] * 2,
         "surface": ["multipolar"] * 2, "start": [0, 2], "end": [10, 12]}
    )  # fmt: skip
    table = timeline(documents, mentions, kind="theme", granularity="month")
    before = table.copy()
    out = add_share_interval(table)
    pd.testing.assert_frame_equal(table, before)
    columns = list(out.columns)
    assert columns[columns.index("share_pct") + 1 : columns.index("share_pct") + 3] == ["share_low", "share_high"]
    assert set(TIMELINE_COLUMNS) <= set(columns)
    assert out.attrs["kind"] == "theme"
    by_month = out.set_index("period_label")
    # January: 1 of 2; February: no documents (no share, no interval); March: 1 of 3.
    assert np.isnan(by_month.loc["February 2024", "share_low"])
    for month, (x, n) in {"January 2024": (1, 2), "March 2024": (1, 3)}.items():
        (low,), (high,) = wilson_interval([x], [n])
        assert by_month.loc[month, "share_low"] == pytest.approx(low * 100)
        assert by_month.loc[month, "share_high"] == pytest.approx(high * 100)
        assert by_month.loc[month, "share_low"] < by_month.loc[month, "share_pct"] < by_month.loc[month, "share_high"]


def test_add_share_interval_needs_a_timeline():
    with pytest.raises(ValueError, match=r"lacks the columns \['period_end'"):
        add_share_interval(pd.DataFrame({"period": [], "documents_total": []}))


# ------------------------------------------------------------------------------------------- bursts
@pytest.mark.parametrize(("n", "first", "length"), [(30, 10, 5), (30, 0, 3), (30, 26, 4), (12, 5, 1)])
def test_burst_states_find_a_planted_burst(n, first, length):
    mentioning, totals = _planted(n, first, length)
    states = burst_states(mentioning, totals)
    expected = np.zeros(n, dtype=np.int8)
    expected[first : first + length] = 1
    np.testing.assert_array_equal(states, expected)


def test_burst_states_a_higher_s_or_gamma_finds_less():
    mentioning, totals = _planted(30, 10, 5, base=5, high=12)
    assert burst_states(mentioning, totals, s=2.0).sum() == 5
    assert burst_states(mentioning, totals, s=6.0).sum() == 0
    assert burst_states(mentioning, totals, gamma=40.0).sum() == 0


def test_burst_states_skip_periods_without_documents():
    mentioning, totals = _planted(20, 8, 4)
    mentioning[10], totals[10] = 0, 0  # a gap inside the burst neither breaks nor ends it
    np.testing.assert_array_equal(np.flatnonzero(burst_states(mentioning, totals)), [8, 9, 10, 11])


@pytest.mark.parametrize(("mentioning", "totals"), [([0, 0, 0], [4, 5, 6]), ([4, 5, 6], [4, 5, 6]), ([], [])])
def test_burst_states_nothing_to_find(mentioning, totals):
    assert burst_states(mentioning, totals).tolist() == [0] * len(totals)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"s": 1.0}, ValueError, r"The 's' parameter must be > 1.0; got 1.0"),
        ({"gamma": 0}, ValueError, r"The 'gamma' parameter must be > 0.0; got 0"),
        ({"mentioning": [1, 2], "totals": [3]}, ValueError, r"same length; got 2 and 1"),
        ({"mentioning": [4], "totals": [3]}, ValueError, r"'mentioning' count must be at most its 'totals'"),
        ({"mentioning": [1.5], "totals": [3]}, ValueError, r"'mentioning' argument must hold non-negative whole"),
    ],
)
def test_burst_states_refuse_bad_values(kwargs, error, message):
    arguments = {"mentioning": [1, 2], "totals": [3, 3], **kwargs}
    with pytest.raises(error, match=message):
        burst_states(**arguments)


def _path_cost(states, r, d, s, gamma) -> float:
    """The automaton's cost of one state sequence, written out term by term (for the brute force)."""
    p0 = sum(r) / sum(d)
    rates = (p0, min(s * p0, 1 - 1e-9))
    cost, previous = 0.0, 0
    for state, hits, total in zip(states, r, d, strict=True):
        if state > previous:
            cost += gamma * math.log(max(len(r), 2))
        p = rates[state]
        cost -= (hits * math.log(p) if hits else 0.0) + ((total - hits) * math.log1p(-p) if total - hits else 0.0)
        previous = state
    return cost


_series = st.integers(min_value=1, max_value=8).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 40), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=1000)
@given(_series, st.floats(1.1, 5.0), st.floats(0.1, 3.0))
def test_burst_states_are_the_cheapest_path(series, s, gamma):
    totals, fractions = series
    mentioning = [round(t * f) for t, f in zip(totals, fractions, strict=True)]
    states = burst_states(mentioning, totals, s=s, gamma=gamma)
    assert states.shape == (len(totals),) and set(states.tolist()) <= {0, 1}
    if sum(mentioning) == 0 or sum(mentioning) == sum(totals):
        assert states.sum() == 0
        return
    best = min(_path_cost(p, mentioning, totals, s, gamma) for p in itertools.product((0, 1), repeat=len(totals)))
    assert _path_cost(states.tolist(), mentioning, totals, s, gamma) == pytest.approx(best, rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=1000)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=40), st.integers(0, 4), st.integers(5, 10))
def test_burst_states_a_constant_share_has_no_burst(multiples, hits, per):
    # Every period mentions at exactly the overall rate: the base state explains each period best.
    assert burst_states([m * hits for m in multiples], [m * per for m in multiples]).sum() == 0


# ------------------------------------------------------------------------------------- change points
@pytest.mark.parametrize("steps", [(15,), (10, 25), (8, 16, 24)])
def test_change_points_find_planted_steps(steps):
    rng = np.random.default_rng(7)
    shares = rng.normal(5.0, 0.3, size=32)
    for i, step in enumerate(steps):
        shares[step:] += 4.0 * (1 if i % 2 == 0 else -1)
    assert change_points(shares) == list(steps)


def test_change_points_of_noise_and_flat_series():
    rng = np.random.default_rng(3)
    assert change_points(rng.normal(5.0, 1.0, size=40)) == []
    assert change_points(np.full(20, 2.5)) == []
    assert change_points([1.0, 9.0]) == []  # too short for two segments of min_size 2


def test_change_points_skip_missing_periods():
    shares = np.array([1.0, 1.1, np.nan, 0.9, 1.0, 1.05, 6.0, np.nan, 6.1, 5.9, 6.05, 6.0])
    assert change_points(shares) == [6]
    assert change_points(shares, penalty=1e6) == []


@pytest.mark.parametrize("seed", range(5))
def test_change_points_agree_with_ruptures_pelt_l2(seed):
    rng = np.random.default_rng(seed)
    shares = rng.normal(0, 1, size=30) + np.repeat(rng.normal(0, 3, size=3), 10)
    expected = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(shares.reshape(-1, 1)).predict(pen=4.0)[:-1]
    assert change_points(shares, penalty=4.0) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"penalty": -1.0}, r"'penalty' parameter must be > 0.0; got -1.0"),
     ({"min_size": 0}, r"'min_size' parameter must be an integer >= 1; got 0")],
)  # fmt: skip
def test_change_points_refuse_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        change_points([1.0, 2.0, 3.0, 4.0], **kwargs)


# -------------------------------------------------------------------------------------- surges table
def test_surges_report_a_planted_burst():
    table = _timeline({"multipolarity": _planted(30, 10, 5), "ngos": ([5] * 30, [100] * 30)})
    out = surges(table, methods="burst")
    assert list(out.columns) == list(SURGE_COLUMNS)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["key"], row["kind"], row["method"]) == ("multipolarity", "theme", "burst")
    assert row["start"] == pd.Timestamp("2010-01-01") and row["end"] == pd.Timestamp("2014-12-31")
    assert row["periods"] == 5 and row["documents"] == 150 and row["documents_total"] == 500
    assert row["documents_before"] == 25 and row["documents_total_before"] == 500  # 5 baseline years
    assert row["share_during"] == pytest.approx(30.0) and row["share_before"] == pytest.approx(5.0)
    assert row["lift"] == pytest.approx(6.0)
    assert row["share_during_low"] > row["share_before_high"]
    assert row["strength"] > 100 and bool(row["significant"])


def test_surges_peak_is_the_highest_period():
    mentioning, totals = _planted(20, 6, 4)
    mentioning[8] = 45
    row = surges(_timeline({"k": (mentioning, totals)}), methods="burst").iloc[0]
    assert row["peak"] == pd.Timestamp("2008-01-01") and row["peak_label"] == "2008"


def test_surges_report_a_level_shift_as_a_change_point():
    mentioning = [4, 5, 6, 5, 4, 5, 6, 5, 20, 21, 19, 20, 22, 20, 19, 21]
    out = surges(_timeline({"k": (mentioning, [100] * 16)}), methods="change_point")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["method"] == "change_point"
    assert row["start"] == pd.Timestamp("2008-01-01") and row["end"] == pd.Timestamp("2015-12-31")
    assert (row["documents_before"], row["documents_total_before"]) == (40, 800)  # the whole previous segment


def test_surges_a_fall_is_not_a_surge():
    mentioning = [20, 21, 19, 20, 22, 20, 19, 21, 4, 5, 6, 5, 4, 5, 6, 5]
    assert surges(_timeline({"k": (mentioning, [100] * 16)}), methods="change_point").empty


def test_surges_a_sparse_series_yields_no_surge():
    # Two or three documents a year, and a "peak" of 3 out of 3 twice: it looks like 100 %, it is six
    # documents. The automaton flags it; the intervals before and during overlap, so it is not reported.
    mentioning = [0, 0, 0, 1, 0, 0, 3, 3, 0, 0, 0, 1]
    totals = [2, 3, 2, 3, 2, 3, 3, 3, 3, 2, 3, 2]
    table = _timeline({"k": (mentioning, totals)})
    assert surges(table).empty
    candidates = surges(table, significant_only=False)
    assert len(candidates) == 1 and not candidates["significant"].any()
    row = candidates.iloc[0]
    assert row["share_during"] == 100.0 and row["documents"] == 6
    assert row["share_during_low"] <= row["share_before_high"]
    # Fewer documents than min_documents are never reported, whatever the intervals.
    assert surges(table, min_documents=7, adjust=False, confidence=0.5).empty


@pytest.mark.parametrize("seed", range(6))
def test_surges_pure_noise_yields_no_surge(seed):
    rng = np.random.default_rng(seed)
    totals = rng.integers(50, 300, size=40)
    mentioning = rng.binomial(totals, 0.05)
    assert surges(_timeline({"k": (mentioning.tolist(), totals.tolist())})).empty


def test_surges_sorted_by_strength_and_parameters_in_attrs():
    table = _timeline({"strong": _planted(30, 10, 5, high=40), "weak": _planted(30, 20, 5, high=20)})
    out = surges(table, methods="burst", min_documents=3)
    assert out["key"].tolist() == ["strong", "weak"]
    assert out["strength"].is_monotonic_decreasing
    assert out.attrs["s"] == 2.0 and out.attrs["min_documents"] == 3 and out.attrs["kind"] == "theme"
    assert "at least 3 documents" in out.attrs["help"]


def test_surges_help_states_the_rule():
    text = SURGE_HELP.format(min_documents=5, confidence=0.95, baseline=5)
    assert "at least 5 documents" in text and "Wilson intervals" in text and "do not overlap" in text


def test_surges_of_an_empty_timeline():
    out = surges(_timeline({"k": ([], [])}))
    assert out.empty and list(out.columns) == list(SURGE_COLUMNS)
    assert str(out["start"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": ("burst", "wavelet")}, r"'methods' must be among \['burst', 'change_point'\]; got 'wavelet'"),
        ({"baseline": 0}, r"'baseline' parameter must be an integer >= 1; got 0"),
        ({"min_documents": 0}, r"'min_documents' parameter must be an integer >= 1; got 0"),
    ],
)
def test_surges_refuse_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        surges(_timeline({"k": _planted(10, 3, 2)}), **kwargs)


def test_surges_refuse_a_timeline_split_by_source():
    table = _timeline({"k": _planted(10, 3, 2)})
    with pytest.raises(ValueError, match=r"several rows for one period and key \(a timeline split with 'by'\)"):
        surges(pd.concat([table, table]))


# ---------------------------------------------------------------------------------- distinctive words
def test_distinctive_words_against_hand_computed_log_odds():
    # Surge: document 0 (counts 3, 1); rest: documents 1 and 2 (1+0, 3+2). prior a0 = 10 spread by the
    # corpus shares 4/10 and 6/10: a = (4, 6).
    counts = sparse.csr_matrix(np.array([[3, 1], [1, 3], [0, 2]]))
    out = distinctive_words(counts, ["alpha", "beta"], np.array([True, False, False]), prior=10.0)
    assert list(out.columns) == list(DISTINCTIVE_COLUMNS)
    alpha = out.set_index("term").loc["alpha"]
    beta = out.set_index("term").loc["beta"]
    # alpha: log((3+4)/(4+10-3-4)) - log((1+4)/(6+10-1-4)) = log(11/5); variance 1/7 + 1/5.
    assert alpha["log_odds"] == pytest.approx(math.log(11 / 5))
    assert alpha["z"] == pytest.approx(math.log(11 / 5) / math.sqrt(1 / 7 + 1 / 5))
    # beta: log((1+6)/(4+10-1-6)) - log((5+6)/(6+10-5-6)) = -log(11/5); variance 1/7 + 1/11.
    assert beta["log_odds"] == pytest.approx(-math.log(11 / 5))
    assert beta["z"] == pytest.approx(-math.log(11 / 5) / math.sqrt(1 / 7 + 1 / 11))
    assert (alpha["side"], alpha["rank"], alpha["count_in"], alpha["count_out"]) == ("surge", 1, 3, 1)
    assert (beta["side"], beta["rank"], beta["count_in"], beta["count_out"]) == ("rest", 1, 1, 5)


def test_distinctive_words_against_a_reference_set():
    # Surge: document 0; reference: document 1 only (document 2 still counts in the corpus prior, a = (4, 6)).
    counts = np.array([[3, 1], [1, 3], [0, 2]])
    out = distinctive_words(counts, ["alpha", "beta"], np.array([True, False, False]),
                            reference=np.array([False, True, False]), prior=10.0).set_index("term")  # fmt: skip
    # alpha: log((3+4)/(4+10-3-4)) - log((1+4)/(4+10-1-4)) = log(9/5); variance 1/7 + 1/5.
    assert out.loc["alpha", "z"] == pytest.approx(math.log(9 / 5) / math.sqrt(1 / 7 + 1 / 5))
    # beta: log((1+6)/(4+10-1-6)) - log((3+6)/(4+10-3-6)) = -log(9/5); variance 1/7 + 1/9.
    assert out.loc["beta", "z"] == pytest.approx(-math.log(9 / 5) / math.sqrt(1 / 7 + 1 / 9))
    assert out.loc["beta", "count_out"] == 3
    with pytest.raises(ValueError, match=r"'reference' must be a boolean array .* none of those in 'mask'"):
        distinctive_words(counts, ["alpha", "beta"], np.array([True, False, False]), reference=np.array([True, True, False]))


def test_distinctive_words_rank_frequent_words_above_rare_ones():
    # "summit" appears 40 times in the surge and 10 in the rest; "zeugma" twice, only in the surge. Its
    # raw log-odds is higher, but so is its variance: the z-score puts "summit" first.
    surge = np.array([[40, 2, 100]])
    rest = np.array([[10, 0, 400]])
    counts = np.vstack([surge, rest])
    out = distinctive_words(counts, ["summit", "zeugma", "the"], np.array([True, False]), top=2)
    top = out[out["side"] == "surge"]
    assert top["term"].tolist() == ["summit", "zeugma"]
    assert top["log_odds"].iloc[1] > top["log_odds"].iloc[0]
    assert out[out["side"] == "rest"]["term"].tolist() == ["the"]


def test_distinctive_words_top_limits_each_side():
    rng = np.random.default_rng(0)
    counts = sparse.csr_matrix(rng.poisson(3, size=(20, 50)))
    mask = np.arange(20) < 5
    out = distinctive_words(counts, [f"w{i}" for i in range(50)], mask, top=4)
    assert out.groupby("side").size().to_dict() == {"rest": 4, "surge": 4}
    assert (out.loc[out["side"] == "surge", "z"] > 0).all() and (out.loc[out["side"] == "rest", "z"] < 0).all()
    assert out.loc[out["side"] == "surge", "z"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("mask", "terms", "message"),
    [
        ([True, True], ["a", "b"], r"must choose some documents and leave some out; got 2 of 2 chosen"),
        ([False, False], ["a", "b"], r"got 0 of 2 chosen"),
        ([1, 0], ["a", "b"], r"'mask' must be a boolean array with one value per document \(2\)"),
        ([True, False], ["a"], r"'terms' must name each of the 2 columns; got 1 terms"),
    ],
)
def test_distinctive_words_refuse_bad_masks(mask, terms, message):
    with pytest.raises(ValueError, match=message):
        distinctive_words(np.array([[1, 2], [3, 4]]), terms, np.array(mask))


# ------------------------------------------------------------------------------- counts and passages
def _documents():
    texts = [
        "The summit in Astana praised the multipolar order and the summit declaration.",
        "A multipolar world, said the minister at the press conference.",
        "Grain exports and wheat prices: the minister on wheat.",
        "The weather in Moscow is cold; the multipolar theme again, and multipolar still.",
    ]
    return pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "title": ["A", "B", "C", "D"],
            "source": ["s.txt"] * 4,
            "date": pd.to_datetime(["2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04"]),
            "date_precision": ["day"] * 4,
            "date_method": ["text"] * 4,
            "language": ["en"] * 4,
            "text": texts,
            "n_words": [len(t.split()) for t in texts],
            "duplicate_of": [None] * 4,
        }
    )


def test_term_counts_use_the_topic_models_tokens_and_stop_words():
    counts = term_counts(_documents())
    assert isinstance(counts, TermCounts)
    terms = counts.terms.tolist()
    assert "the" not in terms and "and" not in terms  # stop words
    assert "summit" in terms and "multipolar" in terms
    row = counts.matrix[0].toarray().ravel()
    assert row[terms.index("summit")] == 2
    assert counts.doc_ids.tolist() == ["a", "b", "c", "d"]
    assert counts.mask(["b", "d"]).tolist() == [False, True, False, True]


def test_term_counts_of_texts_without_terms():
    documents = _documents().assign(text=["2024", "", "12 34", "..."])
    counts = term_counts(documents)
    assert counts.matrix.shape == (4, 0) and len(counts.terms) == 0


def test_passages_come_from_the_best_scoring_documents():
    documents = _documents()
    counts = term_counts(documents)
    mask = counts.mask(["a"])
    words = distinctive_words(counts.matrix, counts.terms, mask, prior=10.0, top=3)
    assert words.iloc[0]["term"] == "summit"
    scores = document_scores(counts, words)
    assert scores.idxmax() == "a" and scores["c"] == 0.0
    found = [
        (doc_id, m.start(), m.end())
        for doc_id, text in zip(documents["doc_id"], documents["text"], strict=True)
        for m in re.finditer("multipolar", text)
    ]
    assert [doc_id for doc_id, _, _ in found] == ["a", "b", "d", "d"]
    mentions = pd.DataFrame(
        {
            "doc_id": [f[0] for f in found],
            "kind": ["theme"] * 4,
            "key": ["multipolarity"] * 4,
            "surface": ["multipolar"] * 4,
            "start": [f[1] for f in found],
            "end": [f[2] for f in found],
        }
    )
    lines = concordance(documents, mentions, kind="theme", key="multipolarity")
    # Score b and d by hand: d has two lines, and each document gives its first line before any repeat.
    picked = representative_passages(lines, pd.Series({"a": 0.1, "b": 0.5, "d": 0.9}), top=4)
    assert picked["doc_id"].tolist() == ["d", "b", "a", "d"]
    assert picked["score"].tolist() == [0.9, 0.5, 0.1, 0.9]
    assert picked["match"].tolist() == ["multipolar"] * 4
    assert picked["start"].iloc[0] < picked["start"].iloc[3]  # d's first line, then its second
    assert len(representative_passages(lines, scores, top=2)) == 2


def test_document_scores_refuse_an_unknown_side():
    counts = term_counts(_documents())
    with pytest.raises(ValueError, match=r"'side' parameter must be 'surge' or 'rest'; got 'left'"):
        document_scores(counts, pd.DataFrame(columns=list(DISTINCTIVE_COLUMNS)), side="left")


def test_term_counts_shape_is_checked():
    with pytest.raises(ValueError, match=r"one row per document and one column per term; got shape \(2, 2\)"):
        TermCounts(np.array(["a"], dtype=object), np.array(["x", "y"], dtype=object), sparse.csr_matrix((2, 2)))


def test_surges_dates_are_iso_days():
    out = surges(_timeline({"k": _planted(30, 10, 5)}), methods="burst")
    assert out["start"].dt.date.iloc[0] == dt.date(2010, 1, 1)


def test_term_counts_agree_with_countvectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.topics import STOP_WORDS, TOKEN_PATTERN

    rng = np.random.default_rng(5)
    words = ["Summit", "summit", "G20", "covid19", "2024", "snake_case", "Ёлка", "мир", "a", "the", "world", "x1y2"]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 30))) + " 12ab, multipolar." for _ in range(40)]
    documents = pd.DataFrame({"doc_id": [f"d{i}" for i in range(40)], "text": texts})
    counts = term_counts(documents, min_df=2, max_df=0.9)
    vectorizer = CountVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, min_df=2, max_df=0.9)
    expected = vectorizer.fit_transform(texts)
    names = vectorizer.get_feature_names_out()
    keep = [i for i, name in enumerate(names) if name not in STOP_WORDS]
    assert counts.terms.tolist() == names[keep].tolist()
    assert (counts.matrix != expected[:, keep]).nnz == 0
    limited = term_counts(documents, min_df=2, max_df=0.9, max_features=3)
    totals = np.asarray(expected[:, keep].sum(axis=0)).ravel()
    assert len(limited.terms) == 3 and set(limited.terms) <= set(names[keep])
    assert np.asarray(limited.matrix.sum(axis=0)).ravel().min() >= np.sort(totals)[-3]


@settings(max_examples=200, deadline=1000)
@given(st.integers(0, 5000), st.integers(0, 5000), st.floats(0.5, 0.9999))
def test_the_scalar_wilson_interval_used_by_the_table_is_the_same(a, b, confidence):
    from statistics import NormalDist

    from analysis.surges import _wilson_scalar

    x, n = min(a, b), max(a, b)
    low, high = _wilson_scalar(x, n, NormalDist().inv_cdf(0.5 + confidence / 2))
    (want_low,), (want_high,) = wilson_interval([x], [n], confidence=confidence)
    if n == 0:
        assert math.isnan(low) and math.isnan(high) and np.isnan(want_low)
    else:
        assert low == pytest.approx(want_low, abs=1e-12) and high == pytest.approx(want_high, abs=1e-12)


def test_known_corpus_totals_and_a_subset_of_scores_give_the_same_numbers():
    counts = term_counts(_documents())
    mask = counts.mask(["a", "b"])
    plain = distinctive_words(counts.matrix, counts.terms, mask, prior=10.0)
    cached = distinctive_words(counts.matrix, counts.terms, mask, prior=10.0, corpus=counts.totals)
    pd.testing.assert_frame_equal(plain, cached)
    with pytest.raises(ValueError, match=r"'corpus' totals must have one value per term"):
        distinctive_words(counts.matrix, counts.terms, mask, corpus=counts.totals[:-1])
    every = document_scores(counts, plain)
    some = document_scores(counts, plain, doc_ids=["d", "a", "unknown"])
    assert some.index.tolist() == ["a", "d"]  # in the counts' order; unknown ids are ignored
    pd.testing.assert_series_equal(some, every.loc[["a", "d"]])
    assert counts.mask("c").tolist() == [False, False, True, False]
    assert counts.lengths.tolist() == np.asarray(counts.matrix.sum(axis=1)).ravel().tolist()


def test_a_burst_at_the_very_start_has_no_before_and_is_not_reported():
    table = _timeline({"k": _planted(20, 0, 3)})
    assert surges(table, methods="burst").empty
    candidate = surges(table, methods="burst", significant_only=False).iloc[0]
    assert candidate["start"] == pd.Timestamp("2000-01-01") and candidate["documents_total_before"] == 0
    assert np.isnan(candidate["share_before"]) and np.isnan(candidate["lift"]) and not candidate["significant"]


def test_select_terms_of_clean_counts_chooses_the_same_terms():
    from analysis.surges import select_terms

    rng = np.random.default_rng(3)
    names = np.array(sorted(f"w{i:03d}" for i in range(60)), dtype=object)
    matrix = sparse.random(40, 60, density=0.3, random_state=rng, format="csr",
                           data_rvs=lambda n: rng.integers(1, 5, n)).astype(np.int32)
    ids = np.array([f"d{i}" for i in range(40)], dtype=object)
    for kwargs in ({}, {"max_features": 7}, {"min_df": 5, "max_df": 0.5}):
        fast = select_terms(ids, names, matrix, clean=True, **kwargs)
        slow = select_terms(ids, names, matrix, **kwargs)
        assert list(fast.terms) == list(slow.terms) and len(fast.terms) > 0
        assert (fast.matrix != slow.matrix).nnz == 0
        np.testing.assert_array_equal(fast.totals, slow.totals)
        np.testing.assert_array_equal(fast.lengths, slow.lengths)


@settings(max_examples=60, deadline=None)
@given(dense=st.lists(st.lists(st.integers(0, 4), min_size=5, max_size=5), min_size=1, max_size=12),
       chosen=st.lists(st.booleans(), min_size=12, max_size=12), step=st.sampled_from([1, 3, 7, 1 << 22]))
def test_column_sums_are_the_sparse_products(dense, chosen, step):
    """surges._column_sums, made a few entries at a time (any chunking), gives the products' numbers: the
    counts and the entries per column of all rows or of the chosen ones."""
    from unittest import mock

    from analysis import surges as sg

    matrix = sparse.csr_matrix(np.array(dense, dtype=np.int32))
    matrix.eliminate_zeros()
    rows = np.array(chosen[: matrix.shape[0]])
    with mock.patch.object(sg, "_SUM_STEP", step):
        assert sg._column_sums(matrix).tolist() == np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel().tolist()
        assert sg._column_sums(matrix, rows).tolist() == (matrix.T @ rows.astype(np.float64)).tolist()
        assert sg._column_sums(matrix, weighted=False).tolist() == np.bincount(matrix.indices, minlength=5).tolist()
        assert sg._column_sums(matrix).dtype == np.float64 and sg._column_sums(matrix, weighted=False).dtype == np.int64
