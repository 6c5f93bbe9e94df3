"""Sidebar widgets <-> View (Filters + granularity + measure) <-> URL query params, and chart selections."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis.timeline import Filters, filter_documents
from analysis.vocabulary import (
    AUTO,
    DEFAULT_GRANULARITY,
    DEFAULT_MEASURE,
    GRANULARITY_CHOICES,
    MEASURES,
    ORG_MODES,
    TARGET_FIELDS,
)

__all__ = [
    "AUTO",
    "DEFAULT_GRANULARITY",
    "GRANULARITY_CHOICES",
    "DEFAULT_MEASURE",
    "WIDGET_KEYS",
    "Options",
    "Target",
    "View",
    "describe_targets",
    "narrow_doc_ids",
    "option_label",
    "params_to_view",
    "selection_targets",
    "view_to_params",
    "view_to_widgets",
    "widgets_to_view",
]

# AUTO ("auto": the app picks the period length from the filtered documents), GRANULARITY_CHOICES,
# DEFAULT_GRANULARITY, DEFAULT_MEASURE and ORG_MODES come from analysis.vocabulary.

# Widget keys of the sidebar, so the app, the tests and the URL code name them the same way.
WIDGET_KEYS = {
    "dates": "f_dates",
    "granularity": "f_granularity",
    "measure": "f_measure",
    "organisations": "f_organisations",
    "org_mode": "f_org_mode",
    "themes": "f_themes",
    "sources": "f_sources",
    "publishers": "f_publishers",
    "languages": "f_languages",
    "include_duplicates": "f_duplicates",
    "include_inferred": "f_inferred",
    "include_body_dates": "f_body_dates",
    "events": "f_events",
}

# URL parameter names: short, readable, stable (a shared link must keep working).
_P_START, _P_END, _P_GRAN, _P_MEASURE = "from", "to", "by", "measure"
_P_ORG, _P_MODE, _P_THEME, _P_SOURCE, _P_LANG = "org", "org_mode", "theme", "source", "lang"
_P_DUPS, _P_INFERRED, _P_BODY, _P_EVENTS = "duplicates", "inferred", "body_dates", "events"
_P_PUBLISHER = "publisher"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class View:
    """Everything the sidebar decides: the filters, the period length ("auto" or one of GRANULARITIES) and
    the measure."""

    filters: Filters = field(default_factory=Filters)
    granularity: str = DEFAULT_GRANULARITY
    measure: str = DEFAULT_MEASURE
    events: bool = True  # the calendar's events drawn on the timelines (URL: events=0 hides them)


@dataclass(frozen=True)
class Options:
    """What a build offers: the values a URL or a widget may name (anything else is dropped).

    ``None`` for a field means "accept any value" (used when the build is not known, e.g. in tests).
    """

    organisations: tuple[str, ...] | None = None
    themes: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    publishers: tuple[str, ...] | None = None
    first_date: dt.date | None = None
    last_date: dt.date | None = None


def option_label(key: str, count: int | None) -> str:
    """The label of a multiselect option with its document count: ``"SCO (12)"``."""
    return str(key) if count is None else f"{key} ({int(count)})"


# ---------------------------------------------------------------------------------------------- URL


def encode_value(value: str) -> str:
    """One value of a list parameter as written into the URL: a comma or backslash in it is escaped with a
    backslash, so that ``a,b.txt`` stays one value when lists may also be given comma-separated."""
    return str(value).replace("\\", "\\\\").replace(",", "\\,")


def _split_escaped(item: str) -> list[str]:
    """``item`` split on its unescaped commas, each part unescaped (the inverse of ``encode_value``)."""
    parts, current, chars = [], [], iter(item)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _values(params: Mapping, name: str) -> list[str]:
    """All values of one query parameter, whether given as a string, a list or comma-separated.

    Each value is unescaped (see ``encode_value``) and stripped of surrounding spaces.
    """
    raw = params.get(name)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, Iterable) else [raw]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        out.extend(part.strip() for part in _split_escaped(str(item)))
    return [v for v in out if v]


def _first(params: Mapping, name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return default


def _keep(values: Iterable[str], allowed: Sequence[str] | None) -> tuple[str, ...]:
    seen: list[str] = []
    for v in values:
        if (allowed is None or v in allowed) and v not in seen:
            seen.append(v)
    return tuple(seen)


def _clamp_dates(start, end, options: Options) -> tuple[dt.date | None, dt.date | None]:
    lo, hi = options.first_date, options.last_date
    if start is not None and end is not None and start > end:
        start, end = end, start
    if lo is not None and start is not None and start <= lo:
        start = None  # the whole span from the first document: no bound, so undated ones are not implied
    if hi is not None and end is not None and end >= hi:
        end = None
    if lo is not None and end is not None and end < lo:
        end = None
    if hi is not None and start is not None and start > hi:
        start = None
    return start, end


def params_to_view(params: Mapping, options: Options | None = None) -> View:
    """Read a View from URL query params; anything malformed or unknown falls back to the default.

    Arguments:
        params: name -> str or list of str (e.g. ``{k: st.query_params.get_all(k) for k in st.query_params}``).
            Lists may also be given comma-separated (``org=SCO,BRICS``); a comma inside a value is
            escaped as ``\\,`` (``view_to_params`` does so), so every value round-trips.
        options: the values this build offers; unknown organisations, themes, sources, publishers and languages are
            dropped, and dates outside the build's span are clamped.

    Returns:
        A View; never raises for any content of ``params``.
    """
    options = options or Options()
    try:
        params = dict(params or {})
    except (TypeError, ValueError):
        params = {}
    start, end = _clamp_dates(_date(_first(params, _P_START)), _date(_first(params, _P_END)), options)
    mode = _first(params, _P_MODE)
    gran = _first(params, _P_GRAN)
    measure = _first(params, _P_MEASURE)
    filters = Filters(
        start=start,
        end=end,
        organisations=_keep(_values(params, _P_ORG), options.organisations),
        org_mode=mode if mode in ORG_MODES else "any",
        themes=_keep(_values(params, _P_THEME), options.themes),
        sources=_keep(_values(params, _P_SOURCE), options.sources),
        publishers=_keep(_values(params, _P_PUBLISHER), options.publishers),
        languages=_keep(_values(params, _P_LANG), options.languages),
        include_duplicates=_bool(_first(params, _P_DUPS), False),
        include_inferred=_bool(_first(params, _P_INFERRED), True),
        include_body_dates=_bool(_first(params, _P_BODY), True),
    )
    return View(
        filters=filters,
        granularity=gran if gran in GRANULARITY_CHOICES else DEFAULT_GRANULARITY,
        measure=measure if measure in MEASURES else DEFAULT_MEASURE,
        events=_bool(_first(params, _P_EVENTS), True),
    )


def view_to_params(view: View) -> dict[str, str | list[str]]:
    """The URL query params of a View; defaults are left out so a plain link stays plain.

    Returns:
        name -> str, or list of str for multi-valued filters (``st.query_params.from_dict`` accepts both).
    """
    f = view.filters
    out: dict[str, str | list[str]] = {}
    if f.start is not None:
        out[_P_START] = f.start.isoformat()
    if f.end is not None:
        out[_P_END] = f.end.isoformat()
    if view.granularity != DEFAULT_GRANULARITY:
        out[_P_GRAN] = view.granularity
    if view.measure != DEFAULT_MEASURE:
        out[_P_MEASURE] = view.measure
    for name, values in ((_P_ORG, f.organisations), (_P_THEME, f.themes), (_P_SOURCE, f.sources),
                         (_P_PUBLISHER, f.publishers), (_P_LANG, f.languages)):
        if values:
            out[name] = [encode_value(value) for value in values]
    if f.org_mode != "any":
        out[_P_MODE] = f.org_mode
    if f.include_duplicates:
        out[_P_DUPS] = "1"
    if not f.include_inferred:
        out[_P_INFERRED] = "0"
    if not f.include_body_dates:
        out[_P_BODY] = "0"
    if not view.events:
        out[_P_EVENTS] = "0"
    return out


# ------------------------------------------------------------------------------------------ widgets


def view_to_widgets(view: View, options: Options | None = None) -> dict[str, object]:
    """Initial values of the sidebar widgets (by widget key) that show a View.

    The date range widget gets ``(start, end)`` with the build's first/last date standing in for an open
    bound; it is left out when the build has no dated documents.
    """
    options = options or Options()
    f = view.filters
    out: dict[str, object] = {
        WIDGET_KEYS["granularity"]: view.granularity,
        WIDGET_KEYS["measure"]: view.measure,
        WIDGET_KEYS["organisations"]: list(f.organisations),
        WIDGET_KEYS["org_mode"]: f.org_mode,
        WIDGET_KEYS["themes"]: list(f.themes),
        WIDGET_KEYS["sources"]: list(f.sources),
        WIDGET_KEYS["publishers"]: list(f.publishers),
        WIDGET_KEYS["languages"]: list(f.languages),
        WIDGET_KEYS["include_duplicates"]: bool(f.include_duplicates),
        WIDGET_KEYS["include_inferred"]: bool(f.include_inferred),
        WIDGET_KEYS["include_body_dates"]: bool(f.include_body_dates),
        WIDGET_KEYS["events"]: bool(view.events),
    }
    if options.first_date is not None and options.last_date is not None:
        out[WIDGET_KEYS["dates"]] = (f.start or options.first_date, f.end or options.last_date)
    return out


def _widget_dates(value) -> tuple[dt.date | None, dt.date | None]:
    if value is None:
        return None, None
    if isinstance(value, dt.date):
        return _as_date(value), None
    try:
        items = list(value)
    except TypeError:
        return None, None
    start = _as_date(items[0]) if len(items) > 0 else None
    end = _as_date(items[1]) if len(items) > 1 else None
    return start, end


def _as_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return _date(value)
    return None


def widgets_to_view(values: Mapping[str, object], options: Options | None = None) -> View:
    """The View shown by the sidebar widgets' current values (by widget key; missing keys -> defaults).

    A date range that spans the whole build is no date filter (so undated documents are not dropped just
    because the widget shows the full span); a half-picked range (one date) bounds the start only.
    """
    options = options or Options()

    def get(name, default=None):
        return values.get(WIDGET_KEYS[name], default)

    def many(name) -> list[str]:
        raw = get(name) or []
        return [str(v) for v in raw] if isinstance(raw, (list, tuple)) else []

    start, end = _clamp_dates(*_widget_dates(get("dates")), options)
    mode = get("org_mode", "any")
    gran = get("granularity", DEFAULT_GRANULARITY)
    measure = get("measure", DEFAULT_MEASURE)
    filters = Filters(
        start=start,
        end=end,
        organisations=_keep(many("organisations"), options.organisations),
        org_mode=mode if mode in ORG_MODES else "any",
        themes=_keep(many("themes"), options.themes),
        sources=_keep(many("sources"), options.sources),
        publishers=_keep(many("publishers"), options.publishers),
        languages=_keep(many("languages"), options.languages),
        include_duplicates=bool(get("include_duplicates", False)),
        include_inferred=bool(get("include_inferred", True)),
        include_body_dates=bool(get("include_body_dates", True)),
    )
    return View(
        filters=filters,
        granularity=gran if gran in GRANULARITY_CHOICES else DEFAULT_GRANULARITY,
        measure=measure if measure in MEASURES else DEFAULT_MEASURE,
        events=bool(get("events", True)),
    )


# ---------------------------------------------------------------------------------- chart selections


@dataclass(frozen=True)
class Target:
    """What lies behind one selected point: a key in a period, a pair of keys, or one document."""

    kind: str = ""
    key: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    doc_id: str = ""
    col_kind: str = ""
    col_key: str = ""

    def describe(self) -> str:
        if self.doc_id:
            return f"document {self.doc_id}"
        parts = [f"{self.kind} {self.key}" if self.key else ""]
        if self.col_key:
            parts.append(f"{self.col_kind} {self.col_key}")
        text = " + ".join(p for p in parts if p)
        if self.start and self.end:
            text += f" in {self.start.isoformat()}…{self.end.isoformat()}"
        return text


def selection_targets(event) -> list[Target]:
    """The targets behind a Plotly selection event from ``st.plotly_chart(..., on_select="rerun")``.

    Arguments:
        event: the widget's value: a dict (or dict-like) with ``{"selection": {"points": [...]}}``; each
            point's ``customdata`` follows dashboard.charts.TARGET_FIELDS. Anything else gives no target.

    Returns:
        Distinct targets in selection order.
    """
    try:
        selection = event.get("selection", {}) if hasattr(event, "get") else {}
        points = selection.get("points", []) if hasattr(selection, "get") else []
        points = list(points or [])
    except (AttributeError, TypeError):
        return []
    out: list[Target] = []
    for point in points:
        custom = point.get("customdata") if hasattr(point, "get") else None
        if not isinstance(custom, (list, tuple)) or len(custom) < len(TARGET_FIELDS):
            continue
        values = dict(zip(TARGET_FIELDS, ("" if v is None else str(v) for v in custom), strict=False))
        target = Target(
            kind=values["kind"], key=values["key"], start=_date(values["start"]), end=_date(values["end"]),
            doc_id=values["doc_id"], col_kind=values["col_kind"], col_key=values["col_key"],
        )
        if (target.key or target.doc_id) and target not in out:
            out.append(target)
    return out


def describe_targets(targets: Sequence[Target], limit: int = 3) -> str:
    """A short description of a selection for the "Narrowed by chart selection" chip."""
    texts = [t.describe() for t in targets]
    if len(texts) > limit:
        return ", ".join(texts[:limit]) + f" and {len(texts) - limit} more"
    return ", ".join(texts)


def _open_filters(target: Target) -> Filters:
    # Everything in the target's period; the sidebar's own filters are applied by intersection.
    return Filters(start=target.start, end=target.end, include_duplicates=True, include_inferred=True)


def _target_doc_ids(documents, mentions, target: Target, labels: Mapping[str, int]) -> set[str] | None:
    base = _open_filters(target)
    ids: set[str] | None = None
    for kind, key in ((target.kind, target.key), (target.col_kind, target.col_key)):
        if not key:
            continue
        if kind == "theme":
            part = filter_documents(documents, mentions, dataclasses.replace(base, themes=(key,)))
        elif kind == "organisation":
            part = filter_documents(documents, mentions, dataclasses.replace(base, organisations=(key,)))
        elif kind == "cluster":
            if key not in labels:
                return set()
            part = filter_documents(documents, mentions, base)
            part = part[part["cluster_id"].astype(int) == labels[key]]
        else:
            return set()
        found = set(part["doc_id"].astype(str))
        ids = found if ids is None else ids & found
    return ids


def narrow_doc_ids(
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    filters: Filters,
    targets: Sequence[Target],
    clusters: pd.DataFrame | None = None,
) -> tuple[str, ...]:
    """The documents behind a chart selection, within the sidebar's filters.

    Arguments:
        documents, mentions: the build's tables.
        filters: the sidebar's filters (a selection only narrows them).
        targets: from selection_targets: a (kind, key, period) point gives the documents of that period that
            mention the key; a (row, column) cell of a cross-tab the documents mentioning both; a map point
            that document; a cluster point the documents of that cluster in that period.
        clusters: cluster_id, label (needed for cluster targets, whose key is the cluster label).

    Returns:
        The doc_ids, in the documents table's order (empty when the selection matches nothing).
    """
    allowed = set(
        filter_documents(documents, mentions, dataclasses.replace(filters, doc_ids=None))["doc_id"].astype(str)
    )
    labels = (
        {str(lbl): int(cid) for cid, lbl in zip(clusters["cluster_id"], clusters["label"], strict=True)}
        if clusters is not None else {}
    )
    wanted: set[str] = set()
    for target in targets:
        if target.doc_id:
            wanted.add(target.doc_id)
            continue
        found = _target_doc_ids(documents, mentions, target, labels)
        if found:
            wanted |= found
    return tuple(d for d in documents["doc_id"].astype(str) if d in wanted and d in allowed)
