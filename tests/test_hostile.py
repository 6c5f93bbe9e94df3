"""Hostile and broken input (issue 8): each test feeds one hostile input and pins the outcome.

Nothing lost, nothing invented, no traceback, no hang: every test asserts the message, the report entry or
the text that was kept, not merely that nothing raised.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import re
import re._constants as sc
import re._parser as sp
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import segment
from analysis.segment import clean_chrome, split_posts

# ---------------------------------------------------------------------------------------------------------
# 1. Catastrophic backtracking: every module-level pattern, timed on adversarial lines of its own alphabet
# ---------------------------------------------------------------------------------------------------------

_PATTERN_MODULES = (
    "analysis.segment",
    "analysis.dates",
    "analysis.formats",
    "analysis.formats.encoding",
    "analysis.formats.html",
    "analysis.formats.table",
    "analysis.formats.telegram",
    "analysis.formats.text",
)
_CATEGORY_CHARS = {
    sc.CATEGORY_DIGIT: "1",
    sc.CATEGORY_NOT_DIGIT: "a",
    sc.CATEGORY_SPACE: " ",
    sc.CATEGORY_NOT_SPACE: "a",
    sc.CATEGORY_WORD: "a",
    sc.CATEGORY_NOT_WORD: " ",
}
_REPEATS = (sc.MAX_REPEAT, sc.MIN_REPEAT, sc.POSSESSIVE_REPEAT)
# Characters appended to a pumped run so that the match fails at the very end (what makes a regex backtrack).
_SUFFIXES = ("é", "\x00", "!", "\n", "a", "1", " ", ":")
_LINE_CHARS = 240  # the longest line the chrome patterns see; the date patterns see such lines too
_MAX_SECONDS_PER_LINE = 0.25  # linear patterns take well under 10 ms on these lines


def _module_patterns() -> list[tuple[str, int, re.Pattern]]:
    """(module.attribute, index, pattern) for every compiled pattern at module level (also in tuples)."""
    found = []
    for module_name in _PATTERN_MODULES:
        module = importlib.import_module(module_name)
        for name, value in sorted(vars(module).items()):
            items = value if isinstance(value, tuple | list) else (value,)
            for index, item in enumerate(items):
                if isinstance(item, tuple) and item and isinstance(item[0], re.Pattern):
                    item = item[0]  # (pattern, kind) pairs
                if isinstance(item, re.Pattern):
                    found.append((f"{module_name}.{name}", index, item))
    return found


def _class_chars(items) -> list[str]:
    negate = any(op is sc.NEGATE for op, _ in items)
    chars: list[str] = []
    for op, av in items:
        if op is sc.LITERAL:
            chars.append(chr(av))
        elif op is sc.RANGE:
            chars += [chr(av[0]), chr(av[1])]
        elif op is sc.CATEGORY:
            chars.append(_CATEGORY_CHARS.get(av, "a"))
    if negate:
        return [c for c in "a1 .:-,é\u00a0" if c not in chars][:2] or ["\x01"]
    return chars or ["a"]


def _witnesses(seq, n: int) -> list[str]:
    """Strings the parsed sequence matches (or nearly), each repeat taken at its minimum or n times."""
    out = [""]
    for op, av in seq:
        if op is sc.LITERAL:
            options = [chr(av)]
        elif op is sc.NOT_LITERAL:
            options = ["b" if chr(av) == "a" else "a"]
        elif op is sc.ANY:
            options = ["a"]
        elif op is sc.IN:
            options = _class_chars(av)[:3]
        elif op in _REPEATS:
            low, high, body = av
            times = max(low, min(n, high))
            bodies = _witnesses(body, n)[:3]
            options = list(dict.fromkeys([bodies[0] * low] + [b * times for b in bodies]))
        elif op is sc.SUBPATTERN:
            options = _witnesses(av[3], n)
        elif op is sc.ATOMIC_GROUP:
            options = _witnesses(av, n)
        elif op is sc.BRANCH:
            options = [w for branch in av[1] for w in _witnesses(branch, n)[:2]]
        else:  # anchors, lookarounds, back-references
            options = [""]
        out = list(dict.fromkeys(a + b for a in out for b in options))[:64]
    return out


def _repeat_sites(seq, prefix: str = ""):
    """(a prefix that reaches it, its body, its maximum) for every repeat that may run more than once."""
    for i, (op, av) in enumerate(seq):
        before = prefix + _witnesses(seq[:i], 1)[0]
        if op in _REPEATS:
            _, high, body = av
            if high > 1:
                yield before, body, high
            yield from _repeat_sites(body, before)
        elif op is sc.SUBPATTERN:
            yield from _repeat_sites(av[3], before)
        elif op is sc.ATOMIC_GROUP:
            yield from _repeat_sites(av, before)
        elif op is sc.BRANCH:
            for branch in av[1]:
                yield from _repeat_sites(branch, before)


def adversarial_lines(pattern: re.Pattern, length: int = _LINE_CHARS) -> list[str]:
    """Lines that pump each repeat of ``pattern`` with strings of its own alphabet, then fail at the end."""
    lines: set[str] = set()
    for before, body, high in _repeat_sites(list(sp.parse(pattern.pattern, pattern.flags))):
        for inner in (1, 24):
            for pumped in _witnesses(body, inner):
                if pumped:
                    times = max(1, min(high, (length - len(before)) // len(pumped)))
                    lines.update(before + pumped * times + suffix for suffix in _SUFFIXES)
    return sorted(lines)


def _worst_seconds(pattern: re.Pattern, lines: list[str], queue) -> None:
    worst = (0.0, "")
    for line in lines:
        start = time.perf_counter()
        pattern.search(line)
        pattern.fullmatch(line)
        worst = max(worst, (time.perf_counter() - start, line))
    queue.put(worst)


def test_the_generator_finds_the_reported_attack():
    """The generator builds the reviewer's line for the old language-switcher pattern (else it proves nothing)."""
    old = re.compile(r"[•·|]? *(?:[a-z]{2}[-_][A-Z]{2}\d* *[|/•·]? *){1,8}")
    assert any(re.fullmatch(r"(?:aa-AA {24,}){8}é", line) for line in adversarial_lines(old))


