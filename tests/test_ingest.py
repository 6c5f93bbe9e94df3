"""Tests for analysis.ingest.read_inputs: files, folders, zip archives and the per-file report."""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.documents import document_rows
from analysis.ingest import IngestResult, read_inputs

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
SHARED = Path(__file__).resolve().parents[2] / "shared"
UNGDC = SHARED / "corpora" / "ungdc" / "txt"

RUSSIAN = "Министр иностранных дел России Сергей Лавров провёл переговоры. Стороны обсудили ШОС."


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def _report(result: IngestResult, path: str):
    matches = [f for f in result.files if f.path == path]
    assert len(matches) == 1, f"{path!r} appears {len(matches)} times in {[f.path for f in result.files]}"
    return matches[0]


# --- single files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "status", "encoding", "reason", "text"),
    [
        ("ru.txt", RUSSIAN.encode("cp1251"), "parsed", "cp1251", None, RUSSIAN),
        ("u16.txt", "Привет из UTF-16".encode("utf-16"), "parsed", "utf-16", None, "Привет из UTF-16"),
        ("bom.txt", codecs.BOM_UTF8 + b"Hello with BOM", "parsed", "utf-8-sig", None, "Hello with BOM"),
        ("notes.md", b"# Title\r\n\r\nBody", "parsed", "utf-8", None, "# Title\n\nBody"),
        ("blob.bin", bytes(range(256)) * 4, "skipped", None, "binary or unsupported format: .bin", None),
        (
            "fake.txt",
            b"%PDF-1.4\n\x00\x01\x02binary",
            "skipped",
            None,
            "binary or unsupported format: .txt",
            None,
        ),
        ("doc.pdf", b"%PDF-1.4 whatever", "skipped", None, "binary or unsupported format: .pdf", None),
        ("empty.txt", b"", "skipped", None, "empty file", None),
        ("blank.txt", b"  \n\n ", "skipped", None, "empty file (only whitespace)", None),
        (
            "notes.xyz",
            b"Unknown extension but plainly text.",
            "parsed",
            "utf-8",
            None,
            "Unknown extension but plainly text.",
        ),
        (
            "noext",
            b"\x00\x01\x02\x03\x04\x05" * 20,
            "skipped",
            None,
            "binary or unsupported format: (no extension)",
            None,
        ),
        ("bad.json", b'{"text": broken', "failed", "utf-8", "broken JSON", None),
        ("cols.csv", b"a,b,c\n1,2,3\n", "failed", "utf-8", "no text column found", None),
        (
            "empty.html",
            b"<html><body><script>x()</script></body></html>",
            "skipped",
            "utf-8",
            "no text found in this html",
            None,
        ),
    ],
)
def test_single_file(tmp_path, name, data, status, encoding, reason, text):
    path = tmp_path / name
    path.write_bytes(data)
    result = read_inputs([path])
    [report] = result.files
    assert report.path == name
    assert report.status == status
    assert report.details["bytes"] == len(data)
    assert report.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert report.encoding == encoding
    if reason is None:
        assert report.reason is None
    else:
        assert reason in report.reason
    if text is None:
        assert result.records == [] and report.documents == 0
    else:
        assert [r.text for r in result.records] == [text]
        assert report.documents == 1
        assert result.records[0].source == name
        assert result.records[0].extra["path"] == path.as_posix()


def test_failed_table_reason_lists_columns(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"alpha,beta,gamma\n1,2,3\n")
    [report] = read_inputs([tmp_path / "t.csv"]).files
    assert report.status == "failed"
    assert "the table has columns: alpha, beta, gamma. Rename the text column to 'text'." in report.reason


def test_html_file_through_ingest(tmp_path):
    page = (
        b"<html><head><meta name='date' content='2020-02-03'><script>alert(1)</script>"
        b"<style>p{}</style></head><body><nav>Menu items here</nav><p>The body text of the page is here "
        b"and it is long enough to be the article.</p><img src=x onerror=alert(1)></body></html>"
    )
    (tmp_path / "p.html").write_bytes(page)
    result = read_inputs([tmp_path / "p.html"])
    [record] = result.records
    assert "alert" not in record.text and "Menu items" not in record.text
    assert "The body text of the page is here" in record.text
    assert (record.date.year, record.date.month, record.date.day, record.date.method) == (
        2020,
        2,
        3,
        "metadata",
    )
    assert result.files[0].format == "html"


def test_table_details_reach_the_report(tmp_path):
    (tmp_path / "t.jsonl").write_bytes(b'{"body": "one"}\n{broken\n{"body": ""}\n')
    [report] = read_inputs([tmp_path / "t.jsonl"]).files
    assert report.status == "parsed" and report.documents == 1 and report.format == "table"
    assert report.details["rows"] == 3 and report.details["rows_skipped"] == 2
    assert report.details["broken_lines"] == [2]
    assert report.to_dict()["columns_used"] == {"text": "body"}


