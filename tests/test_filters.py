"""Tests for dashboard.filters: URL <-> View <-> widgets round trips, garbage tolerance, selections."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis.timeline import Filters
from dashboard import filters as fl
from dashboard.filters import WIDGET_KEYS as K
from dashboard.filters import Options, Target, View

D = dt.date
OPTIONS = Options(
    organisations=("BRICS", "NATO", "SCO"), themes=("eurasian_security", "multipolarity", "ngos"),
    sources=("a.txt", "b.txt"), languages=("en", "ru"), first_date=D(2024, 1, 10), last_date=D(2024, 3, 20),
    publishers=("Russian MFA", "TASS", "Kremlin, the", "a\\b"),
)

VIEWS = [
    View(),
    View(Filters(start=D(2024, 2, 1)), "week", "mentions"),
    View(Filters(end=D(2024, 2, 29)), "year", "per_10k"),
    View(Filters(start=D(2024, 1, 15), end=D(2024, 2, 15)), "day", "documents"),
    View(Filters(organisations=("SCO", "BRICS"), org_mode="all")),
    View(Filters(organisations=("NATO",))),
    View(Filters(themes=("multipolarity", "ngos"), sources=("b.txt",), languages=("ru", "en"))),
    View(Filters(include_duplicates=True, include_inferred=False), "quarter", "share"),
    View(Filters(include_body_dates=False)),
    View(Filters(publishers=("TASS", "Kremlin, the", "a\\b"), sources=("a.txt",))),
]


@pytest.mark.parametrize("view", VIEWS)
def test_url_round_trip(view):
    params = fl.view_to_params(view)
    assert fl.params_to_view(params, OPTIONS) == view


@pytest.mark.parametrize("view", VIEWS)
def test_url_round_trip_through_query_param_lists(view):
    # st.query_params gives every value as a list via get_all.
    params = {k: v if isinstance(v, list) else [v] for k, v in fl.view_to_params(view).items()}
    assert fl.params_to_view(params, OPTIONS) == view


@pytest.mark.parametrize("view", VIEWS)
def test_widget_round_trip(view):
    assert fl.widgets_to_view(fl.view_to_widgets(view, OPTIONS), OPTIONS) == view


def test_default_view_has_empty_params():
    assert fl.view_to_params(View()) == {}


def test_params_are_readable():
    view = View(Filters(start=D(2024, 2, 1), organisations=("SCO", "BRICS"), org_mode="all"), "week")
    assert fl.view_to_params(view) == {
        "from": "2024-02-01", "by": "week", "org": ["SCO", "BRICS"], "org_mode": "all",
    }


@pytest.mark.parametrize("params,expected", [
    ({}, View()),
    ({"from": "yesterday"}, View()),
    ({"from": "2024-13-45", "to": ["x"]}, View()),
    ({"by": "fortnight", "measure": "vibes"}, View()),
    ({"org": ["ISIS", "SCO"]}, View(Filters(organisations=("SCO",)))),
    ({"org": "SCO,BRICS,,SCO"}, View(Filters(organisations=("SCO", "BRICS")))),
    ({"org_mode": "most"}, View()),
    ({"theme": ["<script>"], "lang": ["xx"], "source": ["/etc/passwd"]}, View()),
    ({"publisher": ["Nobody", "TASS"]}, View(Filters(publishers=("TASS",)))),
    ({"publisher": "Russian MFA,TASS"}, View(Filters(publishers=("Russian MFA", "TASS")))),
    ({"duplicates": "maybe", "inferred": "perhaps"}, View()),
    ({"duplicates": "true", "inferred": "off"}, View(Filters(include_duplicates=True, include_inferred=False))),
    ({"body_dates": "0"}, View(Filters(include_body_dates=False))),
    ({"body_dates": "sometimes"}, View()),
    ({"from": "2024-03-01", "to": "2024-02-01"}, View(Filters(start=D(2024, 2, 1), end=D(2024, 3, 1)))),
    ({"from": "1990-01-01", "to": "2030-01-01"}, View()),  # the whole span is no date filter
    ({"from": "2030-01-01"}, View()),  # after the last document
    ({"to": "1990-01-01"}, View()),  # before the first document
    ({"measure": ["mentions", "share"]}, View()),  # last value wins
    ({"unknown": "1", "by": None}, View()),
    ({"org": [None, 3, "SCO"]}, View(Filters(organisations=("SCO",)))),
])
def test_garbage_in_the_url_falls_back_to_defaults(params, expected):
    assert fl.params_to_view(params, OPTIONS) == expected


@pytest.mark.parametrize("params", [None, [], "org=SCO", 42, {"org": 42}, {"from": 3.5}, {"by": ["a", None]}])
def test_params_to_view_never_raises(params):
    assert isinstance(fl.params_to_view(params, OPTIONS), View)


def test_unknown_values_kept_when_options_are_unknown():
    view = fl.params_to_view({"org": "WHO", "from": "1990-01-01"})
    assert view.filters.organisations == ("WHO",) and view.filters.start == D(1990, 1, 1)


@pytest.mark.parametrize("dates,expected", [
    ((D(2024, 1, 10), D(2024, 3, 20)), (None, None)),  # the whole span
    ((D(2024, 2, 1), D(2024, 3, 20)), (D(2024, 2, 1), None)),
    ((D(2024, 2, 1),), (D(2024, 2, 1), None)),  # half-picked range
    ((), (None, None)),
    (None, (None, None)),
    (D(2024, 2, 1), (D(2024, 2, 1), None)),
    ((D(2024, 3, 1), D(2024, 2, 1)), (D(2024, 2, 1), D(2024, 3, 1))),
])
def test_date_widget(dates, expected):
    view = fl.widgets_to_view({K["dates"]: dates}, OPTIONS)
    assert (view.filters.start, view.filters.end) == expected


def test_widgets_missing_give_defaults():
    assert fl.widgets_to_view({}, OPTIONS) == View()


def test_view_to_widgets_fills_open_date_bounds():
    values = fl.view_to_widgets(View(Filters(start=D(2024, 2, 1))), OPTIONS)
    assert values[K["dates"]] == (D(2024, 2, 1), D(2024, 3, 20))
    assert K["dates"] not in fl.view_to_widgets(View(), Options())


@pytest.mark.parametrize("key,count,label", [("SCO", 12, "SCO (12)"), ("ngos", 0, "ngos (0)"), ("UN", None, "UN")])
def test_option_label(key, count, label):
    assert fl.option_label(key, count) == label


def _point(*custom):
    return {"curve_number": 0, "point_index": 0, "customdata": list(custom)}


@pytest.mark.parametrize("event,expected", [
    (None, []),
    ({}, []),
    ({"selection": None}, []),
    ({"selection": {"points": []}}, []),
    ({"selection": {"points": [{"x": 1}]}}, []),
    ({"selection": {"points": [_point("a", "b")]}}, []),
    ({"selection": {"points": [_point("theme", "ngos", "2024-03-01", "2024-03-31", "", "", "")]}},
     [Target("theme", "ngos", D(2024, 3, 1), D(2024, 3, 31))]),
    ({"selection": {"points": [_point("document", "", "", "", "d2", "", "")] * 2}},
     [Target("document", doc_id="d2")]),
    ({"selection": {"points": [_point("organisation", "SCO", "bad", "", "", "theme", "ngos")]}},
     [Target("organisation", "SCO", col_kind="theme", col_key="ngos")]),
])
def test_selection_targets(event, expected):
    assert fl.selection_targets(event) == expected


@pytest.mark.parametrize("targets,filters,expected", [
    ([Target("document", doc_id="d3")], Filters(), ("d3",)),
    ([Target("document", doc_id="d5")], Filters(), ()),  # a duplicate, hidden by the sidebar
    ([Target("document", doc_id="d5")], Filters(include_duplicates=True), ("d5",)),
    ([Target("organisation", "SCO")], Filters(), ("d1", "d4")),
    ([Target("organisation", "SCO", D(2024, 1, 1), D(2024, 1, 31))], Filters(), ("d1",)),
    ([Target("organisation", "BRICS", D(2024, 3, 1), D(2024, 3, 31))], Filters(), ("d3",)),
    ([Target("organisation", "BRICS", D(2024, 3, 1), D(2024, 3, 31))], Filters(include_inferred=False), ()),
    ([Target("theme", "multipolarity")], Filters(), ("d1", "d3")),
    ([Target("theme", "multipolarity")], Filters(themes=("ngos",)), ("d3",)),
    ([Target("organisation", "SCO", col_kind="theme", col_key="multipolarity")], Filters(), ("d1",)),
    ([Target("organisation", "SCO", col_kind="organisation", col_key="BRICS")], Filters(), ("d1",)),
    ([Target("organisation", "NATO"), Target("organisation", "BRICS")], Filters(), ("d1", "d2", "d3")),
    ([Target("cluster", "brics · sco", D(2024, 1, 1), D(2024, 3, 31))], Filters(), ("d1", "d3")),
    ([Target("cluster", "unknown")], Filters(), ()),
    ([Target("country", "France")], Filters(), ()),
    ([], Filters(), ()),
])
def test_narrow_doc_ids(tiny, targets, filters, expected):
    got = fl.narrow_doc_ids(tiny["documents"], tiny["mentions"], filters, targets, tiny["clusters"])
    assert got == expected


def test_describe_targets():
    targets = [Target("theme", "ngos", D(2024, 3, 1), D(2024, 3, 31)), Target("document", doc_id="d2"),
               Target("organisation", "SCO", col_kind="theme", col_key="ngos"), Target("document", doc_id="d3")]
    assert fl.describe_targets(targets) == (
        "theme ngos in 2024-03-01…2024-03-31, document d2, organisation SCO + theme ngos and 1 more"
    )


@pytest.mark.parametrize("params,granularity", [
    ({}, "auto"), ({"by": "auto"}, "auto"), ({"by": "quarter"}, "quarter"), ({"by": "fortnight"}, "auto"),
])
def test_the_period_length_is_automatic_unless_the_url_fixes_it(params, granularity):
    view = fl.params_to_view(params, OPTIONS)
    assert view.granularity == granularity
    assert fl.view_to_params(view) == ({"by": granularity} if granularity != fl.AUTO else {})
    assert fl.widgets_to_view(fl.view_to_widgets(view, OPTIONS), OPTIONS) == view


@pytest.mark.parametrize(("params", "expected"), [({}, True), ({"events": "0"}, False), ({"events": "1"}, True),
                                                  ({"events": "maybe"}, True)])
def test_events_toggle_round_trips_through_the_url(params, expected):
    view = fl.params_to_view(params)
    assert view.events is expected
    assert fl.view_to_params(view) == ({} if expected else {"events": "0"})
    assert fl.widgets_to_view(fl.view_to_widgets(view)).events is expected


def test_publishers_are_written_as_the_publisher_parameter():
    view = View(Filters(publishers=("Kremlin, the", "TASS")))
    assert fl.view_to_params(view) == {"publisher": ["Kremlin\\, the", "TASS"]}
    assert fl.view_to_widgets(view, OPTIONS)[K["publishers"]] == ["Kremlin, the", "TASS"]
