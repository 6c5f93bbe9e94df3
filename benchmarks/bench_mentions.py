"""Precision check of the mentions: sample matches per theme and organisation to read, and score labels.

Sample: `python benchmarks/bench_mentions.py sample BUILD [BUILD ...] --out sample.csv [--n 5]
[--n-organisations 2] [--seed 0] [--rematch]` draws, with a fixed seed, up to N matches of every theme and
organisation from each build's mentions.parquet (or, with --rematch, from the mentions the current
dictionaries find in the build's documents, without rebuilding) and writes them with 150 characters of
context either side to a CSV with empty `label` and `note` columns. Read each row and write `y` (the match
means what its label says), `n` (it does not) or `?` in `label`.

Score: `python benchmarks/bench_mentions.py score sample.csv [sample2.csv ...]` prints, per kind and key,
the labelled matches, their precision, and, re-matching each labelled document with the current
dictionaries (--themes/--organisations to try other files), the precision of the matches still found and
how many of the true ones are kept (the recall kept on the labelled set).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.lexicon import load_lexicon
from analysis.mentions import find_mentions

ROOT = Path(__file__).resolve().parents[1]

CONTEXT = 150
SAMPLE_COLUMNS = ["build", "doc_id", "source", "date", "kind", "key", "surface", "start", "end", "before",
                  "match", "after", "label", "note"]  # fmt: skip


def sample_mentions(
    documents: pd.DataFrame, mentions: pd.DataFrame, *, n_themes: int, n_organisations: int, seed: int,
    build: str = "",
) -> pd.DataFrame:
    """Up to ``n_themes`` matches of each theme and ``n_organisations`` of each organisation, drawn with
    ``seed``, with ``CONTEXT`` characters of context either side (columns ``SAMPLE_COLUMNS``)."""
    if n_themes < 0 or n_organisations < 0:
        raise ValueError(f"The sample sizes must be 0 or more; got {n_themes} and {n_organisations}.")
    parts = []
    for (kind, _key), group in mentions.groupby(["kind", "key"], sort=True):
        n = n_themes if kind == "theme" else n_organisations
        if n:
            parts.append(group.sample(n=min(n, len(group)), random_state=seed))
    if not parts:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    picked = pd.concat(parts, ignore_index=True)
    docs = documents.set_index("doc_id")
    rows = []
    for m in picked.itertuples(index=False):
        text = docs.at[m.doc_id, "text"]
        rows.append({
            "build": build, "doc_id": m.doc_id, "source": docs.at[m.doc_id, "source"],
            "date": docs.at[m.doc_id, "date"], "kind": m.kind, "key": m.key, "surface": m.surface,
            "start": m.start, "end": m.end, "before": _flat(text[max(0, m.start - CONTEXT) : m.start]),
            "match": _flat(m.surface), "after": _flat(text[m.end : m.end + CONTEXT]), "label": "", "note": "",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def score(labelled: pd.DataFrame, documents: dict[str, pd.DataFrame], lexicon) -> pd.DataFrame:
    """Precision per kind and key of the labelled matches, before and after re-matching.

    Returns a DataFrame with ``kind``, ``key``, ``labelled`` (rows labelled y or n), ``true``,
    ``precision``, ``still_found`` (labelled rows the current dictionaries still find, same key and
    start), ``true_kept``, ``precision_now`` (of the still found), ``recall_kept`` (true_kept / true).
    """
    rows = labelled[labelled["label"].isin(["y", "n"])].copy()
    rows["true"] = rows["label"].eq("y")
    rows["still"] = False
    for build, group in rows.groupby("build"):
        docs = documents[build]
        docs = docs[docs["doc_id"].isin(set(group["doc_id"]))]
        now = find_mentions(docs, lexicon)
        found = set(zip(now["doc_id"], now["kind"], now["key"], now["start"], strict=True))
        rows.loc[group.index, "still"] = [
            (d, k, key, s) in found
            for d, k, key, s in zip(group["doc_id"], group["kind"], group["key"], group["start"], strict=True)
        ]
    out = rows.groupby(["kind", "key"]).agg(
        labelled=("true", "size"), true=("true", "sum"), still_found=("still", "sum"),
        true_kept=("true", lambda t: int((t & rows.loc[t.index, "still"]).sum())),
    ).reset_index()  # fmt: skip
    out["precision"] = out["true"] / out["labelled"]
    out["precision_now"] = out["true_kept"] / out["still_found"].where(out["still_found"] > 0)
    out["recall_kept"] = out["true_kept"] / out["true"].where(out["true"] > 0)
    return out[["kind", "key", "labelled", "true", "precision", "still_found", "true_kept", "precision_now",
                "recall_kept"]]  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.split())


def _documents(build: Path) -> pd.DataFrame:
    return pd.read_parquet(build / "documents.parquet", columns=["doc_id", "source", "date", "text"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="sample matches to read")
    s.add_argument("builds", nargs="+", type=Path)
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--n", type=int, default=5, help="matches per theme (default 5)")
    s.add_argument("--n-organisations", type=int, default=2, help="matches per organisation (default 2)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--rematch", action="store_true", help="match the documents with the current dictionaries")
    c = sub.add_parser("score", help="precision of labelled samples, before and after re-matching")
    c.add_argument("labelled", nargs="+", type=Path)
    for p in (s, c):
        p.add_argument("--themes", type=Path)
        p.add_argument("--organisations", type=Path)
    args = parser.parse_args(argv)
    lexicon = load_lexicon(args.themes, args.organisations)
    if args.command == "sample":
        parts = []
        for build in args.builds:
            if not (build / "documents.parquet").is_file():
                print(f"No build at {build}: make one with `python -m analysis build INPUT --out {build}`.",
                      file=sys.stderr)  # fmt: skip
                return 2
            docs = _documents(build)
            mentions = find_mentions(docs, lexicon) if args.rematch else pd.read_parquet(build / "mentions.parquet")
            parts.append(sample_mentions(docs, mentions, n_themes=args.n, n_organisations=args.n_organisations,
                                         seed=args.seed, build=str(build)))  # fmt: skip
        out = pd.concat(parts, ignore_index=True)
        out.to_csv(args.out, index=False, encoding="utf-8-sig")
        print(f"{len(out)} matches written to {args.out}; label each row y, n or ? in the 'label' column.")
        return 0
    labelled = pd.concat([pd.read_csv(p, dtype={"label": "str"}, keep_default_na=False) for p in args.labelled],
                         ignore_index=True)  # fmt: skip
    documents = {b: _documents(Path(b)) for b in labelled["build"].unique()}
    table = score(labelled, documents, lexicon)
    with pd.option_context("display.max_rows", None, "display.width", 160):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    for kind, group in table.groupby("kind"):
        t, n = group["true"].sum(), group["labelled"].sum()
        tk, sf = group["true_kept"].sum(), group["still_found"].sum()
        print(f"{kind}: precision {t}/{n} = {t / n:.1%} labelled; now {tk}/{sf} = {tk / max(sf, 1):.1%}; "
              f"true kept {tk}/{t} = {tk / max(t, 1):.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
