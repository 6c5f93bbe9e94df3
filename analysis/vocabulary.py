"""The shared vocabulary of analysis, dashboard and command line: kinds, granularities, measures, org modes,
cluster keys and the layout of a chart selection, each declared once.

The values are the ones of ``../shared/CONTRACT.md`` (URL parameters ``by``, ``measure``, ``org_mode``) and
never change: a shared link must keep working. Each choice is a ``StrEnum`` (its members are ``str``, so
``Kind.THEME == "theme"``) with a ``Literal`` type beside it for annotations, and a tuple of its values in
the order the dashboard offers them.

    Kind, KindName, KINDS, ENTITY_KINDS          theme / organisation / cluster
    Granularity, GranularityName, GRANULARITIES  day / week / month / quarter / year
    AUTO, GRANULARITY_CHOICES, DEFAULT_GRANULARITY   "auto" plus the granularities (the period-length choice)
    Measure, MeasureName, MEASURES, MEASURE_INFO, DEFAULT_MEASURE, RANKING_MEASURES
    measure_column(measure) -> the timeline column ("share" -> "share_pct")
    OrgMode, OrgModeName, ORG_MODES              any / all
    TARGET_FIELDS                                the customdata layout of a selectable chart point
    cluster_keys(clusters, cluster_ids)          cluster id -> the key its timeline rows carry
    check_choice(name, value, allowed)           the entry-point check every module uses
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "AUTO",
    "DEFAULT_GRANULARITY",
    "DEFAULT_MEASURE",
    "ENTITY_KINDS",
    "GRANULARITIES",
    "GRANULARITY_CHOICES",
    "KINDS",
    "MEASURES",
    "MEASURE_INFO",
    "MEASURE_LABELS",
    "ORG_MODES",
    "RANKING_MEASURES",
    "TARGET_FIELDS",
    "Granularity",
    "GranularityName",
    "Kind",
    "KindName",
    "Measure",
    "MeasureInfo",
    "MeasureName",
    "OrgMode",
    "OrgModeName",
    "check_choice",
    "cluster_keys",
    "measure_column",
]


class Kind(StrEnum):
    """What a key names: a theme or an organisation of the lexicon, or a topic cluster of the build."""

    THEME = "theme"
    ORGANISATION = "organisation"
    CLUSTER = "cluster"


KindName = Literal["theme", "organisation", "cluster"]
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
# The kinds that come from the lexicon (mentions.parquet, entities.parquet); clusters come from the topic model.
ENTITY_KINDS: tuple[str, ...] = (Kind.THEME.value, Kind.ORGANISATION.value)


class Granularity(StrEnum):
    """The length of a timeline's periods (weeks start on Monday; quarters and years are calendar ones)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


GranularityName = Literal["day", "week", "month", "quarter", "year"]
GRANULARITIES: tuple[str, ...] = tuple(g.value for g in Granularity)
# "auto": the period length is chosen from the filtered documents (Corpus.choose_granularity); a URL
# (by=...) or the dashboard's select box can fix one of GRANULARITIES instead.
AUTO = "auto"
GRANULARITY_CHOICES: tuple[str, ...] = (AUTO, *GRANULARITIES)
DEFAULT_GRANULARITY = AUTO


class Measure(StrEnum):
    """What a timeline counts per period."""

    MENTIONS = "mentions"
    DOCUMENTS = "documents"
    SHARE = "share"
    PER_10K = "per_10k"


MeasureName = Literal["mentions", "documents", "share", "per_10k"]


@dataclass(frozen=True)
class MeasureInfo:
    """One measure: the timeline column that holds it, what it counts (a sentence for help texts), the
    phrase of a chart title (``{kind}`` stands for the kind's name) and the unit of its axis."""

    column: str
    description: str
    title: str
    unit: str


MEASURE_INFO: dict[str, MeasureInfo] = {
    Measure.MENTIONS.value: MeasureInfo(
        "mentions", "Number of times the term is mentioned", "Mentions of each {kind}", "mentions"
    ),
    Measure.DOCUMENTS.value: MeasureInfo(
        "documents_mentioning", "Number of documents that mention it at least once",
        "Documents mentioning each {kind}", "documents",
    ),
    Measure.SHARE.value: MeasureInfo(
        "share_pct", "Share of the period's documents that mention it (%)",
        "Share of documents mentioning each {kind}", "%",
    ),
    Measure.PER_10K.value: MeasureInfo(
        "per_10k_words", "Mentions per 10,000 words in the period's documents",
        "Mentions of each {kind} per 10,000 words", "per 10,000 words",
    ),
}
# measure -> (timeline column, description): the shape analysis.timeline.MEASURES always had.
MEASURES: dict[str, tuple[str, str]] = {m: (info.column, info.description) for m, info in MEASURE_INFO.items()}
# measure -> (timeline column, title phrase, unit): the shape dashboard.charts.MEASURE_LABELS always had.
MEASURE_LABELS: dict[str, tuple[str, str, str]] = {
    m: (info.column, info.title, info.unit) for m, info in MEASURE_INFO.items()
}
DEFAULT_MEASURE = Measure.SHARE.value
# A ranking has no periods, so no rate per word: the measures a ranking can be sorted and drawn by.
RANKING_MEASURES: tuple[str, ...] = (Measure.MENTIONS.value, Measure.DOCUMENTS.value, Measure.SHARE.value)


class OrgMode(StrEnum):
    """How several organisations of a filter combine: documents mentioning any of them, or all of them."""

    ANY = "any"
    ALL = "all"


OrgModeName = Literal["any", "all"]
ORG_MODES: tuple[str, ...] = tuple(m.value for m in OrgMode)

# Every selectable chart point carries customdata in this layout, so a selection maps back to what lies
# behind it (dashboard.filters.selection_targets). Empty strings mark fields that do not apply.
TARGET_FIELDS: tuple[str, ...] = ("kind", "key", "start", "end", "doc_id", "col_kind", "col_key")


def check_choice(name: str, value, allowed) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``, naming the parameter and the choices."""
    if value not in allowed:
        raise ValueError(f"The {name!r} parameter must be one of {list(allowed)}; got {value!r} instead.")


def measure_column(measure: str) -> str:
    """The timeline column that holds a measure.

    Arguments:
        measure: one of ``MEASURES`` (``mentions``, ``documents``, ``share``, ``per_10k``).

    Returns:
        The column name, e.g. ``share_pct`` for ``share``.
    """
    check_choice("measure", measure, MEASURES)
    return MEASURES[measure][0]


def cluster_keys(labels: Iterable[tuple[int, object]], cluster_ids: Iterable[int]) -> dict[int, str]:
    """The key of each cluster in cluster timelines, rankings and selections: its label, made unique.

    Arguments:
        labels: (cluster_id, label) pairs of the clusters table (empty when the build has none).
        cluster_ids: the cluster ids to name (those of the documents; -1, no cluster, is never asked for).

    Returns:
        cluster id -> key: the label, ``"<label> (#N)"`` when two clusters share a label, ``"Cluster N"``
        when the cluster has no (or an empty) label or is not in ``labels``.
    """
    named: dict[int, str] = {}
    for cid, label in labels:
        named[int(cid)] = str(label) if isinstance(label, str) and label else f"Cluster {int(cid)}"
    seen: dict[str, int] = {}
    for label in named.values():
        seen[label] = seen.get(label, 0) + 1
    named = {cid: (f"{label} (#{cid})" if seen[label] > 1 else label) for cid, label in named.items()}
    return {int(cid): named.get(int(cid), f"Cluster {int(cid)}") for cid in cluster_ids}
