"""Loading and validating the calendar of diplomatic events (``events.toml``), and finding the events that
overlap a period or a surge."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.lexicon import DATA_DIR

__all__ = [
    "DEFAULT_EVENTS",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "EventsError",
    "load_events",
    "match_surges",
    "overlapping",
]

DEFAULT_EVENTS = DATA_DIR / "events.toml"
EVENT_KINDS = ("summit", "ministerial", "un_general_debate", "other")
EVENT_COLUMNS = (
    "key", "label", "start", "end", "kind", "organisations", "place", "description", "source", "line",
)  # fmt: skip
MATCH_COLUMNS = (
    "key", "method", "start", "end", "event_key", "event_label", "event_start", "event_end", "event_kind",
)  # fmt: skip

_TABLE = "event"
_REQUIRED_TEXT = ("key", "label", "kind", "place", "description", "source")
_DATES = ("start", "end")
_ALLOWED = frozenset((*_REQUIRED_TEXT, *_DATES, "organisations"))
_KEY_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SOURCE_RE = re.compile(r"https?://\S+")


class EventsError(ValueError):
    """An events file cannot be read or does not follow the format described at the top of events.toml."""


def load_events(path: str | Path | None = None, *, organisations=None) -> pd.DataFrame:
    """Load and validate a calendar of events.

    Arguments:
        path: an events TOML file; the bundled ``data/events.toml`` when None.
        organisations: the organisation keys an event may name (e.g. the keys of the build's lexicon);
            None to accept any.

    Returns:
        One row per event, sorted by ``start`` then ``key``, with the columns of ``EVENT_COLUMNS``:
        ``key``, ``label`` (str), ``start``, ``end`` (datetime64[ns], inclusive days), ``kind`` (one of
        ``EVENT_KINDS``), ``organisations`` (tuple of str), ``place``, ``description``, ``source`` (str),
        ``line`` (the entry's line in the file). ``attrs["path"]`` holds the file read.

    Raises:
        EventsError: the file is missing, is not valid TOML, or an entry does not follow the format; the
        message names the file, the entry and its line.
    """
    path = Path(path) if path else DEFAULT_EVENTS
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventsError(f"The events file '{path}' does not exist. Pass the path of an existing TOML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EventsError(f"The events file '{path}' cannot be read as UTF-8 text: {exc}.") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise EventsError(f"The events file '{path}' is not valid TOML: {exc}. Fix the syntax at that line.") from None
    known = None if organisations is None else frozenset(str(o) for o in organisations)
    rows = _parse(data, raw, path, known)
    out = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    out["start"] = pd.to_datetime(out["start"]).astype("datetime64[ns]")
    out["end"] = pd.to_datetime(out["end"]).astype("datetime64[ns]")
    out["line"] = out["line"].astype("Int64")
    out = out.sort_values(["start", "key"], kind="stable").reset_index(drop=True)
    out.attrs["path"] = str(path)
    return out


def _parse(data: dict, raw: str, path: Path, known: frozenset[str] | None) -> list[dict]:
    unknown_top = sorted(set(data) - {_TABLE})
    if unknown_top:
        raise EventsError(f"The file '{path}' must hold only [[{_TABLE}]] tables; got top-level {unknown_top} instead.")
    items = data.get(_TABLE)
    if not isinstance(items, list) or not items:
        raise EventsError(f"The file '{path}' has no [[{_TABLE}]] entries; add at least one.")
    header_lines = [i + 1 for i, ln in enumerate(raw.splitlines()) if re.match(rf"\s*\[\[\s*{_TABLE}\s*\]\]", ln)]
    seen: dict[str, int | None] = {}
    rows = []
    for n, item in enumerate(items):
        line = header_lines[n] if n < len(header_lines) else None
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key.strip():
            line = _key_line(raw, key, after=line) or line
        where = f"event #{n + 1}" + (f" (key {key!r})" if isinstance(key, str) else "")
        where += f" at line {line}" if line else ""
        prefix = f"In '{path}', {where}: "
        if not isinstance(item, dict):
            raise EventsError(prefix + f"expected a table; got {type(item).__name__}.")
        unknown = sorted(set(item) - _ALLOWED)
        if unknown:
            raise EventsError(prefix + f"unknown field(s) {unknown}; the allowed fields are {sorted(_ALLOWED)}.")
        for field in _REQUIRED_TEXT:
            value = item.get(field)
            if not isinstance(value, str) or not value.strip():
                raise EventsError(prefix + f"the field '{field}' is missing or empty; it must be a non-empty string.")
        if not _KEY_RE.fullmatch(key):
            raise EventsError(
                prefix + f"the key {key!r} must be lower-case letters and digits joined by '-', e.g. 'sco-summit-2024'."
            )
        if key in seen:
            raise EventsError(prefix + f"duplicate key {key!r} (first defined at line {seen[key]}); keys must be unique.")
        seen[key] = line
        dates = {}
        for field in _DATES:
            value = item.get(field)
            if value is None:
                raise EventsError(prefix + f"the field '{field}' is missing; give a date such as {field} = 2024-07-03.")
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                hint = " without quotes" if isinstance(value, str) else ""
                raise EventsError(
                    prefix + f"the field '{field}' must be a date written{hint} as YYYY-MM-DD (e.g. {field} = "
                    f"2024-07-03); got {value!r} instead."
                )
            dates[field] = value
        if dates["end"] < dates["start"]:
            raise EventsError(
                prefix + f"the 'end' date {dates['end'].isoformat()} is before the 'start' date "
                f"{dates['start'].isoformat()}; swap them."
            )
        if item["kind"] not in EVENT_KINDS:
            raise EventsError(prefix + f"the 'kind' must be one of {list(EVENT_KINDS)}; got {item['kind']!r} instead.")
        if not _SOURCE_RE.fullmatch(item["source"].strip()):
            raise EventsError(
                prefix + f"the 'source' must be an http(s) address saying where the dates come from; got "
                f"{item['source']!r} instead."
            )
        orgs = item.get("organisations", [])
        if not isinstance(orgs, list) or any(not isinstance(o, str) or not o.strip() for o in orgs):
            raise EventsError(prefix + f"the field 'organisations' must be a list of organisation keys; got {orgs!r}.")
        if known is not None:
            strange = [o for o in orgs if o not in known]
            if strange:
                raise EventsError(
                    prefix + f"unknown organisation key(s) {strange}; use keys of the organisations file "
                    "(e.g. 'SCO', 'BRICS', 'UN')."
                )
        rows.append(
            {
                "key": key,
                "label": item["label"].strip(),
                "start": dates["start"],
                "end": dates["end"],
                "kind": item["kind"],
                "organisations": tuple(orgs),
                "place": item["place"].strip(),
                "description": item["description"].strip(),
                "source": item["source"].strip(),
                "line": line,
            }
        )
    return rows


def _key_line(raw: str, key: str, *, after: int | None) -> int | None:
    """The line of ``key = "..."`` (the first at or after line ``after``)."""
    pattern = re.compile(rf"""^[ \t]*key[ \t]*=[ \t]*(["']){re.escape(key)}\1""", flags=re.MULTILINE)
    offset = 0
    if after:
        lines = raw.splitlines(keepends=True)
        offset = sum(len(ln) for ln in lines[: after - 1])
    m = pattern.search(raw, offset) or pattern.search(raw)
    return raw.count("\n", 0, m.start()) + 1 if m else None


# ---------------------------------------------------------------------------------------------- overlaps
def _as_timestamp(name: str, value) -> pd.Timestamp:
    stamp = pd.NaT
    if isinstance(value, dt.date):  # includes datetime and Timestamp
        stamp = pd.Timestamp(value)
    elif isinstance(value, str):
        # Only ISO dates: pandas would read "July" as July of this year.
        with contextlib.suppress(ValueError):
            stamp = pd.Timestamp(dt.date.fromisoformat(value.strip()))
    elif isinstance(value, np.datetime64):
        stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError(
            f"The {name!r} argument must be a date (datetime.date, Timestamp or 'YYYY-MM-DD'); got {value!r} instead."
        )
    return stamp.normalize()


def _check_events(events) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame) or not {"key", "start", "end"} <= set(events.columns):
        raise ValueError("The 'events' argument must be a table of analysis.events.load_events.")
    return events


def overlapping(events: pd.DataFrame, start, end, *, margin_days: int = 0) -> pd.DataFrame:
    """The events that share at least one day with the days from ``start`` to ``end`` (both inclusive).

    Arguments:
        events: a table of :func:`load_events`.
        start, end: the first and last day of the window (``end`` >= ``start``).
        margin_days: widen the window by this many days on each side (an event the week before a surge).

    Returns:
        The rows of ``events`` that overlap, in their order (index reset).
    """
    events = _check_events(events)
    first, last = _as_timestamp("start", start), _as_timestamp("end", end)
    if last < first:
        raise ValueError(f"The 'end' ({last.date()}) must be on or after the 'start' ({first.date()}); swap them.")
    if isinstance(margin_days, bool) or not isinstance(margin_days, (int, np.integer)) or margin_days < 0:
        raise ValueError(f"The 'margin_days' parameter must be an integer >= 0; got {margin_days!r} instead.")
    margin = pd.Timedelta(days=int(margin_days))
    keep = (events["start"] <= last + margin) & (events["end"] >= first - margin)
    return events[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def match_surges(surges: pd.DataFrame, events: pd.DataFrame, *, margin_days: int = 0) -> pd.DataFrame:
    """Every (surge, event) pair that overlap in time, for listing events beside the surges.

    Arguments:
        surges: a table of :func:`analysis.surges.surges` (``key``, ``method``, ``start``, ``end``).
        events: a table of :func:`load_events`.
        margin_days: as in :func:`overlapping`.

    Returns:
        One row per pair with the columns ``key``, ``method``, ``start``, ``end`` (the surge's),
        ``event_key``, ``event_label``, ``event_start``, ``event_end``, ``event_kind``; surges in their
        order, events by start. Empty (with these columns) when nothing overlaps.
    """
    events = _check_events(events)
    missing = [c for c in ("key", "method", "start", "end") if c not in surges.columns]
    if missing:
        raise ValueError(f"The surges table lacks the columns {missing}; pass a table of analysis.surges.surges.")
    if isinstance(margin_days, bool) or not isinstance(margin_days, (int, np.integer)) or margin_days < 0:
        raise ValueError(f"The 'margin_days' parameter must be an integer >= 0; got {margin_days!r} instead.")
    firsts = [_as_timestamp("start", v) for v in surges["start"]]
    lasts = [_as_timestamp("end", v) for v in surges["end"]]
    for first, last in zip(firsts, lasts, strict=True):
        if last < first:
            raise ValueError(f"The 'end' ({last.date()}) must be on or after the 'start' ({first.date()}); swap them.")
    margin = np.timedelta64(int(margin_days), "D")
    first = np.asarray(firsts, dtype="datetime64[ns]").reshape(-1, 1) - margin
    last = np.asarray(lasts, dtype="datetime64[ns]").reshape(-1, 1) + margin
    starts = events["start"].to_numpy(dtype="datetime64[ns]")
    ends = events["end"].to_numpy(dtype="datetime64[ns]")
    # Every (surge, event) pair at once; nonzero walks the surges in order and, within one, the events.
    at_surge, at_event = np.nonzero((starts <= last) & (ends >= first))
    chosen, picked = surges.iloc[at_surge], events.iloc[at_event]
    rows = {"key": chosen["key"].to_numpy(), "method": chosen["method"].to_numpy(),
            "start": chosen["start"].to_numpy(), "end": chosen["end"].to_numpy(),
            "event_key": picked["key"].to_numpy(), "event_label": picked["label"].to_numpy(),
            "event_start": picked["start"].to_numpy(), "event_end": picked["end"].to_numpy(),
            "event_kind": picked["kind"].to_numpy()}  # fmt: skip
    out = pd.DataFrame(rows, columns=list(MATCH_COLUMNS))
    for column in ("start", "end", "event_start", "event_end"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    return out
