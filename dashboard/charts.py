"""Tidy tables from analysis.timeline -> Plotly figures; pure functions that never mutate their input."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.colors as _colors
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import convert_to_base64

from analysis.vocabulary import KINDS, MEASURE_LABELS, TARGET_FIELDS, measure_column

__all__ = [
    "KINDS",
    "MEASURE_LABELS",
    "TARGET_FIELDS",
    "cluster_timeline_figure",
    "color_map",
    "comention_figure",
    "crosstab_figure",
    "document_map_figure",
    "heatmap_figure",
    "measure_column",
    "ranking_figure",
    "small_multiples_figure",
    "timeline_figure",
]

TEMPLATE = "plotly_white"
# The parts of plotly_white these charts use. Every figure is built as plain dicts and validated once by
# go.Figure(...): building traces one by one and calling update_* costs ten times more (a deep copy of the
# whole template each time), which a large build pays on every rerun.
_TEMPLATE_LAYOUT = {
    k: v for k, v in pio.templates[TEMPLATE].layout.to_plotly_json().items()
    if k in ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor", "plot_bgcolor",
             "xaxis", "yaxis", "coloraxis", "colorscale", "title")
}
_TEMPLATE = go.layout.Template(layout=_TEMPLATE_LAYOUT)
# Light (low) to dark (high), spelled out: plotly.js reads the bare name "Blues" the other way round.
_BLUES = [[i / (len(_colors.sequential.Blues) - 1), c] for i, c in enumerate(_colors.sequential.Blues)]
# KINDS, MEASURE_LABELS (measure -> column, title phrase, unit), TARGET_FIELDS (the customdata layout of a
# selectable point) and measure_column come from analysis.vocabulary.

# Calm qualitative palettes, one per kind, so a theme and an organisation rarely share a colour.
_STRONG = ("#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F",
           "#79706E")
_DARK = ("#1F4E79", "#A34A00", "#8E1B1F", "#2F7F7A", "#2E6B2A", "#9A7B00", "#6B3E75", "#C2185B", "#5D4037",
         "#37474F")
_LIGHT = ("#9ECAE9", "#FFBF79", "#E7A1A1", "#7FC8C2", "#B5D99C", "#CDB38B", "#D4A6C8", "#A3A3D9", "#C5C56A",
          "#9DB4C0")
# 30 colours: ten calm hues, then darker and lighter tones rotated so that keys ten apart in sorted order
# (which share a slot of a ten-colour palette) get different hues.
_WIDE = _STRONG + _DARK[3:] + _DARK[:3] + _LIGHT[6:] + _LIGHT[:6]
_PALETTES: dict[str, tuple[str, ...]] = {
    "theme": _WIDE,
    "organisation": _WIDE,
    "cluster": _STRONG + _DARK,
}
_NO_CLUSTER_COLOR = "#C8C8C8"
_GRANULARITY_WORD = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_TICKFORMAT = {"day": "%d %b %Y", "week": "%d %b %Y", "month": "%b %Y", "quarter": "%b %Y", "year": "%Y"}


def _esc(value) -> str:
    """Text safe to hand to Plotly, which renders a subset of HTML in hover labels, legends and titles."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"The 'kind' parameter must be one of {list(KINDS)}; got {kind!r} instead.")


def _check_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"The {what} table must have the columns {missing}; got columns {list(df.columns)} instead. "
            "Pass the table made by analysis.timeline for this chart."
        )


def color_map(keys: Iterable[str], kind: str = "theme", *, ordered: bool = False) -> dict[str, str]:
    """One colour per key, the same in every chart.

    Arguments:
        keys: every key of this kind that may be drawn (all keys of the lexicon, or all keys mentioned
            anywhere in the build; not only those on screen), so a key keeps its colour whatever is
            filtered out.
        kind: "theme", "organisation" or "cluster" (clusters have their own lighter palette).
        ordered: False (default) assigns colours in sorted order of the keys; True keeps the order given
            (e.g. most mentioned first over the whole build, so the keys seen most get the ten most
            distinct colours).

    Returns:
        dict key -> colour (hex), assigned in that order of the distinct keys, cycling the palette.
    """
    _check_kind(kind)
    palette = _PALETTES[kind]
    distinct = [str(k) for k in dict.fromkeys(k for k in keys if k is not None)]
    if not ordered:
        distinct = sorted(set(distinct))
    return {key: palette[i % len(palette)] for i, key in enumerate(distinct)}


def _color(colors: Mapping[str, str] | None, key: str, i: int, kind: str) -> str:
    if colors and key in colors:
        return colors[key]
    palette = _PALETTES.get(kind, _PALETTES["theme"])
    return palette[i % len(palette)]


def _iso(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).date().isoformat()


def _title(text: str) -> dict:
    return {"text": _esc(text), "x": 0.0, "xanchor": "left", "font": {"size": 16}}


def _layout(title: str, *, xtitle: str = "", ytitle: str = "", legend: bool = True, **more) -> dict:
    """The layout every chart shares, as a dict; ``more`` adds or replaces top-level entries."""
    layout = {
        "template": _TEMPLATE,
        "title": _title(title),
        "xaxis": {"title": {"text": _esc(xtitle)}},
        "yaxis": {"title": {"text": _esc(ytitle)}},
        "showlegend": legend,
        "legend": {"title": {"text": ""}, "orientation": "v"},
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "hoverlabel": {"align": "left"},
    }
    layout.update(more)
    return layout