@pytest.mark.parametrize(("where", "index", "pattern"), _module_patterns(), ids=lambda v: v if isinstance(v, str) else None)
def test_no_module_pattern_backtracks_catastrophically(where, index, pattern):
    lines = adversarial_lines(pattern)
    queue = mp.get_context("fork").Queue()
    child = mp.get_context("fork").Process(target=_worst_seconds, args=(pattern, lines, queue), daemon=True)
    child.start()
    child.join(timeout=30 + len(lines) * _MAX_SECONDS_PER_LINE)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"{where}[{index}] did not finish {len(lines)} adversarial lines: catastrophic backtracking")
    seconds, line = queue.get(timeout=5)
    assert seconds < _MAX_SECONDS_PER_LINE, f"{where}[{index}] took {seconds:.2f} s on {line!r}"


@pytest.mark.parametrize(
    "line",
    [
        ("en-GB" + " " * 24) * 8 + "é",  # the reviewer's 240-character line
        ("• en-GB1 | " * 30) + "é",
        "1" * 3 + "👍 " * 100 + "x",
        "Home › " * 40 + "\n",
        "2" + " " * 230 + "subscriber",
    ],
)
def test_chrome_lines_from_the_review_are_fast_and_kept(line):
    start = time.perf_counter()
    cleaned = clean_chrome(line)
    assert time.perf_counter() - start < _MAX_SECONDS_PER_LINE
    assert cleaned == line  # none of them is a whole line of chrome: kept exactly


def test_language_switcher_is_still_chrome():
    assert clean_chrome("Text.\n• en-GB1 ru-RU1\nMore.") == "Text.\nMore."


