"""Diplomatic Themes: diplomatic texts -> dated documents -> theme and organisation mentions -> timelines.

The few public names, imported on first use so that `python -m analysis --help` stays fast:

    from analysis import Filters, ranking, run_build
    build = run_build(["data/sample"], "build/sample")
    table = ranking(build.documents, build.mentions, kind="theme", filters=Filters(organisations=("SCO",)))

(`timeline` is also a module name: take the function from `analysis.timeline`.)
"""

from importlib import import_module

__version__ = "0.1.0"
__all__ = [
    "Filters",
    "TopicModel",
    "__version__",
    "concordance",
    "crosstab",
    "filter_documents",
    "find_mentions",
    "load_lexicon",
    "ranking",
    "read_build",
    "read_inputs",
    "run_build",
    "to_csv_bytes",
]

_WHERE = {
    "Filters": "timeline", "concordance": "timeline", "crosstab": "timeline", "filter_documents": "timeline",
    "ranking": "timeline", "TopicModel": "topics", "find_mentions": "mentions",
    "load_lexicon": "lexicon", "read_build": "store", "read_inputs": "ingest", "run_build": "pipeline",
    "to_csv_bytes": "export",
}


def __getattr__(name: str):
    if name in _WHERE:
        module = import_module(f".{_WHERE[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
