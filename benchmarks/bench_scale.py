"""Benchmark: the build at archive scale, beside a bare TF-IDF pass over the same texts in the same run.

Cases (``--cases``, default ``ungdc,119k``):

- ``ungdc``: ../shared/corpora/ungdc/txt as it is (10,952 speeches, one .txt file each);
- ``119k``: the same speeches cut into post-sized parts (consecutive paragraphs, ``--part-chars`` 1,400
  characters or more, about 119,000 parts) written as one JSON Lines file with a ``text`` and a ``date``
  column (the year of the speech, from its file name ``ISO3_NN_YYYY.txt``);
- ``950k`` (also with ``--large``): eight copies of the 119k parts (copy N's parts open with the line
  "Copy N", so none is a duplicate of another), about 950,000 rows in one file. It takes a long time on a
  shared 2-core machine: run it alone.

For each case: the wall time of ``python -m analysis build`` in its own process, documents/s, its peak
memory (the largest resident set of the build process and its children, and the peak of their summed
proportional set sizes, which counts pages shared by forked workers once; both sampled every 0.2 s), beside
``TfidfVectorizer().fit_transform`` over the same texts in this process, and the ratio, with the targets
of issue 9. The archive is one file; only an ingest that caps table files (a ``--code`` checkout from
before tables were streamed) gets it split into files under its limit, and the output says so.

Usage: ``python benchmarks/bench_scale.py [--cases ungdc,119k] [--large] [--code DIR] [--work DIR]``
(``--code`` benchmarks the ``analysis`` package of another checkout, e.g. a baseline commit).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ungdc" / "txt"
# (build / baseline ratio, peak memory in MB, wall seconds) targets of issue 9; None: no target.
TARGETS = {"ungdc": (1.5, None, None), "119k": (2.0, 4096, None), "950k": (None, 8192, 900)}
_YEAR = re.compile(r"_(\d{4})\.txt$")
_SENTENCE_END = re.compile(r"[.!?][\"'”»)]*\s*$")


def _paragraphs(text: str) -> list[str]:
    """The speech's paragraphs: runs of lines up to a blank line or a line that ends a sentence (the UNGDC
    texts are hard-wrapped, with few blank lines), each joined into one line."""
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        if current and (not line.strip() or _SENTENCE_END.search(line)):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _parts(text: str, part_chars: int) -> list[str]:
    """Consecutive paragraphs grouped into parts of at least ``part_chars`` characters (the last may be
    shorter), paragraphs separated by a blank line."""
    parts, current, size = [], [], 0
    for paragraph in _paragraphs(text):
        current.append(paragraph)
        size += len(paragraph) + 2
        if size >= part_chars:
            parts.append("\n\n".join(current))
            current, size = [], 0
    if current:
        parts.append("\n\n".join(current))
    return parts


def make_rows(files: list[Path], part_chars: int) -> list[dict]:
    """The archive's rows: ``{"id", "date", "text"}`` per part of every speech, in file order."""
    rows = []
    for path in files:
        match = _YEAR.search(path.name)
        year = match.group(1) if match else None
        text = path.read_text(encoding="utf-8", errors="replace")
        for i, part in enumerate(_parts(text, part_chars)):
            rows.append({"id": f"{path.stem}-{i}", "date": year, "text": part})
    return rows


def archive_rows(name: str, files: list[Path], part_chars: int):
    """The rows of case ``name`` (``119k`` or ``950k``: eight copies, each part opening with "Copy N")."""
    rows = make_rows(files, part_chars)
    if name != "950k":
        return rows
    return (dict(row, id=f"{row['id']}-c{c}", text=f"Copy {c}\n\n{row['text']}") for c in range(8) for row in rows)


