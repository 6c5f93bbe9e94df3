"""End-to-end tests of analysis.pipeline on the bundled sample, against dates labelled by hand."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.pipeline import NoDocumentsError, run_build
from analysis.store import read_build

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

DUMP = "003_8822cdba48cf6688.txt"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return run_build([SAMPLE], tmp_path_factory.mktemp("pipeline") / "build")

# source -> (publisher, publisher_method, forwarded_by) of its documents, as a reader names them: the TASS
# item by its dateline, the embassy's channel page's posts by the channel they were forwarded from (all 20
# "Forwarded from Russian MFA 🇷🇺", forwarded by the channel heading the page), the others by their file name
# (their texts name no publisher unambiguously).
EXPECTED_PUBLISHERS = {
    "000_ddb62feacabeceba.txt": {("TASS", "text", None)},  # "MOSCOW, October 26. /TASS/."
    "001_dda07da35933ed2a.txt": {("001_dda07da35933ed2a.txt", "file", None)},
    "002_98360eca84a13427.txt": {("002_98360eca84a13427.txt", "file", None)},
    DUMP: {("Russian MFA", "forwarded", "Russian Embassy in Lebanon")},
    "004_f62852831b2a3d99.txt": {("004_f62852831b2a3d99.txt", "file", None)},
}

# (source, seq) -> (date, precision, method), read off the texts by a person. None: cannot be told.
EXPECTED_DATES = {
    ("000_ddb62feacabeceba.txt", 0): None,  # "MOSCOW, October 26. /TASS/." has no year
    ("001_dda07da35933ed2a.txt", 0): ("2017-03-17", "day", "text"),  # "17 March 201712:11"
    ("002_98360eca84a13427.txt", 0): ("2024-06-22", "day", "text"),  # "Date: June 22, 2024 Time: 16:49:02"
    ("004_f62852831b2a3d99.txt", 0): ("2018-06-15", "day", "text"),  # "…, Moscow, June 15, 2018"
    (DUMP, 0): ("2024-05-16", "day", "text"),  # "(May 16, 2024)"
    (DUMP, 1): ("2024-05-20", "day", "text"),  # "(Astana, May 20, 2024)"
    (DUMP, 2): ("2024-05-20", "day", "inferred"),  # "On May 20, President …"
    (DUMP, 3): ("2024-05-21", "day", "inferred"),  # "📍 Astana, May 21"
    (DUMP, 4): ("2024-05-21", "day", "inferred"),  # "📍 Astana, May 21"
    (DUMP, 5): ("2024-05-01", "month", "inferred"),  # undated, between May 21 and May 20(-21)
    (DUMP, 6): ("2024-05-20", "day", "inferred"),  # "🗓 On May 20-21, …"
    (DUMP, 7): ("2024-05-21", "day", "text"),  # "(Astana, May 21, 2024)"
    (DUMP, 8): ("2024-01-01", "year", "inferred"),  # undated, between May 21 and July 1, 2024
    (DUMP, 9): ("2024-07-01", "day", "inferred"),  # "On July 1, Russia assumed …"
    (DUMP, 10): ("2024-07-03", "day", "text"),  # "(3 July 2024, Astana)"
    (DUMP, 11): None,  # undated, between 3 July 2024 and 2 April 2025
    (DUMP, 12): None,
    (DUMP, 13): None,
    (DUMP, 14): None,
    (DUMP, 15): ("2025-04-02", "day", "inferred"),  # "April 2 marks International Fact-Checking Day!"
    (DUMP, 16): ("2025-01-01", "year", "inferred"),  # undated article between April 2 and May 27, 2025
    (DUMP, 17): ("2025-05-27", "day", "text"),  # "🗓 On May 27-29, 2025, in Moscow"
    (DUMP, 18): None,  # the article again, after May 27, 2025, before an undated last post
    (DUMP, 19): None,  # the last post, undated
}


def test_sample_has_24_documents_20_of_them_posts(built):
    docs = built.documents
    assert len(docs) == 24
    assert (docs["source"] == DUMP).sum() == 20
    assert list(docs.loc[docs["source"] == DUMP, "seq"]) == list(range(20))


@pytest.mark.parametrize(("key", "expected"), sorted(EXPECTED_DATES.items()))
def test_sample_dates_match_the_hand_labels(built, key, expected):
    docs = built.documents.set_index(["source", "seq"])
    row = docs.loc[key]
    if expected is None:
        assert pd.isna(row["date"]), f"{key} dated {row['date']} from {row['date_surface']!r}"
        assert row["date_precision"] is None and row["date_method"] is None
    else:
        date, precision, method = expected
        assert (row["date"].date().isoformat(), row["date_precision"], row["date_method"]) == expected, (
            f"{key}: {row['date_surface']!r}"
        )
        assert row["date"].date() == dt.date.fromisoformat(date)


def test_sample_publishers_are_named_as_a_reader_names_them(built):
    docs = built.documents
    got = {
        source: set(group[["publisher", "publisher_method", "forwarded_by"]].itertuples(index=False, name=None))
        for source, group in docs.groupby("source")
    }
    assert got == EXPECTED_PUBLISHERS
    assert built.manifest["counts"]["publishers"] == len({p for v in EXPECTED_PUBLISHERS.values() for p, _, _ in v})


def test_the_repeated_post_is_marked_duplicate(built):
    docs = built.documents.set_index(["source", "seq"])
    assert docs.loc[(DUMP, 18), "duplicate_of"] == docs.loc[(DUMP, 16), "doc_id"]
    assert docs["duplicate_of"].notna().sum() == 1


def test_sample_languages_and_words(built):
    docs = built.documents
    assert set(docs["language"]) == {"en"}
    assert (docs["n_words"] > 0).all()
    assert docs["doc_id"].is_unique


def test_ids_and_results_are_stable_across_builds(tmp_path, built):
    again = run_build([SAMPLE], tmp_path / "again")
    cols = ["doc_id", "date", "cluster_id", "duplicate_of"]
    pd.testing.assert_frame_equal(again.documents[cols], built.documents[cols])
    pd.testing.assert_frame_equal(again.mentions, built.mentions)
    assert again.manifest["build_hash"] == built.manifest["build_hash"]
    assert again.clusters["label"].tolist() == built.clusters["label"].tolist()


def test_every_input_file_is_accounted_for(built):
    report = json.loads((built.path / "ingest_report.json").read_text())
    paths = sorted(entry["path"] for entry in report["files"])
    assert paths == sorted(p.name for p in SAMPLE.iterdir())
    docs = built.documents
    undated = docs["date"].isna()
    assert report["totals"] == {"files": 5, "parsed": 5, "skipped": 0, "failed": 0, "documents": 24,
                                "dated": 17, "undated": 7, "body_dated": 0,
                                "undated_with_date_hint": int((undated & docs["date_hint"].notna()).sum()),
                                "publishers": 5, "publisher_methods": {"file": 3, "forwarded": 1, "text": 1}}
    assert {e["path"]: e["documents"] for e in report["files"]}[DUMP] == 20


def test_manifest_records_versions_options_and_hashes(built):
    manifest = json.loads((built.path / "manifest.json").read_text())
    assert manifest["options"]["date_order"] == "day-first"
    assert len(manifest["input_files"]) == 5
    assert all(len(f["sha256"] or "") == 64 for f in manifest["input_files"])
    assert manifest["versions"]["pandas"]
    assert set(manifest["timings"]) >= {"ingest", "documents", "mentions", "topics"}


def test_written_build_reads_back_as_built(built):
    build = read_build(built.path)
    assert len(build.documents) == 24
    assert build.documents["cluster_id"].between(-1, len(build.clusters) - 1).all()
    assert set(build.documents["cluster_id"]) - {-1} <= set(build.clusters["cluster_id"])
    for row in build.mentions.merge(build.documents[["doc_id", "text"]], on="doc_id").itertuples():
        assert row.text[row.start : row.end] == row.surface


def test_nothing_usable_is_a_clear_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    with pytest.raises(NoDocumentsError, match="No documents could be built"):
        run_build([tmp_path / "in"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_month_first_option_changes_ambiguous_dates(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "note.txt").write_text("03/04/2024\n\nThe ministers met in Moscow to discuss the SCO.")
    day_first = run_build([tmp_path / "in"], tmp_path / "a").documents["date"].iloc[0]
    month_first = run_build([tmp_path / "in"], tmp_path / "b", dayfirst=False).documents["date"].iloc[0]
    assert (day_first.date(), month_first.date()) == (dt.date(2024, 4, 3), dt.date(2024, 3, 4))


SHARED = Path(__file__).resolve().parents[2] / "shared"
UNGDC = SHARED / "corpora" / "ungdc" / "txt"


@pytest.mark.corpora
def test_un_general_debate_speeches_are_dated_to_their_year(tmp_path):
    if not UNGDC.is_dir():
        pytest.skip(f"../shared/corpora not found at {UNGDC}: the UN General Debate test needs it")
    sessions = [UNGDC / "Session 25 - 1970", UNGDC / "Session 70 - 2015"]
    build = run_build(sessions, tmp_path / "ungdc")
    docs = build.documents
    expected_years = docs["source"].str.extract(r"_(\d{4})\.txt$")[0].astype(int)
    assert len(docs) == sum(len(list(s.glob("*.txt"))) for s in sessions)
    assert (docs["date"].dt.year == expected_years).all()
    # Most speeches are dated by their file name; some transcripts carry the meeting's page header
    # ("03/10/2015 A/70/PV.28"), which gives the very day, in the same year.
    by_path = docs["date_method"] == "path"
    assert by_path.mean() > 0.8 and (docs.loc[by_path, "date_precision"] == "year").all()
    assert (docs.loc[~by_path, "date_method"] == "text").all()
    assert (docs.loc[~by_path, "date_precision"] == "day").all()
    assert build.report["totals"]["failed"] == 0
    rus = docs[docs["source"] == "RUS_70_2015.txt"].iloc[0]
    rus_mentions = build.mentions[build.mentions["doc_id"] == rus["doc_id"]]
    assert {"UN", "UNSC"} <= set(rus_mentions["key"])


RUSSIAN_DUMP = """МИД России
Переслано от МИД России
🎙 Выступление Министра иностранных дел России С.В.Лаврова на заседании СМИД ШОС, Астана, 21 мая 2024 года