_CHROME_ALPHABET = st.sampled_from(
    ["en-GB", "ru-RU", "1", "12", "1.2K", " ", "  ", "|", "/", "•", "·", "👍", "é", "Home", "›", "K", "\u00a0",
     "subscribers", "read in full", ":", "[12.05.24 14:33]", "Forwarded from", ",", "Mr", "\t"]
)


@settings(deadline=500, max_examples=150)
@given(st.lists(st.lists(_CHROME_ALPHABET, max_size=60).map("".join), max_size=12))
def test_clean_chrome_keeps_lines_in_order_and_invents_nothing(lines):
    text = "\n".join(lines)
    cleaned = clean_chrome(text)
    kept = [line for line in cleaned.split("\n") if line.strip()]  # runs of blank lines are collapsed
    remaining = iter(text.split("\n"))
    assert all(any(line == other for other in remaining) for line in kept)  # a subsequence of the input


@settings(deadline=1000, max_examples=100)
@given(st.lists(st.lists(_CHROME_ALPHABET, max_size=40).map("".join), max_size=20))
def test_split_posts_only_holds_input_lines(lines):
    text = "\n".join(lines)
    originals = {segment._norm_line(line) for line in text.split("\n")} | {line.strip() for line in text.split("\n")}
    for post in split_posts(text):
        for line in post.split("\n"):
            assert not line.strip() or any(line.strip() in original for original in originals)


# ---------------------------------------------------------------------------------------------------------
# 2. --out replaces only an earlier build of this tool, checked before the build starts (and 11: the lock)
# ---------------------------------------------------------------------------------------------------------


def _tiny_input(tmp_path: Path) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir(exist_ok=True)
    (corpus / "a.txt").write_text("The SCO met in Astana on 4 July 2024 to discuss multipolarity.\n")
    return corpus


