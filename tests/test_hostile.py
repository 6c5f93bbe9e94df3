"""Hostile and broken input (issue 8): each test feeds one hostile input and pins the outcome.

Nothing lost, nothing invented, no traceback, no hang: every test asserts the message, the report entry or
the text that was kept, not merely that nothing raised.
"""

from __future__ import annotations

import importlib
import json
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


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        *((name, value, "a positive integer") for name in ("max_total_bytes", "max_text_chars")
          for value in (0, -1, True, 1.5)),
        *(("file_seconds", value, "a positive number of seconds") for value in (0, -1, True, "5", float("inf"))),
    ],
)
def test_limits_are_checked(tmp_path, name, value, expected):
    from analysis.ingest import read_inputs

    (tmp_path / "a.txt").write_text("text")
    with pytest.raises(ValueError, match=f"The '{name}' parameter must be {expected}"):
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


# ---------------------------------------------------------------------------------------------------------
# 4. Lone surrogates and non-UTF-8 file names: replaced, reported, the build goes on
# ---------------------------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_json_is_replaced_and_reported(tmp_path):
    from analysis.pipeline import run_build

    corpus = _tiny_input(tmp_path)
    (corpus / "s.jsonl").write_text('{"text": "Broken emoji \\ud83d in a post about the SCO", "title": "T\\udc00"}\n')
    build = run_build([corpus], tmp_path / "out", workers=1)
    row = build.documents.set_index("source").loc["s.jsonl"]
    assert row["text"] == "Broken emoji \ufffd in a post about the SCO"
    assert row["title"] == "T\ufffd"
    entry = next(e for e in build.report["files"] if e["path"] == "s.jsonl")
    assert entry["status"] == "parsed" and entry["surrogates_replaced"] == 2


def test_a_non_utf8_file_name_is_read_under_a_replaced_label(tmp_path):
    import os

    from analysis.pipeline import run_build

    corpus = _tiny_input(tmp_path)
    raw = os.path.join(os.fsencode(corpus), b"caf\xe9 notes.txt")
    with open(raw, "wb") as handle:
        handle.write(b"Notes on BRICS and the CSTO, kept as they were.")
    build = run_build([corpus], tmp_path / "out", workers=1)
    assert "caf\ufffd notes.txt" in set(build.documents["source"])
    assert "Notes on BRICS and the CSTO, kept as they were." in set(build.documents["text"])
    assert json.loads((tmp_path / "out" / "ingest_report.json").read_text())["totals"]["parsed"] == 2


# ---------------------------------------------------------------------------------------------------------
# 5. One bad byte does not turn a UTF-8 file into koi8-r; a half-and-half file is decoded part by part
# ---------------------------------------------------------------------------------------------------------

_RUSSIAN = "Министр иностранных дел России выступил на заседании ШОС в Астане. "


def test_one_invalid_byte_keeps_utf8_and_says_how_many_were_replaced(tmp_path):
    from analysis.ingest import read_inputs

    data = (_RUSSIAN * 100).encode()
    data = data[:4000] + b"\xff" + data[4000:]
    (tmp_path / "one_bad.txt").write_bytes(data)
    result = read_inputs(tmp_path / "one_bad.txt")
    report = result.files[0]
    assert report.encoding == "utf-8" and report.details["bytes_replaced"] == 1
    assert result.records[0].text.count("\ufffd") == 1
    assert result.records[0].text.replace("\ufffd", "") == _RUSSIAN * 100


def test_half_utf8_half_cp1251_is_decoded_part_by_part(tmp_path):
    from analysis.ingest import read_inputs

    first, second = "Первая часть в UTF-8: ШОС и БРИКС.\n" * 10, "Вторая часть в cp1251: ОДКБ и СНГ.\n" * 10
    (tmp_path / "mixed.txt").write_bytes(first.encode() + second.encode("cp1251"))
    result = read_inputs(tmp_path / "mixed.txt")
    report = result.files[0]
    assert report.encoding == "utf-8+cp1251"
    assert report.details["lines_by_encoding"] == {"utf-8": 10, "cp1251": 10}
    assert result.records[0].text == (first + second).rstrip("\n") or result.records[0].text == first + second


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((_RUSSIAN * 20).encode("cp1251"), "cp1251"),
        ((_RUSSIAN * 20).encode("koi8-r"), "koi8-r"),
        (("Déclaration conjointe à Genève, le président. " * 20).encode("cp1252"), "cp1252"),
    ],
)
def test_legacy_code_pages_are_still_told(data, encoding):
    from analysis.formats.encoding import decode_bytes

    text, found = decode_bytes(data)
    assert text == data.decode(encoding)  # (cp1250 and cp1252 agree on these letters: either will do)
    assert not found.startswith("utf-8")