def test_telegram_export_through_ingest(tmp_path):
    export = {
        "name": "Chan",
        "messages": [
            {"id": 1, "type": "service"},
            {
                "id": 2,
                "type": "message",
                "date": "2024-05-16T12:00:00",
                "text": ["Hi ", {"type": "hashtag", "text": "#SCO"}],
            },
        ],
    }
    (tmp_path / "result.json").write_text(json.dumps(export), encoding="utf-8")
    result = read_inputs([tmp_path / "result.json"])
    [report] = result.files
    assert (report.status, report.format, report.documents) == ("parsed", "telegram", 1)
    assert report.details["service_skipped"] == 1 and report.details["channel"] == "Chan"
    assert result.records[0].text == "Hi #SCO"


# --- folders ------------------------------------------------------------------------------------------


def test_folder_recursion_sources_and_hidden_files(tmp_path):
    root = tmp_path / "corpus"
    (root / "Session 25 - 1970").mkdir(parents=True)
    (root / "b" / "c").mkdir(parents=True)
    (root / ".git" / "objects").mkdir(parents=True)
    (root / "Session 25 - 1970" / "USA_25_1970.txt").write_text("Speech one.", encoding="utf-8")
    (root / "b" / "c" / "deep.md").write_text("Deep text.", encoding="utf-8")
    (root / "a.txt").write_text("Top text.", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "Thumbs.db").write_bytes(b"\x00junk")
    (root / ".hidden.txt").write_text("secret", encoding="utf-8")
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main", encoding="utf-8")
    (root / ".git" / "objects" / "x").write_text("blob", encoding="utf-8")
    calls: list[int] = []
    result = read_inputs([root], progress=calls.append)

    assert [f.path for f in result.files] == [
        ".DS_Store",
        ".git/",
        ".hidden.txt",
        "Session 25 - 1970/USA_25_1970.txt",
        "Thumbs.db",
        "a.txt",
        "b/c/deep.md",
    ]
    assert [r.source for r in result.records] == ["Session 25 - 1970/USA_25_1970.txt", "a.txt", "b/c/deep.md"]
    assert result.records[0].extra["path"] == "Session 25 - 1970/USA_25_1970.txt"
    assert _report(result, ".git/").reason == "hidden folder (2 files not read)"
    assert _report(result, ".DS_Store").reason.startswith("operating-system file")
    assert _report(result, "Thumbs.db").status == "skipped"
    assert _report(result, ".hidden.txt").reason == "hidden file (name starts with '.')"
    assert sum(calls) == len(result.files)
    assert result.options["dayfirst"] is True