def write_jsonl(rows, folder: Path, max_bytes: int | None) -> list[Path]:
    """Write ``rows`` as JSON Lines into ``folder``: one file, or consecutive files of at most ``max_bytes``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    out, written = None, 0
    for row in rows:
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        if out is None or (max_bytes is not None and written + len(line) > max_bytes):
            if out is not None:
                out.close()
            paths.append(folder / f"archive-{len(paths) + 1:02d}.jsonl")
            out, written = paths[-1].open("wb"), 0
        out.write(line)
        written += len(line)
    if out is not None:
        out.close()
    return paths


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the task may have ended meanwhile
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return pids


def _memory_mb(pids: list[int]) -> tuple[float, float]:
    """(summed proportional set size, largest resident set) of the processes, in MB."""
    total, largest = 0, 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):  # the process may have ended meanwhile
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                          if line.startswith(("Pss:", "Rss:")))
            total += int(fields["Pss"].split()[0])
            largest = max(largest, int(fields["Rss"].split()[0]))
    return total / 1024, largest / 1024


def run_build(code: Path, inputs: list[Path], out: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run ``python -m analysis build`` from ``code``; return wall seconds, peak memory and stderr."""
    command = [sys.executable, "-m", "analysis", "build", *map(str, inputs), "--out", str(out), "--quiet", *extra]
    peak = {"pss": 0.0, "rss": 0.0}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = usage.ru_utime + usage.ru_stime
    t = time.perf_counter()
    process = subprocess.Popen(command, cwd=code, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            pss, rss = _memory_mb(_tree(process.pid))
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - t
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "returncode": process.returncode, "stderr": stderr,
            "rss_mb": peak["rss"], "pss_mb": peak["pss"],
            "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before}


def _too_large(out: Path, stderr: str) -> bool:
    report = out / "ingest_report.json"
    text = report.read_text() if report.exists() else stderr
    return "too large" in text


def baseline(texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of a bare ``TfidfVectorizer().fit_transform(texts)``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    t, cpu = time.perf_counter(), time.process_time()
    TfidfVectorizer().fit_transform(texts)
    return time.perf_counter() - t, time.process_time() - cpu


def _ingest_limit(code: Path) -> int | None:
    """The size limit for one JSON Lines input file in ``code``'s ingest (None when it has none: an ingest
    with ``max_row_chars`` streams tables, whatever their size; an older one caps them at ``max_file_bytes``)."""
    probe = ("import inspect, analysis.ingest as i; "
             "ps = inspect.signature(i.read_inputs).parameters; p = ps.get('max_file_bytes'); "
             "print('' if 'max_row_chars' in ps else p.default if p is not None and isinstance(p.default, int) "
             "else '')")
    result = subprocess.run([sys.executable, "-c", probe], cwd=code, capture_output=True, text=True, check=True)
    return int(result.stdout) if result.stdout.strip() else None


_DEFAULT_TEXT_CHARS = 400_000_000  # ingest's max_text_chars


def case(name: str, args, work: Path) -> dict:
    files = sorted(args.corpus.rglob("*.txt"))
    if args.limit:
        files = files[: args.limit]
    out = work / f"build-{name}"
    notes = []
    if name == "ungdc":
        corpus = args.corpus
        if args.limit:  # copies, not symbolic links: ingest does not follow links out of an input folder
            corpus = work / "ungdc"
            for f in files:
                dest = corpus / f.relative_to(args.corpus)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dest)
        inputs = [corpus]
        texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    else:
        texts = [row["text"] for row in archive_rows(name, files, args.part_chars)]
        folder = work / name
        inputs = write_jsonl(archive_rows(name, files, args.part_chars), folder, None)
        size = inputs[0].stat().st_size
        limit = _ingest_limit(args.code)
        if limit is not None and size > limit:
            # Ingest refuses one table file above its size limit (issue 9 lifts it): split the archive.
            probe = run_build(args.code, inputs, out)
            if probe["returncode"] != 0 and _too_large(out, probe["stderr"]):
                inputs[0].unlink()
                inputs = write_jsonl(archive_rows(name, files, args.part_chars), folder, limit - 1)
                notes.append(f"ingest refused the one {size / 1e6:.0f} MB file (over its {limit / 1e6:.0f} MB "
                             f"limit per file), so the archive was split into {len(inputs)} files")
            shutil.rmtree(out, ignore_errors=True)
    n_bytes = sum(p.stat().st_size for p in files) if name == "ungdc" else sum(p.stat().st_size for p in inputs)
    print(f"\n== {name}: {len(texts):,} texts, {n_bytes / 1e6:.0f} MB in {len(inputs)} input(s)"
          + "".join(f"\n   NOTE: {n}" for n in notes), flush=True)
    chars = sum(len(t) for t in texts)
    extra: tuple[str, ...] = ()
    if chars > _DEFAULT_TEXT_CHARS:  # the 950k archive holds more text than a build takes by default
        extra = ("--set", f"max_text_chars={chars + chars // 10}")
        print(f"   NOTE: {chars:,} characters of text: built with --set max_text_chars (default "
              f"{_DEFAULT_TEXT_CHARS:,})", flush=True)
    result = run_build(args.code, inputs, out, extra)
    if result["returncode"] != 0:
        print(result["stderr"], file=sys.stderr)
        raise SystemExit(f"The build of case {name} failed (exit {result['returncode']}); see above.")
    manifest = json.loads((out / "manifest.json").read_text())
    base_s, base_cpu = baseline(texts)
    del texts
    gc.collect()
    n_docs = manifest["counts"]["documents"]
    ratio = result["seconds"] / base_s
    stages = ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in manifest["timings"].items())
    print(f"build: {result['seconds']:.1f} s wall, {n_docs:,} documents ({n_docs / result['seconds']:,.0f} docs/s), "
          f"{manifest['counts']['clusters']} clusters\n   stages: {stages}")
    print(f"peak memory: {result['pss_mb']:.0f} MB summed PSS of the build and its workers; largest single "
          f"process {result['rss_mb']:.0f} MB RSS (both sampled every 0.2 s)")
    print(f"baseline TfidfVectorizer().fit_transform: {base_s:.1f} s; ratio build / baseline {ratio:.2f}x")
    # On a shared machine wall time follows the others' load; CPU seconds much less so.
    print(f"CPU seconds: build {result['cpu_seconds']:.1f} (all its processes), baseline {base_cpu:.1f}; "
          f"wall / CPU of this run: build {result['seconds'] / max(result['cpu_seconds'], 1e-9):.2f}, "
          f"baseline {base_s / max(base_cpu, 1e-9):.2f}")
    target_ratio, target_mb, target_s = TARGETS[name]
    verdicts = []
    if target_ratio is not None:
        verdicts.append(f"ratio <= {target_ratio}x: {'met' if ratio <= target_ratio else 'NOT met'}")
    if target_mb is not None:
        verdicts.append(f"peak <= {target_mb} MB: {'met' if result['pss_mb'] <= target_mb else 'NOT met'}")
    if target_s is not None:
        verdicts.append(f"wall <= {target_s} s: {'met' if result['seconds'] <= target_s else 'NOT met'}")
    print("targets: " + "; ".join(verdicts))
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return {"case": name, "seconds": result["seconds"], "baseline": base_s, "ratio": ratio,
            "cpu_seconds": result["cpu_seconds"], "baseline_cpu_seconds": base_cpu,
            "pss_mb": result["pss_mb"], "rss_mb": result["rss_mb"], "documents": n_docs, "notes": notes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the UNGDC 'txt' folder")
    parser.add_argument("--cases", default="ungdc,119k", help="comma-separated: ungdc, 119k, 950k")
    parser.add_argument("--large", action="store_true", help="add the ~950k-row case (long: run it alone)")
    parser.add_argument("--part-chars", type=int, default=1400, help="least characters of a part (1,400)")
    parser.add_argument("--limit", type=int, help="only the first N speeches (a quick run)")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose analysis package is built with")
    parser.add_argument("--work", type=Path, help="folder for the archives and builds (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the builds in the work folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"Corpus not found at {args.corpus}: pass --corpus DIR (the UNGDC 'txt' folder).", file=sys.stderr)
        return 2
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if args.large and "950k" not in cases:
        cases.append("950k")
    unknown = [c for c in cases if c not in TARGETS]
    if unknown:
        print(f"Unknown case(s) {unknown}: choose among {sorted(TARGETS)}.", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="dt-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"Code: {args.code}; work folder: {work}")
    try:
        results = [case(name, args, work) for name in cases]
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