@settings(deadline=2000, max_examples=60)
@given(st.text(min_size=1, max_size=300), st.binary(max_size=8), st.integers(min_value=0, max_value=300))
def test_decode_bytes_keeps_every_valid_utf8_character(text, junk, at):
    from analysis.formats.encoding import decode_bytes

    data = text.encode("utf-8", "replace")
    at = min(at, len(data))
    decoded, encoding = decode_bytes(data[:at] + junk + data[at:])
    if not junk:
        assert decoded.replace("\ufeff", "") == text.encode("utf-8", "replace").decode().replace("\r\n", "\n").replace(
            "\r", "\n").replace("\ufeff", "") or encoding.startswith("utf-16")


# ---------------------------------------------------------------------------------------------------------
# 7. html.parser is gone from the fallback; every file has a time budget
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>Kept words.</p>" + "</" * 300_000 + "</body></html>",  # CVE-2025-6069: quadratic
        "<p>Kept words.</p>" + "<div>" * 20_000 + "deep" + "</div>" * 20_000,
        "<p>Kept words.</p>" + "<!--" * 100_000,
        "<p>Kept words.</p>" + "<a href='" + "x" * 500_000,
    ],
)
def test_the_fallback_extractor_is_linear_on_hostile_pages(page):
    from analysis.formats.html import html_to_text

    start = time.perf_counter()
    text, _ = html_to_text(page)
    assert time.perf_counter() - start < 2
    assert text.startswith("Kept words.")


def test_the_fallback_extractor_drops_chrome_and_keeps_blocks():
    from analysis.formats.html import html_to_text

    text, title = html_to_text(
        "<html><head><title>A &amp; B</title><style>p{}</style></head><body><nav>Menu</nav>"
        "<h1>Headline</h1><p>One<br>two <!-- hidden --> three</p><script>var x</script>Tail</body></html>"
    )
    assert (text, title) == ("Headline\nOne\ntwo three\nTail", "A & B")
    assert html_to_text("<h1>Only a heading</h1>") == ("Only a heading", "Only a heading")
    assert html_to_text("") == ("", None)


def test_html_module_no_longer_uses_html_parser():
    import analysis.formats.html as module

    source = Path(module.__file__).read_text()
    assert "from html.parser import" not in source and "HTMLParser)" not in source


def test_a_file_over_its_time_budget_is_skipped_and_the_build_goes_on(tmp_path):
    from analysis.ingest import read_inputs

    corpus = _tiny_input(tmp_path)
    big = "<html><body>" + "<p>SCO and BRICS met again.</p>" * 200_000 + "</body></html>"
    (corpus / "slow.html").write_text(big)
    result = read_inputs(corpus, file_seconds=0.05)
    reports = _by_path(result)
    assert reports["slow.html"].status == "skipped"
    assert "took longer than file_seconds (0.05 s)" in reports["slow.html"].reason
    assert reports["a.txt"].status == "parsed" and [r.source for r in result.records] == ["a.txt"]
    again = read_inputs(corpus)  # the stopped worker was replaced: the next build reads everything
    assert _by_path(again)["slow.html"].status == "parsed"


def test_the_time_budget_works_from_a_thread_as_the_dashboard_builds(tmp_path):
    import threading

    from analysis.ingest import read_inputs

    corpus = _tiny_input(tmp_path)
    (corpus / "slow.html").write_text("<html><body>" + "<p>Words.</p>" * 200_000 + "</body></html>")
    out = {}
    thread = threading.Thread(target=lambda: out.update(result=read_inputs(corpus, file_seconds=0.05)))
    thread.start()
    thread.join(timeout=120)
    assert _by_path(out["result"])["slow.html"].status == "skipped"


