"""Writing a build atomically and reading it back: the tables of the contract plus the manifest."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .documents import OPTIONAL_TEXT_COLUMNS, none_for_missing

__all__ = ["BUILD_FILES", "Build", "BuildError", "check_build", "read_build", "write_build"]

BUILD_FILES = (
    "documents.parquet",
    "mentions.parquet",
    "clusters.parquet",
    "entities.parquet",
    "ingest_report.json",
    "manifest.json",
)
_REQUIRED = ("documents.parquet", "mentions.parquet", "clusters.parquet", "manifest.json")


class BuildError(ValueError):
    """A folder is not a readable build."""


@dataclass
class Build:
    """A build read from disk (or just written).

    ``documents``, ``mentions`` and ``clusters`` follow docs/ARCHITECTURE.md (``documents.date`` is
    datetime64, NaT when unknown); ``entities`` has kind, key, label, category, description for every theme
    and organisation of the lexicon the build used.
    """

    path: Path
    documents: pd.DataFrame
    mentions: pd.DataFrame
    clusters: pd.DataFrame
    entities: pd.DataFrame
    report: dict
    manifest: dict

    @property
    def build_hash(self) -> str:
        return str(self.manifest.get("build_hash", ""))


def _documents_to_arrow(documents: pd.DataFrame) -> pa.Table:
    docs = documents.copy()
    # The contract's `date` is a date, not a timestamp.
    docs["date"] = pd.to_datetime(docs["date"]).dt.date
    docs["date"] = docs["date"].astype(object).where(docs["date"].notna(), None)
    table = pa.Table.from_pandas(docs, preserve_index=False)
    # A column that is null in every row of this build (no URLs, no duplicates) keeps its type, so that
    # readers of another build see the same schema.
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type) and field.name in OPTIONAL_TEXT_COLUMNS:
            table = table.set_column(i, pa.field(field.name, pa.string()), table.column(i).cast(pa.string()))
        elif pa.types.is_null(field.type) and field.name == "date":
            table = table.set_column(i, pa.field("date", pa.date32()), table.column(i).cast(pa.date32()))
    return table


def write_build(
    out: str | Path,
    *,
    documents: pd.DataFrame,
    mentions: pd.DataFrame,
    clusters: pd.DataFrame,
    entities: pd.DataFrame,
    report: dict,
    manifest: dict,
) -> Path:
    """Write a build into ``out`` atomically: an earlier build there is replaced whole, never half-written.

    The files are written into a temporary sibling folder, which then takes the place of ``out``; on any
    error the temporary folder is removed and ``out`` is left as it was.

    Returns:
        The path of the build folder.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise BuildError(f"The output '{out}' exists and is a file; expected a folder. Choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise BuildError(
            f"The output folder '{out}' is not empty and holds no earlier build (no manifest.json); "
            "refusing to replace it. Choose an empty or new folder for --out."
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        pq.write_table(_documents_to_arrow(documents), tmp / "documents.parquet")
        mentions.to_parquet(tmp / "mentions.parquet", index=False)
        clusters.to_parquet(tmp / "clusters.parquet", index=False)
        entities.to_parquet(tmp / "entities.parquet", index=False)
        (tmp / "ingest_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def check_build(path: str | Path) -> Path:
    """The path of a build folder, checked without reading it.

    Raises:
        BuildError: when the folder is missing or lacks one of the build's files, saying how to make it.
    """
    path = Path(path)
    if not path.is_dir():
        raise BuildError(
            f"No build at '{path}': expected a folder made by `python -m analysis build INPUT --out {path}`."
        )
    missing = [name for name in _REQUIRED if not (path / name).exists()]
    if missing:
        raise BuildError(
            f"The folder '{path}' is not a complete build: missing {', '.join(missing)}. "
            f"Rebuild it with `python -m analysis build INPUT --out {path}`."
        )
    return path


def read_build(path: str | Path) -> Build:
    """Read a build folder written by :func:`write_build`.

    Raises:
        BuildError: when the folder is missing or lacks one of the build's files (see :func:`check_build`).
    """
    path = check_build(path)
    documents = pd.read_parquet(path / "documents.parquet")
    documents["date"] = pd.to_datetime(documents["date"])
    none_for_missing(documents)
    mentions = pd.read_parquet(path / "mentions.parquet")
    clusters = pd.read_parquet(path / "clusters.parquet")
    if "top_terms" in clusters:
        clusters["top_terms"] = clusters["top_terms"].map(list)
    entities_path = path / "entities.parquet"
    entities = (
        pd.read_parquet(entities_path)
        if entities_path.exists()
        else pd.DataFrame(columns=["kind", "key", "label", "category", "description"])
    )
    report_path = path / "ingest_report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"files": [], "totals": {}}
    manifest = json.loads((path / "manifest.json").read_text())
    return Build(path, documents, mentions, clusters, entities, report, manifest)
