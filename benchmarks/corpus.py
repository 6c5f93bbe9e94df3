"""The corpus a benchmark builds: the UNGDC's speech files, or the first N of them copied to a folder."""

from __future__ import annotations

import shutil
from pathlib import Path


def speech_files(corpus: Path, limit: int | None, work: Path) -> tuple[list[Path], Path]:
    """(the ``.txt`` files, the folder to build): all of ``corpus``, or its first ``limit`` files copied
    under ``work/corpus`` (copies, not symbolic links: ingest does not follow links out of an input)."""
    files = sorted(corpus.rglob("*.txt"))
    if not limit:
        return files, corpus
    files, folder = files[:limit], work / "corpus"
    for f in files:
        dest = folder / f.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
    return files, folder
