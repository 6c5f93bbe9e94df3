"""Surges of a theme or organisation over calendar periods: Wilson intervals, Kleinberg bursts, PELT change
points, and the words and passages that explain a surge ("Fightin' Words" log-odds).

Everything here is a pure function over the tables of :mod:`analysis.timeline` (DataFrames in and out), a
sparse document-term matrix, or plain arrays. Shares are percentages (0-100) as in ``share_pct``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "DISTINCTIVE_COLUMNS",
    "METHODS",
    "SURGE_COLUMNS",
    "SURGE_HELP",
    "TermCounts",
    "add_share_interval",
    "burst_states",
    "change_points",
    "distinctive_words",
    "document_scores",
    "representative_passages",
    "select_terms",
    "surges",
    "term_counts",
    "wilson_interval",
]

METHODS = ("burst", "change_point")
SURGE_COLUMNS = (
    "key",
    "kind",
    "method",
    "start",
    "end",
    "peak",
    "peak_label",
    "periods",
    "share_before",
    "share_before_low",
    "share_before_high",
    "share_during",
    "share_during_low",
    "share_during_high",
    "lift",
    "documents",
    "documents_total",
    "documents_before",
    "documents_total_before",
    "strength",
    "significant",
)
DISTINCTIVE_COLUMNS = ("term", "side", "rank", "z", "log_odds", "count_in", "count_out")
SURGE_HELP = (
    "A surge is a run of periods where the share of documents mentioning the key rises: a burst of "
    "Kleinberg's two-state automaton, or a segment of PELT change points whose share is above the segment "
    "before it. It is reported only when at least {min_documents} documents mention the key during it and "
    "the Wilson intervals of the share before and during it do not overlap (the lower bound during is "
    "above the upper bound before), so a peak of three documents is not shown as a surge. The intervals "
    "are at the {confidence:.0%} level divided among the periods searched (Bonferroni: 99.875 % for 40 "
    "periods), since the surge was picked as the best of many windows. 'Before' is the {baseline} periods before a burst, or the previous segment of a change point. "
    "Strength is the binomial log-likelihood ratio (G statistic) of during against before: above 3.84 "
    "means p < 0.05 for one test; sort by it."
)
_TIMELINE_NEEDED = ("period", "period_end", "period_label", "key", "documents_mentioning", "documents_total")


# ------------------------------------------------------------------------------------------- checking
def _check_positive(name: str, value, *, low: float = 0.0, inclusive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"The {name!r} parameter must be a number; got {type(value).__name__} instead.")
    if math.isnan(value) or (value < low if inclusive else value <= low):
        sign = ">=" if inclusive else ">"
        raise ValueError(f"The {name!r} parameter must be {sign} {low}; got {value!r} instead.")
    return float(value)


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"The {name!r} parameter must be an integer >= {low}; got {value!r} instead.")
    return int(value)


def _check_confidence(confidence) -> float:
    confidence = _check_positive("confidence", confidence)
    if confidence >= 1:
        raise ValueError(f"The 'confidence' parameter must be in (0, 1); got {confidence!r} instead.")
    return confidence


def _counts(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"The {name!r} argument must be one-dimensional; got shape {arr.shape} instead.")
    if np.isnan(arr).any() or (arr < 0).any() or (arr != np.round(arr)).any():
        raise ValueError(f"The {name!r} argument must hold non-negative whole counts; got {values!r} instead.")
    return arr


def _check_timeline(frame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"The 'timeline' argument must be a pandas DataFrame; got {type(frame).__name__} instead."
        )
    missing = [c for c in _TIMELINE_NEEDED if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The timeline table lacks the columns {missing}; pass the table of analysis.timeline.timeline."
        )
    return frame


# ------------------------------------------------------------------------------------------- intervals
def wilson_interval(successes, trials, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).

    Arguments:
        successes: counts of successes (documents mentioning), scalar or array.
        trials: counts of trials (documents in the period), same shape; 0 gives NaN bounds.
        confidence: the two-sided level, 0.95 for a 95 % interval.

    Returns:
        ``(low, high)`` arrays of fractions in [0, 1] (NaN where ``trials`` is 0).
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(x < 0) or np.any(x > n):
        raise ValueError(
            "The 'successes' must be between 0 and 'trials'; got successes "
            f"{successes!r} for trials {trials!r} instead."
        )
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denominator = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # At x == 0 (x == n) the bound is exactly 0 (1); rounding would otherwise leave a 1e-17.
    low = np.where(x == 0, np.where(n > 0, 0.0, np.nan), low)
    high = np.where((x == n) & (n > 0), 1.0, high)
    return low, high


def add_share_interval(timeline: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """A copy of a timeline table with the Wilson interval of ``share_pct`` in two new columns.

    Arguments:
        timeline: a table of :func:`analysis.timeline.timeline` (``documents_mentioning``,
            ``documents_total`` and ``share_pct`` are used).
        confidence: the interval's level (0.95 by default).

    Returns:
        A new DataFrame (the input is not modified, ``attrs`` kept) with ``share_low`` and ``share_high``
        (percent, 0-100, NaN for a period without documents) inserted right after ``share_pct``.
    """
    _check_timeline(timeline)
    low, high = wilson_interval(
        timeline["documents_mentioning"].to_numpy(np.float64),
        timeline["documents_total"].to_numpy(np.float64),
        confidence=confidence,
    )
    out = timeline.drop(columns=[c for c in ("share_low", "share_high") if c in timeline.columns])
    at = list(out.columns).index("share_pct") + 1 if "share_pct" in out.columns else len(out.columns)
    out.insert(at, "share_low", low * 100.0)
    out.insert(at + 1, "share_high", high * 100.0)
    out.attrs.update(timeline.attrs)
    out.attrs["confidence"] = confidence
    return out


# --------------------------------------------------------------------------------------------- bursts
def _binomial_costs(r: np.ndarray, d: np.ndarray, p: float) -> np.ndarray:
    """-log likelihood of r_t out of d_t at rate p, without the binomial coefficient (it is the same in
    both states, so it never changes the best path)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hits = np.where(r > 0, -r * np.log(p) if p > 0 else np.inf, 0.0)
        misses = np.where(d - r > 0, -(d - r) * np.log1p(-p) if p < 1 else np.inf, 0.0)
    return hits + misses