def test_every_input_file_appears_exactly_once(tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    files = {
        "a.txt": b"Text.",
        "b.csv": b"text,date\nrow one,2024-01-01\nrow two,2024-01-02\n",
        "c.csv": b"x,y\n1,2\n",
        "d.bin": b"\x00\x01\x02" * 10,
        "e.txt": b"",
        "f.json": b"[{",
        "g.html": b"<p>Small page</p>",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    _zip(root / "h.zip", {"in/one.txt": b"Inside.", "in/two.txt": b"Also inside."})
    result = read_inputs([root, root / "a.txt"])
    paths = [f.path for f in result.files]
    # The file named a second time gets its own label: the path it was named by.
    expected = [*sorted(files), "h.zip", "h.zip/in/one.txt", "h.zip/in/two.txt", (root / "a.txt").as_posix()]
    assert paths == expected
    statuses = {f.path: f.status for f in result.files[:-1]}
    assert statuses == {
        "a.txt": "parsed",
        "b.csv": "parsed",
        "c.csv": "failed",
        "d.bin": "skipped",
        "e.txt": "skipped",
        "f.json": "failed",
        "g.html": "parsed",
        "h.zip": "parsed",
        "h.zip/in/one.txt": "parsed",
        "h.zip/in/two.txt": "parsed",
    }
    assert len(result.records) == sum(f.documents for f in result.files if f.format != "zip")
    assert _report(result, "h.zip").documents == 2


def test_missing_input_raises():
    with pytest.raises(
        FileNotFoundError,
        match=r"Input 'nope/missing' does not exist: pass a file, a folder or a \.zip archive\.",
    ):
        read_inputs(["nope/missing"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"max_zip_members": 0},
            r"The 'max_zip_members' parameter must be a positive integer; got 0 instead\.",
        ),
        (
            {"max_file_bytes": "big"},
            r"The 'max_file_bytes' parameter must be a positive integer; got 'big' instead\.",
        ),
        (
            {"max_row_chars": 0},
            r"The 'max_row_chars' parameter must be a positive integer; got 0 instead\.",
        ),
        (
            {"chunk_rows": 2.5},
            r"The 'chunk_rows' parameter must be a positive integer; got 2\.5 instead\.",
        ),
    ],
)
def test_bad_limits(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        read_inputs([tmp_path], **kwargs)


def test_no_inputs():
    with pytest.raises(ValueError, match=r"The 'inputs' parameter must name at least one file"):
        read_inputs([])


def test_single_path_accepted(tmp_path):
    (tmp_path / "a.txt").write_text("x y z", encoding="utf-8")
    assert len(read_inputs(tmp_path / "a.txt").records) == 1


def test_file_too_large(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"word " * 100)
    [report] = read_inputs([tmp_path / "big.txt"], max_file_bytes=100).files
    assert report.status == "skipped" and report.reason.startswith("file too large")


# --- tables read in chunks -----------------------------------------------------------------------------


def _jsonl(path: Path, n: int, **extra) -> Path:
    path.write_text("".join(json.dumps({"text": f"Post number {i}.", "date": f"2024-01-{i % 28 + 1:02d}", **extra})
                            + "\n" for i in range(n)), encoding="utf-8")
    return path


def test_a_table_over_max_file_bytes_is_read_fully_in_chunks(tmp_path):
    big = _jsonl(tmp_path / "big.jsonl", 50)
    (tmp_path / "big.csv").write_text("text\n" + "".join(f"row {i}\n" for i in range(50)), encoding="utf-8")
    (tmp_path / "big.json").write_text(json.dumps([{"text": f"row {i}"} for i in range(50)]), encoding="utf-8")
    assert big.stat().st_size > 1000
    result = read_inputs([tmp_path], max_file_bytes=100, chunk_rows=7)
    report = _report(result, "big.jsonl")
    assert (report.status, report.reason, report.documents, report.format) == ("parsed", None, 50, "table")
    assert (report.details["rows"], report.details["chunks"], report.details["bytes"]) == (50, 8, big.stat().st_size)
    assert report.details["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert [r.text for r in result.records if r.source == "big.jsonl"] == [f"Post number {i}." for i in range(50)]
    assert _report(result, "big.csv").documents == 50
    # A JSON array is one value, parsed whole: the cap stays for it, as for other formats.
    assert _report(result, "big.json").reason == (
        "file too large (990 bytes > max_file_bytes 100 bytes); split it or raise the limit")
    assert result.options["max_row_chars"] == 5_000_000 and result.options["chunk_rows"] == 7


def test_a_table_member_of_an_archive_keeps_the_size_cap(tmp_path):
    path = _zip(tmp_path / "a.zip", {"t.csv": b"text\n" + b"a row of text\n" * 20})
    result = read_inputs([path], max_file_bytes=100)
    assert _report(result, "a.zip/t.csv").reason.startswith("file too large (285 bytes > max_file_bytes 100 bytes)")


def test_a_row_over_max_row_chars_is_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("title,text\nA,short\nB," + "x" * 80 + "\nC,also short\n", encoding="utf-8")
    [report] = read_inputs([path], max_row_chars=50).files
    assert (report.status, report.documents) == ("parsed", 2)
    assert report.details["refused_rows"] == [{"row": 2, "line": 3, "reason": (
        "82 characters, more than max_row_chars (50); not read. Check the file's quoting, or raise the limit")}]
    assert (report.details["rows"], report.details["rows_refused"]) == (3, 1)
    # the same row inside an archive (read from memory) is refused the same way
    _zip(tmp_path / "a.zip", {"t.csv": path.read_bytes()})
    member = _report(read_inputs([tmp_path / "a.zip"], max_row_chars=50), "a.zip/t.csv")
    assert member.details["refused_rows"] == report.details["refused_rows"] and member.documents == 2


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"), (b" \n\t\n", "empty file (only whitespace)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary or unsupported format: .csv; convert it to text "
     "(.txt, .html, .csv) first"),
])
def test_streamed_tables_that_hold_nothing(tmp_path, content, reason):
    (tmp_path / "t.csv").write_bytes(content)
    [report] = read_inputs([tmp_path / "t.csv"]).files
    assert (report.status, report.reason) == ("skipped", reason)


