"""Tests for analysis.update: a build updated with new inputs equals a build of all of them at once."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.__main__ import main
from analysis.pipeline import run_build
from analysis.store import read_build
from analysis.term_store import TermStore
from analysis.update import UpdateError, run_update

TODAY = dt.date(2026, 1, 1)
TOPICS = (
    "The SCO summit in Astana discussed Eurasian security and a multipolar world order with BRICS partners.",
    "NATO expansion threatens European security, the ministry said, calling for talks within the OSCE.",
    "The UN General Assembly debated climate change, water and the sustainable development goals.",
    "Trade within the EAEU grew, with tariffs cut and new markets for exports opening across the CIS.",
)


def _note(i: int, day: int = 1) -> str:
    return f"Statement number {i} of the ministry\nDate: June {day}, 2024\n\n{TOPICS[i % 4]} {TOPICS[(i + 1) % 4]}\n"


def _dump(n: int) -> str:
    """A channel page of ``n`` posts: the first dated in full, the others only by day and month, so that
    their years come from their neighbours (as a build infers them)."""
    posts = ["Forwarded from Russian MFA\n(Astana, May 20, 2024) " + TOPICS[0]]
    posts += [f"Forwarded from Russian MFA\n📍 Astana, May {20 + i}\n{TOPICS[i % 4]}" for i in range(1, n)]
    return "\n\n".join(posts) + "\n"


def _telegram(n: int) -> str:
    messages = [{"id": i, "type": "message", "date": f"2024-05-{10 + i:02d}T10:00:00", "text": TOPICS[i % 4]}
                for i in range(n)]
    return json.dumps({"name": "MFA Russia", "type": "public_channel", "id": 1, "messages": messages})


def _corpus(root: Path, notes=range(6), posts: int = 4) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in notes:
        (root / f"note{i}.txt").write_text(_note(i, day=i + 1), encoding="utf-8")
    (root / "channel.txt").write_text(_dump(posts), encoding="utf-8")
    (root / "copy.txt").write_text(_note(0, day=1), encoding="utf-8")  # a duplicate of note0
    return root


def _zip(path: Path, members: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _build(inputs, out: Path):
    return run_build(inputs, out, workers=1, today=TODAY)


def _update(path: Path, inputs, **kwargs):
    return run_update(path, inputs, workers=1, today=TODAY, **kwargs)


def _assert_same_as_a_full_build(updated, full) -> None:
    """Documents (every column but the clusters and the map) and mentions as a build of everything at once."""
    columns = [c for c in full.documents.columns if c not in ("cluster_id", "x", "y")]
    pd.testing.assert_frame_equal(updated.documents[columns].reset_index(drop=True),
                                  full.documents[columns].reset_index(drop=True))
    keys = ["doc_id", "kind", "key", "start", "end"]
    pd.testing.assert_frame_equal(updated.mentions.sort_values(keys).reset_index(drop=True),
                                  full.mentions.sort_values(keys).reset_index(drop=True))
    assert [f["path"] for f in updated.report["files"]] == [f["path"] for f in full.report["files"]]
    assert updated.report["totals"] == full.report["totals"]
    # Every document's word counts (term_counts.npz): the kept documents' stored rows and the new ones counted
    # give the counts a build of everything makes.
    stores = [TermStore.load(Path(build.path) / "term_counts.npz") for build in (updated, full)]
    assert stores[0].doc_ids.tolist() == stores[1].doc_ids.tolist() == full.documents["doc_id"].tolist()
    assert stores[0].terms.tolist() == stores[1].terms.tolist()
    assert (stores[0].matrix != stores[1].matrix).nnz == 0 and stores[1].matrix.nnz > 0
    assert updated.manifest["term_counts"] == full.manifest["term_counts"]


def _same_partition(a: pd.Series, b: pd.Series) -> bool:
    """Two cluster labelings that are the same up to renumbering."""
    pairs = pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy()}).drop_duplicates()
    return pairs["a"].is_unique and pairs["b"].is_unique


def test_new_files_in_a_new_folder(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    b = _corpus(tmp_path / "in" / "b", notes=range(6, 9), posts=2)  # its channel.txt and copy.txt clash with a's
    before = _build([a], tmp_path / "build")
    updated, entry = _update(tmp_path / "build", [b])
    full = _build([a, b], tmp_path / "full")
    _assert_same_as_a_full_build(updated, full)
    assert {f"{b}/channel.txt", f"{b}/copy.txt"} <= set(updated.documents["source"])  # labelled apart, as in a build
    assert (updated.documents["publisher_method"] == "folder").any()  # a's notes are now "a", as with 2 inputs
    kept = updated.documents.set_index("doc_id").loc[before.documents["doc_id"], "cluster_id"]
    assert kept.tolist() == before.documents["cluster_id"].tolist()  # A's clusters unchanged
    assert entry["added"] == len(full.documents) - len(before.documents) and entry["removed"] == 0
    sizes = updated.documents.loc[updated.documents["cluster_id"] >= 0, "cluster_id"].value_counts()
    assert updated.clusters.set_index("cluster_id")["size"].to_dict() == sizes.to_dict()
    assert updated.clusters["label"].tolist() == before.clusters["label"].tolist()  # labels kept


def test_a_new_zip_member(tmp_path):
    members = {f"m{i}.txt": _note(i, day=i + 1) for i in range(5)}
    archive = _zip(tmp_path / "in" / "news.zip", members)
    _build([archive], tmp_path / "build")
    _zip(archive, {**members, "m5.txt": _note(5, day=9), "sub/m6.txt": _dump(3)})
    updated, entry = _update(tmp_path / "build", [archive])
    full = _build([archive], tmp_path / "full")
    _assert_same_as_a_full_build(updated, full)
    assert entry["files_new"] == ["news.zip/m5.txt", "news.zip/sub/m6.txt"]
    assert entry["unchanged"] == [f"news.zip/m{i}.txt" for i in range(5)]


@pytest.mark.parametrize("change", ["a changed file", "posts appended to a dump", "messages appended to an export"])
def test_a_changed_file_replaces_its_documents(tmp_path, change):
    a = _corpus(tmp_path / "in" / "a")
    (a / "result.json").write_text(_telegram(3), encoding="utf-8")
    before = _build([a], tmp_path / "build")
    changed = {"a changed file": ("note2.txt", _note(3, day=20)),
               "posts appended to a dump": ("channel.txt", _dump(7)),
               "messages appended to an export": ("result.json", _telegram(6))}[change]
    (a / changed[0]).write_text(changed[1], encoding="utf-8")
    updated, entry = _update(tmp_path / "build", [a])
    full = _build([a], tmp_path / "full")
    _assert_same_as_a_full_build(updated, full)
    assert entry["files_changed"] == [changed[0]] and entry["files_new"] == []
    assert len(entry["unchanged"]) == len(before.report["files"]) - 1
    assert entry["removed"] == int((before.documents["source"] == changed[0]).sum())
    if change == "posts appended to a dump":  # the new posts' years come from their neighbours
        posts = updated.documents[updated.documents["source"] == "channel.txt"]
        assert posts["date"].dt.year.tolist() == [2024] * 7 and (posts["date_method"] == "inferred").sum() == 6


def _never_parse(monkeypatch) -> None:
    import analysis.ingest as ingest

    def never(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(ingest, "_read_here", never)
    monkeypatch.setattr(ingest, "_read_within_budget", never)


def test_files_of_the_same_name_in_two_inputs_are_told_apart_by_their_input(tmp_path, monkeypatch):
    # a/result.json and b/result.json (and channel.txt, copy.txt) have the same names and other contents:
    # each is recognised as unchanged by its own sha256, and a change to b's replaces b's documents only.
    a = _corpus(tmp_path / "in" / "a")
    b = _corpus(tmp_path / "in" / "b", notes=range(6, 8), posts=2)
    (a / "result.json").write_text(_telegram(3), encoding="utf-8")
    (b / "result.json").write_text(_telegram(5).replace("MFA Russia", "MFA B"), encoding="utf-8")
    before = _build([a, b], tmp_path / "build")
    assert {"result.json", f"{b}/result.json", "channel.txt", f"{b}/channel.txt"} <= set(before.documents["source"])
    with monkeypatch.context() as patch:
        _never_parse(patch)
        same, entry = _update(tmp_path / "build", [a, b])
    assert entry["written"] is False and entry["files_changed"] == entry["files_new"] == []
    assert len(entry["unchanged"]) == len(before.report["files"])

    (b / "result.json").write_text(_telegram(7).replace("MFA Russia", "MFA B"), encoding="utf-8")
    updated, entry = _update(tmp_path / "build", [a, b])
    assert entry["files_changed"] == [f"{b}/result.json"] and entry["files_new"] == []
    assert entry["removed"] == 5 and entry["replaced"] == 7
    kept = before.documents[before.documents["source"] != f"{b}/result.json"]
    assert set(kept["doc_id"]) <= set(updated.documents["doc_id"])  # a's result.json among them
    _assert_same_as_a_full_build(updated, _build([a, b], tmp_path / "full"))


def test_an_input_named_by_another_path_keeps_its_files_labels(tmp_path, monkeypatch):
    # Built as in/a and in/b (b's clashing files labelled in/b/...), updated naming the folders by their
    # absolute paths: b's files are still the build's in/b/..., unchanged or replaced in place.
    a = _corpus(tmp_path / "in" / "a")
    b = _corpus(tmp_path / "in" / "b", notes=range(6, 8), posts=2)
    (a / "result.json").write_text(_telegram(3), encoding="utf-8")
    (b / "result.json").write_text(_telegram(5).replace("MFA Russia", "MFA B"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    relative = [Path("in/a"), Path("in/b")]
    before = _build(relative, tmp_path / "build")
    assert {"in/b/result.json", "in/b/channel.txt"} <= set(before.documents["source"])
    (b / "result.json").write_text(_telegram(6).replace("MFA Russia", "MFA B"), encoding="utf-8")
    updated, entry = _update(tmp_path / "build", [a.resolve(), b.resolve()])
    assert entry["files_changed"] == ["in/b/result.json"] and entry["files_new"] == []
    assert entry["removed"] == 5 and entry["replaced"] == 6
    _assert_same_as_a_full_build(updated, _build(relative, tmp_path / "full"))


def test_two_new_files_of_a_name_the_build_holds_in_one_update(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    (a / "result.json").write_text(_telegram(3), encoding="utf-8")
    new = []
    for folder, n in (("x", 4), ("y", 6)):
        (tmp_path / "in" / folder).mkdir()
        new.append(tmp_path / "in" / folder / "result.json")
        new[-1].write_text(_telegram(n).replace("MFA Russia", f"Channel {folder}"), encoding="utf-8")
    before = _build([a], tmp_path / "build")
    updated, entry = _update(tmp_path / "build", new)
    full = _build([a, *new], tmp_path / "full")
    _assert_same_as_a_full_build(updated, full)
    sources = updated.documents["source"].value_counts()
    assert (sources["result.json"], sources[str(new[0])], sources[str(new[1])]) == (3, 4, 6)
    assert entry["files_new"] == sorted(map(str, new)) and entry["removed"] == entry["replaced"] == 0
    assert set(before.documents["doc_id"]) <= set(updated.documents["doc_id"])


def test_a_new_file_named_as_another_inputs_file_does_not_replace_it(tmp_path):
    # b's note6.txt is in the build as note6.txt; a new a/note6.txt must not take its label (nor its documents).
    a = _corpus(tmp_path / "in" / "a")
    b = _corpus(tmp_path / "in" / "b", notes=range(6, 8), posts=2)
    before = _build([a, b], tmp_path / "build")
    (a / "note6.txt").write_text(_note(11, day=11), encoding="utf-8")
    updated, entry = _update(tmp_path / "build", [a, b])
    assert entry["files_new"] == [f"{a}/note6.txt"] and entry["files_changed"] == [] and entry["removed"] == 0
    docs = updated.documents.set_index("doc_id")
    theirs = before.documents.set_index("doc_id")
    assert docs.loc[theirs.index, "source"].tolist() == theirs["source"].tolist()
    assert docs.loc[theirs.index, "text"].tolist() == theirs["text"].tolist()
    assert (docs["source"] == f"{a}/note6.txt").sum() == 1 and (docs["source"] == "note6.txt").sum() == 1
    assert docs["source"].value_counts().max() <= 4  # the channel's posts; no two files share a label


def test_an_unchanged_rerun_reads_nothing_and_says_so(tmp_path, monkeypatch, capsys):
    a = _corpus(tmp_path / "in" / "a")
    (a / "result.json").write_text(_telegram(3), encoding="utf-8")
    _build([a], tmp_path / "build")
    written = (tmp_path / "build" / "manifest.json").read_bytes()
    import analysis.ingest as ingest

    def never(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(ingest, "_read_here", never)
    monkeypatch.setattr(ingest, "_read_within_budget", never)
    capsys.readouterr()
    assert main(["update", str(tmp_path / "build"), str(a), "--quiet"]) == 0
    assert main(["update", str(tmp_path / "build"), str(a)]) == 0
    assert capsys.readouterr().err.strip() == (
        f"Nothing to update in {tmp_path / 'build'}: every input file is unchanged (9 with the same sha256 as in "
        "the build, none read again); the build was not rewritten."
    )
    assert (tmp_path / "build" / "manifest.json").read_bytes() == written


def test_refit_gives_the_clusters_of_a_fresh_build(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    b = _corpus(tmp_path / "in" / "b", notes=range(6, 12), posts=3)
    _build([a], tmp_path / "build")
    updated, entry = _update(tmp_path / "build", [b], refit=True)
    full = _build([a, b], tmp_path / "full")
    _assert_same_as_a_full_build(updated, full)
    assert entry["refit"] is True
    assert _same_partition(updated.documents["cluster_id"], full.documents["cluster_id"])
    assert sorted(updated.clusters["size"]) == sorted(full.clusters["size"])


def test_the_manifest_records_each_update_and_the_report_every_file(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    (tmp_path / "in" / "x.txt").write_text(_note(7, day=7), encoding="utf-8")
    (tmp_path / "in" / "empty.txt").write_text("", encoding="utf-8")
    _update(tmp_path / "build", [tmp_path / "in" / "x.txt"])
    (a / "note1.txt").write_text(_note(9, day=9), encoding="utf-8")
    build, _ = _update(tmp_path / "build", [a, tmp_path / "in" / "empty.txt"])
    first, second = build.manifest["updates"]
    assert first["files_new"] == ["x.txt"] and first["added"] == 1 and first["refit"] is False
    assert second["files_changed"] == ["note1.txt"] and second["files_new"] == ["empty.txt"]
    assert second["replaced"] == second["removed"] == 1 and "x.txt" not in second["unchanged"]
    assert build.manifest["updated"] == second["at"] and build.manifest["created"] <= second["at"]
    assert build.manifest["inputs"] == [str(a), str(tmp_path / "in" / "x.txt"), str(tmp_path / "in" / "empty.txt")]
    report = {f["path"]: f["status"] for f in build.report["files"]}
    assert report == {**{f"note{i}.txt": "parsed" for i in range(6)}, "channel.txt": "parsed", "copy.txt": "parsed",
                      "x.txt": "parsed", "empty.txt": "skipped"}
    assert {f["path"]: f.get("input") for f in build.manifest["input_files"]}["x.txt"] == str(tmp_path / "in" / "x.txt")


def test_a_build_without_a_topic_model_needs_refit(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    (tmp_path / "build" / "topic_model.npz").unlink()  # as an earlier version wrote it
    (tmp_path / "in" / "x.txt").write_text(_note(7), encoding="utf-8")
    with pytest.raises(UpdateError, match=r"made by an earlier version and holds no topic model \(topic_model.npz\)"
                                          r".*add --refit.*or rebuild it \(`python -m analysis build"):
        _update(tmp_path / "build", [tmp_path / "in" / "x.txt"])
    build, _ = _update(tmp_path / "build", [tmp_path / "in" / "x.txt"], refit=True)
    assert (tmp_path / "build" / "topic_model.npz").is_file() and len(build.documents) == 12


def test_a_build_without_term_counts_is_updated_without_them(tmp_path):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    (tmp_path / "build" / "term_counts.npz").unlink()  # as an earlier version wrote it
    (tmp_path / "in" / "x.txt").write_text(_note(7), encoding="utf-8")
    build, entry = _update(tmp_path / "build", [tmp_path / "in" / "x.txt"])
    assert entry["added"] == 1 and len(build.documents) == 12
    assert not (tmp_path / "build" / "term_counts.npz").exists() and "term_counts" not in build.manifest
    build, _ = _update(tmp_path / "build", [tmp_path / "in" / "x.txt"], refit=True)  # a refit counts them all
    assert TermStore.load(tmp_path / "build" / "term_counts.npz").doc_ids.tolist() == build.documents["doc_id"].tolist()


def test_an_interrupted_update_leaves_the_old_build(tmp_path, monkeypatch):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    files = {p.name: p.read_bytes() for p in (tmp_path / "build").iterdir()}
    (tmp_path / "in" / "x.txt").write_text(_note(7), encoding="utf-8")
    import analysis.topic_state as topic_state

    def interrupted(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(topic_state.TopicState, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _update(tmp_path / "build", [tmp_path / "in" / "x.txt"])
    assert {p.name: p.read_bytes() for p in (tmp_path / "build").iterdir()} == files
    assert not list(tmp_path.glob(".build.tmp-*"))  # the half-written copy is removed
    monkeypatch.undo()
    build, _ = _update(tmp_path / "build", [tmp_path / "in" / "x.txt"])
    assert len(build.documents) == 12  # and the lock was released: the update can be run again


@pytest.mark.parametrize("args, match", [
    (["--month-first"], r"was made reading ambiguous dates day first; this update asks for ambiguous dates read "
                        r"month first \(--month-first\).*leave --month-first out, or rebuild with it"),
    (["--body-dates"], r"was made without --body-dates; this update asks for body dates"),
    (["--publisher", "TASS"], r"was made without --publisher; this update asks for the publisher 'TASS'"),
    (["--clusters", "3"], r"--clusters 3 changes the clusters .* add --refit to refit them on all documents"),
    (["--themes", "THEMES"], r"not those the build in .* was made with \(lexicon fingerprint .*Pass the build's "
                             r"dictionaries with --themes/--organisations, or rebuild"),
])
def test_options_that_conflict_with_the_build_are_refused(tmp_path, capsys, args, match):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    themes = tmp_path / "themes.toml"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "themes.toml", themes)
    with themes.open("a", encoding="utf-8") as handle:
        handle.write('\n[[theme]]\nkey = "extra"\nlabel = "Extra"\ndescription = "An extra theme."\nen = ["extra theme"]\n')
    args = [str(themes) if arg == "THEMES" else arg for arg in args]
    capsys.readouterr()
    assert main(["update", str(tmp_path / "build"), str(a), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    import re

    assert re.search(match, err, re.S), err


def test_the_cli_says_what_it_added(tmp_path, capsys):
    a = _corpus(tmp_path / "in" / "a")
    _build([a], tmp_path / "build")
    (tmp_path / "in" / "x.txt").write_text(_note(7, day=7), encoding="utf-8")
    (a / "note1.txt").write_text(_note(9, day=9), encoding="utf-8")
    capsys.readouterr()
    assert main(["update", str(tmp_path / "build"), str(a), str(tmp_path / "in" / "x.txt")]) == 0
    build = read_build(tmp_path / "build")
    counts = build.manifest["counts"]
    assert capsys.readouterr().err.splitlines() == [
        f"Updated {tmp_path / 'build'}: 1 documents added, 1 from changed files (replacing 1); 7 input files "
        "unchanged, not read again.",
        f"Now {counts['documents']} documents, {counts['mentions']} mentions, {counts['clusters']} topic clusters "
        f"(new documents assigned to the existing clusters); see {tmp_path / 'build' / 'manifest.json'}",
        "  new: x.txt",
        "  changed: note1.txt",
        *[f"  unchanged: {p}" for p in ["channel.txt", "copy.txt", "note0.txt", "note2.txt", "note3.txt",
                                         "note4.txt", "note5.txt"]],
    ]


def test_not_a_build_is_refused(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    assert main(["update", str(tmp_path / "nothing"), str(tmp_path / "in"), "--quiet"]) == 2
    assert f"No build at '{tmp_path / 'nothing'}'" in capsys.readouterr().err
    assert not (tmp_path / ".nothing.lock").exists()


# --- the limits bound the whole update, not each input ------------------------------------------------------


def _sized(root: Path, name: str, chars: int) -> Path:
    """A folder holding one English note of about ``chars`` characters (all ASCII: bytes == characters)."""
    root.mkdir(parents=True, exist_ok=True)
    body = " ".join(TOPICS[i % 4] for i in range(chars // 90 + 1))[:chars]
    (root / name).write_text(f"Date: June 3, 2024\n\n{body}\n", encoding="utf-8")
    return root


def test_max_total_bytes_is_shared_by_all_the_inputs_of_an_update(tmp_path):
    # Each new input fits max_total_bytes alone; together they do not, and a build of them could not read
    # both: neither may the update (it read each input under the whole limit before).
    run_build([_sized(tmp_path / "a", "a.txt", 300)], tmp_path / "build", workers=1, today=TODAY,
              limits={"max_total_bytes": 1_000})
    b, c = _sized(tmp_path / "b", "b.txt", 600), _sized(tmp_path / "c", "c.txt", 600)
    updated, entry = _update(tmp_path / "build", [b, c])
    reports = {f["path"]: f for f in updated.report["files"]}
    assert reports["b.txt"]["status"] == "parsed"
    assert (reports["c.txt"]["status"], reports["c.txt"]["documents"]) == ("skipped", 0)
    assert reports["c.txt"]["reason"].startswith(
        "the inputs together exceed max_total_bytes (1.0 KB) (621 bytes of it used by the inputs read before these); "
        "this file (621 bytes) was not read.")
    assert set(updated.documents["source"]) == {"a.txt", "b.txt"} and entry["added"] == 1


def test_max_text_chars_counts_the_text_the_build_already_holds(tmp_path):
    run_build([_sized(tmp_path / "a", "a.txt", 3_000)], tmp_path / "build", workers=1, today=TODAY,
              limits={"max_text_chars": 5_000})
    held = int(read_build(tmp_path / "build").documents["text"].str.len().sum())
    b, c = _sized(tmp_path / "b", "b.txt", 1_000), _sized(tmp_path / "c", "c.txt", 1_500)
    updated, _ = _update(tmp_path / "build", [b, c])  # 3,000 + 1,000 fit; 1,500 more would not
    reports = {f["path"]: f for f in updated.report["files"]}
    assert reports["b.txt"]["status"] == "parsed"
    assert reports["c.txt"]["status"] == "skipped"
    assert reports["c.txt"]["reason"].startswith("the build would hold more than max_text_chars (5,000 characters")
    assert reports["c.txt"]["reason"].endswith(
        f"(the build being updated and the inputs read before these already held {held + 1_021:,} characters)")
    assert updated.documents["text"].str.len().sum() <= 5_000
