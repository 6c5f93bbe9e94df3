"""Tests for analysis.store: atomic writes and faithful reads."""

import datetime as dt

import pandas as pd
import pytest

from analysis.store import BuildError, read_build, write_build


def _tables():
    documents = pd.DataFrame(
        {
            "doc_id": ["a1", "b2"],
            "source": ["x.txt", "y.txt"],
            "seq": [0, 0],
            "title": ["First", None],
            "date": pd.to_datetime([dt.date(2024, 5, 16), None]),
            "date_precision": ["day", None],
            "date_method": ["text", None],
            "language": ["en", "ru"],
            "text": ["SCO and BRICS", "ШОС"],
            "n_words": [3, 1],
            "duplicate_of": [None, None],
            "cluster_id": [0, -1],
        }
    )
    mentions = pd.DataFrame(
        {"doc_id": ["a1"], "kind": ["organisation"], "key": ["SCO"], "surface": ["SCO"], "start": [0], "end": [3]}
    )
    clusters = pd.DataFrame({"cluster_id": [0], "label": ["sco · brics"], "top_terms": [["sco", "brics"]], "size": [1]})
    entities = pd.DataFrame(
        {"kind": ["organisation"], "key": ["SCO"], "label": ["Shanghai Cooperation Organisation"],
         "category": ["security"], "description": [""]}
    )
    return dict(documents=documents, mentions=mentions, clusters=clusters, entities=entities,
                report={"files": [], "totals": {}}, manifest={"build_hash": "abc"})


def test_round_trip(tmp_path):
    out = write_build(tmp_path / "b", **_tables())
    build = read_build(out)
    assert build.build_hash == "abc"
    assert list(build.documents["doc_id"]) == ["a1", "b2"]
    assert build.documents["date"].iloc[0] == pd.Timestamp("2024-05-16")
    assert pd.isna(build.documents["date"].iloc[1])
    assert build.documents["title"].iloc[1] is None
    assert build.clusters["top_terms"].iloc[0] == ["sco", "brics"]
    assert build.mentions.to_dict("records")[0]["surface"] == "SCO"


def test_read_without_the_texts(tmp_path):
    out = write_build(tmp_path / "b", **_tables())
    full, light = read_build(out), read_build(out, text=False)
    assert "text" in full.documents and "text" not in light.documents
    pd.testing.assert_frame_equal(light.documents, full.documents.drop(columns="text"))
    pd.testing.assert_frame_equal(light.mentions, full.mentions)


def test_date_is_stored_as_a_date(tmp_path):
    import pyarrow.parquet as pq

    out = write_build(tmp_path / "b", **_tables())
    assert str(pq.read_schema(out / "documents.parquet").field("date").type) == "date32[day]"


def test_rewrite_replaces_the_whole_build(tmp_path):
    out = write_build(tmp_path / "b", **_tables())
    (out / "stale.txt").write_text("from an earlier build")
    write_build(out, **_tables())
    assert not (out / "stale.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != ".b.lock"]


def test_failed_write_leaves_the_earlier_build(tmp_path):
    out = write_build(tmp_path / "b", **_tables())
    tables = _tables()
    tables["clusters"] = pd.DataFrame({"cluster_id": [object()]})  # cannot be written to parquet
    with pytest.raises(Exception):  # noqa: B017 - any pyarrow error will do
        write_build(out, **tables)
    assert read_build(out).build_hash == "abc"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != ".b.lock"]


def test_refuses_to_replace_a_folder_that_is_not_a_build(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    with pytest.raises(BuildError, match="not empty and holds no earlier build"):
        write_build(tmp_path / "notes", **_tables())
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p / "missing", "No build at"),
        (lambda p: (p / "half").mkdir() or p / "half", "not a complete build: missing documents.parquet"),
    ],
)
def test_read_errors(tmp_path, make, match):
    with pytest.raises(BuildError, match=match):
        read_build(make(tmp_path))


def test_all_null_columns_keep_their_types(tmp_path):
    import pyarrow.parquet as pq

    tables = _tables()
    tables["documents"]["date"] = pd.to_datetime([None, None])
    tables["documents"]["duplicate_of"] = [None, None]
    tables["documents"]["url"] = [None, None]
    out = write_build(tmp_path / "b", **tables)
    schema = pq.read_schema(out / "documents.parquet")
    assert str(schema.field("date").type) == "date32[day]"
    assert str(schema.field("duplicate_of").type) == "string"
    assert str(schema.field("url").type) == "string"
    assert read_build(out).documents["date"].isna().all()


def test_check_build_reads_nothing_and_names_what_is_missing(tmp_path):
    from analysis.store import check_build

    out = write_build(tmp_path / "b", **_tables())
    assert check_build(out) == out
    (out / "mentions.parquet").unlink()
    with pytest.raises(BuildError, match="missing mentions.parquet"):
        check_build(out)


def _topic_state():
    from analysis.topic_state import TopicState
    from analysis.topics import TopicModel

    docs = pd.DataFrame({"doc_id": ["a", "b", "c"], "language": "en",
                         "text": ["rocket orbit launch", "rocket orbit satellite", "orbit satellite launch"]})
    return TopicState.from_model(TopicModel().fit(docs))


