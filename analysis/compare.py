"""Two sources (or languages, or publishers) over time: their shares of one theme or organisation side by side,
the difference with its 95 % interval, and the lead or lag at which their series correlate best."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis import timeline as tl
from analysis.surges import wilson_interval

__all__ = ["COMPARISON_COLUMNS", "LEAD_LAG_COLUMNS", "compare_two", "comparison", "comparison_filters", "lead_lag"]

COMPARISON_COLUMNS = (
    "period", "period_end", "period_label", "key",
    "documents_mentioning_a", "documents_total_a", "share_a", "share_a_low", "share_a_high",
    "documents_mentioning_b", "documents_total_b", "share_b", "share_b_low", "share_b_high",
    "difference", "difference_low", "difference_high",
)  # fmt: skip
LEAD_LAG_COLUMNS = ("lag", "correlation", "periods")


def _newcombe(p1, l1, u1, p2, l2, u2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The difference p1 - p2 and its interval from the two Wilson intervals (Newcombe 1998, method 10)."""
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def compare_two(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    kind: str = "theme",
    key: str,
    by: str = "source",
    a: str,
    b: str,
    granularity: str = "year",
    filters: tl.Filters | None = None,
) -> pd.DataFrame:
    """The share of A's and of B's documents mentioning ``key`` in every period, and their difference.

    Arguments:
        documents, mentions: the build's tables.
        kind, key: what is counted (a theme, an organisation or a cluster).
        by: the documents column that tells the two apart (``source``, ``language``, ``publisher``, …).
        a, b: the two values of ``by`` compared (different).
        granularity: the period length.
        filters: the sidebar's filters (their own source/language/publisher choices are replaced by ``a`` and
            ``b``).

    Returns:
        One row per period with the columns of ``COMPARISON_COLUMNS``: each side's documents mentioning the
        key, its documents, its share (%) with the 95 % Wilson interval, and ``difference`` = share A - share
        B in percentage points with its 95 % interval (Newcombe's hybrid score interval); NaN where a side
        has no documents in the period. ``attrs``: ``by``, ``a``, ``b``, ``kind``, ``granularity``.
    """
    _check_sides(by, a, b)
    filters = comparison_filters(filters, by=by, a=a, b=b, has_publisher="publisher" in documents.columns)
    table = tl.timeline(documents, mentions, kind=kind, keys=(key,), granularity=granularity, filters=filters, by=by)
    return comparison(table, kind=kind, by=by, a=a, b=b, granularity=granularity)


def _check_sides(by: str, a: str, b: str) -> None:
    if a == b:
        raise ValueError(f"Compare two different values of '{by}'; got {a!r} twice. Pick another for B.")


def comparison_filters(filters: tl.Filters | None, *, by: str, a: str, b: str, has_publisher: bool = True) -> tl.Filters:
    """The filters of a comparison: the sidebar's, narrowed to the two sides when ``by`` is a filter's field
    (source, language, publisher when the build has publishers)."""
    filters = filters if filters is not None else tl.Filters()
    if by == "source":
        return dataclasses.replace(filters, sources=(a, b))
    if by == "language":
        return dataclasses.replace(filters, languages=(a, b))
    if by == "publisher" and has_publisher:
        return dataclasses.replace(filters, publishers=(a, b))
    return filters