def burst_states(mentioning, totals, *, s: float = 2.0, gamma: float = 1.0) -> np.ndarray:
    """Kleinberg's two-state burst automaton on batched counts (Kleinberg 2002, "Bursty and hierarchical
    structure in streams", section 4), solved exactly by Viterbi.

    In period t, ``r_t`` of the ``d_t`` documents mention the key. The base state emits at the overall
    rate ``p0 = sum(r) / sum(d)``, the burst state at ``p1 = s * p0`` (capped just below 1). The cost of a
    state in a period is the binomial -log likelihood of ``r_t`` at its rate; moving up from base to burst
    costs ``gamma * ln(n)`` (n the number of periods), moving down is free; the automaton starts in the
    base state. A period without documents costs nothing in either state.

    Arguments:
        mentioning: r_t, documents mentioning the key per period (whole counts).
        totals: d_t, documents per period (whole counts, >= r_t).
        s: how many times the base rate the burst state's rate is (> 1). Larger: only stronger bursts.
        gamma: the price of entering a burst, in units of ln(n) (> 0). Larger: fewer, longer bursts.

    Returns:
        An int8 array of states (0 base, 1 burst), one per period. All zeros when no period mentions the
        key or every document does.
    """
    s = _check_positive("s", s, low=1.0)
    gamma = _check_positive("gamma", gamma)
    r, d = _counts("mentioning", mentioning), _counts("totals", totals)
    if len(r) != len(d):
        raise ValueError(
            f"The 'mentioning' and 'totals' arguments must have the same length; got {len(r)} and "
            f"{len(d)} instead."
        )
    if (r > d).any():
        raise ValueError("Each period's 'mentioning' count must be at most its 'totals' count.")
    n = len(r)
    states = np.zeros(n, dtype=np.int8)
    total_r, total_d = r.sum(), d.sum()
    if n == 0 or total_r == 0 or total_r == total_d:
        return states
    p0 = total_r / total_d
    p1 = min(s * p0, 1.0 - 1e-9)
    cost = np.vstack([_binomial_costs(r, d, p0), _binomial_costs(r, d, p1)])  # (2, n)
    up = gamma * math.log(max(n, 2))
    best = np.array([cost[0, 0], up + cost[1, 0]])
    back = np.zeros((n, 2), dtype=np.int8)
    for t in range(1, n):
        from_base = (best[0], best[0] + up)  # to state 0, to state 1
        from_burst = (best[1], best[1])
        new = np.empty(2)
        for j in (0, 1):
            # Ties go to the base state: no burst without evidence.
            back[t, j] = 1 if from_burst[j] < from_base[j] else 0
            new[j] = min(from_base[j], from_burst[j]) + cost[j, t]
        best = new
    states[-1] = 1 if best[1] < best[0] else 0
    for t in range(n - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return states


# --------------------------------------------------------------------------------------- change points
def change_points(shares, *, penalty: float | None = None, min_size: int = 2) -> list[int]:
    """Change points of a share series by PELT (Killick et al. 2012) with the least-squares cost (a change
    in mean), from the ``ruptures`` package.

    ``ruptures.KernelCPD(kernel="linear")`` is used: with a penalty it runs PELT in C on the linear
    kernel, whose cost is exactly the least-squares cost of ``ruptures.Pelt(model="l2")`` (the same
    breakpoints, tested), at a hundredth of the time.

    Arguments:
        shares: the share per period (percent or fraction); NaN (periods without documents) are skipped
            and do not count towards segment sizes.
        penalty: the cost of one more change point. None: ``3 * sigma**2 * ln(n)``, a BIC-like penalty with
            the noise variance ``sigma**2`` estimated robustly from the first differences
            (``MAD(diff) / (0.6745 * sqrt(2))``; the standard deviation of the values when that is 0).
        min_size: the fewest periods (with documents) a segment may have.

    Returns:
        The sorted positions (indices into ``shares``) where a new segment starts; [] when there is none.
    """
    import ruptures  # imported here: the rest of the package does not need it

    min_size = _check_int("min_size", min_size, 1)
    values = np.asarray(shares, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"The 'shares' argument must be one-dimensional; got shape {values.shape} instead.")
    positions = np.flatnonzero(~np.isnan(values))
    signal = values[positions]
    n = len(signal)
    if n < 2 * min_size:
        return []
    if penalty is None:
        diffs = np.diff(signal)
        sigma = np.median(np.abs(diffs - np.median(diffs))) / (0.6745 * math.sqrt(2))
        if sigma == 0:  # a flat series, or flat with a few jumps: use the spread of the values themselves
            sigma = np.std(signal)
        if sigma == 0:
            return []
        penalty = 3.0 * sigma * sigma * math.log(n)
    else:
        penalty = _check_positive("penalty", penalty)
    algo = ruptures.KernelCPD(kernel="linear", min_size=min_size).fit(signal.reshape(-1, 1))
    ends = algo.predict(pen=penalty)
    return [int(positions[e]) for e in ends[:-1]]


# -------------------------------------------------------------------------------------- surges table
def _g_statistic(r1: float, n1: float, r2: float, n2: float) -> float:
    """Binomial log-likelihood ratio (G) of two proportions differing against one common proportion."""

    def loglik(r: float, n: float, p: float) -> float:
        out = 0.0
        if r > 0:
            out += r * math.log(p)
        if n - r > 0:
            out += (n - r) * math.log1p(-p)
        return out

    if n1 == 0 or n2 == 0:
        return float("nan")
    pooled = (r1 + r2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 0.0
    return max(0.0, 2 * (loglik(r1, n1, r1 / n1) + loglik(r2, n2, r2 / n2)
                         - loglik(r1, n1, pooled) - loglik(r2, n2, pooled)))  # fmt: skip


def _runs(states: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of 1s."""
    edges = np.diff(np.concatenate([[0], states.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


@dataclass(frozen=True)
class _Series:
    """One key's periods in order, as arrays."""

    period: np.ndarray
    period_end: np.ndarray
    label: np.ndarray
    r: np.ndarray
    d: np.ndarray


def _wilson_scalar(x: float, n: float, z: float) -> tuple[float, float]:
    """wilson_interval for one count, without numpy's per-call overhead (the surges table calls it often)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0))
    low = 0.0 if x == 0 else min(max(centre - half, 0.0), 1.0)
    high = 1.0 if x == n else min(max(centre + half, 0.0), 1.0)
    return low, high


def _rows_for_key(
    series: _Series, key: str, kind, method: str, spans, *, min_documents: int, confidence: float
) -> list[dict]:
    """One row per candidate (first, last, before_first, before_last) span of one key's series."""
    r, d = series.r, series.d
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(d > 0, r / d, np.nan)
    rows = []
    for first, last, before_first, before_last in spans:
        r_in, d_in = r[first : last + 1].sum(), d[first : last + 1].sum()
        if before_last >= before_first:
            r_out, d_out = r[before_first : before_last + 1].sum(), d[before_first : before_last + 1].sum()
        else:
            r_out = d_out = 0.0
        low_in, high_in = _wilson_scalar(r_in, d_in, z)
        low_out, high_out = _wilson_scalar(r_out, d_out, z)
        during = r_in / d_in if d_in else float("nan")
        before = r_out / d_out if d_out else float("nan")
        if before == before and not during > before:  # not a rise; without a "before" it stays untested
            continue
        window = share[first : last + 1]
        peak = first + int(np.nanargmax(window)) if not np.isnan(window).all() else first
        significant = bool(r_in >= min_documents and d_out > 0 and low_in > high_out)
        rows.append(
            {
                "key": key,
                "kind": kind,
                "method": method,
                "start": series.period[first],
                "end": series.period_end[last],
                "peak": series.period[peak],
                "peak_label": str(series.label[peak]),
                "periods": last - first + 1,
                "share_before": before * 100.0,
                "share_before_low": low_out * 100.0,
                "share_before_high": high_out * 100.0,
                "share_during": during * 100.0,
                "share_during_low": low_in * 100.0,
                "share_during_high": high_in * 100.0,
                "lift": during / before if before > 0 else float("nan"),
                "documents": int(r_in),
                "documents_total": int(d_in),
                "documents_before": int(r_out),
                "documents_total_before": int(d_out),
                "strength": _g_statistic(r_in, d_in, r_out, d_out),
                "significant": significant,
            }
        )
    return rows


_SURGE_TYPES = {
    **{c: "float64" for c in SURGE_COLUMNS},
    **{c: "str" for c in ("key", "kind", "method", "peak_label")},
    **{c: "datetime64[ns]" for c in ("start", "end", "peak")},
    **{c: "int64" for c in ("periods", "documents", "documents_total", "documents_before",
                            "documents_total_before")},
    "significant": "bool",
}  # fmt: skip


def _surge_frame(rows: list[dict]) -> pd.DataFrame:
    """The surges table from its rows, each column built once with its type."""
    data = {}
    for column, dtype in _SURGE_TYPES.items():
        values = [row[column] for row in rows]
        if dtype == "str":
            data[column] = pd.array(values, dtype="str") if column != "kind" else pd.array(values, dtype=object)
        elif dtype.startswith("datetime"):
            data[column] = pd.to_datetime(pd.Series(values, dtype="datetime64[ns]"))
        else:
            data[column] = np.array(values, dtype=dtype)
    return pd.DataFrame(data)


def surges(
    timeline: pd.DataFrame,
    *,
    methods=METHODS,
    s: float = 2.0,
    gamma: float = 1.0,
    penalty: float | None = None,
    min_size: int = 2,
    baseline: int = 5,
    min_documents: int = 5,
    confidence: float = 0.95,
    adjust: bool = True,
    significant_only: bool = True,
) -> pd.DataFrame:
    """The surges of every key of a timeline table, tested against the periods before them.

    A candidate surge is a run of periods in the burst state of :func:`burst_states` (method ``burst``;
    compared with the ``baseline`` periods before it) or a segment between :func:`change_points` whose
    share is above the previous segment's (method ``change_point``; compared with that previous segment).
    It is **reported only when its documents are enough to tell it from noise**: at least
    ``min_documents`` documents mention the key during it, the comparison window has documents, and the
    Wilson intervals of the share before and during do not overlap. With ``adjust`` the intervals are at
    the level ``1 - (1 - confidence) / n`` (n: the key's periods with documents), a Bonferroni correction
    for having picked the window among about n: on 200 series of 40 periods of pure binomial noise this
    leaves 1 false surge, against 25 at a plain 95 %. ``SURGE_HELP`` says so in words for the dashboard.

    Arguments:
        timeline: a table of :func:`analysis.timeline.timeline` without ``by`` (one row per period and key,
            every period from the first to the last; ``attrs["kind"]`` names the kind of key).
        methods: which of ``METHODS`` to run.
        s, gamma: the burst automaton's parameters (see :func:`burst_states`).
        penalty, min_size: the change-point parameters (see :func:`change_points`).
        baseline: how many periods before a burst make its "before" (>= 1).
        min_documents: the fewest mentioning documents a reported surge holds.
        confidence: the level of the Wilson intervals (before the correction).
        adjust: apply the Bonferroni correction above (True by default).
        significant_only: False to return every candidate, with ``significant`` telling which pass.

    Returns:
        One row per surge, sorted by ``strength`` descending, with the columns of ``SURGE_COLUMNS``:
        ``key``; ``kind`` (theme/organisation/cluster, from ``attrs["kind"]``, else None); ``method``
        (``burst`` or ``change_point``); ``start`` (first day of the first period), ``end`` (last day of
        the last period), ``peak`` (start of the period with the highest share) and ``peak_label``;
        ``periods``; ``share_before``, ``share_during`` (pooled shares in percent) with their Wilson bounds
        ``*_low``/``*_high`` at the level of the test; ``lift`` (during / before; NaN when before is 0); ``documents`` and
        ``documents_total`` (mentioning / all documents during), ``documents_before`` and
        ``documents_total_before`` (the same before); ``strength`` (G statistic of during against
        before); ``significant``. The parameters are in ``attrs``.
    """
    _check_timeline(timeline)
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"The 'methods' must be among {list(METHODS)}; got {method!r} instead.")
    baseline = _check_int("baseline", baseline, 1)
    min_documents = _check_int("min_documents", min_documents, 1)
    confidence = _check_confidence(confidence)
    if timeline.duplicated(["period", "key"]).any():
        raise ValueError(
            "The timeline table has several rows for one period and key (a timeline split with 'by'); "
            "pass a timeline without 'by', or one group's rows at a time."
        )
    kind = timeline.attrs.get("kind")
    rows: list[dict] = []
    # Plain arrays sorted by key then period: a groupby would copy the frame (and its attrs) per key.
    codes, key_names = pd.factorize(timeline["key"].astype(str), sort=True)
    period = timeline["period"].to_numpy("datetime64[ns]")
    order = np.lexsort((period.view(np.int64), codes))
    codes, period = codes[order], period[order]
    period_end = timeline["period_end"].to_numpy("datetime64[ns]")[order]
    label = timeline["period_label"].astype(str).to_numpy(object)[order]
    mentioning = timeline["documents_mentioning"].to_numpy(np.float64)[order]
    totals = timeline["documents_total"].to_numpy(np.float64)[order]
    bounds_of_key = np.searchsorted(codes, np.arange(len(key_names) + 1))
    for code, key in enumerate(key_names):
        lo, hi = bounds_of_key[code], bounds_of_key[code + 1]
        series = _Series(period[lo:hi], period_end[lo:hi], label[lo:hi], mentioning[lo:hi], totals[lo:hi])
        r, d = series.r, series.d
        level = 1 - (1 - confidence) / max(int((d > 0).sum()), 1) if adjust else confidence
        if "burst" in methods:
            spans = [
                (first, last, max(0, first - baseline), first - 1)
                for first, last in _runs(burst_states(r, d, s=s, gamma=gamma))
            ]
            rows += _rows_for_key(series, str(key), kind, "burst", spans,
                                  min_documents=min_documents, confidence=level)  # fmt: skip
        if "change_point" in methods:
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(d > 0, r / d, np.nan)
            bounds = [0, *change_points(share, penalty=penalty, min_size=min_size), len(r)]
            spans = [
                (bounds[i], bounds[i + 1] - 1, bounds[i - 1], bounds[i] - 1) for i in range(1, len(bounds) - 1)
            ]
            rows += _rows_for_key(series, str(key), kind, "change_point", spans,
                                  min_documents=min_documents, confidence=level)  # fmt: skip
    if significant_only:
        rows = [row for row in rows if row["significant"]]
    rows.sort(key=lambda row: (-row["strength"] if row["strength"] == row["strength"] else math.inf,
                               row["key"], row["start"]))  # fmt: skip
    out = _surge_frame(rows)
    out.attrs.update(
        {"kind": kind, "granularity": timeline.attrs.get("granularity"), "methods": list(methods), "s": s,
         "gamma": gamma, "penalty": penalty, "min_size": min_size, "baseline": baseline,
         "min_documents": min_documents, "confidence": confidence, "adjust": adjust,
         "help": SURGE_HELP.format(min_documents=min_documents, confidence=confidence, baseline=baseline)}
    )  # fmt: skip
    return out


# ---------------------------------------------------------------------------------- distinctive words
@dataclass(frozen=True)
class TermCounts:
    """A document-term count matrix: row i is the document ``doc_ids[i]``, column j the term ``terms[j]``."""

    doc_ids: np.ndarray
    terms: np.ndarray
    matrix: sparse.csr_matrix

    def __post_init__(self) -> None:
        if self.matrix.shape != (len(self.doc_ids), len(self.terms)):
            raise ValueError(
                f"The count matrix must have one row per document and one column per term; got shape "
                f"{self.matrix.shape} for {len(self.doc_ids)} documents and {len(self.terms)} terms."
            )

    # Made on first use and kept (a frozen dataclass without slots: functools.cached_property writes the
    # instance's __dict__): a surge's counts are asked about once or twice, and a dict of their tens of
    # thousands of terms cost more than the rest of the question.
    @cached_property
    def _row(self) -> dict[str, int]:
        return {str(d): i for i, d in enumerate(self.doc_ids)}

    @cached_property
    def _column(self) -> dict[str, int]:
        return {str(t): j for j, t in enumerate(self.terms)}

    def mask(self, doc_ids) -> np.ndarray:
        """Boolean mask over the rows: which are among ``doc_ids`` (ids not in the counts are ignored)."""
        out = np.zeros(len(self.doc_ids), dtype=bool)
        if isinstance(doc_ids, str):
            doc_ids = (doc_ids,)
        rows = [self._row[d] for d in map(str, doc_ids) if d in self._row]
        out[rows] = True
        return out

    @cached_property
    def lengths(self) -> np.ndarray:
        """The number of counted words of each document (float)."""
        return np.asarray(self.matrix.sum(axis=1), dtype=np.float64).ravel()

    @cached_property
    def totals(self) -> np.ndarray:
        """The count of each term over all the documents (float): the ``corpus`` of distinctive_words."""
        if np.issubdtype(self.matrix.dtype, np.integer):
            return _column_sums(sparse.csr_matrix(self.matrix))
        return np.asarray(self.matrix.sum(axis=0), dtype=np.float64).ravel()


def term_counts(
    documents: pd.DataFrame, *, min_df: int = 2, max_df: float = 0.95, max_features: int = 50_000
) -> TermCounts:
    """Word counts of every document, counted once per build (the dashboard caches the result).

    The tokens and stop words are the topic model's (:data:`analysis.topics.TOKEN_PATTERN`,
    :data:`analysis.topics.STOP_WORDS`), so the words shown agree with the cluster labels. The counts are
    those of ``CountVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, min_df=..., max_df=...)`` (tested),
    found by the topic model's own :func:`analysis.topics.count_terms` (one ``re.findall`` and a ``Counter``
    per text, which does the per-token work in C).

    Arguments:
        documents: the documents table (``doc_id``, ``text``).
        min_df: a term must occur in at least this many documents (1 for a corpus under 20 documents).
        max_df: terms in more than this fraction of the documents are dropped (1.0 under 20 documents).
        max_features: the most frequent terms kept (ties: alphabetical order).

    Returns:
        A ``TermCounts`` (int32 counts, terms in alphabetical order; no terms when the texts hold none).
    """
    from analysis.topics import count_terms

    if not isinstance(documents, pd.DataFrame) or not {"doc_id", "text"} <= set(documents.columns):
        raise ValueError("The 'documents' argument must be the documents table with 'doc_id' and 'text'.")
    min_df = _check_int("min_df", min_df, 1)
    max_features = _check_int("max_features", max_features, 1)
    doc_ids = documents["doc_id"].astype(str).to_numpy(dtype=object)
    texts = [t if isinstance(t, str) else "" for t in documents["text"].tolist()]
    batch = count_terms(texts)  # the topic model's tokenising pass
    matrix = sparse.csr_matrix((np.rint(batch.values).astype(np.int32), batch.indices, batch.indptr),
                               shape=(len(texts), len(batch.terms)))
    return select_terms(doc_ids, np.array(batch.terms, dtype=object), matrix, min_df=min_df, max_df=max_df,
                        max_features=max_features)


_SUM_STEP = 1 << 22  # entries summed at a time by _column_sums


def _entries(matrix: sparse.csr_matrix, rows: np.ndarray | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(columns, counts) of the stored entries of the rows chosen by the boolean ``rows`` (None: all), about
    _SUM_STEP entries at a time: only the chosen rows' entries are read, so a short surge costs little in a
    million-post store."""
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    chosen = np.arange(matrix.shape[0]) if rows is None else np.flatnonzero(rows)
    if not len(chosen):
        return
    starts = indptr[chosen].astype(np.int64)
    lengths = indptr[chosen + 1].astype(np.int64) - starts
    before = np.concatenate([[0], np.cumsum(lengths)])  # entries of the chosen rows before each one
    cuts = np.unique(np.concatenate([[0], np.searchsorted(before, np.arange(_SUM_STEP, before[-1], _SUM_STEP)),
                                     [len(chosen)]]))
    for first, last in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        total = int(before[last] - before[first])
        if total == 0:
            continue
        if rows is None or (starts[last - 1] + lengths[last - 1] - starts[first]) == total:  # one run of entries
            a = int(starts[first])
            yield indices[a : a + total], data[a : a + total]
            continue
        at = np.repeat(starts[first:last] - (before[first:last] - before[first]), lengths[first:last])
        at += np.arange(total)
        yield indices[at], data[at]


def _column_sums(matrix: sparse.csr_matrix, rows: np.ndarray | None = None, *, weighted: bool = True) -> np.ndarray:
    """Per column of an integer count matrix, over the rows chosen by the boolean ``rows`` (None: all): the sum
    of the counts (float64, ``weighted``) or the number of stored entries (int64). The same numbers as the
    sparse products (sums of whole numbers, exact in float64 in any order), made _SUM_STEP entries at a time:
    a product first copies every count as a float (hundreds of megabytes for a long surge of a million-post
    build, fresh memory paged in on every call)."""
    n_cols = matrix.shape[1]
    out = np.zeros(n_cols, dtype=np.float64 if weighted else np.int64)
    for columns, counts in _entries(matrix, rows):
        out += np.bincount(columns, weights=counts if weighted else None, minlength=n_cols)
    return out


def _column_totals(matrix: sparse.csr_matrix, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(entries per column (int64), counts per column (float64)) over the chosen rows, in one pass (see
    :func:`_column_sums`)."""
    n_cols = matrix.shape[1]
    entries, sums = np.zeros(n_cols, dtype=np.int64), np.zeros(n_cols, dtype=np.float64)
    for columns, counts in _entries(matrix, rows):
        entries += np.bincount(columns, minlength=n_cols)
        sums += np.bincount(columns, weights=counts, minlength=n_cols)
    return entries, sums


def _kept_terms(names: np.ndarray, frequency_in_documents: np.ndarray, n_docs: int,
                frequency: Callable[[], np.ndarray], *, min_df: int, max_df: float, max_features: int,
                clean: bool) -> np.ndarray:
    """The columns :func:`select_terms` keeps, in the order of its terms: from each column's documents
    (``frequency_in_documents``) among ``n_docs``, and, asked only when more than ``max_features`` are left,
    each column's count (``frequency()``)."""
    from analysis.topics import stop_words

    if n_docs < 20:
        min_df, max_df = 1, 1.0
    keep = np.flatnonzero((frequency_in_documents >= min_df) & (frequency_in_documents <= max_df * n_docs))
    if not clean:
        # Stop words looked up among the terms the frequencies kept only (a window's few thousand, not the
        # build's whole vocabulary).
        stop = stop_words()
        keep = keep[np.fromiter((name not in stop for name in names[keep]), dtype=bool, count=len(keep))]
        keep = keep[np.argsort(names[keep].astype(str), kind="stable")]
    if len(keep) > max_features:
        # Each term's count over these rows (exact integers in float64, whatever the order of the sums).
        counted = frequency()[keep]
        keep = np.sort(keep[np.argsort(-counted, kind="stable")[:max_features]])
        if not clean:
            keep = keep[np.argsort(names[keep].astype(str), kind="stable")]
    return keep


def select_terms(doc_ids, names, matrix: sparse.csr_matrix, *, min_df: int = 2, max_df: float = 0.95,
                 max_features: int = 50_000, clean: bool = False) -> TermCounts:
    """The ``TermCounts`` of :func:`term_counts` made from raw counts (:func:`analysis.topics.count_terms`'s,
    or the rows of a build's stored counts, ``analysis.term_store``): the terms in at least ``min_df`` and at most ``max_df``
    of these documents (all of them under 20 documents), without stop words, the ``max_features`` most
    frequent, in alphabetical order. Which terms are kept depends only on the rows given, so the rows of the
    stored counts of the whole build give what counting those documents' texts gives.

    ``clean``: the ``names`` are already in alphabetical order and hold no stop word, and ``matrix`` stores
    no zero count (a build's stored counts, ``analysis.term_store.TermStore.clean``), so none of that is
    looked up again; the same result."""
    doc_ids = np.asarray(doc_ids, dtype=object)
    names = np.asarray(names, dtype=object)
    n_docs = matrix.shape[0]
    if len(names) == 0:
        return TermCounts(doc_ids, names, sparse.csr_matrix((n_docs, 0), dtype=np.int32))
    matrix = sparse.csr_matrix(matrix, dtype=np.int32)
    # Stored counts hold no zero (``clean``): every entry is a document using the term.
    frequency_in_documents = (_column_sums(matrix, weighted=False) if clean
                              else np.bincount(matrix.indices[matrix.data > 0], minlength=len(names)))
    keep = _kept_terms(names, frequency_in_documents, n_docs, lambda: _column_sums(matrix), min_df=min_df,
                       max_df=max_df, max_features=max_features, clean=clean)
    matrix = matrix[:, keep].tocsr()
    matrix.sort_indices()
    return TermCounts(doc_ids, names[keep], matrix)


def distinctive_words(
    counts: sparse.spmatrix,
    terms,
    mask,
    *,
    reference=None,
    corpus=None,
    prior: float = 1000.0,
    top: int = 20,
) -> pd.DataFrame:
    """The words that tell a set of documents (a surge's) from the rest: the log-odds ratio with an
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", section 3.5).

    With ``y_w`` the count of word w in the chosen documents (total ``n``), ``y'_w`` in the reference
    documents (total ``n'``), and the prior ``a_w = prior * c_w / C`` (the word's share of all the rows of
    ``counts``, the corpus, so that the prior sums to ``a0 = prior``)::

        delta_w = log((y_w + a_w) / (n + a0 - y_w - a_w)) - log((y'_w + a_w) / (n' + a0 - y'_w - a_w))
        var_w   = 1 / (y_w + a_w) + 1 / (y'_w + a_w)
        z_w     = delta_w / sqrt(var_w)

    A rare word seen a few times only in the chosen documents gets a large ``delta`` but a large variance,
    so ranking by ``z`` shows words that are both frequent and distinctive.

    Arguments:
        counts: documents x terms counts (sparse or dense).
        terms: the term of each column.
        mask: boolean, one per row: True for the chosen documents.
        reference: boolean, one per row: the documents to compare with (None: every row not in ``mask``).
            The documents of the same period that do not mention the key tell *why this key then* apart
            from *what that period was about*.
        corpus: the column totals of ``counts`` when already known (``TermCounts.totals``), to save a pass
            over the whole matrix; None computes them.
        prior: ``a0``, the weight of the prior in pseudo-words (> 0).
        top: how many words to return on each side.

    Returns:
        Up to ``2 * top`` rows with the columns of ``DISTINCTIVE_COLUMNS``: ``term``, ``side``
        (``surge``: over-used by the chosen documents, z > 0; ``rest``: under-used, z < 0), ``rank``
        (1 = most distinctive on its side), ``z``, ``log_odds`` (delta), ``count_in``, ``count_out``.
        Sorted by side (surge first) and rank.
    """
    prior = _check_positive("prior", prior)
    top = _check_int("top", top, 1)
    matrix = sparse.csr_matrix(counts)
    terms = np.asarray(terms, dtype=object)
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (matrix.shape[0],):
        raise ValueError(
            f"The 'mask' must be a boolean array with one value per document ({matrix.shape[0]}); got "
            f"dtype {mask.dtype} and shape {mask.shape} instead."
        )
    if len(terms) != matrix.shape[1]:
        raise ValueError(
            f"The 'terms' must name each of the {matrix.shape[1]} columns; got {len(terms)} terms instead."
        )
    if not mask.any() or mask.all():
        raise ValueError(
            "The 'mask' must choose some documents and leave some out; got "
            f"{int(mask.sum())} of {len(mask)} chosen. Widen or narrow the surge's documents."
        )
    if reference is not None and not _valid_reference(np.asarray(reference), mask):
        raise ValueError(
            "The 'reference' must be a boolean array with one value per document, choosing at least one "
            "document and none of those in 'mask'."
        )
    # Sums over the chosen rows only: the cost follows the documents asked about, not the corpus.
    if corpus is None:
        corpus = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
    corpus = np.asarray(corpus, dtype=np.float64)
    if corpus.shape != (matrix.shape[1],):
        raise ValueError(f"The 'corpus' totals must have one value per term ({matrix.shape[1]}); got {corpus.shape}.")
    # Each side's column sums as one pass over the matrix (no copy of its rows): sums of whole counts, exact
    # in float64 whatever their order, so the same numbers as summing the chosen rows.
    if np.issubdtype(matrix.dtype, np.integer):
        y_in = _column_sums(matrix, mask)
        y_out = corpus - y_in if reference is None else _column_sums(matrix, np.asarray(reference))
    else:
        transposed = matrix.T
        y_in = np.asarray(transposed @ mask.astype(np.float64), dtype=np.float64).ravel()
        if reference is None:
            y_out = corpus - y_in
        else:
            y_out = np.asarray(transposed @ np.asarray(reference).astype(np.float64), dtype=np.float64).ravel()
    return _distinctive_of_sums(terms, y_in, y_out, corpus, prior=prior, top=top)


def _distinctive_of_sums(terms: np.ndarray, y_in: np.ndarray, y_out: np.ndarray, corpus: np.ndarray, *,
                         prior: float, top: int) -> pd.DataFrame:
    """:func:`distinctive_words` from each term's count in the chosen documents, in the reference ones and in
    the corpus (float64, one per term)."""
    n_in, n_out = y_in.sum(), y_out.sum()
    if corpus.sum() == 0:
        return pd.DataFrame({c: [] for c in DISTINCTIVE_COLUMNS})
    alpha = prior * corpus / corpus.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y_in + alpha) / (n_in + prior - y_in - alpha)) - np.log(
            (y_out + alpha) / (n_out + prior - y_out - alpha)
        )
        z = delta / np.sqrt(1 / (y_in + alpha) + 1 / (y_out + alpha))
    present = np.flatnonzero((y_in + y_out) > 0)
    parts = []
    for side, sign in (("surge", 1.0), ("rest", -1.0)):
        chosen = present[sign * z[present] > 0]
        order = chosen[np.lexsort((terms[chosen].astype(str), -sign * z[chosen]))][:top]
        parts.append(
            pd.DataFrame(
                {
                    "term": pd.array(terms[order].astype(str), dtype="str"),
                    "side": pd.array([side] * len(order), dtype="str"),
                    "rank": np.arange(1, len(order) + 1, dtype=np.int64),
                    "z": z[order],
                    "log_odds": delta[order],
                    "count_in": y_in[order].astype(np.int64),
                    "count_out": y_out[order].astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[list(DISTINCTIVE_COLUMNS)]


@dataclass(frozen=True)
class WindowCounts:
    """What a surge's explanation reads of the counts of the documents it compares, summed off a build's stored
    counts by row masks (``analysis.term_store.TermStore.window``) instead of copying those documents' rows:
    the terms :func:`select_terms` keeps over them (``columns``: theirs in the stored matrix), each kept term's
    count in the surge's documents (``y_in``), in the others (``y_out``) and in both (``corpus``), and the
    surge's documents' stored rows (every term, in ``surge_ids``' order) for their scores. ``words`` and
    ``scores`` give what :func:`distinctive_words` and :func:`document_scores` give on the ``TermCounts`` of
    the same documents (the surge's first)."""

    surge_ids: np.ndarray
    terms: np.ndarray
    columns: np.ndarray
    y_in: np.ndarray
    y_out: np.ndarray
    corpus: np.ndarray
    surge_rows: sparse.csr_matrix

    def words(self, *, top: int = 20, prior: float = 1000.0) -> pd.DataFrame:
        """:func:`distinctive_words` of the surge's documents against the others."""
        return _distinctive_of_sums(np.asarray(self.terms, dtype=object), self.y_in, self.y_out, self.corpus,
                                    prior=_check_positive("prior", prior), top=_check_int("top", top, 1))

    def scores(self, words: pd.DataFrame, *, side: str = "surge") -> pd.Series:
        """:func:`document_scores` of the surge's documents: the weights of the words on the kept terms'
        columns (0 elsewhere), so each row's sums are those over the kept terms, in the same order."""
        n_columns = self.surge_rows.shape[1]
        column_of = dict(zip((str(t) for t in self.terms), self.columns.tolist(), strict=True))
        weights = _word_weights(words, side, column_of, n_columns)
        kept = np.zeros(n_columns)
        kept[self.columns] = 1.0
        raw = np.asarray(self.surge_rows @ weights, dtype=np.float64).ravel()
        length = np.asarray(self.surge_rows @ kept, dtype=np.float64).ravel()
        return _scores(raw, length, self.surge_ids)


def window_counts(store_matrix: sparse.csr_matrix, names: np.ndarray, surge_rows: np.ndarray, other_rows: np.ndarray,
                  surge_ids, *, min_df: int = 2, max_df: float = 0.95, max_features: int = 50_000
                  ) -> WindowCounts | None:
    """The :class:`WindowCounts` of the documents at ``surge_rows`` (in order; ``surge_ids`` theirs) against
    those at ``other_rows`` of a build's stored counts (``clean``: names sorted, no stop word, no zero), with
    the terms :func:`select_terms` keeps over both; None when a row is given twice (counted twice by the
    rows' own counts, once here)."""
    n = store_matrix.shape[0]
    chosen, others = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    chosen[surge_rows] = True
    others[other_rows] = True
    if int(chosen.sum()) + int(others.sum()) != len(surge_rows) + len(other_rows) or (chosen & others).any():
        return None
    entries_in, y_in = _column_totals(store_matrix, chosen)
    entries_out, y_out = _column_totals(store_matrix, others)
    corpus = y_in + y_out  # sums of whole counts: the same numbers as summing both sets of rows at once
    keep = _kept_terms(names, entries_in + entries_out, len(surge_rows) + len(other_rows), lambda: corpus,
                       min_df=min_df, max_df=max_df, max_features=max_features, clean=True)
    rows = store_matrix[np.asarray(surge_rows, dtype=np.int64)]
    rows.sort_indices()
    return WindowCounts(np.asarray([str(d) for d in surge_ids], dtype=object), names[keep], keep, y_in[keep],
                        y_out[keep], corpus[keep], rows)


def _valid_reference(reference: np.ndarray, mask: np.ndarray) -> bool:
    return bool(reference.dtype == bool and reference.shape == mask.shape and reference.any()
                and not (reference & mask).any())  # fmt: skip


def document_scores(counts: TermCounts, words: pd.DataFrame, *, side: str = "surge", doc_ids=None) -> pd.Series:
    """How much each document uses a surge's distinctive words: the z-weighted count of those words per
    word of the document (its counted terms), so long documents are not favoured.

    Arguments:
        counts: the build's ``TermCounts``.
        words: a table of :func:`distinctive_words`.
        side: which side's words score (``surge`` or ``rest``).
        doc_ids: score only these documents (the surge's, say); None for all.

    Returns:
        A float Series indexed by ``doc_id`` (0 for a document without any of the words).
    """
    weights = _word_weights(words, side, counts._column, len(counts.terms))
    rows = np.arange(len(counts.doc_ids)) if doc_ids is None else np.flatnonzero(counts.mask(doc_ids))
    chosen_rows = counts.matrix[rows]
    raw = np.asarray(chosen_rows @ weights, dtype=np.float64).ravel()
    # The lengths of these rows only (whole counts: the same numbers as counts.lengths[rows]).
    length = counts.lengths[rows] if doc_ids is None else np.asarray(chosen_rows.sum(axis=1), dtype=np.float64).ravel()
    return _scores(raw, length, counts.doc_ids[rows])


def _word_weights(words: pd.DataFrame, side: str, column_of: Mapping[str, int], n_columns: int) -> np.ndarray:
    """Per column, the |z| of the distinctive word of ``side`` it counts (0 for the others)."""
    if side not in ("surge", "rest"):
        raise ValueError(f"The 'side' parameter must be 'surge' or 'rest'; got {side!r} instead.")
    chosen = words[words["side"] == side]
    weights = np.zeros(n_columns)
    for term, z in zip(chosen["term"], chosen["z"], strict=True):
        column = column_of.get(str(term))
        if column is not None:
            weights[column] = abs(z)
    return weights


def _scores(raw: np.ndarray, length: np.ndarray, doc_ids) -> pd.Series:
    """Document scores: the weighted counts per counted word (0 for a document without counted words)."""
    score = np.where(length > 0, raw / np.maximum(length, 1), 0.0)
    return pd.Series(score, index=pd.Index(doc_ids, name="doc_id"), name="score")


def representative_passages(concordance: pd.DataFrame, scores: pd.Series, *, top: int = 5) -> pd.DataFrame:
    """The concordance lines whose documents score highest, one line per document first.

    Arguments:
        concordance: a table of :func:`analysis.timeline.concordance` (the surge's key, in its window).
        scores: a document score per ``doc_id`` (e.g. :func:`document_scores`).
        top: how many lines to return.

    Returns:
        Up to ``top`` rows of ``concordance`` with a ``score`` column added, best first: the first line of
        each document in score order, then (if fewer than ``top`` documents) their further lines. Ties by
        date and position, as in the concordance.
    """
    top = _check_int("top", top, 1)
    if "doc_id" not in concordance.columns:
        raise ValueError("The 'concordance' argument must be a table of analysis.timeline.concordance.")
    out = concordance.reset_index(drop=True).copy()
    out["score"] = out["doc_id"].astype(str).map(scores).fillna(0.0).astype(np.float64)
    out["_order"] = np.arange(len(out))
    out["_repeat"] = out.groupby("doc_id", sort=False).cumcount() > 0
    out = out.sort_values(["_repeat", "score", "_order"], ascending=[True, False, True], kind="stable")
    return out.head(top).drop(columns=["_order", "_repeat"]).reset_index(drop=True)
