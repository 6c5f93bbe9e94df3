"""Benchmark: how many documents of bare-text sets get the right date, a wrong one, or none.

Each set is written as bare text files (no metadata, neutral file names, so that nothing but the text can
date them), read with the build's own ingest and dating (`read_inputs` + `document_rows`), and compared with
the gold date each item came with:

- `kremlin-en`: ../shared/corpora/kremlin_en/kremlin_putin_en.csv, each item's headline and body as one file;
  gold is the `date` column (UTC), right when the found day is within one day of it (the site's dates are
  Moscow time).
- `kremlin-en+publication-line`: the same items, each ending with the line the Kremlin's own pages end with
  ("Publication date: 24 June 2022, 17:30", written from the gold time): every one must be dated right,
  whatever dates its text opens with or mentions.
- `ungdc-first-paragraphs`: the first paragraphs (up to about 1,500 characters) of every UN General Debate
  speech in ../shared/corpora/ungdc/txt; gold is the year of the file name `ISO3_NN_YYYY.txt`, right when
  the found year is that year.

Prints per set: documents, right, wrong (dated, but not to the gold), undated, the wrong share, and the
documents whose date came from a body date (only with `--body-dates`); then right/wrong per kind of evidence
(`date_evidence`); `--show N` lists up to N wrong ones.
Usage: `python benchmarks/bench_dates.py [--kremlin CSV] [--ungdc DIR] [--limit N] [--body-dates]`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CORPORA = ROOT.parent / "shared" / "corpora"
DEFAULT_KREMLIN = CORPORA / "kremlin_en" / "kremlin_putin_en.csv"
DEFAULT_UNGDC = CORPORA / "ungdc" / "txt"
FIRST_PARAGRAPHS_CHARS = 1500
TARGET_WRONG = 0.01


def kremlin_items(path: Path) -> Iterable[tuple[str, dt.date, str]]:
    """(text, gold day, precision) of each Kremlin item: headline and body, nothing else."""
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            gold = dt.datetime.fromisoformat(row["date"].replace("Z", "+00:00")).date()
            yield f"{row['headline'].strip()}\n\n{row['body'].strip()}\n", gold, "day"


def with_publication_line(items: Iterable[tuple[str, dt.date, str]]) -> Iterable[tuple[str, dt.date, str]]:
    """The items with the Kremlin pages' closing "Publication date: …" line for their gold day."""
    for text, day, precision in items:
        yield f"{text.rstrip()}\n\nPublication date: {day.day} {day:%B %Y}, 17:30\n", day, precision


def ungdc_items(root: Path) -> Iterable[tuple[str, dt.date, str]]:
    """(first paragraphs, gold year, "year") of each UN General Debate speech."""
    for f in sorted(root.rglob("*.txt")):
        year = int(f.stem.rsplit("_", 1)[1])
        text = f.read_text(encoding="utf-8", errors="replace")
        lines, size = [], 0
        for line in text.splitlines():
            if size >= FIRST_PARAGRAPHS_CHARS:
                break
            lines.append(line)
            size += len(line) + 1
        yield "\n".join(lines).strip() + "\n", dt.date(year, 1, 1), "year"


def _right(found: dt.date, gold: dt.date, precision: str) -> bool:
    if precision == "year":
        return found.year == gold.year
    return abs((found - gold).days) <= 1


def score(name: str, items: Iterable[tuple[str, dt.date, str]], *, limit: int | None, body_dates: bool,
          show: int) -> dict:
    """Write the items as bare text files, date them as the build does, and count right/wrong/undated."""
    from analysis.documents import document_rows
    from analysis.ingest import read_inputs

    with tempfile.TemporaryDirectory(prefix=f"dt-dates-{name}-") as tmp:
        folder = Path(tmp) / name
        folder.mkdir()
        gold: dict[str, tuple[dt.date, str]] = {}
        for i, (text, day, precision) in enumerate(items):
            if limit is not None and i >= limit:
                break
            # Letters for digits: "item_000123" would hold a year-like number that dates it by its path.
            file = "item_" + "".join(chr(ord("a") + int(c)) for c in f"{i:06d}") + ".txt"
            (folder / file).write_text(text, encoding="utf-8")
            gold[file] = (day, precision)
        t = time.perf_counter()
        ingested = read_inputs([folder])
        rows = [row for record in ingested.records for row in document_rows(record, body_dates=body_dates)]
        seconds = time.perf_counter() - t
    counts = {"documents": 0, "right": 0, "wrong": 0, "undated": 0, "body": 0}
    by_evidence: dict[str, list[int]] = {}
    wrong = []
    for row in rows:
        day, precision = gold[row["source"]]
        counts["documents"] += 1
        counts["body"] += row["date_method"] == "body"
        if row["date"] is None:
            counts["undated"] += 1
            continue
        tally = by_evidence.setdefault(row["date_evidence"], [0, 0])
        if _right(row["date"], day, precision):
            counts["right"] += 1
            tally[0] += 1
        else:
            counts["wrong"] += 1
            tally[1] += 1
            wrong.append((row["source"], day, row["date"], row["date_evidence"], row["date_surface"]))
    counts["seconds"] = round(seconds, 1)
    counts["by_evidence"] = by_evidence
    for source, day, found, evidence, surface in wrong[:show]:
        print(f"  wrong {source}: gold {day}, found {found} ({evidence}: {surface!r})")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kremlin", type=Path, default=DEFAULT_KREMLIN, help="the Kremlin CSV")
    parser.add_argument("--ungdc", type=Path, default=DEFAULT_UNGDC, help="the UNGDC 'txt' folder")
    parser.add_argument("--limit", type=int, help="only the first N items of each set (a quick run)")
    parser.add_argument("--body-dates", action="store_true", help="date by body dates too, as --body-dates does")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="list up to N wrong documents per set")
    args = parser.parse_args()
    sets = []
    if args.kremlin.is_file():
        sets.append(("kremlin-en", kremlin_items(args.kremlin)))
        sets.append(("kremlin-en+publication-line", with_publication_line(kremlin_items(args.kremlin))))
    else:
        print(f"skipped kremlin-en: {args.kremlin} not found (pass --kremlin CSV)", file=sys.stderr)
    if args.ungdc.is_dir():
        sets.append(("ungdc-first-paragraphs", ungdc_items(args.ungdc)))
    else:
        print(f"skipped ungdc-first-paragraphs: {args.ungdc} not found (pass --ungdc DIR)", file=sys.stderr)
    if not sets:
        return 2
    print(f"{'set':<28} {'documents':>9} {'right':>7} {'wrong':>7} {'undated':>8} {'wrong %':>8} "
          f"{'body':>6} {'seconds':>8}")
    failed = False
    for name, items in sets:
        c = score(name, items, limit=args.limit, body_dates=args.body_dates, show=args.show)
        share = c["wrong"] / c["documents"] if c["documents"] else 0.0
        failed |= share > TARGET_WRONG
        evidence = ", ".join(f"{k} {r}/{w}" for k, (r, w) in sorted(c["by_evidence"].items()))
        print(f"{name:<28} {c['documents']:>9,} {c['right']:>7,} {c['wrong']:>7,} {c['undated']:>8,} "
              f"{share:>8.2%} {c['body']:>6,} {c['seconds']:>8}")
        print(f"{'':<28} right/wrong by evidence: {evidence or '-'}")
    print(f"target: wrong <= {TARGET_WRONG:.0%} of documents on every set: {'missed' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
