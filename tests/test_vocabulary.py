"""The shared vocabulary: the values of the contract, one declaration imported everywhere."""

from __future__ import annotations

import pytest

from analysis import timeline as tl
from analysis import vocabulary as vc
from dashboard import charts, filters


def test_values_are_the_contracts_url_values():
    # ../shared/CONTRACT.md: by, measure and org_mode keep these values so shared links keep working.
    assert vc.GRANULARITY_CHOICES == ("auto", "day", "week", "month", "quarter", "year")
    assert set(vc.MEASURES) == {"share", "documents", "mentions", "per_10k"}
    assert vc.ORG_MODES == ("any", "all")
    assert vc.KINDS == ("theme", "organisation", "cluster")
    assert vc.ENTITY_KINDS == ("theme", "organisation")
    assert vc.DEFAULT_MEASURE == "share" and vc.DEFAULT_GRANULARITY == "auto"


@pytest.mark.parametrize(
    "enum, values",
    [(vc.Kind, vc.KINDS), (vc.Granularity, vc.GRANULARITIES), (vc.Measure, tuple(vc.MEASURES)),
     (vc.OrgMode, vc.ORG_MODES)],
)  # fmt: skip
def test_enum_members_are_the_strings(enum, values):
    assert tuple(enum) == values
    assert all(isinstance(member, str) and member == member.value for member in enum)


def test_one_declaration_is_shared():
    assert tl.MEASURES is vc.MEASURES and tl.KINDS is vc.KINDS and tl.GRANULARITIES is vc.GRANULARITIES
    assert charts.MEASURE_LABELS is vc.MEASURE_LABELS and charts.TARGET_FIELDS is vc.TARGET_FIELDS
    assert filters.GRANULARITY_CHOICES is vc.GRANULARITY_CHOICES and filters.ORG_MODES is vc.ORG_MODES


@pytest.mark.parametrize(
    "measure, column",
    [("mentions", "mentions"), ("documents", "documents_mentioning"), ("share", "share_pct"),
     ("per_10k", "per_10k_words"), (vc.Measure.SHARE, "share_pct")],
)  # fmt: skip
def test_measure_column(measure, column):
    assert vc.measure_column(measure) == column
    assert vc.MEASURE_INFO[measure].column == column == vc.MEASURE_LABELS[measure][0] == vc.MEASURES[measure][0]


def test_measure_column_names_the_choices():
    with pytest.raises(ValueError, match=r"'measure' parameter must be one of \['mentions', .*got 'ratio'"):
        vc.measure_column("ratio")


def test_ranking_measures_have_no_rate():
    assert vc.RANKING_MEASURES == ("mentions", "documents", "share")


@pytest.mark.parametrize(
    "labels, ids, expected",
    [
        ([(0, "a · b"), (1, "c · d")], [1, 0], {1: "c · d", 0: "a · b"}),
        ([(0, "same"), (1, "same"), (2, "other")], [0, 1, 2], {0: "same (#0)", 1: "same (#1)", 2: "other"}),
        ([(0, ""), (1, None)], [0, 1], {0: "Cluster 0", 1: "Cluster 1"}),
        ([], [3, 5], {3: "Cluster 3", 5: "Cluster 5"}),
        ([(0, "a")], [0, 7], {0: "a", 7: "Cluster 7"}),
    ],
)
def test_cluster_keys(labels, ids, expected):
    assert vc.cluster_keys(labels, ids) == expected


def test_check_choice_message():
    with pytest.raises(ValueError, match=r"The 'kind' parameter must be one of \['theme', 'organisation', "
                                         r"'cluster'\]; got 'topic' instead\."):  # fmt: skip
        vc.check_choice("kind", "topic", vc.KINDS)