def _no_reading(*_args, **_kwargs):
    raise AssertionError("the inputs were read although --out had to be refused first")


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda p: _folder(p / "mine", {"manifest.json": '{"name": "my notes"}', "thesis.txt": "keep"}),
         "no earlier build of this tool"),
        (lambda p: _folder(p / "bad", {"manifest.json": "{not json"}), "no earlier build of this tool"),
        (lambda p: _folder(p / "list", {"manifest.json": '["diplomatic-themes"]'}), "no earlier build of this tool"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is not a folder"),
        (lambda p: Path("."), "names no folder of its own"),
        (lambda p: p / "in", "holds the input"),
        (lambda p: p, "holds the input"),
    ],
)
def test_out_is_refused_before_any_input_is_read(tmp_path, monkeypatch, make_out, message):
    from analysis.pipeline import run_build
    from analysis.store import BuildError

    corpus = _tiny_input(tmp_path)
    out = make_out(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    monkeypatch.setattr("analysis.pipeline.read_inputs", _no_reading)
    with pytest.raises(BuildError, match=message):
        run_build([corpus], out)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing deleted, nothing added


def test_out_current_folder_is_refused(tmp_path, monkeypatch):
    from analysis.pipeline import run_build
    from analysis.store import BuildError

    corpus = _tiny_input(tmp_path)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr("analysis.pipeline.read_inputs", _no_reading)
    for out in (tmp_path / "work", tmp_path.parent):
        with pytest.raises(BuildError, match="current folder or one of its parents"):
            run_build([corpus], out)


def test_cli_says_why_out_is_refused(tmp_path, capsys):
    from analysis.__main__ import main

    corpus = _tiny_input(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "manifest.json").write_text('{"tool": "another-tool"}')
    assert main(["build", str(corpus), "--out", str(tmp_path / "mine"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and '"tool": "diplomatic-themes"' in err and "Traceback" not in err
    assert (tmp_path / "mine" / "manifest.json").read_text() == '{"tool": "another-tool"}'


def _tables():
    import pandas as pd

    from tests.test_store import _tables as store_tables

    tables = store_tables()
    assert isinstance(tables["documents"], pd.DataFrame)
    return tables


def test_an_earlier_build_of_this_tool_is_replaced_and_leftovers_removed(tmp_path):
    from analysis.store import read_build, write_build

    out = write_build(tmp_path / "b", **_tables())
    assert read_build(out).manifest["tool"] == "diplomatic-themes"
    (tmp_path / ".b.tmp-abandoned").mkdir()
    (tmp_path / ".b.old-4242").mkdir()
    (tmp_path / ".b.old-4242" / "documents.parquet").write_text("stale")
    tables = _tables()
    tables["manifest"] = {"build_hash": "second"}
    write_build(out, **tables)
    assert read_build(out).build_hash == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.lock", "b"]


def test_a_second_build_into_the_same_out_is_refused_while_one_writes(tmp_path):
    from analysis import store

    out = store.write_build(tmp_path / "b", **_tables())
    with store._locked(out), pytest.raises(store.BuildError, match="Another build is writing into"):
        store.write_build(out, **_tables())
    assert store.read_build(out).build_hash == "abc"


def test_readers_never_see_the_build_folder_missing(tmp_path):
    """The new build takes the old one's place in one step (renameat2 exchange), not by two renames."""
    import threading

    from analysis import store

    out = store.write_build(tmp_path / "b", **_tables())
    missing = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            if not (out / "manifest.json").exists():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(15):
            store.write_build(out, **_tables())
    finally:
        done.set()
        watcher.join()
    assert store._exchange(tmp_path / "nope1", tmp_path / "nope2") is False
    assert missing == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: (b / "documents.parquet").write_bytes(b"PAR1 garbage"), "cannot be read"),
        (lambda b: (b / "manifest.json").write_text("{broken"), "cannot be read"),
        (lambda b: (b / "manifest.json").write_text("[1, 2]"), "not a JSON object"),
        (lambda b: (b / "ingest_report.json").write_text("\x00\x01"), "cannot be read"),
    ],
)
def test_a_corrupt_build_is_a_message_not_a_traceback(tmp_path, capsys, damage, message):
    from analysis.__main__ import main
    from analysis.store import BuildError, read_build, write_build

    out = write_build(tmp_path / "b", **_tables())
    damage(out)
    with pytest.raises(BuildError, match=message):
        read_build(out)
    assert main(["export", str(out), "--what", "documents", "--out", str(tmp_path / "d.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ("Rebuild it" in err or "rebuild the folder" in err)


# ---------------------------------------------------------------------------------------------------------
# 3. Memory and disk: total uncompressed size, text a build may hold, upload builds removed, 127.0.0.1
# ---------------------------------------------------------------------------------------------------------


def _by_path(result) -> dict:
    return {report.path: report for report in result.files}


def test_total_bytes_cap_skips_later_files_in_input_order(tmp_path):
    from analysis.ingest import read_inputs

    corpus = tmp_path / "c"
    corpus.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (corpus / name).write_text(f"{name} " + "word " * 200)  # about 1 kB each
    result = read_inputs(corpus, max_total_bytes=2_500)
    reports = _by_path(result)
    assert [reports[n].status for n in ("a.txt", "b.txt", "c.txt")] == ["parsed", "parsed", "skipped"]
    assert "exceed max_total_bytes" in reports["c.txt"].reason
    assert [r.source for r in result.records] == ["a.txt", "b.txt"]


def test_total_bytes_cap_also_bounds_a_zip(tmp_path):
    import zipfile

    from analysis.ingest import read_inputs

    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(5):
            zf.writestr(f"m{i}.txt", "SCO " * 5_000)  # 20 kB each, compressed to almost nothing
    result = read_inputs(archive, max_total_bytes=50_000)
    reports = _by_path(result)
    assert [reports[f"bomb.zip/m{i}.txt"].status for i in range(5)] == ["parsed"] * 2 + ["skipped"] * 3
    assert "max_total_bytes (all inputs together)" in reports["bomb.zip/m4.txt"].reason
    assert len(result.records) == 2


def test_text_cap_keeps_what_fits_and_says_what_did_not(tmp_path):
    from analysis.ingest import read_inputs

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("a" * 600)
    (corpus / "b.txt").write_text("b" * 600)
    (corpus / "c.txt").write_text("c" * 300)
    result = read_inputs(corpus, max_text_chars=1_000)
    reports = _by_path(result)
    assert (reports["a.txt"].status, reports["b.txt"].status, reports["c.txt"].status) == (
        "parsed", "skipped", "parsed")
    assert "more than max_text_chars (1,000 characters" in reports["b.txt"].reason
    assert sum(len(r.text) for r in result.records) == 900


@pytest.mark.parametrize("name", ["max_total_bytes", "max_text_chars", "file_seconds"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_limits_are_checked(tmp_path, name, value):
    from analysis.ingest import read_inputs

    (tmp_path / "a.txt").write_text("text")
    with pytest.raises(ValueError, match=f"The '{name}' parameter must be a positive integer"):
        read_inputs(tmp_path / "a.txt", **{name: value})


def test_limits_are_one_table_and_uploads_are_tighter():
    from analysis.ingest import LIMITS, UPLOAD_LIMITS

    names = [setting.name for setting in LIMITS]
    assert len(names) == len(set(names)) and all(setting.help for setting in LIMITS)
    assert set(UPLOAD_LIMITS) <= set(names)
    defaults = {setting.name: setting.default for setting in LIMITS}
    assert all(UPLOAD_LIMITS[name] < defaults[name] for name in UPLOAD_LIMITS)


def test_uploads_are_built_under_the_upload_limits(tmp_path):
    from dashboard import data

    files = [("a.txt", ("The SCO met in Astana. " * 20).encode()), ("b.txt", ("BRICS and NATO. " * 40).encode())]
    build = data.build_uploads(files, root=tmp_path, limits={"max_text_chars": 500})
    entries = {entry["path"]: entry for entry in build.report["files"]}
    assert entries["a.txt"]["status"] == "parsed"
    assert entries["b.txt"]["status"] == "skipped" and "max_text_chars" in entries["b.txt"]["reason"]
    assert build.manifest["options"]["limits"] == {"max_text_chars": 500}


def test_uploads_default_to_upload_limits(tmp_path, monkeypatch):
    from analysis.ingest import UPLOAD_LIMITS
    from dashboard import data

    seen = {}
    monkeypatch.setattr("analysis.pipeline.run_build", lambda inputs, out, **kw: seen.update(kw))
    data.build_uploads([("a.txt", b"text")], root=tmp_path)
    assert seen["limits"] == UPLOAD_LIMITS


def test_old_upload_builds_are_pruned(tmp_path):
    import os

    from dashboard import data

    for i in range(data.MAX_UPLOAD_BUILDS + 3):
        folder = tmp_path / f"u{i:02d}"
        (folder / "build").mkdir(parents=True)
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    held = data._Lease(tmp_path / "u00")  # the oldest, but a live session still holds it
    removed = data.prune_uploads(tmp_path)
    assert sorted(p.name for p in removed) == ["u01", "u02"]
    assert len(list(tmp_path.iterdir())) == data.MAX_UPLOAD_BUILDS + 1
    del held


def test_an_upload_build_goes_when_its_last_session_does(tmp_path):
    import gc

    from dashboard import data

    folder = tmp_path / "upload"
    (folder / "build").mkdir(parents=True)
    first, second = data._Lease(folder), data._Lease(folder)
    del first
    gc.collect()
    assert folder.exists()  # another session still shows it
    del second
    gc.collect()
    assert not folder.exists()


def test_the_server_listens_on_this_machine_only():
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