def for_streamlit(fig: go.Figure) -> go.Figure:
    """``fig`` as handed to ``st.plotly_chart``: a Figure whose ``to_dict()`` (all Streamlit reads of it) is
    :func:`_wire_spec`, made once, so that drawing does not deep-copy every trace (a document map's
    thousands of points, on every rerun). A dict instead would be validated again by Streamlit."""
    return fig if fig.frames else _Drawn(_wire_spec(fig))


class _Drawn(go.Figure):
    """A figure's :func:`_wire_spec` in a Figure's clothes: only ``to_dict`` is defined (see
    :func:`for_streamlit`); nothing else of a Figure is made or read."""

    def __init__(self, spec: dict) -> None:  # no Figure.__init__: its deep copy is what this avoids
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def _wire_spec(fig: go.Figure) -> dict:
    """The dictionary of ``fig.to_dict()`` for a figure without frames (data and layout, numeric arrays
    base64-encoded, what is sent to the browser), made without its deep copy of every trace. The figure
    stays as it was (tested)."""
    spec = _dicts_copied({"data": fig._data, "layout": fig._layout})
    convert_to_base64(spec)  # replaces arrays inside dicts: those dicts are the copies
    return spec


def _dicts_copied(value):
    """``value`` with every dict in it copied (and the lists and tuples on the way to one); arrays and the
    lists of plain values shared."""
    if isinstance(value, dict):
        return {k: _dicts_copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return type(value)(_dicts_copied(v) for v in value)
    return value


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    # Not validated here: a figure of twenty traces costs ~50 ms to validate, on every rerun. The tests
    # validate every chart (tests/test_charts.py::test_every_figure_is_valid_plotly).
    return go.Figure(data=traces, layout=layout, _validate=False)


def _time_axis(granularity: str | None, n_periods: int) -> dict:
    """x-axis settings: ticks on period starts, labelled for people ("Mar 2024"), never two in one month,
    and few enough to stay horizontal (``n_periods``: the periods shown, times the panels side by side)."""
    granularity = granularity or "month"
    dtick = None
    if granularity == "month":
        dtick = "M1" if n_periods <= 14 else "M3" if n_periods <= 40 else "M12"
    elif granularity == "quarter":
        dtick = "M3" if n_periods <= 14 else "M12"
    elif granularity == "year":
        dtick = "M12" if n_periods <= 12 else "M60" if n_periods <= 40 else "M120" if n_periods <= 100 else "M240"
    axis = {"tickformat": _TICKFORMAT.get(granularity, "%b %Y"), "showgrid": False}
    if dtick:
        axis.update(dtick=dtick, tick0="2000-01-01")
    return axis


def _x_range(starts: pd.Series, right=None) -> list[str]:
    """The x-axis range of points at period starts: from the first to the last (or to ``right``, a band's
    end, when later) and 1.5 % of that on either side, at least a fortnight. Plotly's own range pads 5 % past
    the data: a yearly chart of speeches up to 2024 ran to 2030, as if six years had no documents."""
    first, last = pd.Timestamp(starts.min()), pd.Timestamp(starts.max())
    if right is not None:
        last = max(last, pd.Timestamp(right))
    pad = max((last - first) * 0.015, pd.Timedelta(days=15))
    return [_iso(first - pad), _iso(last + pad)]


def _timeline_title(measure: str, kind: str, granularity: str | None) -> tuple[str, str]:
    _, phrase, unit = MEASURE_LABELS[measure]
    per = f", by {_GRANULARITY_WORD.get(granularity, granularity)}" if granularity else ""
    return f"{phrase.format(kind=kind)}{per} ({unit})", unit


def _keys_in_order(df: pd.DataFrame, column: str = "key") -> list[str]:
    return [str(k) for k in pd.unique(df[column])]


def _rows_of(df: pd.DataFrame, column: str = "key") -> Callable[[str], pd.DataFrame]:
    """key -> the rows of ``df`` whose ``column`` (as text) is that key, in their order, sorted by period:
    grouped once, not one comparison of the whole column per key drawn."""
    groups = dict(iter(df.groupby(df[column].astype(str), sort=False)))
    empty = df.iloc[0:0]
    return lambda key: groups.get(key, empty).sort_values("period")


def _labels(df: pd.DataFrame, key_col: str = "key", label_col: str = "label") -> dict[str, str]:
    """key -> the text drawn for it: the frame's label column (analysis.timeline.add_labels) when it has
    one, else the key itself."""
    if label_col not in df.columns:
        return {}
    return {str(k): str(v) for k, v in zip(df[key_col], df[label_col], strict=True)
            if isinstance(v, str) and v}


def _iso_days(values: pd.Series) -> np.ndarray:
    """ISO dates (``2024-05-01``) of a datetime column; "" where missing."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = ""
    return text


def _customdata(n: int, **fields) -> np.ndarray:
    """An (n, len(TARGET_FIELDS)) array of customdata (see TARGET_FIELDS); fields not given are ""."""
    out = np.full((n, len(TARGET_FIELDS)), "", dtype=object)
    for name, values in fields.items():
        out[:, TARGET_FIELDS.index(name)] = values
    return out.astype(str)  # strings, not objects: a figure's deep copy of them is one copy of memory


_START_ISO, _END_ISO = "_start_iso", "_end_iso"  # a figure's period days as text, made once (_with_iso_days)


def _with_iso_days(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` (a figure's own copy) with its periods' first and last days as ISO text, for every key's
    customdata at once instead of once per key."""
    data[_START_ISO] = _iso_days(data["period"])
    data[_END_ISO] = _iso_days(data["period_end"] if "period_end" in data else data["period"])
    return data


def _period_customdata(rows: pd.DataFrame, kind: str) -> np.ndarray:
    """Customdata rows (see TARGET_FIELDS) for period points of one key, from rows of a frame made by
    :func:`_with_iso_days`."""
    return _customdata(len(rows), kind=kind, key=rows["key"].astype(str).to_numpy(dtype=object),
                       start=rows[_START_ISO].to_numpy(dtype=object), end=rows[_END_ISO].to_numpy(dtype=object))


_TIMELINE_COLUMNS = ("period", "period_label", "key")


def timeline_figure(
    df: pd.DataFrame,
    measure: str = "share",
    *,
    kind: str = "theme",
    style: str = "lines",
    colors: Mapping[str, str] | None = None,
    granularity: str | None = None,
    title: str | None = None,
    series: str = "key",
    band: bool = False,
    surges: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> go.Figure:
    """Lines (or stacked areas) of one measure per key over time.

    Arguments:
        df: a table from analysis.timeline.timeline: period, period_end, period_label, key, partial and the
            measure columns (mentions, documents_mentioning, share_pct, per_10k_words); with a ``label``
            column (analysis.timeline.add_labels) the legend and hover text show it instead of the key.
        measure: "mentions", "documents", "share" or "per_10k".
        kind: "theme", "organisation" or "cluster" (used in the title and in the points' customdata).
        style: "lines" (lines with markers, selectable) or "area" (stacked areas).
        colors: key -> colour, from color_map over all keys of this kind.
        granularity: the period length, named in the title ("by month").
        title: overrides the generated title.
        series: the column that makes one line each: ``key`` (the default), or the ``by`` column of a
            timeline split by source or language (one key, one line per source).
        band: with the share measure and lines, draw each line's 95 % interval (``share_low`` to
            ``share_high``) as a shaded band.
        surges: a table of analysis.explain.surge_table: a star on the line at each surge's peak period
            (keys not drawn are skipped); its customdata is the surge's key and days, so selecting it
            narrows the Documents view to the surge's documents.
        events: a table of analysis.explain.events_table: each event a shaded band over its days and a
            marker at the foot of the chart with its label.

    Returns:
        A Figure with one trace per key (or per ``series`` value), in the order keys first appear in ``df``; each point carries the
        customdata described by TARGET_FIELDS.
    """
    _check_kind(kind)
    if style not in ("lines", "area"):
        raise ValueError(f"The 'style' parameter must be one of ['lines', 'area']; got {style!r} instead.")
    column = measure_column(measure)
    _check_columns(df, (*_TIMELINE_COLUMNS, column, series), "timeline")
    data = _with_iso_days(df.copy())
    names = _labels(data) if series == "key" else {}
    auto_title, unit = _timeline_title(measure, kind, granularity)
    traces = []
    rows_of = _rows_of(data, series)
    for i, key in enumerate(_keys_in_order(data, series)):
        rows = rows_of(key)
        partial = rows["partial"].fillna(False).astype(bool).tolist() if "partial" in rows else [False] * len(rows)
        name = names.get(key, key)
        # Texts as arrays: the figure's deep copy copies an array whole, a list value by value.
        hover = np.array([
            f"{_esc(name)}<br>{_esc(label)}{' (partial period)' if part else ''}"
            for label, part in zip(rows["period_label"].tolist(), partial, strict=True)
        ], dtype=str)
        color = _color(colors, key, i, kind)
        trace = {
            "type": "scatter",
            "x": rows["period"].to_numpy(),
            "y": rows[column].tolist(),
            "name": _esc(name),
            "mode": "lines+markers",
            "line": {"color": color, "width": 2},
            "marker": {
                "color": color,
                "size": 7 if len(rows) <= 40 else 4,
                "symbol": np.array(["circle-open" if p else "circle" for p in partial], dtype=str),
            },
            "text": hover,
            "customdata": _period_customdata(rows, kind),
            "hovertemplate": f"%{{text}}<br>%{{y:,.2f}} {_esc(unit)}<extra></extra>",
        }
        if style == "area":
            trace.update(stackgroup="one", line={"color": color, "width": 1}, fillcolor=color)
        elif band and column == "share_pct" and {"share_low", "share_high"} <= set(rows.columns):
            traces += _band_traces(rows, color, name)
        traces.append(trace)
    shapes = []
    if surges is not None and series == "key" and not surges.empty:
        traces += _surge_traces(data, surges, column, kind, names, unit)
    if events is not None and not events.empty:
        event_traces, shapes = _event_marks(events, data)
        traces += event_traces
    layout = _layout(title or auto_title, xtitle="Period", ytitle=unit.capitalize(), hovermode="closest")
    layout["xaxis"].update(_time_axis(granularity, data["period"].nunique()),
                           range=_x_range(data["period"], max((s["x1"] for s in shapes), default=None)))
    layout["yaxis"].update(rangemode="tozero")
    if shapes:
        layout["shapes"] = shapes
    return _figure(traces, layout)


def _rgba(color: str, alpha: float) -> str:
    """A hex colour (#RRGGBB) as rgba() with the given opacity."""
    value = color.lstrip("#")
    if len(value) != 6:
        return f"rgba(128,128,128,{alpha})"
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _band_traces(rows: pd.DataFrame, color: str, name: str) -> list[dict]:
    """The 95 % interval of one line's share as filled polygons, one per run of periods with documents: a
    period without documents has no interval, and the band must not bridge it."""
    x = list(rows["period"])
    low, high = rows["share_low"].to_numpy(np.float64), rows["share_high"].to_numpy(np.float64)
    known = ~(np.isnan(low) | np.isnan(high))
    xs: list = []
    ys: list = []
    i = 0
    while i < len(x):
        if not known[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(x) and known[j + 1]:
            j += 1
        if xs:
            xs.append(None)
            ys.append(None)
        xs += x[i : j + 1] + x[i : j + 1][::-1]
        ys += list(high[i : j + 1]) + list(low[i : j + 1][::-1])
        i = j + 1
    if not xs:
        return []
    return [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "line": {"width": 0}, "fill": "toself",
             "fillcolor": _rgba(color, 0.15), "hoverinfo": "skip", "showlegend": False,
             "legendgroup": _esc(name), "name": f"{_esc(name)}: 95 % interval"}]  # fmt: skip


def _surge_traces(data: pd.DataFrame, surges: pd.DataFrame, column: str, kind: str, names: dict,
                  unit: str) -> list[dict]:  # fmt: skip
    """One trace of stars: each surge's peak on its key's line, hover saying when, how much, on how many."""
    _check_columns(surges, ("key", "start", "end", "peak", "lift", "documents", "method"), "surges")
    values = data.set_index(["key", "period"])[column]
    x, y, text, keys, starts, ends = [], [], [], [], [], []
    for row in surges.itertuples(index=False):
        at = (str(row.key), pd.Timestamp(row.peak))
        if at not in values.index:
            continue
        x.append(at[1])
        y.append(values.loc[at])
        name = names.get(row.key, row.key)
        how = "burst" if row.method == "burst" else "change point"
        text.append(f"{_esc(name)}: surge ({how}) {_iso(row.start)} to {_iso(row.end)}<br>"
                    f"×{row.lift:.1f} the share before, {int(row.documents):,} documents")  # fmt: skip
        keys.append(str(row.key))
        starts.append(_iso(row.start))
        ends.append(_iso(row.end))
    if not x:
        return []
    return [{
        "type": "scatter", "x": x, "y": y, "mode": "markers", "name": "Surge (peak)",
        "marker": {"symbol": "star", "size": 14, "color": "#222", "line": {"color": "#fff", "width": 1}},
        "text": text, "hovertemplate": "%{text}<extra></extra>",
        "customdata": _customdata(len(x), kind=kind, key=np.array(keys, dtype=object),
                                  start=np.array(starts, dtype=object), end=np.array(ends, dtype=object)),
    }]  # fmt: skip


def _event_marks(events: pd.DataFrame, data: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Shaded bands over the events' days within the drawn periods, and one trace of markers naming them."""
    _check_columns(events, ("label", "start", "end"), "events")
    first, last = data["period"].min(), (data["period_end"] if "period_end" in data else data["period"]).max()
    inside = events[(events["end"] >= first) & (events["start"] <= last)]
    # The days as text for all the events at once (not a Timestamp per event and day).
    starts, ends = _iso_days(inside["start"]), _iso_days(inside["end"])
    after = _iso_days(pd.to_datetime(inside["end"]) + pd.Timedelta(days=1))
    shapes = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": stop, "y0": 0, "y1": 1, "layer": "below",
         "line": {"width": 0}, "fillcolor": "rgba(120,120,120,0.18)"}
        for start, stop in zip(starts.tolist(), after.tolist(), strict=True)
    ]  # fmt: skip
    if inside.empty:
        return [], shapes
    spans = (inside["end"] != inside["start"]).to_numpy(dtype=bool)
    trace = {
        "type": "scatter", "x": inside["start"].to_numpy(), "y": [0] * len(inside), "mode": "markers",
        "name": "Event", "marker": {"symbol": "triangle-up", "size": 9, "color": "#777"},
        "text": [f"{_esc(label)}<br>{start}" + (f" to {end}" if span else "")
                 for label, start, end, span in zip(inside["label"].tolist(), starts.tolist(), ends.tolist(),
                                                    spans.tolist(), strict=True)],
        "hovertemplate": "%{text}<extra></extra>",
    }  # fmt: skip
    return [trace], shapes


def cluster_timeline_figure(
    df: pd.DataFrame,
    measure: str = "share",
    *,
    colors: Mapping[str, str] | None = None,
    granularity: str | None = None,
    style: str = "area",
) -> go.Figure:
    """Share (or count) of documents in each topic cluster over time: timeline_figure for kind "cluster".

    Arguments:
        df: analysis.timeline.timeline(..., kind="cluster") over analysis.timeline.cluster_mentions.
        measure, colors, granularity, style: as for timeline_figure.

    Returns:
        A Figure with one trace per cluster label.
    """
    if measure == "share":
        title = f"Share of documents in each topic cluster, by {granularity or 'period'} (%)"
    elif measure == "documents":
        title = f"Documents in each topic cluster, by {granularity or 'period'} (documents)"
    else:
        title = None
    return timeline_figure(df, measure, kind="cluster", style=style, colors=colors,
                           granularity=granularity, title=title)


def heatmap_figure(
    df: pd.DataFrame,
    measure: str = "share",
    *,
    kind: str = "theme",
    granularity: str | None = None,
) -> go.Figure:
    """A key x period heatmap of one measure.

    Arguments:
        df: a table from analysis.timeline.timeline (period, period_end, period_label, key, measures).
        measure: "mentions", "documents", "share" or "per_10k".
        kind: "theme", "organisation" or "cluster".
        granularity: the period length, named in the title.

    Returns:
        A Figure with one Heatmap trace: x = period starts in time order, y = labels (keys when the frame
        has no ``label`` column) in alphabetical order, z = the measure
        (None where a key has no row for a period). customdata follows TARGET_FIELDS.
    """
    _check_kind(kind)
    column = measure_column(measure)
    _check_columns(df, (*_TIMELINE_COLUMNS, column), "timeline")
    data = df.copy()
    periods = data[["period", "period_label"]].drop_duplicates("period").sort_values("period")
    ends = (
        data[["period", "period_end"]].drop_duplicates("period").set_index("period")["period_end"]
        if "period_end" in data else None
    )
    names = _labels(data)
    keys = sorted(_keys_in_order(data), key=lambda k: (names.get(k, k).casefold(), k))
    lookup = {(str(k), p): v for k, p, v in zip(data["key"], data["period"], data[column], strict=True)}
    starts = _iso_days(periods["period"])
    stops = _iso_days(ends.loc[periods["period"]]) if ends is not None else starts
    # customdata as one (keys, periods, fields) array: plotly takes it without walking nested lists.
    custom = np.full((len(keys), len(periods), len(TARGET_FIELDS)), "", dtype=object)
    custom[:, :, 0] = kind
    custom[:, :, 2], custom[:, :, 3] = starts, stops
    z, text = [], []
    for row, key in enumerate(keys):
        custom[row, :, 1] = key
        z.append([_none_if_nan(lookup.get((key, p))) for p in periods["period"]])
        text.append([f"{_esc(names.get(key, key))}<br>{_esc(lbl)}" for lbl in periods["period_label"]])
    custom = custom.astype(str)
    auto_title, unit = _timeline_title(measure, kind, granularity)
    trace = {
        "type": "heatmap",
        "x": periods["period"].to_numpy(),
        "y": [_esc(names.get(k, k)) for k in keys],
        "z": z,
        "customdata": custom,
        "text": text,
        "colorscale": _BLUES,
        "colorbar": {"title": {"text": _esc(unit)}},
        "hovertemplate": f"%{{text}}<br>%{{z:,.2f}} {_esc(unit)}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    layout = _layout(f"{auto_title}: one row per {kind}", xtitle="Period", ytitle=kind.capitalize(),
                     legend=False, height=max(300, 22 * len(keys) + 150))
    layout["yaxis"].update(autorange="reversed", type="category", dtick=1)
    layout["xaxis"].update(_time_axis(granularity, len(periods)))
    return _figure([trace], layout)


def _none_if_nan(value):
    if value is None:
        return None
    try:
        return None if pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


def small_multiples_figure(
    df: pd.DataFrame,
    measure: str = "share",
    *,
    kind: str = "theme",
    colors: Mapping[str, str] | None = None,
    granularity: str | None = None,
    columns: int = 2,
) -> go.Figure:
    """One small panel per key, sharing the time axis and the value axis.

    Arguments:
        df: a table from analysis.timeline.timeline.
        measure, kind, colors, granularity: as for timeline_figure.
        columns: panels per row.

    Returns:
        A Figure with one subplot and one trace per key (in alphabetical order of their labels).
    """
    _check_kind(kind)
    column = measure_column(measure)
    _check_columns(df, (*_TIMELINE_COLUMNS, column), "timeline")
    if not isinstance(columns, int) or columns < 1:
        raise ValueError(f"The 'columns' parameter must be an int >= 1; got {columns!r} instead.")
    data = _with_iso_days(df.copy())
    names = _labels(data)
    keys = sorted(_keys_in_order(data), key=lambda k: (names.get(k, k).casefold(), k)) or [""]
    ncols = min(columns, len(keys))
    nrows = -(-len(keys) // ncols)
    auto_title, unit = _timeline_title(measure, kind, granularity)
    layout = _layout(f"{auto_title}: one panel per {kind}", legend=False, height=max(320, 170 * nrows + 80))
    del layout["xaxis"], layout["yaxis"]  # one pair per panel, below
    time_axis = {**_time_axis(granularity, data["period"].nunique() * ncols), "range": _x_range(data["period"])}
    traces, annotations = [], []
    rows_of = _rows_of(data)
    for i, key in enumerate(keys):
        rows = rows_of(key)
        color = _color(colors, key, i, kind)
        name = names.get(key, key)
        (x0, x1), (y0, y1) = _panel_domain(i, ncols, nrows)
        suffix = "" if i == 0 else str(i + 1)
        bottom = i + ncols >= len(keys)  # no panel below: this one shows the dates
        layout[f"xaxis{suffix}"] = {**time_axis, "domain": [x0, x1], "anchor": f"y{suffix}",
                                    "showticklabels": bottom, **({"matches": "x"} if i else {})}
        layout[f"yaxis{suffix}"] = {"domain": [y0, y1], "anchor": f"x{suffix}", "rangemode": "tozero",
                                    "showticklabels": i % ncols == 0, **({"matches": "y"} if i else {})}
        annotations.append({"text": _esc(name), "x": (x0 + x1) / 2, "y": y1, "xref": "paper", "yref": "paper",
                            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}})
        traces.append({
            "type": "scatter", "x": rows["period"].to_numpy(), "y": rows[column].tolist(), "name": _esc(name),
            "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "mode": "lines+markers", "line": {"color": color, "width": 2},
            "marker": {"size": 5 if len(rows) <= 40 else 3, "color": color},
            "text": np.array([f"{_esc(name)}<br>{_esc(lbl)}" for lbl in rows["period_label"].tolist()], dtype=str),
            "customdata": _period_customdata(rows, kind),
            "hovertemplate": f"%{{text}}<br>%{{y:,.2f}} {_esc(unit)}<extra></extra>",
            "showlegend": False,
        })
    layout["annotations"] = annotations
    return _figure(traces, layout)


def _panel_domain(i: int, ncols: int, nrows: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (x, y) paper domains of panel ``i`` in a grid filled row by row from the top left (the spacing
    of plotly's make_subplots, without its cost of one layout update per panel)."""
    h_space, v_space = 0.06, min(0.08, 0.5 / nrows)
    width = (1 - h_space * (ncols - 1)) / ncols
    height = (1 - v_space * (nrows - 1)) / nrows
    row, col = divmod(i, ncols)
    x0 = col * (width + h_space)
    top = 1 - row * (height + v_space)
    return (x0, min(1.0, x0 + width)), (max(0.0, top - height), top)


_RANKING_MEASURES = {
    "mentions": ("mentions", "Mentions of each {kind} (mentions)", "Mentions"),
    "documents": ("documents_mentioning", "Documents mentioning each {kind} (documents)", "Documents"),
    "share": ("share_pct", "Share of documents mentioning each {kind} (%)", "Share of documents (%)"),
}


def ranking_figure(
    df: pd.DataFrame,
    measure: str = "documents",
    *,
    kind: str = "organisation",
    colors: Mapping[str, str] | None = None,
    top: int | None = None,
) -> go.Figure:
    """Horizontal bars, largest first, of how often each key is mentioned.

    Arguments:
        df: analysis.timeline.ranking: key, mentions, documents_mentioning, share_pct (and optionally
            ``label``, drawn instead of the key).
        measure: "mentions", "documents" or "share".
        kind: "theme" or "organisation".
        colors: key -> colour.
        top: keep only the first ``top`` rows of ``df`` (pass the same frame to the CSV download).

    Returns:
        A Figure with one Bar trace; bars follow ``df``'s order top to bottom.
    """
    _check_kind(kind)
    if measure not in _RANKING_MEASURES:
        raise ValueError(
            f"The 'measure' parameter must be one of {list(_RANKING_MEASURES)}; got {measure!r} instead."
        )
    column, title, axis = _RANKING_MEASURES[measure]
    _check_columns(df, ("key", column), "ranking")
    data = df.copy()
    if top is not None:
        data = data.head(top)
    keys = [str(k) for k in data["key"]]
    names = _labels(data)
    trace = {
        "type": "bar",
        "x": data[column].tolist(),
        "y": [_esc(names.get(k, k)) for k in keys],
        "orientation": "h",
        "marker": {"color": [_color(colors, k, i, kind) for i, k in enumerate(keys)]},
        "customdata": _customdata(len(keys), kind=kind, key=np.array(keys, dtype=object)),
        "text": [_esc(names.get(k, k)) for k in keys],
        "hovertemplate": f"%{{text}}<br>%{{x:,.2f}} {_esc(axis.lower())}<extra></extra>",
        "textposition": "none",
    }
    layout = _layout(title.format(kind=kind), xtitle=axis, ytitle=kind.capitalize(), legend=False,
                     height=max(300, 26 * len(keys) + 120))
    layout["yaxis"].update(autorange="reversed", type="category")
    return _figure([trace], layout)


def surfaces_figure(df: pd.DataFrame, label: str = "") -> go.Figure:
    """Horizontal bars, most frequent first, of the surfaces one theme or organisation is matched as.

    Arguments:
        df: analysis.surfaces.top_surfaces: surface, mentions, documents, share_pct.
        label: the theme's or organisation's name, for the title.

    Returns:
        A Figure with one Bar trace; bars follow ``df``'s order top to bottom.
    """
    _check_columns(df, ("surface", "mentions", "share_pct"), "top surfaces")
    data = df.copy()
    surfaces = [_esc(s) for s in data["surface"].astype(str)]
    trace = {
        "type": "bar",
        "x": data["mentions"].tolist(),
        "y": surfaces,
        "orientation": "h",
        "marker": {"color": _color(None, "", 0, "theme")},
        "customdata": np.array(data["share_pct"].round(1).tolist(), dtype=float),
        "text": surfaces,
        "hovertemplate": "%{text}<br>%{x:,} mentions (%{customdata}% of them)<extra></extra>",
        "textposition": "none",
    }
    title = f"Matched as: mentions of each surface{' of ' + _esc(label) if label else ''} (count)"
    layout = _layout(title, xtitle="Mentions", ytitle="Surface", legend=False, height=max(300, 26 * len(data) + 120))
    layout["yaxis"].update(autorange="reversed", type="category")
    return _figure([trace], layout)


_CROSSTAB_VALUES = {
    "share_pct": "share of documents (%)",
    "documents": "documents",
}


def crosstab_figure(
    df: pd.DataFrame,
    value: str = "share_pct",
    *,
    row_kind: str = "organisation",
    col_kind: str = "theme",
    title: str | None = None,
) -> go.Figure:
    """A row_key x col_key heatmap of a cross-tabulation, with the numbers written in the cells.

    Arguments:
        df: analysis.timeline.crosstab: row_key, col_key, documents, share_pct (and optionally
            ``row_label`` / ``col_label``, drawn instead of the keys).
        value: "share_pct" or "documents".
        row_kind, col_kind: what the rows and columns are ("organisation", "theme").
        title: overrides the generated title.

    Returns:
        A Figure with one Heatmap trace (rows and columns in alphabetical order of what is drawn; None
        where no row exists); customdata keeps the keys.
    """
    _check_kind(row_kind)
    _check_kind(col_kind)
    if value not in _CROSSTAB_VALUES:
        raise ValueError(f"The 'value' parameter must be one of {list(_CROSSTAB_VALUES)}; got {value!r} instead.")
    _check_columns(df, ("row_key", "col_key", value), "cross-tab")
    data = df.copy()
    row_names, col_names = _labels(data, "row_key", "row_label"), _labels(data, "col_key", "col_label")
    rows = sorted({str(k) for k in data["row_key"]}, key=lambda k: (row_names.get(k, k).casefold(), k))
    cols = sorted({str(k) for k in data["col_key"]}, key=lambda k: (col_names.get(k, k).casefold(), k))
    lookup = {(str(r), str(c)): v for r, c, v in zip(data["row_key"], data["col_key"], data[value], strict=True)}
    z = [[_none_if_nan(lookup.get((r, c))) for c in cols] for r in rows]
    unit = _CROSSTAB_VALUES[value]
    fmt = "%{z:.1f}" if value == "share_pct" else "%{z:.0f}"
    trace = {
        "type": "heatmap",
        "x": [_esc(col_names.get(c, c)) for c in cols],
        "y": [_esc(row_names.get(r, r)) for r in rows],
        "z": z,
        "customdata": [[[row_kind, r, "", "", "", col_kind, c] for c in cols] for r in rows],
        "colorscale": _BLUES,
        "texttemplate": fmt,
        "colorbar": {"title": {"text": _esc(unit)}},
        "hovertemplate": f"%{{y}} × %{{x}}<br>{fmt} {_esc(unit)}<extra></extra>",
        "xgap": 1,
        "ygap": 1,
    }
    auto = (
        f"Share of the documents mentioning each {row_kind} that also mention each {col_kind} (%)"
        if value == "share_pct"
        else f"Documents mentioning both the {row_kind} and the {col_kind} (documents)"
    )
    layout = _layout(title or auto, xtitle=col_kind.capitalize(), ytitle=row_kind.capitalize(), legend=False,
                     height=max(320, 24 * len(rows) + 160))
    layout["yaxis"].update(autorange="reversed", type="category")
    layout["xaxis"].update(type="category", tickangle=-35)
    return _figure([trace], layout)


def comention_figure(df: pd.DataFrame, value: str = "documents") -> go.Figure:
    """Organisation x organisation co-mention matrix: documents that mention both (diagonal: either alone).

    Arguments:
        df: analysis.timeline.crosstab(row_kind="organisation", col_kind="organisation").
        value: "documents" or "share_pct".

    Returns:
        A Figure as crosstab_figure, titled for co-mentions.
    """
    unit = _CROSSTAB_VALUES.get(value, value)
    return crosstab_figure(
        df, value, row_kind="organisation", col_kind="organisation",
        title=f"Organisations mentioned together in the same document ({unit})",
    )


def document_map_figure(
    docs: pd.DataFrame,
    clusters: pd.DataFrame,
    *,
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """A 2-D map of documents (x, y from the topic model), one colour per topic cluster.

    Arguments:
        docs: doc_id, title, x, y, cluster_id (and optionally date, source).
        clusters: cluster_id, label.
        colors: cluster label -> colour (color_map(labels, "cluster")).

    Returns:
        A Figure with one (SVG) Scatter trace per cluster (documents outside any cluster last, in grey);
        hover shows the escaped title; customdata carries the doc_id (TARGET_FIELDS). Draw a few thousand
        points at most (dashboard.queries.Queries.map_points samples a large build).
    """
    _check_columns(docs, ("doc_id", "x", "y", "cluster_id"), "documents")
    _check_columns(clusters, ("cluster_id", "label"), "clusters")
    data = docs[docs["x"].notna() & docs["y"].notna()]
    labels = _cluster_labels(clusters)
    # Each column read once and each cluster's rows found once (in the table's order), not a filter per cluster;
    # texts as arrays, which the figure's deep copy copies whole instead of value by value.
    codes = data["cluster_id"].astype(int).to_numpy()
    order = np.argsort(codes, kind="stable")
    ids, starts = np.unique(codes[order], return_index=True)
    ends = [*starts[1:], len(order)]
    x, y = data["x"].to_numpy(dtype=np.float64), data["y"].to_numpy(dtype=np.float64)
    titles = data["title"].tolist() if "title" in data else [""] * len(data)
    dates = _iso_days(data["date"]) if "date" in data else np.full(len(data), None, dtype=object)
    doc_ids = data["doc_id"].astype(str).to_numpy(dtype=object)
    size = 10 if len(data) <= 500 else 7 if len(data) <= 2000 else 5
    runs = sorted(zip(ids.tolist(), starts.tolist(), ends, strict=True), key=lambda run: (run[0] < 0, run[0]))
    traces = []
    for i, (cid, start, end) in enumerate(runs):
        rows = order[start:end]
        label = labels.get(cid, "No cluster" if cid < 0 else f"Cluster {cid}")
        color = _NO_CLUSTER_COLOR if cid < 0 else _color(colors, label, i, "cluster")
        escaped_label = _esc(label)
        hover = np.array([f"{_esc(_shorten(titles[r]) or '(untitled)')}<br>{escaped_label}<br>{dates[r] or 'undated'}"
                          for r in rows.tolist()], dtype=str)
        traces.append({
            "type": "scatter", "x": x[rows].tolist(), "y": y[rows].tolist(), "mode": "markers",
            "name": escaped_label,
            "marker": {"color": color, "size": size, "opacity": 0.85,
                       "line": {"width": 0.8 if size >= 7 else 0.4, "color": "white"}},
            "text": hover,
            "customdata": _customdata(len(rows), kind="document", doc_id=doc_ids[rows]),
            "hovertemplate": "%{text}<extra></extra>",
        })
    layout = _layout("Map of documents by similarity of wording, coloured by topic cluster",
                     xtitle="Map x (no unit)", ytitle="Map y (no unit)", dragmode="lasso", height=560)
    layout["xaxis"].update(showticklabels=False, zeroline=False)
    layout["yaxis"].update(showticklabels=False, zeroline=False)
    return _figure(traces, layout)


def _cluster_labels(clusters: pd.DataFrame) -> dict[int, str]:
    return {int(c): str(lbl) for c, lbl in zip(clusters["cluster_id"], clusters["label"], strict=True)}


def _shorten(text, limit: int = 90) -> str:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figure_keys(fig: go.Figure) -> Sequence[str]:
    """The trace names of a figure (escaped as drawn), in order; a small helper for tests and the app."""
    return [t.name for t in fig.data]


def comparison_figure(df: pd.DataFrame, *, name_a: str, name_b: str, label: str,
                      granularity: str | None = None) -> go.Figure:
    """Two series' shares with their 95 % intervals (top) and their difference with its interval (bottom).

    Arguments:
        df: a table of analysis.compare.compare_two.
        name_a, name_b: what A and B are (a source's, language's or publisher's name).
        label: the theme's or organisation's label, for the title.
        granularity: the period length, named in the title.
    """
    _check_columns(df, ("period", "share_a", "share_b", "difference", "difference_low", "difference_high"),
                   "comparison")
    data = df.sort_values("period")
    x = data["period"].to_numpy()
    traces = []
    for side, name, color in (("a", name_a, _STRONG[0]), ("b", name_b, _STRONG[1])):
        band = data.rename(columns={f"share_{side}_low": "share_low", f"share_{side}_high": "share_high"})
        traces += _band_traces(band, color, name)
        traces.append({"type": "scatter", "x": x, "y": data[f"share_{side}"].tolist(), "name": _esc(name),
                       "mode": "lines+markers", "line": {"color": color, "width": 2}, "marker": {"color": color},
                       "hovertemplate": f"{_esc(name)}<br>%{{x|%Y-%m-%d}}<br>%{{y:,.2f}} %<extra></extra>"})  # fmt: skip
    diff = data.rename(columns={"difference": "share_pct", "difference_low": "share_low",
                                "difference_high": "share_high"})  # fmt: skip
    for trace in _band_traces(diff, "#555555", "difference"):
        traces.append({**trace, "xaxis": "x2", "yaxis": "y2"})
    traces.append({"type": "scatter", "x": x, "y": data["difference"].tolist(), "xaxis": "x2", "yaxis": "y2",
                   "name": f"{_esc(name_a)} − {_esc(name_b)}", "mode": "lines+markers",
                   "line": {"color": "#333", "width": 2},
                   "hovertemplate": "%{x|%Y-%m-%d}<br>%{y:+,.2f} points<extra></extra>"})  # fmt: skip
    by = f", by {granularity}" if granularity else ""
    layout = _layout(f"{label}: share of each one's documents (%) and the difference (points){by}",
                     xtitle="", ytitle="Share (%)", hovermode="closest")  # fmt: skip
    layout["yaxis"].update(domain=[0.42, 1.0], rangemode="tozero")
    layout["xaxis"].update(anchor="y", matches="x2", showticklabels=False)
    layout["xaxis2"] = {"anchor": "y2", "title": {"text": "Period"}}
    layout["yaxis2"] = {"domain": [0.0, 0.32], "title": {"text": "A − B (points)"}, "zeroline": True,
                        "zerolinecolor": "#999"}  # fmt: skip
    return _figure(traces, layout)


def lead_lag_figure(df: pd.DataFrame, *, name_a: str, name_b: str, unit: str = "period") -> go.Figure:
    """Bars of the correlation of A's share with B's shifted by each lag; the best lag highlighted.

    Arguments:
        df: a table of analysis.compare.lead_lag (``lag``, ``correlation``, ``periods``; ``attrs["best_lag"]``).
        name_a, name_b: what A and B are.
        unit: the period length ("year", "month", …), for the axis title.
    """
    _check_columns(df, ("lag", "correlation", "periods"), "lead-lag")
    best = df.attrs.get("best_lag")
    colors = [_STRONG[2] if best is not None and lag == best else "#9aa5b1" for lag in df["lag"]]
    text = [f"lag {lag:+d} {unit}s: r = {'n/a' if pd.isna(r) else f'{r:.2f}'} over {n} periods"
            for lag, r, n in zip(df["lag"], df["correlation"], df["periods"], strict=True)]
    trace = {"type": "bar", "x": df["lag"].tolist(), "y": [None if pd.isna(r) else r for r in df["correlation"]],
             "marker": {"color": colors}, "text": text, "hovertemplate": "%{text}<extra></extra>",
             "textposition": "none", "name": "correlation"}  # fmt: skip
    title = f"Correlation of {name_a}'s share with {name_b}'s, {unit}s later (positive lag: {name_b} follows)"
    layout = _layout(title, xtitle=f"Lag ({unit}s)", ytitle="Pearson's r", legend=False)
    layout["yaxis"].update(range=[-1, 1])
    layout["xaxis"].update(dtick=1)
    return _figure([trace], layout)
