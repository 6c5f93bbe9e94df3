"""Benchmark: the UNGDC build on a 2-worker Dask LocalCluster (`--engine dask`) against the local engine
(`--workers 2`), in the same run.

Each build runs as `python -m analysis build … --quiet` in its own process; its process tree is sampled
every 0.2 s (psutil) for the resident memory of the client (the command's own process) and of every other
process (the Dask workers, or the local engine's pool), so that each worker's peak is its own. Prints wall
time, CPU seconds, peak RSS of the client, of each worker and of the whole tree, the manifest's stage
timings, the ratio dask/local, then whether the two builds agree: documents (ids, sources, texts, dates),
mention counts, clusters (adjusted Rand index of the two labelings) and the term counts. The load of the
machine (1-minute load average before and after) is printed too: on a shared machine it moves the figures.

Usage: `python benchmarks/bench_dask.py [--corpus DIR] [--limit N] [--workers 2] [--keep DIR]
[--order dask,local]`. The local pool's processes are forked from the client, so their RSS counts pages
they share with it: the local tree's total overstates its memory; the Dask workers share nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from corpus import speech_files

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ungdc" / "txt"


def _run_sampled(args: list[str], interval: float = 0.2) -> dict:
    """Run ``args``; its wall and CPU seconds, and the peak RSS (MB) of the process itself, of each other
    process of its tree (by pid, with its command line's last word) and of the tree as a whole."""
    t = time.perf_counter()
    proc = psutil.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    peaks: dict[int, float] = {}
    names: dict[int, str] = {}
    cpu: dict[int, float] = {}
    tree_peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                members = [proc, *proc.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0.0
            for member in members:
                try:
                    with member.oneshot():
                        rss = member.memory_info().rss / 2**20
                        times = member.cpu_times()
                        if member.pid not in names:
                            names[member.pid] = " ".join(member.cmdline()[-2:])[-60:]
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                peaks[member.pid] = max(peaks.get(member.pid, 0.0), rss)
                cpu[member.pid] = times.user + times.system + times.children_user + times.children_system
            tree_peak[0] = max(tree_peak[0], total)
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - t
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit status {code}")
    others = {pid: mb for pid, mb in peaks.items() if pid != proc.pid}
    return {"wall": wall, "cpu": sum(cpu.values()), "client_mb": peaks.get(proc.pid, 0.0), "tree_mb": tree_peak[0],
            "others": {f"{pid} {names.get(pid, '')}": mb for pid, mb in sorted(others.items())}}


def _compare(local_path: Path, dask_path: Path) -> None:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from analysis.store import read_build
    from analysis.term_store import TermStore

    local, dask = read_build(local_path), read_build(dask_path)
    a, b = local.documents, dask.documents
    same_ids = a["doc_id"].tolist() == b["doc_id"].tolist()
    print(f"documents: {len(a)} local, {len(b)} dask; ids and order equal: {same_ids}")
    if not same_ids:
        return
    for column in ("source", "text", "seq", "duplicate_of", "publisher", "language"):
        print(f"  {column:<13} equal: {a[column].equals(b[column])}")
    dates = a["date"].equals(b["date"]) and a["date_method"].equals(b["date_method"])
    print(f"  dates        equal: {dates} ({int(a['date'].notna().sum())} dated)")
    mentions = len(local.mentions), len(dask.mentions)
    keys = ["doc_id", "kind", "key", "start", "end"]
    same_mentions = local.mentions.sort_values(keys).reset_index(drop=True).equals(
        dask.mentions.sort_values(keys).reset_index(drop=True))
    print(f"mentions: {mentions[0]} local, {mentions[1]} dask; equal: {same_mentions}")
    ari = adjusted_rand_score(a["cluster_id"], b["cluster_id"])
    print(f"clusters: {len(local.clusters)} local, {len(dask.clusters)} dask; adjusted Rand index {ari:.4f}")
    xy = np.abs(a[["x", "y"]].to_numpy(float) - b[["x", "y"]].to_numpy(float))
    print(f"map coordinates: largest difference {np.nanmax(xy) if xy.size else 0:.2e}")
    counts = [TermStore.load(p / "term_counts.npz") for p in (local_path, dask_path)]
    same_counts = (counts[0].terms.tolist() == counts[1].terms.tolist()
                   and (counts[0].matrix != counts[1].matrix).nnz == 0)
    print(f"term counts: {counts[0].matrix.nnz} counts local; equal: {same_counts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="only the first N files (for a quick run)")
    parser.add_argument("--workers", type=int, default=2, help="workers of each engine (2)")
    parser.add_argument("--keep", type=Path, help="keep the two builds in this folder (local/, dask/)")
    parser.add_argument("--order", default="local,dask", choices=("local,dask", "dask,local"),
                        help="which engine builds first (the load of a shared machine drifts)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"Corpus not found at {args.corpus}: pass --corpus DIR (the UNGDC 'txt' folder).", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="dt-bench-dask-"))
    files, corpus = speech_files(args.corpus, args.limit, work)
    for f in files:  # a warm page cache for both engines
        f.read_bytes()
    keep = args.keep or work
    n_bytes = sum(f.stat().st_size for f in files)
    print(f"Corpus: {corpus} ({len(files)} files, {n_bytes / 1e6:.1f} MB); {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {}
    for engine in args.order.split(","):
        out = keep / engine
        command = [sys.executable, "-m", "analysis", "build", str(corpus), "--out", str(out), "--quiet",
                   "--workers", str(args.workers)]
        if engine == "dask":
            command += ["--engine", "dask"]
        results[engine] = _run_sampled(command)
        results[engine]["manifest"] = json.loads((out / "manifest.json").read_text())
        print(f"  {engine} done in {results[engine]['wall']:.1f} s; load average "
              f"{os.getloadavg()[0]:.2f}", flush=True)

    print(f"\n{'':<28} {'local':>10} {'dask':>10} {'dask/local':>11}")
    for key, label, unit in (("wall", "wall time", "s"), ("cpu", "CPU time (all processes)", "s"),
                             ("client_mb", "peak RSS, client process", "MB"),
                             ("tree_mb", "peak RSS, whole tree", "MB")):
        lo, da = results["local"][key], results["dask"][key]
        print(f"{label + ' (' + unit + ')':<28} {lo:>10.1f} {da:>10.1f} {da / lo if lo else float('nan'):>10.2f}x")
    for engine in ("local", "dask"):
        others = results[engine]["others"]
        big = {name: mb for name, mb in others.items() if mb >= 50}  # the workers, not short helpers
        print(f"\n{engine}: peak RSS of its worker processes (the others of 50 MB or more), MB:")
        for name, mb in big.items():
            print(f"  {mb:>8.0f}  pid {name.split()[0]}")
        timings = results[engine]["manifest"]["timings"]
        print("  stages (s): " + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in timings.items()))
        engine_info = results[engine]["manifest"].get("engine", {})
        if "worker_peak_rss_mb" in engine_info:
            print(f"  workers' own peak (ru_maxrss, MB): {list(engine_info['worker_peak_rss_mb'].values())}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    _compare(keep / "local", keep / "dask")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
