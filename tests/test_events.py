"""Tests for analysis.events: the bundled calendar, the validation of user files, overlaps with surges."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from analysis.events import (
    DEFAULT_EVENTS,
    EVENT_COLUMNS,
    EVENT_KINDS,
    EventsError,
    load_events,
    match_surges,
    overlapping,
)
from analysis.lexicon import load_lexicon

EVENT_OK = """
[[event]]
key = "sco-summit-2024"
label = "SCO summit, Astana"
start = 2024-07-03
end = 2024-07-04
kind = "summit"
organisations = ["SCO"]
place = "Astana, Kazakhstan"
description = "SCO Council of Heads of State."
source = "https://example.org/sco-2024"
"""


def _write(tmp_path, text, name="events.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return load_events(organisations=[e.key for e in load_lexicon().organisations])


# ------------------------------------------------------------------------------------ the bundled file
def test_bundled_file_is_valid_and_uses_known_organisations(bundled):
    assert DEFAULT_EVENTS.name == "events.toml" and DEFAULT_EVENTS.parent.name == "data"
    assert list(bundled.columns) == list(EVENT_COLUMNS)
    assert bundled["key"].is_unique
    assert (bundled["end"] >= bundled["start"]).all()
    assert set(bundled["kind"]) <= set(EVENT_KINDS)
    assert bundled["source"].str.match(r"https?://").all()
    assert bundled["start"].is_monotonic_increasing


@pytest.mark.parametrize(
    ("organisation", "kind", "years"),
    [
        ("SCO", "summit", 8), ("SCO", "ministerial", 5), ("BRICS", "summit", 11), ("BRICS", "ministerial", 7),
        ("CSTO", "summit", 11), ("CIS", "summit", 6), ("EAEU", "summit", 2), ("G20", "summit", 11),
        ("UN", "un_general_debate", 11),
    ],
)  # fmt: skip
def test_bundled_file_covers_2015_to_2025(bundled, organisation, kind, years):
    rows = bundled[(bundled["kind"] == kind) & bundled["organisations"].map(lambda o: organisation in o)]
    assert rows["start"].dt.year.nunique() >= years
    assert rows["start"].dt.year.between(2015, 2025).all()


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("unga-general-debate-79", "2024-09-24", "2024-09-30"),
        ("brics-summit-2024", "2024-10-22", "2024-10-24"),
        ("g20-summit-2018", "2018-11-30", "2018-12-01"),
    ],
)
def test_bundled_entries_read_their_dates(bundled, key, start, end):
    row = bundled.set_index("key").loc[key]
    assert (row["start"], row["end"]) == (pd.Timestamp(start), pd.Timestamp(end))


def test_a_users_file_replaces_the_bundled_one(tmp_path):
    events = load_events(_write(tmp_path, EVENT_OK))
    assert events["key"].tolist() == ["sco-summit-2024"]
    row = events.iloc[0]
    assert row["organisations"] == ("SCO",) and row["line"] == 2  # the `key = ...` line
    assert events.attrs["path"].endswith("events.toml")


def test_organisations_are_optional(tmp_path):
    events = load_events(_write(tmp_path, EVENT_OK.replace('organisations = ["SCO"]\n', "")))
    assert events.iloc[0]["organisations"] == ()


# ----------------------------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    with pytest.raises(EventsError, match=r"The events file '.*nowhere\.toml' does not exist"):
        load_events(tmp_path / "nowhere.toml")


def test_malformed_toml_names_file_and_line(tmp_path):
    path = _write(tmp_path, EVENT_OK.replace('kind = "summit"', 'kind "summit"'))
    with pytest.raises(EventsError, match=r"events file '.*events\.toml' is not valid TOML: .*line 6"):
        load_events(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "events.toml"
    path.write_bytes(EVENT_OK.replace("Astana", "Astana \xe9").encode("latin-1"))
    with pytest.raises(EventsError, match=r"cannot be read as UTF-8 text"):
        load_events(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('label = "SCO summit, Astana"\n', "", r"event #1 \(key 'sco-summit-2024'\) at line 2: the field 'label' is missing"),
        ('kind = "summit"', 'kind = "party"', r"at line 2: the 'kind' must be one of \['summit', 'ministerial', 'un_general_debate', 'other'\]; got 'party'"),
        ("start = 2024-07-03", 'start = "2024-07-03"', r"the field 'start' must be a date written without quotes as YYYY-MM-DD"),
        ("end = 2024-07-04", "end = 2024-07-04T10:00:00", r"the field 'end' must be a date written as YYYY-MM-DD"),
        ("end = 2024-07-04\n", "", r"the field 'end' is missing; give a date such as end = 2024-07-03"),
        ("end = 2024-07-04", "end = 2024-07-01", r"the 'end' date 2024-07-01 is before the 'start' date 2024-07-03; swap them"),
        ('source = "https://example.org/sco-2024"', 'source = "my notes"', r"the 'source' must be an http\(s\) address"),
        ('key = "sco-summit-2024"', 'key = "SCO summit"', r"the key 'SCO summit' must be lower-case letters and digits joined by '-'"),
        ('organisations = ["SCO"]', 'organisations = "SCO"', r"the field 'organisations' must be a list of organisation keys; got 'SCO'"),
        ('place = "Astana, Kazakhstan"', 'place = "Astana"\nvenue = "Palace"', r"unknown field\(s\) \['venue'\]; the allowed fields are"),
    ],
)
def test_malformed_entries_are_refused_with_file_entry_and_line(tmp_path, old, new, message):
    assert old in EVENT_OK
    path = _write(tmp_path, EVENT_OK.replace(old, new))
    with pytest.raises(EventsError, match=message) as info:
        load_events(path)
    assert info.match(r"^In '.*events\.toml', event #1 \(key '[^']+'\) at line 2: ")


def test_the_line_is_the_entry_s_own(tmp_path):
    second = EVENT_OK.replace("sco-summit-2024", "brics-summit-2024").replace('kind = "summit"', 'kind = "gala"')
    path = _write(tmp_path, EVENT_OK + "\n" + second.lstrip("\n"))
    with pytest.raises(EventsError, match=r"event #2 \(key 'brics-summit-2024'\) at line 13: the 'kind'"):
        load_events(path)


def test_duplicate_keys(tmp_path):
    path = _write(tmp_path, EVENT_OK + "\n" + EVENT_OK.lstrip("\n"))
    with pytest.raises(EventsError, match=r"event #2 .* at line 13: duplicate key 'sco-summit-2024' \(first defined at line 2\)"):
        load_events(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[settings]\nx = 1\n', r"must hold only \[\[event\]\] tables; got top-level \['settings'\]"),
        ("# nothing here\n", r"has no \[\[event\]\] entries; add at least one"),
    ],
)
def test_files_without_events(tmp_path, text, message):
    with pytest.raises(EventsError, match=message):
        load_events(_write(tmp_path, text))


def test_unknown_organisation_keys_are_refused_when_the_keys_are_given(tmp_path):
    path = _write(tmp_path, EVENT_OK.replace('["SCO"]', '["SCO", "Shanghai club"]'))
    assert len(load_events(path)) == 1
    with pytest.raises(EventsError, match=r"unknown organisation key\(s\) \['Shanghai club'\]"):
        load_events(path, organisations=["SCO", "BRICS"])


# --------------------------------------------------------------------------------------------- overlaps
def _calendar():
    return pd.DataFrame(
        {
            "key": ["a", "b", "c"],
            "label": ["A", "B", "C"],
            "start": pd.to_datetime(["2024-07-03", "2024-09-24", "2024-10-22"]),
            "end": pd.to_datetime(["2024-07-04", "2024-09-30", "2024-10-24"]),
            "kind": ["summit", "un_general_debate", "summit"],
        }
    )


@pytest.mark.parametrize(
    ("start", "end", "margin", "expected"),
    [
        ("2024-07-04", "2024-07-10", 0, ["a"]),  # shares the last day
        ("2024-07-05", "2024-07-10", 0, []),
        ("2024-07-05", "2024-07-10", 1, ["a"]),
        ("2024-09-01", "2024-10-31", 0, ["b", "c"]),
        (dt.date(2024, 9, 25), pd.Timestamp("2024-09-25"), 0, ["b"]),  # inside one event
        ("2023-01-01", "2023-12-31", 0, []),
    ],
)
def test_overlapping(start, end, margin, expected):
    assert overlapping(_calendar(), start, end, margin_days=margin)["key"].tolist() == expected


@pytest.mark.parametrize(
    ("start", "end", "margin", "message"),
    [
        ("2024-07-10", "2024-07-01", 0, r"The 'end' \(2024-07-01\) must be on or after the 'start' \(2024-07-10\)"),
        ("July", "2024-07-01", 0, r"The 'start' argument must be a date .*got 'July'"),
        ("2024-07-01", "2024-07-10", -1, r"'margin_days' parameter must be an integer >= 0; got -1"),
    ],
)
def test_overlapping_refuses_bad_windows(start, end, margin, message):
    with pytest.raises(ValueError, match=message):
        overlapping(_calendar(), start, end, margin_days=margin)


def test_match_surges_lists_each_overlap():
    surges = pd.DataFrame(
        {
            "key": ["multipolarity", "ngos"],
            "method": ["burst", "change_point"],
            "start": pd.to_datetime(["2024-07-01", "2023-01-01"]),
            "end": pd.to_datetime(["2024-09-30", "2023-12-31"]),
        }
    )
    out = match_surges(surges, _calendar())
    assert out[["key", "event_key"]].values.tolist() == [["multipolarity", "a"], ["multipolarity", "b"]]
    assert out["event_start"].tolist() == [pd.Timestamp("2024-07-03"), pd.Timestamp("2024-09-24")]
    empty = match_surges(surges.iloc[1:], _calendar())
    assert empty.empty and "event_label" in empty.columns
    with pytest.raises(ValueError, match=r"surges table lacks the columns \['method'\]"):
        match_surges(surges.drop(columns="method"), _calendar())


# ------------------------------------------------------------------------------------------- the build
SAMPLE = DEFAULT_EVENTS.parents[1] / "data" / "sample"


def test_build_with_events_copies_the_calendar_and_records_it(tmp_path, capsys):
    import hashlib
    import json

    from analysis.__main__ import main

    events = _write(tmp_path, EVENT_OK, "my_events.toml")
    out = tmp_path / "build"
    assert main(["build", str(SAMPLE), "--out", str(out), "--events", str(events), "--quiet"]) == 0
    assert (out / "events.toml").read_bytes() == events.read_bytes()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["events"] == {"file": "events.toml", "source": str(events), "events": 1,
                                  "sha256": hashlib.sha256(events.read_bytes()).hexdigest()}  # fmt: skip
    assert load_events(out / "events.toml")["key"].tolist() == ["sco-summit-2024"]


def test_build_refuses_a_malformed_calendar_before_reading_anything(tmp_path, capsys):
    from analysis.__main__ import main

    events = _write(tmp_path, EVENT_OK.replace("end = 2024-07-04", "end = 2024-07-01"), "bad.toml")
    out = tmp_path / "build"
    assert main(["build", str(SAMPLE), "--out", str(out), "--events", str(events), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml', event #1 (key 'sco-summit-2024') at line 2: the 'end' date 2024-07-01 is before" in err
    assert not out.exists()


@pytest.mark.parametrize("margin", [0, 3, 400])
def test_match_surges_pairs_each_surge_with_the_events_overlapping_it(margin):
    surges = pd.DataFrame({
        "key": ["a", "b", "c", "a"], "method": ["burst", "burst", "change_point", "change_point"],
        "start": pd.to_datetime(["2024-07-01", "2023-01-01", "2024-09-25", "2020-01-01"]),
        "end": pd.to_datetime(["2024-09-30", "2023-12-31", "2024-09-25", "2025-12-31"]),
    })
    calendar = _calendar()
    out = match_surges(surges, calendar, margin_days=margin)
    expected = []
    for surge in surges.itertuples(index=False):
        for event in overlapping(calendar, surge.start, surge.end, margin_days=margin).itertuples(index=False):
            expected.append((surge.key, surge.method, surge.start, event.key, event.start))
    assert list(out[["key", "method", "start", "event_key", "event_start"]].itertuples(index=False, name=None)) \
        == expected
    with pytest.raises(ValueError, match=r"The 'end' \(2024-01-01\) must be on or after"):
        match_surges(surges.assign(end=pd.Timestamp("2024-01-01")), calendar)