# ---------------------------------------------------------------------------------------------------------
# 8. Shared links: a value with a comma round-trips
# ---------------------------------------------------------------------------------------------------------


@settings(deadline=500, max_examples=200)
@given(st.lists(st.text(min_size=1, max_size=20).map(str.strip).filter(bool), min_size=1, max_size=5, unique=True))
def test_every_source_value_round_trips_through_the_url(values):
    from dashboard import filters as fl

    view = fl.View(filters=fl.Filters(sources=tuple(values)))
    options = fl.Options(sources=tuple(values))
    params = fl.view_to_params(view)
    assert fl.params_to_view(params, options) == view
    joined = {k: ",".join(v) if isinstance(v, list) else v for k, v in params.items()}  # a hand-edited link
    assert fl.params_to_view(joined, options) == view


def test_a_comma_in_a_source_name_survives_a_shared_link():
    from dashboard import filters as fl

    view = fl.View(filters=fl.Filters(sources=("statements, 2024.csv", "b.txt")))
    params = fl.view_to_params(view)
    assert params["source"] == ["statements\\, 2024.csv", "b.txt"]
    assert fl.params_to_view(params, fl.Options(sources=("b.txt", "statements, 2024.csv"))) == view
    assert fl.params_to_view({"org": "SCO,BRICS"}, fl.Options(organisations=("SCO", "BRICS"))).filters.organisations \
        == ("SCO", "BRICS")


# ---------------------------------------------------------------------------------------------------------
# 9. Document identity: the same file twice, two inputs with the same relative name
# ---------------------------------------------------------------------------------------------------------


def test_the_same_file_twice_gets_two_labels_and_the_copy_is_a_duplicate(tmp_path):
    from analysis.pipeline import run_build

    corpus = _tiny_input(tmp_path)
    build = run_build([corpus / "a.txt", corpus / "a.txt"], tmp_path / "out", workers=1)
    docs = build.documents
    assert docs["doc_id"].is_unique and docs["source"].is_unique and len(docs) == 2
    assert docs["duplicate_of"].tolist() == [None, docs["doc_id"].iloc[0]]


