"""Benchmark: one build made by two checkouts in alternating rounds, for a change's effect on a shared machine.

    .venv/bin/python benchmarks/bench_ab.py --base /path/to/old/checkout [--new .] [--rounds 3] [INPUT ...]

Each round builds the inputs (default: ../shared/corpora/ungdc/txt) with ``python -m analysis build`` from the
base checkout, then from the new one, each in its own process, and prints the wall time and the CPU seconds
of each build (the build and its workers). A shared machine's speed drifts by tens of per cent within minutes;
builds that alternate see the same drift, so the ratio of each round (new / base) says what a change did,
and the medians what it does typically. Extra ``build`` options go after ``--``
(``-- --set max_text_chars=2000000000``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ungdc" / "txt"


def _build(code: Path, inputs: list[str], out: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the build and its workers) of one build made with ``code``'s package."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "build", *inputs, "--out", str(out), "--quiet", *extra],
                   cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", help="what to build (default: the UNGDC speeches)")
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--new", type=Path, default=ROOT, help="the checkout measured (default: this one)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    inputs = args.inputs or [str(DEFAULT_CORPUS)]
    missing = [i for i in inputs if not Path(i).exists()]
    codes = {"base": args.base.resolve(), "new": args.new.resolve()}
    bad = [f"{name} {path}" for name, path in codes.items() if not (path / "analysis" / "__main__.py").is_file()]
    problems = ([f"input not found: {i}" for i in missing]
                + [f"--{b.split()[0]} {b.split(maxsplit=1)[1]} holds no analysis package (pass a checkout)" for b in bad]
                + ([f"--rounds must be 1 or more; got {args.rounds}"] if args.rounds < 1 else []))
    if problems:
        print("; ".join(problems), file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="dt-ab-"))
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    try:
        for r in range(1, args.rounds + 1):
            for name, code in codes.items():
                wall, cpu = _build(code, inputs, work / name, extra)
                times[name].append((wall, cpu))
                print(f"round {r} {name:<4} {wall:7.1f} s wall {cpu:7.1f} CPU-s   ({code})", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, runs in times.items():
        print(f"{name:<4} median {statistics.median(w for w, _ in runs):7.1f} s wall "
              f"{statistics.median(c for _, c in runs):7.1f} CPU-s")
    ratios = [n[0] / b[0] for b, n in zip(times["base"], times["new"], strict=True)]
    print("new / base, wall, per round: " + ", ".join(f"{x:.2f}" for x in ratios)
          + f" (median {statistics.median(ratios):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