def comparison(table: pd.DataFrame, *, kind: str, by: str, a: str, b: str, granularity: str) -> pd.DataFrame:
    """What :func:`compare_two` returns, from the timeline it counts (one key, split ``by``, under
    :func:`comparison_filters`), whichever engine made it."""
    _check_sides(by, a, b)
    base = table.drop_duplicates("period")[["period", "period_end", "period_label", "key"]].reset_index(drop=True)
    out = base.copy()
    for side, value in (("a", a), ("b", b)):
        rows = table[table[by].astype(str) == str(value)].set_index("period")
        mentioning = rows["documents_mentioning"].reindex(base["period"]).fillna(0).to_numpy(np.int64)
        total = rows["documents_total"].reindex(base["period"]).fillna(0).to_numpy(np.int64)
        low, high = wilson_interval(mentioning, total)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, mentioning / np.maximum(total, 1), np.nan)
        out[f"documents_mentioning_{side}"] = mentioning
        out[f"documents_total_{side}"] = total
        out[f"share_{side}"], out[f"share_{side}_low"], out[f"share_{side}_high"] = share, low, high
    d, low, high = _newcombe(*(out[c].to_numpy(np.float64) for c in (
        "share_a", "share_a_low", "share_a_high", "share_b", "share_b_low", "share_b_high")))  # fmt: skip
    out["difference"], out["difference_low"], out["difference_high"] = d, low, high
    percent = [c for c in COMPARISON_COLUMNS if c.startswith(("share_", "difference"))]
    out[percent] = out[percent] * 100.0
    out = out[list(COMPARISON_COLUMNS)]
    out.attrs.update({"by": by, "a": a, "b": b, "kind": kind, "granularity": granularity})
    return out


def lead_lag(comparison: pd.DataFrame, *, max_lag: int | None = None, min_periods: int = 5) -> pd.DataFrame:
    """The correlation of A's share with B's share shifted by each lag: where it peaks, one leads the other.

    A positive lag k pairs A's period t with B's period t + k: a peak at k > 0 means B follows A by k periods
    (A leads); at k < 0, A follows B. Periods where either side has no documents are left out of each pair.

    Arguments:
        comparison: a table of :func:`compare_two`.
        max_lag: the largest lag tried either way (default: a third of the periods, at most 12).
        min_periods: a lag needs at least this many pairs of periods to get a correlation (else NaN).

    Returns:
        One row per lag from -max_lag to max_lag with ``lag``, ``correlation`` (Pearson's r, NaN when too few
        pairs or a constant series) and ``periods`` (the pairs it rests on). ``attrs["best_lag"]``,
        ``attrs["best_correlation"]`` and ``attrs["best_periods"]``: the lag of the highest correlation
        (the smallest lag in absolute value among ties; None when no lag has one).
    """
    missing = [c for c in ("share_a", "share_b") if c not in comparison.columns]
    if missing:
        raise ValueError(f"The comparison lacks the columns {missing}; pass a table of analysis.compare.compare_two.")
    x = comparison["share_a"].to_numpy(np.float64)
    y = comparison["share_b"].to_numpy(np.float64)
    n = len(x)
    if max_lag is None:
        max_lag = min(n // 3, 12)
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ValueError(f"The 'max_lag' parameter must be an integer >= 0; got {max_lag!r} instead.")
    rows = []
    for lag in range(-int(max_lag), int(max_lag) + 1):
        xs, ys = (x[: n - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: n + lag])
        both = ~(np.isnan(xs) | np.isnan(ys))
        pairs = int(both.sum())
        r = np.nan
        if pairs >= max(min_periods, 2):
            xv, yv = xs[both], ys[both]
            if xv.std() > 0 and yv.std() > 0:
                r = float(np.corrcoef(xv, yv)[0, 1])
        rows.append({"lag": lag, "correlation": r, "periods": pairs})
    out = pd.DataFrame(rows, columns=list(LEAD_LAG_COLUMNS)).astype({"lag": "int64", "periods": "int64"})
    valid = out.dropna(subset=["correlation"])
    best = None
    if not valid.empty:
        best = valid.assign(_abs=valid["lag"].abs()).sort_values(["correlation", "_abs"], ascending=[False, True]).iloc[0]
    out.attrs.update({
        "best_lag": None if best is None else int(best["lag"]),
        "best_correlation": None if best is None else float(best["correlation"]),
        "best_periods": None if best is None else int(best["periods"]),
        "a": comparison.attrs.get("a"), "b": comparison.attrs.get("b"),
    })  # fmt: skip
    return out