Шанхайская организация сотрудничества остаётся одной из опор многополярного мироустройства. Мы обсудили \
евразийскую безопасность и взаимодействие с ОДКБ, СНГ и ЕАЭС.
Переслано от МИД России
📍 Москва, 8 мая 2025 года 10:10

Некоммерческие организации и институты гражданского общества играют важную роль в общественной дипломатии.
Переслано от МИД России
О сотрудничестве в рамках БРИКС и ООН.
"""


def test_a_russian_channel_dump_in_cp1251_end_to_end(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "posts.txt").write_bytes(RUSSIAN_DUMP.encode("cp1251", errors="ignore"))
    build = run_build([tmp_path / "in"], tmp_path / "out")
    assert build.report["files"][0]["encoding"] == "cp1251"
    docs = build.documents
    assert docs["language"].tolist() == ["ru", "ru", "ru"]
    assert [d.date().isoformat() if not pd.isna(d) else None for d in docs["date"]] == [
        "2024-05-21", "2025-05-08", None]
    assert docs["title"][1] == "Некоммерческие организации и институты гражданского общества играют важную роль в общественной дипломатии."
    seq = dict(zip(docs["doc_id"], docs["seq"], strict=True))
    found = {(seq[m.doc_id], m.key) for m in build.mentions.itertuples()}
    assert found == {
        (0, "SCO"), (0, "multipolarity"), (0, "eurasian_security"), (0, "CSTO"), (0, "CIS"), (0, "EAEU"),
        (1, "ngos"), (2, "BRICS"), (2, "UN"),
    }


def test_no_worker_processes_when_called_from_a_server_thread():
    import threading

    from analysis.pipeline import _workers

    seen = []
    thread = threading.Thread(target=lambda: seen.append(_workers(None)))
    thread.start()
    thread.join()
    assert seen == [1]
    assert _workers(3) == 3


_EVENT_ONLY = ("Remarks at the school\n\nThe President congratulated the pupils and their teachers. "
               "After 1 September 2000, when you gave our school its new building, much changed.\n")


@pytest.mark.parametrize(
    ("body_dates", "expected"),
    [
        # by default a date the text merely mentions dates nothing: it is kept as a hint and counted
        (False, (None, None, None, "2000-09-01", "1 September 2000", {"undated_with_date_hint": 1, "body_dated": 0})),
        # --body-dates dates the document by it, marked with its own date_method
        (True, ("2000-09-01", "body", "body", None, None, {"undated_with_date_hint": 0, "body_dated": 1})),
    ],
)
def test_body_dates_are_a_hint_unless_asked_for(tmp_path, body_dates, expected):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "school.txt").write_text(_EVENT_ONLY, encoding="utf-8")
    (tmp_path / "in" / "dated.txt").write_text("Statement (Astana, May 21, 2024)\n\nThe SCO met.\n", encoding="utf-8")
    build = run_build([tmp_path / "in"], tmp_path / "out", body_dates=body_dates)
    row = build.documents.set_index("source").loc["school.txt"]
    date = None if pd.isna(row["date"]) else row["date"].date().isoformat()
    totals = build.report["totals"]
    got = (date, row["date_method"], row["date_evidence"], row["date_hint"], row["date_hint_surface"],
           {k: totals[k] for k in ("undated_with_date_hint", "body_dated")})
    assert got == expected
    assert build.report["options"]["body_dates"] is body_dates
    other = build.documents.set_index("source").loc["dated.txt"]
    assert (other["date_evidence"], other["date_hint"]) == ("header", None)
    back = read_build(build.path).documents.set_index("source")
    assert back.loc["school.txt", "date_hint"] == expected[3]


def _table_records(n: int):
    from analysis.records import Record

    return [Record(source="big.jsonl", text=f"Row {i}: the SCO met in Astana on May {i % 28 + 1}, 2024.",
                   format="table", seq=i) for i in range(n)]


def _long_records(n: int):
    from analysis.records import Record

    return [Record(source=f"long{i}.txt", text="The SCO met. " * 200_000, format="text", seq=i) for i in range(n)]


def _tag_rows_with_pid(monkeypatch):
    """Make every documents row carry the id of the process that made it; return the rows seen."""
    import os

    from analysis import pipeline
    from analysis.documents import build_documents, document_rows

    seen: list[dict] = []

    def tagged(record, **options):
        return [dict(row, pid=os.getpid()) for row in document_rows(record, **options)]

    def collect(columns):  # the rows, as columns
        seen.extend(dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True))
        return build_documents(columns)

    monkeypatch.setattr(pipeline, "document_rows", tagged)
    monkeypatch.setattr(pipeline, "build_documents", collect)
    return seen


@pytest.mark.parametrize(
    ("records", "as_iterator"),
    [
        (_table_records(1_000), False),  # one big table: many chunks
        (_table_records(1_000), True),  # the same records streamed (a generator, no len())
        # fewer records than _PARALLEL_MIN_RECORDS, but long texts: the pool still pays
        (_long_records(3), False),
    ],
)
def test_records_of_one_input_are_made_into_documents_on_the_workers(monkeypatch, records, as_iterator):
    import os

    from analysis import pipeline

    seen = _tag_rows_with_pid(monkeypatch)
    source = iter(records) if as_iterator else records
    docs = pipeline._document_stage(source, dayfirst=True, today=dt.date(2025, 1, 1), workers=2, progress=None)
    assert len(docs) == len(records)
    assert {row["pid"] for row in seen}.isdisjoint({os.getpid()})
    assert docs["seq"].tolist() == [r.seq for r in records]  # chunks come back in order


def test_small_inputs_stay_in_this_process_and_match_the_workers_result(monkeypatch):
    import os

    from analysis import pipeline

    seen = _tag_rows_with_pid(monkeypatch)
    today = dt.date(2025, 1, 1)
    few = pipeline._document_stage(_table_records(50), dayfirst=True, today=today, workers=2, progress=None)
    assert {row["pid"] for row in seen} == {os.getpid()}
    many = pipeline._document_stage(_table_records(1_000), dayfirst=True, today=today, workers=2, progress=None)
    alone = pipeline._document_stage(_table_records(1_000), dayfirst=True, today=today, workers=1, progress=None)
    pd.testing.assert_frame_equal(many, alone)
    assert few["doc_id"].tolist() == many["doc_id"].tolist()[:50]


def test_document_stage_reports_progress_up_to_one():
    from analysis import pipeline

    seen = []
    pipeline._document_stage(_table_records(1_000), dayfirst=True, today=dt.date(2025, 1, 1), workers=2,
                             progress=lambda message, fraction: seen.append(fraction))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 5


@pytest.mark.parametrize("max_fit", [None, 150])  # the whole corpus fitted; a sample, the rest assigned
def test_mentions_and_topics_on_the_workers_match_one_process(monkeypatch, max_fit):
    import functools

    import numpy as np

    from analysis import pipeline
    from analysis.documents import build_documents, document_rows
    from analysis.lexicon import load_lexicon

    if max_fit is not None:
        monkeypatch.setattr(pipeline, "TopicModel", functools.partial(pipeline.TopicModel, max_fit_documents=max_fit))
    today = dt.date(2025, 1, 1)
    documents = build_documents(row for r in _table_records(450) for row in document_rows(r, today=today))
    lexicon = load_lexicon(None, None)
    results = {}
    for workers in (1, 2):
        timings = {}
        results[workers] = pipeline.mentions_and_topics(
            documents, lexicon, n_clusters=None, workers=workers, progress=None,
            stage=lambda name, start, n, timings=timings: timings.setdefault(name, n))
        assert set(timings) == {"mentions", "topics"}
    (mentions_1, model_1), (mentions_2, model_2) = results[1], results[2]
    assert len(mentions_1) > 0
    pd.testing.assert_frame_equal(mentions_1, mentions_2)
    np.testing.assert_array_equal(model_1.fit_rows_, model_2.fit_rows_)
    assert len(model_1.fit_rows_) == (max_fit or len(documents))
    np.testing.assert_array_equal(model_1.labels_, model_2.labels_)
    np.testing.assert_array_equal(model_1.coords_, model_2.coords_)
    pd.testing.assert_frame_equal(model_1.clusters_, model_2.clusters_)
    assert model_1.silhouette_ == model_2.silhouette_


def test_the_manifest_says_which_input_each_file_came_from(built):
    manifest = built.manifest
    assert {f["input"] for f in manifest["input_files"]} == {SAMPLE.as_posix()}
    assert manifest["input_paths"] == [SAMPLE.resolve().as_posix()]
    assert manifest["topics"]["model_file"] == "topic_model.npz" and (built.path / "topic_model.npz").is_file()


_THEMES = (
    "SCO summit Astana Eurasian security BRICS partners multipolar order Shanghai cooperation",
    "NATO expansion European security OSCE talks missile defence alliance enlargement",
    "climate change water sustainable development goals General Assembly adaptation finance",
    "EAEU trade tariffs exports markets customs union CIS integration investment",
)


def _varied_table(path: Path, n: int) -> Path:
    """A JSON Lines table of ``n`` dated rows, each mostly about one of four themes (a seeded mix of their
    words), so that the topic model finds clusters."""
    import random

    rng = random.Random(11)
    words = [theme.split() for theme in _THEMES]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            main = words[i % 4]
            text = " ".join(rng.choice(main if rng.random() < 0.8 else words[rng.randrange(4)]) for _ in range(40))
            handle.write(json.dumps({"text": f"Statement {i}. {text}.", "title": f"Statement {i}",
                                     "date": f"{2015 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}"}) + "\n")
    return path


def _in_worker_processes(monkeypatch, log: Path, names: tuple[str, ...]) -> None:
    """Wrap these functions of analysis.pipeline so that each call appends its process id to ``log``
    (the wrapper keeps the name, so the pool still pickles it by reference)."""
    import os

    from analysis import pipeline

    for name in names:
        original = getattr(pipeline, name)

        def logged(*args, original=original, **kwargs):
            with log.open("a") as handle:
                handle.write(f"{original.__name__} {os.getpid()}\n")
            return original(*args, **kwargs)

        logged.__module__, logged.__qualname__, logged.__name__ = pipeline.__name__, name, name
        monkeypatch.setattr(pipeline, name, logged)


def test_a_build_on_two_worker_processes_is_the_build_of_one(tmp_path, monkeypatch):
    # --workers 2: documents made in chunks, the fit sample's words counted, the other documents assigned and
    # the mentions found on the pool's processes, with a fit sample smaller than the corpus (lowered from
    # 20,000 to 150 of 600 documents). The build must be that of one process, exactly.
    import os

    import numpy as np

    from analysis import topics

    monkeypatch.setitem(topics.TopicModel.__init__.__kwdefaults__, "max_fit_documents", 150)
    table = _varied_table(tmp_path / "statements.jsonl", 600)
    log = tmp_path / "pids.log"
    _in_worker_processes(monkeypatch, log, ("_terms_for_rows", "_assign_rows", "_mentions_for_range"))
    today = dt.date(2026, 1, 1)
    one = run_build([table], tmp_path / "one", workers=1, today=today)
    assert not log.exists()  # one process: no pool
    two = run_build([table], tmp_path / "two", workers=2, today=today)
    calls = [line.split() for line in log.read_text().splitlines()]
    assert {name for name, _ in calls} == {"_terms_for_rows", "_assign_rows", "_mentions_for_range"}
    assert str(os.getpid()) not in {pid for _, pid in calls}
    assert two.manifest["engine"] == {"name": "local", "workers": 2}

    assert len(one.documents) == 600 and one.documents["date"].notna().all()
    assert one.manifest["counts"]["clusters"] >= 2 and (one.documents["cluster_id"] >= 0).sum() > 150
    pd.testing.assert_frame_equal(one.documents, two.documents)  # clusters and map coordinates included
    pd.testing.assert_frame_equal(one.mentions, two.mentions)
    pd.testing.assert_frame_equal(one.clusters, two.clusters)
    assert len(one.mentions) > 600
    assert one.manifest["topics"] == two.manifest["topics"]
    for name in ("topic_model.npz", "term_counts.npz"):
        with np.load(Path(one.path) / name) as a, np.load(Path(two.path) / name) as b:
            assert sorted(a.files) == sorted(b.files), name
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}: {key}")


def test_a_drained_document_stage_empties_the_list_and_makes_the_same_documents():
    from analysis.pipeline import document_stage
    from analysis.records import Record

    records = [Record(text=f"Post {i}: the SCO met in Astana on 3 March 2024 and spoke of security.", source="a.txt", format="text")
               for i in range(30)]
    kept = list(records)
    options = {"dayfirst": True, "today": dt.date(2026, 1, 1), "workers": 1, "progress": None}
    drained = document_stage(records, drain=True, **options)
    assert records == []
    pd.testing.assert_frame_equal(drained, document_stage(kept, **options))
    with pytest.raises(TypeError, match=r"drain=True\) empties a list of records; got generator"):
        document_stage((r for r in kept), drain=True, **options)


def test_release_memory_runs_anywhere():
    from analysis.pipeline import release_memory

    assert release_memory() is None  # a no-op where there is no glibc


@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=6), min_size=1, max_size=5),
       st.data())
def test_texts_at_reads_the_rows_of_a_column_of_chunks_as_iloc_does(chunks, data):
    import pyarrow as pa

    from analysis.documents import _STR
    from analysis.pipeline import texts_at

    column = pd.Series(pd.array(pa.chunked_array([pa.array(c, pa.large_string()) for c in chunks],
                                                 type=pa.large_string()), dtype=_STR))
    rows = data.draw(st.lists(st.integers(0, len(column) - 1), max_size=12)) if len(column) else []
    assert texts_at(column, rows) == [t if isinstance(t, str) else None for t in column.iloc[rows].tolist()]


def test_texts_at_refuses_rows_outside_the_column():
    import pyarrow as pa

    from analysis.documents import _STR
    from analysis.pipeline import texts_at

    column = pd.Series(pd.array(pa.chunked_array([["a"], ["b", "c"]], type=pa.large_string()), dtype=_STR))
    assert texts_at(column, [2, 0, 2]) == ["c", "a", "c"]
    with pytest.raises(IndexError, match="outside the column's 3 values"):
        texts_at(column, [3])


def test_inputs_reach_counts_files_and_folders_and_what_cannot_be_read(tmp_path):
    from analysis.pipeline import _inputs_reach

    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_bytes(b"x" * 600)
    (tmp_path / "in" / "sub" / "b.txt").write_bytes(b"x" * 600)
    (tmp_path / "c.txt").write_bytes(b"x" * 100)
    assert _inputs_reach([tmp_path / "in"], 1200)
    assert not _inputs_reach([tmp_path / "in"], 1201)
    assert _inputs_reach([tmp_path / "in", tmp_path / "c.txt"], 1300)
    assert not _inputs_reach([tmp_path / "missing", tmp_path / "c.txt"], 101)
