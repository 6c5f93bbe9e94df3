"""Benchmark: `analysis update` with ~10% new files against a full rebuild, and an unchanged re-run, in the
same run, on a subset of the UNGDC.

Takes N speeches (1,000 by default, every (len/N)-th of the sorted corpus so that all the sessions are in
it) and holds every tenth back. Builds the other 90% (the build to update), copies the held-back files into
the same folder and times, each in its own process (`python -m analysis … --quiet`, sampled for peak RSS as
in bench_dask.py): the update of the build naming the folder again (90% recognised by sha256 and not read,
10% read, dated, their mentions found and assigned to the saved clusters), a full build of all N, and the
update run again with nothing new. Prints the times, the ratios to the full build, and whether the updated
build has the documents and mentions of the full build.

Usage: `python benchmarks/bench_update.py [--corpus DIR] [--speeches N] [--new-every K] [--workers W]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dask import _run_sampled  # the same sampling of wall time and memory

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ungdc" / "txt"


def _copy(files: list[Path], corpus: Path, dest: Path) -> None:
    for f in files:
        target = dest / f.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)  # a copy, not a link: ingest does not follow links out of an input


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--speeches", type=int, default=1_000, help="speeches in the subset (1,000)")
    parser.add_argument("--new-every", type=int, default=10, help="every K-th speech is new in the update (10)")
    parser.add_argument("--workers", type=int, default=2, help="--workers of every command (2)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"Corpus not found at {args.corpus}: pass --corpus DIR (the UNGDC 'txt' folder).", file=sys.stderr)
        return 2
    every = sorted(args.corpus.rglob("*.txt"))
    step = max(1, len(every) // args.speeches)
    subset = every[::step][: args.speeches]
    new = subset[args.new_every - 1 :: args.new_every]
    old = [f for f in subset if f not in set(new)]
    work = Path(tempfile.mkdtemp(prefix="dt-bench-update-"))
    folder = work / "speeches"
    _copy(old, args.corpus, folder)
    print(f"Subset: {len(subset)} speeches of {args.corpus} ({sum(f.stat().st_size for f in subset) / 1e6:.1f} MB), "
          f"{len(new)} of them new in the update; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    py = [sys.executable, "-m", "analysis"]
    workers = ["--workers", str(args.workers), "--quiet"]
    try:
        base = _run_sampled([*py, "build", str(folder), "--out", str(work / "build"), *workers])
        _copy(new, args.corpus, folder)
        update = _run_sampled([*py, "update", str(work / "build"), str(folder), *workers])
        full = _run_sampled([*py, "build", str(folder), "--out", str(work / "full"), *workers])
        rerun = _run_sampled([*py, "update", str(work / "build"), str(folder), *workers])
        print(f"\n{'':<44} {'wall s':>8} {'/ full':>8} {'peak RSS MB':>12}")
        for label, r in ((f"build of the {len(old)} (the build to update)", base),
                         (f"update: {len(new)} new, {len(old)} unchanged", update),
                         (f"full build of all {len(subset)}", full),
                         ("update again, nothing new", rerun)):
            print(f"{label:<44} {r['wall']:>8.1f} {r['wall'] / full['wall']:>7.2f}x {r['tree_mb']:>12.0f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        from analysis.store import read_build

        updated, rebuilt = read_build(work / "build"), read_build(work / "full")
        columns = [c for c in rebuilt.documents.columns if c not in ("cluster_id", "x", "y")]
        same_docs = updated.documents[columns].equals(rebuilt.documents[columns])
        keys = ["doc_id", "kind", "key", "start", "end"]
        same_mentions = updated.mentions.sort_values(keys).reset_index(drop=True).equals(
            rebuilt.mentions.sort_values(keys).reset_index(drop=True))
        last = updated.manifest["updates"][-1]
        print(f"\nupdated build: {len(updated.documents)} documents ({last['added']} added), "
              f"{len(updated.mentions)} mentions; the full build's documents: {same_docs}, mentions: "
              f"{same_mentions}; updates recorded: {len(updated.manifest['updates'])} (the re-run writes none)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
