"""Benchmark: build the UN General Debate corpus stage by stage, beside a bare TF-IDF baseline.

Prints wall time, documents/s, MB/s and peak memory per stage of `python -m analysis build` on
../shared/corpora/ungdc (10,952 speeches, 213 MB), the time of a bare scikit-learn
`TfidfVectorizer().fit_transform` over the same texts in the same run and the ratio, then the median time
of filtered timelines on the build. Usage: `python benchmarks/bench_build.py [--corpus DIR] [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import speech_files

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ungdc" / "txt"


def _median_ms(fn, repeat: int = 15) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="only the first N files (for a quick run)")
    parser.add_argument("--keep", type=Path, help="keep the build in this folder")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"Corpus not found at {args.corpus}: pass --corpus DIR (the UNGDC 'txt' folder).", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="dt-bench-"))
    files, corpus = speech_files(args.corpus, args.limit, work)
    n_bytes = sum(f.stat().st_size for f in files)
    out = args.keep or work / "build"
    print(f"Corpus: {corpus} ({len(files)} files, {n_bytes / 1e6:.1f} MB)")

    # 0. Read every file once, so that the build and the baseline both start from a warm page cache
    #    (the baseline is timed on texts already in memory; a cold disk would only add noise to the build).
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]

    # 1. The whole build, in its own process so that its peak memory is its own.
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "build", str(corpus), "--out", str(out), "--quiet"],
                   cwd=ROOT, check=True)
    build_s = time.perf_counter() - t
    manifest = json.loads((out / "manifest.json").read_text())
    n_docs = manifest["counts"]["documents"]
    print(f"\nBuild: {build_s:.1f} s wall for {n_docs} documents "
          f"({n_docs / build_s:.0f} docs/s, {n_bytes / 1e6 / build_s:.1f} MB/s); "
          f"{manifest['counts']['dated']} dated, {manifest['counts']['mentions']} mentions, "
          f"{manifest['counts']['clusters']} clusters")
    print(f"{'stage':<10} {'seconds':>8} {'docs/s':>9} {'MB/s':>7} {'peak RSS MB':>12}")
    for stage, row in manifest["timings"].items():
        s = max(row["seconds"], 1e-9)
        print(f"{stage:<10} {row['seconds']:>8.2f} {n_docs / s:>9.0f} {n_bytes / 1e6 / s:>7.1f} "
              f"{row['peak_rss_mb']:>12.0f}")
    print("(mentions are found on worker processes while the topic model is fitted: those two overlap;\n"
          " the rest of the wall time is starting Python, importing and writing the parquet files)")

    # 2. The baseline: a bare TfidfVectorizer over the same texts, read plainly.
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    TfidfVectorizer().fit_transform(texts)
    base_s = time.perf_counter() - t
    del texts
    print(f"\nBaseline TfidfVectorizer().fit_transform: {base_s:.1f} s "
          f"(peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    peak = max(row["peak_rss_mb"] for row in manifest["timings"].values())
    print(f"Ratio build / baseline: {build_s / base_s:.2f}x (target <= 1.5x, issue 9); build peak memory "
          f"{peak:.0f} MB (target < 4096 MB)")

    # 3. Filtered timelines on the build.
    from analysis import timeline as tl
    from analysis.store import read_build

    build = read_build(out)
    docs, mentions = build.documents, build.mentions
    cases = {
        "monthly, themes, UN filter": dict(granularity="month", filters=tl.Filters(organisations=("UN",))),
        "yearly, themes, UN filter": dict(granularity="year", filters=tl.Filters(organisations=("UN",))),
        "yearly, organisations, 1990-2010": dict(
            kind="organisation", granularity="year",
            filters=tl.Filters(start=__import__("datetime").date(1990, 1, 1),
                               end=__import__("datetime").date(2010, 12, 31))),
    }
    print()
    for name, kwargs in cases.items():
        kwargs.setdefault("kind", "theme")
        ms = _median_ms(lambda kw=kwargs: tl.timeline(docs, mentions, **kw))
        print(f"Timeline ({name}): {ms:.1f} ms median of 15 (target < 100 ms)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