def test_two_inputs_with_the_same_relative_name_keep_apart(tmp_path):
    from analysis.pipeline import run_build

    for folder, text in (("one", "The SCO met in Astana."), ("two", "NATO met in Brussels.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text(text)
    build = run_build([tmp_path / "one", tmp_path / "two"], tmp_path / "out", workers=1)
    sources = build.documents.set_index("text")["source"].to_dict()
    assert sources == {"The SCO met in Astana.": "x.txt", "NATO met in Brussels.": f"{(tmp_path / 'two').as_posix()}/x.txt"}
    assert build.documents["doc_id"].is_unique and build.documents["duplicate_of"].isna().all()
    entry = next(e for e in build.report["files"] if e["path"].endswith("two/x.txt"))
    assert entry["label_of"] == "x.txt" and "another input has the same name" in entry["reason"]


# ---------------------------------------------------------------------------------------------------------
# 10. Ragged CSV rows: kept and counted
# ---------------------------------------------------------------------------------------------------------


def test_ragged_csv_rows_are_kept_and_counted():
    from analysis.formats.table import read_table

    data = (b"date,title,text\n"
            b"2024-01-02,One,The SCO met, and BRICS too\n"  # an unquoted comma in the text: 4 cells
            b"2024-01-03,Two\n"  # a short row: no text
            b"2024-01-04,Three,Plain row\n")
    details: dict = {}
    records = read_table(data, "t.csv", details=details)
    assert [r.text for r in records] == ["The SCO met, and BRICS too", "Plain row"]
    assert details["rows_ragged"] == 2 and details["rows_skipped"] == 1
    assert "row at line 2 has 4 cells, the header 3" in details["notes"]


def test_a_csv_broken_part_way_keeps_the_rows_before_the_break():
    from analysis.formats.table import read_table

    data = b"text\nfirst row\nsecond row\n" + b'"never closed\x00 quote' + b"x" * 10
    details: dict = {}
    records = read_table(data, "t.csv", details=details)
    assert [r.text for r in records][:2] == ["first row", "second row"]
    assert details.get("nul_characters_removed") == 1


@settings(deadline=1000, max_examples=80)
@given(st.lists(st.lists(st.text(alphabet="ab,\"\n x;", max_size=8), max_size=5), max_size=8))
def test_csv_reader_never_raises_but_format_errors(rows):
    from analysis.formats import FormatError, NoTextError
    from analysis.formats.table import read_table

    data = ("text,date\n" + "\n".join(",".join(row) for row in rows)).encode()
    try:
        records = read_table(data, "t.csv")
    except (FormatError, NoTextError):
        return
    assert all(record.text.strip() for record in records)


# ---------------------------------------------------------------------------------------------------------
# 13. One bad Telegram message skips only itself
# ---------------------------------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    """JSON of a text nested ``depth`` lists deep (as deep as json itself reads: about 990)."""
    return "[" * depth + '"deep text"' + "]" * depth


def test_bad_telegram_messages_are_skipped_and_counted():
    from analysis.formats.telegram import read_telegram

    export = ('{"name": "Channel", "messages": ['
              '{"id": 1, "type": "message", "date_unixtime": Infinity, "text": "Dated by infinity"},'
              '{"id": 2, "type": "message", "date": "2024-05-01T10:00:00", "text": "A good post about the SCO"},'
              '{"id": 3, "type": "message", "text": ' + _nested(900) + '},'
              '{"id": 4, "type": "message", "text": "Bad field", "date": {"nested": [1, 2]}, "from": [[]]}]}')
    details: dict = {}
    records = read_telegram(export.encode(), "result.json", details=details)
    assert [r.text for r in records] == ["Dated by infinity", "A good post about the SCO", "deep text", "Bad field"]
    assert records[0].date is None and records[1].date is not None
    assert details["messages"] == 4 and details.get("broken_skipped", 0) == 0


@settings(deadline=1000, max_examples=80)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(
                        st.sampled_from(["text", "type", "date", "date_unixtime", "id"]), children, max_size=4),
                    max_leaves=20))
def test_telegram_reader_never_raises_on_any_message(message):
    from analysis.formats import NoTextError
    from analysis.formats.telegram import read_telegram_export

    details: dict = {}
    try:
        records = read_telegram_export({"messages": [message, {"text": "kept"}]}, "r.json", details=details)
    except NoTextError:
        raise AssertionError("the good message was lost") from None
    assert records[-1].text == "kept"
    assert details["messages"] == 2


# ---------------------------------------------------------------------------------------------------------
# 15. Symbolic links: reported, never followed outside the tree
# ---------------------------------------------------------------------------------------------------------


def test_symlinks_are_reported_and_never_read_outside_the_tree(tmp_path):
    import os

    from analysis.ingest import read_inputs

    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwords.txt").write_text("The secret text outside the tree.")
    corpus = _tiny_input(tmp_path)
    os.symlink(outside / "passwords.txt", corpus / "link.txt")
    os.symlink(outside, corpus / "linked_folder")
    os.symlink(corpus / "a.txt", corpus / "inside.txt")
    result = read_inputs(corpus)
    reports = _by_path(result)
    assert reports["link.txt"].status == "skipped"
    assert reports["link.txt"].reason == "symbolic link to a file outside the input folder; not read"
    assert reports["linked_folder/"].reason.startswith("symbolic link to a folder; not followed")
    assert reports["inside.txt"].status == "parsed"
    assert all("secret" not in record.text for record in result.records)


# ---------------------------------------------------------------------------------------------------------
# 16. Messages, not tracebacks; no hang on a FIFO; a stray NUL keeps a text file
# ---------------------------------------------------------------------------------------------------------


def test_a_fifo_is_skipped_not_waited_on(tmp_path):
    import os

    from analysis.ingest import read_inputs

    corpus = _tiny_input(tmp_path)
    os.mkfifo(corpus / "pipe.txt")
    for given_input, label in ((corpus, "pipe.txt"), (corpus / "pipe.txt", "pipe.txt")):
        result = read_inputs(given_input)
        assert _by_path(result)[label].reason == "not a regular file (a FIFO); not read"


