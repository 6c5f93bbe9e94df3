"""Benchmark: every Corpus method (analysis.query) beside the analysis.timeline function it replaces.

Opens a build both ways (``Corpus.open`` and ``read_build``), then for a few filter states prints the median
time of each chart's query through the Corpus, of the same table through analysis.timeline on the build's
tables in memory (the reference implementation), and their ratio; then the time to open the build either
way. Usage: ``python benchmarks/bench_query.py --data DIR [--repeat N]`` (DIR: a build, e.g. the UNGDC's
made by ``python -m analysis build ../shared/corpora/ungdc/txt --out /tmp/ungdc``). Target (issue 9):
every chart's query under ~50 ms on the UNGDC build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import pandas as pd


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _cases(corpus, build, every, filters):
    """(name, Corpus call, analysis.timeline call) of every chart's and table's query for one filter state."""
    from analysis import timeline as tl

    docs, mentions = build.documents, build.mentions
    orgs = tuple(corpus.ranking(kind="organisation", filters=filters)["key"].head(15))
    org = orgs[0] if orgs else "UN"
    gran = corpus.choose_granularity(filters)
    doc_id = str(docs["doc_id"].iloc[len(docs) // 2])
    positions = {d: i for i, d in enumerate(docs["doc_id"].astype(str))}

    def reference_document():
        row = docs.iloc[positions[doc_id]]
        return row, mentions[mentions["doc_id"] == doc_id]

    return [
        ("choose_granularity", lambda: corpus.choose_granularity(filters),
         lambda: tl.choose_granularity(docs, mentions, filters)),
        ("summary", lambda: corpus.summary(filters), lambda: tl.summary(docs, mentions, filters)),
        (f"timeline theme {gran}", lambda: corpus.timeline(kind="theme", granularity=gran, filters=filters),
         lambda: tl.timeline(docs, every, kind="theme", granularity=gran, filters=filters)),
        ("timeline theme month", lambda: corpus.timeline(kind="theme", granularity="month", filters=filters),
         lambda: tl.timeline(docs, every, kind="theme", granularity="month", filters=filters)),
        (f"timeline 15 orgs {gran}",
         lambda: corpus.timeline(kind="organisation", keys=orgs, granularity=gran, filters=filters),
         lambda: tl.timeline(docs, every, kind="organisation", keys=orgs, granularity=gran, filters=filters)),
        (f"timeline cluster {gran}", lambda: corpus.timeline(kind="cluster", granularity=gran, filters=filters),
         lambda: tl.timeline(docs, every, kind="cluster", granularity=gran, filters=filters)),
        (f"timeline {org} by source", lambda: corpus.timeline(kind="organisation", keys=(org,), granularity="year",
                                                               filters=filters, by="language"),
         lambda: tl.timeline(docs, every, kind="organisation", keys=(org,), granularity="year", filters=filters,
                             by="language")),
        ("ranking organisation", lambda: corpus.ranking(kind="organisation", filters=filters),
         lambda: tl.ranking(docs, every, kind="organisation", filters=filters)),
        ("ranking theme", lambda: corpus.ranking(kind="theme", filters=filters),
         lambda: tl.ranking(docs, every, kind="theme", filters=filters)),
        ("crosstab org x theme", lambda: corpus.crosstab(row_kind="organisation", col_kind="theme", filters=filters),
         lambda: tl.crosstab(docs, every, row_kind="organisation", col_kind="theme", filters=filters)),
        ("crosstab org x org",
         lambda: corpus.crosstab(row_kind="organisation", col_kind="organisation", filters=filters),
         lambda: tl.crosstab(docs, every, row_kind="organisation", col_kind="organisation", filters=filters)),
        (f"concordance {org} (500)", lambda: corpus.concordance(kind="organisation", key=org, filters=filters, limit=500),
         lambda: tl.concordance(docs, every, kind="organisation", key=org, filters=filters, limit=500)),
        ("documents page (1000)", lambda: corpus.documents_page(filters, limit=1000),
         lambda: tl.documents_table(docs, mentions, filters).head(1000)),
        ("dating gaps", lambda: corpus.dating_gaps(filters), lambda: tl.dating_gaps(docs, mentions, filters)),
        ("document (reader)", lambda: corpus.document(doc_id), reference_document),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a build folder")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from analysis import timeline as tl
    from analysis.query import Corpus, Filters
    from analysis.store import BuildError, read_build

    try:
        t = time.perf_counter()
        corpus = Corpus.open(args.data)
        open_s = time.perf_counter() - t
        t = time.perf_counter()
        build = read_build(args.data)
        read_s = time.perf_counter() - t
    except BuildError as error:
        print(error, file=sys.stderr)
        return 2
    every = pd.concat([build.mentions, tl.cluster_mentions(build.documents, build.clusters)], ignore_index=True)
    print(f"Build: {args.data} ({corpus.n_documents:,} documents, {len(build.mentions):,} mentions)")
    print(f"Open: Corpus.open {open_s * 1000:.0f} ms; read_build {read_s * 1000:.0f} ms\n")
    top = corpus.ranking(kind="organisation")["key"].head(2).tolist()
    themes = corpus.ranking(kind="theme")["key"].head(1).tolist()
    states = {
        "no filter": Filters(),
        f"org {top[0]}": Filters(organisations=tuple(top[:1])),
        "1990-2010": Filters(start=dt.date(1990, 1, 1), end=dt.date(2010, 12, 31)),
        f"{' + '.join(top)} (all) and {themes[0]}": Filters(organisations=tuple(top), org_mode="all",
                                                           themes=tuple(themes)),
    }
    worst = 0.0
    for state, filters in states.items():
        print(f"Filter state: {state}")
        print(f"  {'query':34} {'Corpus ms':>10} {'timeline.py ms':>15} {'ratio':>7}")
        for name, new, old in _cases(corpus, build, every, filters):
            new_ms, old_ms = _median_ms(new, args.repeat), _median_ms(old, args.repeat)
            worst = max(worst, new_ms)
            print(f"  {name:34} {new_ms:10.1f} {old_ms:15.1f} {new_ms / old_ms:7.2f}")
        print()
    print(f"Slowest Corpus query: {worst:.1f} ms median of {args.repeat} (target < 50 ms, issue 9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