def test_an_unchanged_streamed_table_is_not_read(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    path = _jsonl(tmp_path / "t.jsonl", 5)
    monkeypatch.setattr(ingest, "_stream_within_budget", lambda *a: pytest.fail("an unchanged file was read"))
    [report] = read_inputs([path], unchanged={"t.jsonl": hashlib.sha256(path.read_bytes()).hexdigest()}).files
    assert report.status == "unchanged"


def _stall_after(n_chunks: int, error: Exception):
    """A stand-in for the worker: the real chunks of the job read here, then ``error`` at chunk n_chunks+1."""
    import analysis.ingest as ingest

    def messages(job, seconds):
        assert job[0] == "stream" and seconds == 0.5
        for i, message in enumerate(ingest._stream_here(*job[1:])):
            if i == n_chunks:
                raise error
            yield message
    return messages


def test_a_stalled_chunk_stops_the_reading_and_keeps_the_chunks_before_it(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    path = _jsonl(tmp_path / "t.jsonl", 10)
    monkeypatch.setattr(ingest, "_worker_messages", _stall_after(2, ingest._TooSlow()))
    [report] = read_inputs([path], chunk_rows=3, file_seconds=0.5).files
    assert (report.status, report.documents) == ("parsed", 6)
    assert report.reason == (
        "chunk 3 of 3 rows took longer than file_seconds (0.5 s), so the reading stopped after line 6; the 6 "
        "documents of the 2 chunks before it were kept. Check the file after that line (it may be built to "
        "stall a parser), split it, or raise the limit")
    assert report.details["stopped_after_line"] == 6 and report.details["rows"] == 6


def test_a_stall_or_crash_before_any_chunk(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    path = _jsonl(tmp_path / "t.jsonl", 10)
    monkeypatch.setattr(ingest, "_worker_messages", _stall_after(0, ingest._TooSlow()))
    [report] = read_inputs([path], chunk_rows=3, file_seconds=0.5).files
    assert (report.status, report.documents) == ("skipped", 0)
    assert report.reason.startswith("reading took longer than file_seconds (0.5 s) and was stopped")
    monkeypatch.setattr(ingest, "_worker_messages", _stall_after(0, ingest._WorkerDied(EOFError())))
    [report] = read_inputs([path], chunk_rows=3, file_seconds=0.5).files
    assert (report.status, report.reason) == ("failed", (
        "the reader stopped while reading this file (EOFError); the file may be built to crash a parser, or too "
        "large for the memory available"))
    monkeypatch.setattr(ingest, "_worker_messages", _stall_after(1, ingest._WorkerDied(EOFError())))
    [report] = read_inputs([path], chunk_rows=3, file_seconds=0.5).files
    assert report.status == "parsed" and report.documents == 3
    assert report.reason.startswith("chunk 2 of 3 rows stopped the reader (EOFError), so the reading stopped after "
                                    "line 3;")


def test_a_streamed_table_is_read_here_when_no_worker_can_start(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    def no_worker():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(ingest, "_Worker", no_worker)
    monkeypatch.setattr(ingest, "_IDLE", [])
    [report] = read_inputs([_jsonl(tmp_path / "t.jsonl", 10)], chunk_rows=4).files
    assert (report.status, report.documents, report.details["chunks"]) == ("parsed", 10, 3)
    assert report.details["time_budget"] == "not enforced (no worker process: Too many open files)"


def test_a_streamed_table_that_fails_says_why(tmp_path):
    (tmp_path / "t.csv").write_text("title,date\nA,2024-05-16\n", encoding="utf-8")
    (tmp_path / "u.jsonl").write_text("{nope\n", encoding="utf-8")
    result = read_inputs([tmp_path])
    assert _report(result, "t.csv").status == "failed"
    assert _report(result, "t.csv").reason.startswith("no text column found: expected one of text, body")
    assert _report(result, "u.jsonl").reason.startswith("every line is broken JSON (1 lines; first error on line 1")


# --- zip archives -------------------------------------------------------------------------------------


def test_zip_sources_and_archive_entry(tmp_path):
    path = _zip(
        tmp_path / "archive.zip",
        {
            "docs/a.txt": b"First.",
            "docs/2024/b.csv": b"text,date\none,2024-05-16\ntwo,2024-05-17\n",
            "__MACOSX/docs/._a.txt": b"\x00\x05\x16\x07",
            "docs/.DS_Store": b"\x00\x00",
        },
    )
    result = read_inputs([path])
    assert [f.path for f in result.files] == [
        "archive.zip",
        "archive.zip/__MACOSX/",
        "archive.zip/docs/.DS_Store",
        "archive.zip/docs/2024/b.csv",
        "archive.zip/docs/a.txt",
    ]
    archive = result.files[0]
    assert (archive.status, archive.documents, archive.details["members"]) == ("parsed", 3, 4)
    assert [r.source for r in result.records] == ["archive.zip/docs/2024/b.csv"] * 2 + [
        "archive.zip/docs/a.txt"
    ]
    assert result.records[0].extra["path"] == "archive.zip/docs/2024/b.csv"
    assert _report(result, "archive.zip/__MACOSX/").details == {"files": 1}


def test_zip_unsafe_members_refused_and_nothing_written(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    path = _zip(
        work / "evil.zip",
        {
            "../evil.txt": b"escape attempt",
            "/abs/evil2.txt": b"absolute path",
            "ok/../../evil3.txt": b"sneaky",
            "good.txt": b"Fine text.",
        },
    )
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = read_inputs([path])
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert before == after
    assert not (tmp_path / "evil.txt").exists() and not Path("/abs/evil2.txt").exists()
    unsafe = [f for f in result.files if f.reason and f.reason.startswith("unsafe path in archive")]
    assert sorted(f.path for f in unsafe) == [
        "evil.zip/../evil.txt",
        "evil.zip//abs/evil2.txt",
        "evil.zip/ok/../../evil3.txt",
    ]
    assert all(f.status == "skipped" for f in unsafe)
    assert [r.text for r in result.records] == ["Fine text."]


def test_zip_windows_paths(tmp_path):
    path = _zip(tmp_path / "win.zip", {"docs\\a.txt": b"Windows text.", "C:\\evil.txt": b"drive letter"})
    result = read_inputs([path])
    assert _report(result, "win.zip/docs/a.txt").status == "parsed"
    assert _report(result, "win.zip/C:/evil.txt").reason.startswith("unsafe path in archive")
    assert [r.source for r in result.records] == ["win.zip/docs/a.txt"]


def test_zip_nested_archive_refused(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.txt", "inner")
    path = _zip(
        tmp_path / "outer.zip",
        {"inner.zip": inner.getvalue(), "data.tar.gz": b"\x1f\x8b\x08", "t.txt": b"ok"},
    )
    result = read_inputs([path])
    for name in ("outer.zip/inner.zip", "outer.zip/data.tar.gz"):
        report = _report(result, name)
        assert report.status == "skipped" and report.reason.startswith("nested archive")
        assert "extract it first" in report.reason
    assert [r.text for r in result.records] == ["ok"]


def test_zip_too_many_members(tmp_path):
    path = _zip(tmp_path / "many.zip", {f"f{i:02d}.txt": f"text {i}".encode() for i in range(12)})
    result = read_inputs([path], max_zip_members=5)
    archive = _report(result, "many.zip")
    assert archive.status == "parsed" and archive.documents == 5
    assert archive.details["members_not_read"] == 7
    assert "only the first 5 members were read; 7 more were not (max_zip_members)" in archive.reason
    assert [r.text for r in result.records] == [f"text {i}" for i in range(5)]


def test_zip_too_large(tmp_path):
    path = _zip(tmp_path / "large.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    result = read_inputs([path], max_zip_bytes=1000)
    assert _report(result, "large.zip/a.txt").status == "parsed"
    report = _report(result, "large.zip/b.txt")
    assert report.status == "skipped" and report.reason.startswith("archive too large")
    assert "max_zip_bytes" in report.reason


def test_zip_member_lying_about_its_size(tmp_path):
    path = tmp_path / "liar.zip"
    _zip(path, {"a.txt": b"x" * 5000})
    raw = bytearray(path.read_bytes())
    # Patch the central directory's uncompressed size (offset 24 in the entry) down to 10 bytes.
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    result = read_inputs([path], max_zip_bytes=100)
    report = _report(result, "liar.zip/a.txt")
    assert report.status == "failed" and report.reason.startswith("cannot read member (BadZipFile")
    assert result.records == []
    assert _report(result, "liar.zip").status == "skipped"


def test_empty_zip_is_skipped(tmp_path):
    path = _zip(tmp_path / "empty.zip", {"blank.txt": b""})
    result = read_inputs([path])
    archive = _report(result, "empty.zip")
    assert (archive.status, archive.documents) == ("skipped", 0)
    assert archive.reason.startswith("the archive holds no readable documents")
    assert _report(result, "empty.zip/blank.txt").reason == "empty file"


def test_corrupt_zip_fails(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    [report] = read_inputs([tmp_path / "broken.zip"]).files
    assert report.status == "failed"
    assert report.reason.startswith("corrupt or unreadable zip archive")


def test_zip_inside_folder_uses_relative_label(tmp_path):
    (tmp_path / "sub").mkdir()
    _zip(tmp_path / "sub" / "a.zip", {"x.txt": b"zipped"})
    result = read_inputs([tmp_path])
    assert [f.path for f in result.files] == ["sub/a.zip", "sub/a.zip/x.txt"]
    assert result.records[0].source == "sub/a.zip/x.txt"


# --- real data ----------------------------------------------------------------------------------------


def test_sample_folder_reads_five_records():
    if not SAMPLE.exists():
        pytest.skip(f"data/sample not found at {SAMPLE}")
    result = read_inputs([SAMPLE])
    assert len(result.records) == 5
    assert [f.status for f in result.files] == ["parsed"] * 5
    assert all(r.format == "text" for r in result.records)
    # Split by the reader: the dump's 20 posts and the pages' chrome-free texts go with their records; the
    # one file that is a single post without chrome is a plain record.
    assert [None if r.posts is None else len(r.posts) for r in result.records] == [1, 1, 1, 20, None]
    assert [r.segmentable for r in result.records] == [True] * 4 + [False]
    assert [r.source for r in result.records] == sorted(p.name for p in SAMPLE.iterdir())


def test_the_readers_split_is_the_document_stages():
    """A text file's split into posts is made once, by the reader (within the file's time budget): the
    documents made from the records read are the documents of the same texts split afresh."""
    if not SAMPLE.exists():
        pytest.skip(f"data/sample not found at {SAMPLE}")
    for record in read_inputs([SAMPLE]).records:
        fresh = dataclasses.replace(record, segmentable=True, posts=None)
        assert document_rows(record, today=dt.date(2026, 1, 1)) == document_rows(fresh, today=dt.date(2026, 1, 1))


@pytest.mark.corpora
def test_ungdc_folder_paths_keep_session_folders():
    if not UNGDC.exists():
        pytest.skip(f"../shared/corpora not found: {UNGDC} is absent")
    result = read_inputs([UNGDC])
    assert len(result.files) == len(result.records) == 10_952
    assert all(f.status == "parsed" for f in result.files)
    assert "Session 25 - 1970/USA_25_1970.txt" in {r.extra["path"] for r in result.records}


# --- robustness ----------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=800),
    name=st.sampled_from(
        ["x.txt", "x.csv", "x.tsv", "x.json", "x.jsonl", "x.html", "x.md", "x", "x.zip", "x.dat"]
    ),
)
def test_read_inputs_never_raises_on_arbitrary_content(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    result = read_inputs([path])
    assert len(result.files) >= 1
    assert result.files[0].status in ("parsed", "skipped", "failed")
    assert all(f.status != "failed" or f.reason for f in result.files)


# --- adding inputs to an existing build (analysis update) --------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_unchanged_files_are_recognised_by_label_and_hash_and_not_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The SCO summit opened in Astana.")
    (folder / "b.txt").write_text("BRICS ministers met in Kazan.")
    (folder / "c.txt").write_text("changed since")
    known = {"a.txt": _sha("The SCO summit opened in Astana."), "c.txt": _sha("as built")}
    result = read_inputs([folder], unchanged=known)
    assert [(f.path, f.status) for f in result.files] == [("a.txt", "unchanged"), ("b.txt", "parsed"),
                                                          ("c.txt", "parsed")]
    assert _report(result, "a.txt").reason == "the same content (sha256) as in the build; not read again"
    assert _report(result, "a.txt").details["sha256"] == known["a.txt"]
    assert [r.source for r in result.records] == ["b.txt", "c.txt"]
    assert result.input_of == dict.fromkeys(["a.txt", "b.txt", "c.txt"], folder.as_posix())


def test_an_archive_with_unchanged_members_is_not_skipped(tmp_path):
    archive = _zip(tmp_path / "news.zip", {"m1.txt": b"The SCO summit opened.", "m2.txt": b"BRICS met in Kazan."})
    known = {"news.zip/m1.txt": hashlib.sha256(b"The SCO summit opened.").hexdigest(),
             "news.zip/m2.txt": hashlib.sha256(b"BRICS met in Kazan.").hexdigest()}
    result = read_inputs([archive], unchanged=known)
    assert [(f.path, f.status) for f in result.files] == [("news.zip", "parsed"), ("news.zip/m1.txt", "unchanged"),
                                                          ("news.zip/m2.txt", "unchanged")]
    assert result.records == []


def test_labels_taken_by_the_build_are_labelled_apart(tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "channel.txt").write_text("The SCO summit opened in Astana.")
    result = read_inputs([folder], labels_taken={"channel.txt"})
    assert [r.source for r in result.records] == [f"{folder.as_posix()}/channel.txt"]


@pytest.mark.parametrize("build_inputs, expected", [
    (None, ("a.txt", "file")),  # one input: the file's name
    (["OTHER", "IN"], ("in", "folder")),  # one of several inputs of the build: its folder
])
def test_publishers_follow_the_inputs_of_the_whole_build(tmp_path, build_inputs, expected):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The SCO summit opened in Astana.")
    names = {"OTHER": tmp_path / "other.txt", "IN": folder}
    result = read_inputs([folder], build_inputs=None if build_inputs is None else [names[n] for n in build_inputs])
    assert (result.records[0].publisher, result.records[0].publisher_method) == expected


# --- the time budget covers plain text too --------------------------------------------------------------


def test_a_text_files_split_into_posts_is_tried_within_the_readers_budget(monkeypatch):
    # The worker runs _read_here, so the trial split is inside file_seconds (and a split that raises fails
    # the file at ingest, with the reason, instead of the build's document stage).
    import analysis.ingest as ingest
    import analysis.segment as segment

    seen = []

    def split(text):
        seen.append(text)
        raise RuntimeError("stalled")

    monkeypatch.setattr(segment, "split_posts_detailed", split)
    status, reason, details = ingest._read_here(b"The SCO met in Astana.", "a.txt", "a.txt", True)
    assert seen == ["The SCO met in Astana."]
    assert (status, reason, details["encoding"]) == ("failed", "RuntimeError: stalled", "utf-8")
    status, (records, fmt), _ = ingest._read_here(b'{"text": "The SCO met."}\n', "t.jsonl", "t.jsonl", True)
    assert (status, fmt, len(records)) == ("parsed", "table", 1) and len(seen) == 1  # rows are not dumps


def test_a_huge_text_file_and_a_text_member_of_a_zip_are_read_within_the_budget(tmp_path):
    big = ("The Foreign Minister spoke of BRICS and the SCO at length. " * 20 + "\n\n") * 40_000  # 48 MB
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.md").write_text(big, encoding="utf-8")
    _zip(tmp_path / "in" / "a.zip", {"big.txt": big.encode(), "small.txt": b"BRICS met in Kazan."})
    result = read_inputs([tmp_path / "in"], file_seconds=0.05)
    for path in ("big.md", "a.zip/big.txt"):
        report = _report(result, path)
        assert report.status == "skipped" and "took longer than file_seconds (0.05 s)" in report.reason, path
    assert _report(result, "a.zip/small.txt").status == "parsed"
    assert [record.source for record in result.records] == ["a.zip/small.txt"]


def test_a_reading_can_go_on_from_the_budget_an_earlier_one_used(tmp_path):
    (tmp_path / "a.txt").write_text("BRICS met in Kazan. " * 10, encoding="utf-8")  # 200 bytes and characters
    first = read_inputs([tmp_path / "a.txt"], max_total_bytes=500, max_text_chars=1_000)
    assert (first.bytes_used, first.text_chars) == (200, 200)
    again = read_inputs([tmp_path / "a.txt"], max_total_bytes=500, bytes_used=first.bytes_used)
    assert again.bytes_used == 400 and again.files[0].status == "parsed"
    over = read_inputs([tmp_path / "a.txt"], max_total_bytes=500, bytes_used=again.bytes_used)
    assert over.files[0].status == "skipped" and over.bytes_used == 400
    assert "(400 bytes of it used by the inputs read before these)" in over.files[0].reason
    full = read_inputs([tmp_path / "a.txt"], max_text_chars=1_000, text_held=900)
    assert full.files[0].status == "skipped" and full.text_chars == 900
    assert full.files[0].reason.endswith("already held 900 characters)")
    for name, value in (("bytes_used", -1), ("text_held", True), ("text_held", 1.5)):
        with pytest.raises(ValueError, match=f"The '{name}' parameter must be a whole number, 0 or more; got"):
            read_inputs([tmp_path / "a.txt"], **{name: value})


def test_a_streamed_tables_report_says_which_later_keys_were_used_and_which_rows_had_no_text(tmp_path):
    rows = [{"body": f"Early post {i} on the SCO."} for i in range(1_000)]
    rows += [{"text": "A later post on BRICS.", "date": "2024-05-16"}, {"note": "no text here"}]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    result = read_inputs([path], chunk_rows=400)
    [report] = result.files
    assert (report.status, report.documents, report.reason) == ("parsed", 1_001, None)
    assert report.details["fallback_keys"] == {"text": {"text": 1}, "date": {"date": 1}}
    assert report.details["rows_without_text"] == [1_002] and report.details["rows_skipped"] == 1
    assert any("take their text from their key 'text'" in note for note in report.details["notes"])
    late = result.records[-1]
    assert (late.text, late.date.year, late.date.month, late.date.day) == ("A later post on BRICS.", 2024, 5, 16)


@pytest.mark.parametrize(("size", "text"), [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1.0 KB"),
                                           (45_600, "45.6 KB"), (999_999, "1.0 MB"), (1_000_000, "1.0 MB"),
                                           (214_000_000, "214.0 MB")])
def test_sizes_in_messages_are_never_zero_megabytes(size, text):
    from analysis.ingest import _size_text

    assert _size_text(size) == text


def test_lone_surrogates_in_a_readers_posts_are_replaced_with_the_text():
    from analysis.ingest import _clean_record
    from analysis.records import Post, Record

    record = Record("d.txt", "A \ud83d\n\nB", "text", segmentable=True,
                    posts=[Post("A \ud83d", "[1.1.24 10:00] X:"), Post("B", "X \udc00")])
    assert _clean_record(record) == 3
    assert record.posts == [Post("A \ufffd", "[1.1.24 10:00] X:"), Post("B", "X \ufffd")]


# --- a folder's small files are read in batches, each file within its budget ----------------------------


def _notes_folder(root: Path, n: int) -> Path:
    folder = root / "in"
    folder.mkdir()
    for i in range(n):
        (folder / f"n{i}.txt").write_text(f"Note {i}: the SCO met in Astana.", encoding="utf-8")
    return folder


def test_a_folders_small_files_go_to_the_reader_in_batches(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    monkeypatch.setattr(ingest, "_BATCH_FILES", 3)
    folder = _notes_folder(tmp_path, 7)
    (folder / "t.csv").write_text("text\nBRICS met.\n", encoding="utf-8")  # a table: streamed, a job of its own
    (folder / "e.txt").write_text("", encoding="utf-8")
    (folder / "z.md").write_text("BRICS. " * 200_000, encoding="utf-8")  # over _BATCH_FILE_BYTES: alone
    plan = ingest.plan_reads([folder])
    jobs = [[report.path for report in job()[1]] for _, job in plan.jobs]
    assert jobs == [["e.txt", "n0.txt", "n1.txt"], ["n2.txt", "n3.txt", "n4.txt"], ["n5.txt", "n6.txt"], ["t.csv"],
                    ["z.md"]]
    result = read_inputs([folder])
    assert [(r.path, r.status) for r in result.files] == [
        ("e.txt", "skipped"), *((f"n{i}.txt", "parsed") for i in range(7)), ("t.csv", "parsed"), ("z.md", "parsed")]
    assert [r.source for r in result.records] == [*(f"n{i}.txt" for i in range(7)), "t.csv", "z.md"]


def test_a_slow_file_in_a_batch_is_stopped_and_the_files_after_it_are_read(tmp_path):
    folder = _notes_folder(tmp_path, 3)
    slow = "<html><body>" + "<p>SCO and BRICS met again.</p>" * 30_000 + "</body></html>"  # 0.9 MB: batched
    (folder / "n1_slow.html").write_text(slow, encoding="utf-8")
    result = read_inputs([folder], file_seconds=0.05)
    reports = {r.path: r for r in result.files}
    assert reports["n1_slow.html"].status == "skipped"
    assert "took longer than file_seconds (0.05 s)" in reports["n1_slow.html"].reason
    assert [r.source for r in result.records] == ["n0.txt", "n1.txt", "n2.txt"]  # before and after the slow one
    assert {r.path: r.status for r in result.files} == {"n0.txt": "parsed", "n1.txt": "parsed",
                                                         "n1_slow.html": "skipped", "n2.txt": "parsed"}


def test_a_batch_is_read_here_when_no_worker_can_start(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    def no_worker():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(ingest, "_Worker", no_worker)
    monkeypatch.setattr(ingest, "_IDLE", [])
    result = read_inputs([_notes_folder(tmp_path, 3)])
    assert [(r.status, r.documents) for r in result.files] == [("parsed", 1)] * 3
    assert {r.details["time_budget"] for r in result.files} == {"not enforced (no worker process: Too many open files)"}


def test_batched_reading_gives_what_reading_file_by_file_gives(tmp_path, monkeypatch):
    import analysis.ingest as ingest

    folder = _notes_folder(tmp_path, 5)
    (folder / "b.html").write_text("<html><title>T</title><body><p>NATO and the EU.</p></body></html>", encoding="utf-8")
    (folder / "c.txt").write_bytes("Привет, ШОС".encode("cp1251"))
    (folder / "d.bin").write_bytes(b"\x00\x01" * 50)
    _zip(folder / "e.zip", {"x.txt": b"The SCO met.", "y.txt": b"", "z/w.md": "BRICS в Казани.".encode(),
                            "v.txt": ("NATO. " * 200_000).encode()})  # v: over _BATCH_FILE_BYTES, read alone
    batched = read_inputs([folder])
    monkeypatch.setattr(ingest, "_BATCH_FILES", 1)
    alone = read_inputs([folder])
    assert [dataclasses.asdict(r) for r in batched.files] == [dataclasses.asdict(r) for r in alone.files]
    assert [(r.source, r.text, r.title) for r in batched.records] == [(r.source, r.text, r.title) for r in alone.records]


def test_a_slow_member_of_a_zip_is_stopped_and_the_members_after_it_are_read(tmp_path):
    slow = ("<html><body>" + "<p>SCO and BRICS met again.</p>" * 30_000 + "</body></html>").encode()
    _zip(tmp_path / "a.zip", {"m0.txt": b"The SCO met.", "m1.html": slow, "m2.txt": b"BRICS met."})
    result = read_inputs([tmp_path / "a.zip"], file_seconds=0.05)
    assert [(r.path, r.status) for r in result.files] == [("a.zip", "parsed"), ("a.zip/m0.txt", "parsed"),
                                                          ("a.zip/m1.html", "skipped"), ("a.zip/m2.txt", "parsed")]
    assert "took longer than file_seconds (0.05 s)" in result.files[2].reason
    assert [r.source for r in result.records] == ["a.zip/m0.txt", "a.zip/m2.txt"]