def test_the_topic_model_is_saved_and_read_only_when_asked(tmp_path):
    state = _topic_state()
    write_build(tmp_path / "b", **_tables(), topic_model=state)
    assert (tmp_path / "b" / "topic_model.npz").is_file()
    assert read_build(tmp_path / "b").topic_model is None  # the dashboard does not need it
    loaded = read_build(tmp_path / "b", topic_model=True).topic_model
    assert loaded.terms == state.terms and loaded.n_clusters == state.n_clusters >= 1


def test_a_build_without_a_topic_model_still_opens(tmp_path):
    write_build(tmp_path / "b", **_tables())
    assert read_build(tmp_path / "b", topic_model=True).topic_model is None


def test_a_damaged_topic_model_says_to_rebuild_or_refit(tmp_path):
    write_build(tmp_path / "b", **_tables(), topic_model=_topic_state())
    (tmp_path / "b" / "topic_model.npz").write_bytes(b"garbage")
    with pytest.raises(BuildError, match=r"topic model of the build in .* cannot be used: .*not a readable topic model "
                                         r"file.*Rebuild it .* or refit it with `python -m analysis update"):
        read_build(tmp_path / "b", topic_model=True)


def test_build_lock_keeps_others_out_and_lets_its_own_write_in(tmp_path):
    from analysis.store import build_lock

    write_build(tmp_path / "b", **_tables())
    with build_lock(tmp_path / "b"):
        write_build(tmp_path / "b", **_tables(), extra_files={"events.toml": b"# calendar\n"})  # same thread
        import threading

        errors = []
        other = threading.Thread(target=lambda: _try(lambda: write_build(tmp_path / "b", **_tables()), errors))
        other.start()
        other.join()
        assert "Another build is writing into" in str(errors[0])
    assert (tmp_path / "b" / "events.toml").read_bytes() == b"# calendar\n"
    write_build(tmp_path / "b", **_tables())  # released
    assert not (tmp_path / "b" / "events.toml").exists()


def _try(fn, errors):
    try:
        fn()
    except BuildError as error:
        errors.append(error)


@pytest.mark.parametrize("name", ["../x.toml", "manifest.json", "topic_model.npz"])
def test_extra_files_cannot_replace_the_build_s_own(tmp_path, name):
    with pytest.raises(ValueError, match="extra_files names a file of its own"):
        write_build(tmp_path / "b", **_tables(), extra_files={name: b"x"})
    assert not (tmp_path / "b").exists()


def _rewrite(path, name: str, change) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path / name)
    pq.write_table(change(table), path / name)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("documents.parquet", lambda t: t.drop_columns(["seq"]),
         r"documents.parquet in .* lacks the column\(s\) seq that every build has"),
        ("mentions.parquet", lambda t: t.drop_columns(["start", "end"]), r"lacks the column\(s\) start, end"),
        ("mentions.parquet", lambda t: t.set_column(4, "start", t.column("start").cast("string")),
         r"mentions.parquet in .* has the column 'start' of type string; expected an integer column"),
        ("documents.parquet", lambda t: t.set_column(t.schema.get_field_index("date"), "date",
                                                     t.column("date").cast("string")),
         r"has the column 'date' of type string; expected a date column"),
        ("clusters.parquet", lambda t: t.set_column(t.schema.get_field_index("top_terms"), "top_terms",
                                                    t.column("label")),
         r"'top_terms' of type .*; expected a list of strings column"),
        ("documents.parquet", lambda t: t.set_column(t.schema.get_field_index("x"), "x", t.column("doc_id")),
         r"has the column 'x' of type .*string; expected a number column"),
    ],
)
def test_a_table_of_another_shape_is_refused_when_the_build_is_opened(tmp_path, tiny_build, name, change, message):
    import shutil

    from analysis.query import Corpus
    from analysis.store import check_build

    broken = tmp_path / "broken"
    shutil.copytree(tiny_build, broken)
    _rewrite(broken, name, change)
    for opening in (check_build, read_build, Corpus.open):
        with pytest.raises(BuildError, match=message + r".*Rebuild it with `python -m analysis build"):
            opening(broken)


def test_the_schemas_accept_every_build_this_tool_writes(sample_build, tiny_build):
    from analysis.store import check_schemas

    for path in (sample_build, tiny_build):
        check_schemas(path)


def test_an_extra_file_can_be_written_by_a_function_inside_the_atomic_write(tmp_path):
    seen = []

    def write(path):
        seen.append(path.parent.name)
        path.write_bytes(b"counts")

    write_build(tmp_path / "b", **_tables(), extra_files={"term_counts.npz": write, "events.toml": b"# c\n"})
    assert (tmp_path / "b" / "term_counts.npz").read_bytes() == b"counts"
    assert (tmp_path / "b" / "events.toml").read_bytes() == b"# c\n"
    assert seen and seen[0] != "b"  # written into the temporary folder, then swapped in


def test_a_failing_extra_file_writer_leaves_no_build(tmp_path):
    def fail(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_build(tmp_path / "b", **_tables(), extra_files={"term_counts.npz": fail})
    assert not (tmp_path / "b").exists()