def test_a_single_nul_keeps_a_text_file(tmp_path):
    from analysis.ingest import read_inputs

    (tmp_path / "n.txt").write_bytes(b"Statement on the SCO summit.\x00 The rest of it is kept.")
    result = read_inputs(tmp_path / "n.txt")
    assert result.files[0].status == "parsed" and result.files[0].details["nul_bytes"] == 1
    assert "The rest of it is kept." in result.records[0].text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "{in}", "--out", "{tmp}/o", "--clusters", "0"], "expected a positive whole number"),
        (["build", "{in}", "--out", "{tmp}/o", "--workers", "-2"], "expected a positive whole number"),
        (["export", "{build}", "--what", "documents", "--start", "2024-05-01", "--end", "2024-01-01",
          "--out", "{tmp}/x.csv"], "--start 2024-05-01 is after --end 2024-01-01"),
        (["export", "{build}", "--what", "documents", "--out", "{tmp}"], "is a folder; expected a file name"),
    ],
)
def test_cli_mistakes_get_messages(tmp_path, built_tiny, args, message):
    import subprocess
    import sys

    corpus = _tiny_input(tmp_path)
    argv = [a.format(**{"in": corpus, "tmp": tmp_path, "build": built_tiny}) for a in args]
    proc = subprocess.run([sys.executable, "-m", "analysis", *argv], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def built_tiny(tmp_path_factory):
    from analysis.pipeline import run_build

    base = tmp_path_factory.mktemp("tiny")
    return run_build([_tiny_input(base)], base / "build", workers=1).path


# ---------------------------------------------------------------------------------------------------------
# 6. The app: names and texts carrying Markdown and HTML, hostile query parameters
# ---------------------------------------------------------------------------------------------------------

_EVIL = "evil.example"
_HOSTILE_MEMBER = f"![pixel](https://{_EVIL}/name.png) [see](https://{_EVIL}/n) <img src=https://{_EVIL}/n.png>.txt"
_HOSTILE_TEXT = (
    f"The SCO met in Astana on 4 July 2024 to discuss multipolarity. ![p](https://{_EVIL}/text.png)\n"
    f"[click me](https://{_EVIL}/click) <a href=\"https://{_EVIL}/a\">a link</a> <img src=\"https://{_EVIL}/i.png\">\n"
    f"BRICS partners agreed; see www.{_EVIL}/www and mail@{_EVIL} :red[coloured] $x^2$.\n"
)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    """A build whose zip member name and texts carry Markdown links, images and HTML."""
    import zipfile

    from analysis.pipeline import run_build

    base = tmp_path_factory.mktemp("hostile")
    (base / "in").mkdir()
    with zipfile.ZipFile(base / "in" / "posts.zip", "w") as zf:
        zf.writestr(_HOSTILE_MEMBER, _HOSTILE_TEXT)
        zf.writestr("plain.txt", "NATO met in Brussels on 5 July 2024 about eurasian security.")
    return run_build([base / "in"], base / "build", workers=1).path


_HOSTILE_QUERIES = [
    {"source": f"posts.zip/{_HOSTILE_MEMBER}", "org": "NATO"},  # an empty result that names the source
    {"source": f"posts.zip/{_HOSTILE_MEMBER}", "from": "2024-07-05"},
    {"org": f"[x](https://{_EVIL}/q)", "theme": f"<img src=https://{_EVIL}/q.png>", "from": "not a date",
     "to": "9999-99-99", "by": "<b>", "measure": "';drop", "mode": "all\x00", "dups": "maybe"},
    {"source": ["\\", "\\\\,", ",,,", "a" * 5000], "lang": "%ED%A0%BD<script>"},
]


def _markdown_values(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader"):
        out.extend(str(element.value) for element in at.get(kind))
    return out


@pytest.mark.parametrize("query", _HOSTILE_QUERIES)
def test_the_app_escapes_hostile_names_and_survives_hostile_query_params(hostile_build, monkeypatch, query):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DT_DATA", str(hostile_build))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = []
    for tab in ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report"):
        at.session_state["view_tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.value for e in at.exception])
        shown.extend(_markdown_values(at))
    for value in shown:  # Markdown source: every link, image and tag from the corpus is escaped
        assert not re.search(r"(?<!\\)\]\((?!\))", value), value
        assert not re.search(r"(?<!\\)<(img|a)\b", value), value
        assert f"https://{_EVIL}" not in value and f"www.{_EVIL}" not in value, value
    if "org" in query and query["org"] == "NATO":
        assert any("No documents" in value and "name\\.png" in value for value in shown), shown


def test_escape_md_leaves_no_live_markdown():
    import sys

    monkey_argv = sys.argv
    sys.argv = ["app"]
    try:
        from dashboard.app import _escape_md
    finally:
        sys.argv = monkey_argv
    escaped = _escape_md(_HOSTILE_MEMBER + "\n- item\n# heading\n1) one")
    assert "\\]\\(https\\:\u2060//evil\\.example/name\\.png\\)" in escaped
    assert _escape_md("see www.x.org or a@b.org") == "see www\u2060\\.x\\.org or a\u2060\\@b\\.org"
    assert "\\<img" in escaped and "\n\\- item" in escaped and "\n\\# heading" in escaped and "\n1\\) one" in escaped


@pytest.mark.browser
def test_no_link_or_image_from_corpus_text_reaches_the_page(hostile_build, browser, chromium_path):
    from urllib.parse import quote, urlsplit

    from playwright.sync_api import expect

    from dashboard.devserver import serve_app

    expect.set_options(timeout=60_000)
    requested: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("request", lambda request: requested.append(request.url))
    evil = f"[href*='{_EVIL}'], [src*='{_EVIL}'], [srcset*='{_EVIL}'], [*|href*='{_EVIL}']"
    try:
        with serve_app(hostile_build) as url:
            query = f"?source={quote('posts.zip/' + _HOSTILE_MEMBER)}&org=NATO"
            for address in (url, url + query):
                page.goto(address)
                for tab in ("Overview", "Themes", "Organisations", "Topics", "Documents", "Report"):
                    page.get_by_role("tab", name=tab).click()
                    panel = page.locator("[role=tabpanel]:not([hidden])")
                    expect(panel.get_by_role("button", name="Download manifest (JSON)")).to_be_visible()
                    assert page.locator(evil).count() == 0, tab
                    for frame in page.frames:
                        assert frame.locator(evil).count() == 0, (tab, frame.url)
            # The empty-result message names the hostile source as plain text.
            page.get_by_role("tab", name="Overview").click()
            shown = re.compile(r"!\[pixel\]\(https:\u2060?//evil\.example/name\.png\)")
            expect(page.get_by_text(shown).first).to_be_visible()
    finally:
        context.close()
    assert not [u for u in requested if _EVIL in (urlsplit(u).hostname or "")]  # nothing was fetched from it


# ---------------------------------------------------------------------------------------------------------
# Every reader, on any bytes: records or a FormatError/NoTextError, in bounded time
# ---------------------------------------------------------------------------------------------------------

_READER_PIECES = st.sampled_from(
    [b"<html>", b"</", b"<p>", b"<!--", b"<script>", b"{", b"}", b"[", b"]", b'"text"', b":", b",", b"\n",
     b'"messages"', b"text,date\n", b'"', b"\xff", b"\xd0\xb0", b"\x00", b"SCO ", b"2024-05-01", b"\r", b"\t"]
)


@settings(deadline=3000, max_examples=120)
@given(st.lists(_READER_PIECES, min_size=1, max_size=80).map(b"".join),
       st.sampled_from(["a.txt", "a.md", "a.html", "a.csv", "a.tsv", "a.jsonl", "a.json", "result.json", "noext"]))
def test_every_reader_gives_records_or_a_reason(data, name):
    from analysis.formats import FormatError, NoTextError, read_bytes

    details: dict = {}
    try:
        records, fmt = read_bytes(data, name, name, details=details)
    except (FormatError, NoTextError) as error:
        assert str(error)  # a reason for the report
        return
    assert fmt in ("text", "html", "table", "telegram")
    assert all(isinstance(record.text, str) and record.text.strip() for record in records)
    assert "encoding" in details
