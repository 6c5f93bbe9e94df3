"""The Dask engine (analysis/dask_engine.py) on a LocalCluster: the same build as the local engine."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="the Dask engine needs dask.distributed (pip install 'dask[distributed]')")

from analysis import dask_engine  # noqa: E402
from analysis.dask_engine import SchedulerError, build_on_dask  # noqa: E402
from analysis.pipeline import run_build  # noqa: E402
from analysis.store import read_build  # noqa: E402
from analysis.term_store import TermStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
DUMP = "003_8822cdba48cf6688.txt"  # the embassy page: twenty posts, several dated from their neighbours
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def scheduler():
    """One LocalCluster for the module (2 workers, 1 thread each): its address, as a user's --scheduler."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="2GiB",
                                  dashboard_address=":0", silence_logs=50) as cluster:
        yield cluster.scheduler_address


def _corpus(root: Path) -> list[Path]:
    """Two folders and a table: a zip (the sample's dump and a note), a JSON Lines table (one row repeats
    the note), a Telegram export, and a second note.txt in another folder (the same source label)."""
    mfa, tg = root / "mfa", root / "tg"
    mfa.mkdir()
    tg.mkdir()
    note = "Statement on the SCO summit in Astana.\n\nThe ministers of the SCO and BRICS met on 4 July 2024."
    with zipfile.ZipFile(mfa / "posts.zip", "w") as archive:
        archive.writestr(DUMP, (SAMPLE / DUMP).read_bytes())
        archive.writestr("note.txt", note)
    (mfa / "note.txt").write_text("A note on the SCO, dated 1 March 2024.", encoding="utf-8")
    rows = [{"text": f"Briefing {i} on the OSCE, NATO and the EU in a multipolar world, part {i}.",
             "date": f"2023-{1 + i % 12:02d}-{1 + i % 27:02d}", "title": f"Briefing {i}"} for i in range(30)]
    rows.insert(17, {"text": note.upper(), "date": "2024-07-05", "title": "Copy"})  # a duplicate of the note
    (mfa / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    export = {"name": "Russian MFA", "type": "public_channel", "id": 7, "messages": [
        {"id": i, "type": "message", "date": f"2024-05-{10 + i:02d}T10:00:00",
         "text": f"Post {i}: Lavrov on CSTO and CIS cooperation, Eurasian security and the UN Charter."}
        for i in range(1, 9)
    ] + [{"id": 99, "type": "service", "date": "2024-05-30T10:00:00", "action": "pin_message", "text": ""}]}
    (tg / "result.json").write_text(json.dumps(export), encoding="utf-8")
    (tg / "note.txt").write_text("Another note on the EAEU, dated 12 March 2024.\n\nIt names the EAEU twice.",
                                 encoding="utf-8")
    return [mfa, tg]


def _same_build(local, dask) -> None:
    """Documents (every column; the map's coordinates to float precision), mentions, report and clusters
    equal, clusters up to renumbering."""
    a, b = local.documents, dask.documents
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.equals(b.dtypes)
    for column in a.columns.drop(["cluster_id", "x", "y"]):
        pd.testing.assert_series_equal(a[column], b[column], obj=column)
    np.testing.assert_allclose(a[["x", "y"]].to_numpy(float), b[["x", "y"]].to_numpy(float), atol=1e-6)
    pairs = set(zip(a["cluster_id"], b["cluster_id"], strict=True))  # a label mapping, one to one
    assert len({x for x, _ in pairs}) == len({y for _, y in pairs}) == len(pairs)
    pd.testing.assert_frame_equal(local.mentions, dask.mentions)
    mapping = dict(pairs)
    renumbered = local.clusters.assign(cluster_id=local.clusters["cluster_id"].map(mapping)).sort_values("cluster_id")
    pd.testing.assert_frame_equal(renumbered.reset_index(drop=True), dask.clusters.reset_index(drop=True))
    assert local.report == dask.report
    for name in ("topic_model.npz", "term_counts.npz"):  # the saved model and every document's word counts
        assert (Path(local.path) / name).is_file() and (Path(dask.path) / name).is_file(), name
    counts = [TermStore.load(Path(build.path) / "term_counts.npz") for build in (local, dask)]
    assert counts[0].doc_ids.tolist() == counts[1].doc_ids.tolist() == a["doc_id"].tolist()
    assert counts[0].terms.tolist() == counts[1].terms.tolist()
    assert (counts[0].matrix != counts[1].matrix).nnz == 0 and counts[0].matrix.nnz > 0
    drop = ("created", "timings", "engine")
    assert {k: v for k, v in local.manifest.items() if k not in drop} == {
        k: v for k, v in dask.manifest.items() if k not in drop}


@pytest.fixture(scope="module")
def sample_builds(scheduler, tmp_path_factory):
    """data/sample built by each engine: (local build, dask build, the folder holding both)."""
    root = tmp_path_factory.mktemp("sample")
    local = run_build([SAMPLE], root / "local", today=TODAY)
    dask = build_on_dask([SAMPLE], root / "dask", scheduler=scheduler, today=TODAY)
    return local, dask, root


def test_the_sample_gives_the_same_build_on_both_engines(sample_builds, scheduler):
    local, dask, root = sample_builds
    _same_build(local, dask)
    assert (dask.documents["date_method"] == "inferred").sum() >= 5
    assert dask.manifest["engine"]["name"] == "dask" and dask.manifest["engine"]["scheduler"] == scheduler
    assert local.manifest["engine"]["name"] == "local"
    assert not list(root.glob(".dask.tmp-dask-*")), "the staging folder is removed"
    _same_build(read_build(root / "local"), read_build(root / "dask"))


@pytest.mark.parametrize(("bag_files", "part_records"), [(64, 2_000), (1, 7)])
def test_a_zip_a_table_and_a_telegram_export_across_parts(tmp_path, scheduler, monkeypatch, bag_files,
                                                          part_records):
    # Small bags and parts put the table's rows, the duplicate and its original, and the two note.txt in
    # different tasks: labels, duplicate_of and the topic model must still see the whole corpus.
    monkeypatch.setattr(dask_engine, "_BAG_FILES", bag_files)
    monkeypatch.setattr(dask_engine, "_PART_RECORDS", part_records)
    inputs = _corpus(tmp_path)
    local = run_build(inputs, tmp_path / "local", today=TODAY, n_clusters=3)
    dask = build_on_dask(inputs, tmp_path / "dask", scheduler=scheduler, today=TODAY, n_clusters=3)
    _same_build(local, dask)
    docs = dask.documents
    assert set(docs["format"]) == {"text", "table", "telegram"}
    assert docs["duplicate_of"].notna().sum() >= 1
    sources = set(docs["source"])
    assert {"note.txt", "posts.zip/note.txt", f"posts.zip/{DUMP}"} <= sources
    assert any(source.endswith("tg/note.txt") for source in sources), sources  # relabelled: not note.txt twice
    assert docs["doc_id"].is_unique
    if part_records == 7:
        assert dask.manifest["engine"]["parts"] > 5


def test_topics_fitted_on_a_sample_and_the_rest_assigned_on_the_workers(tmp_path, scheduler, monkeypatch):
    import analysis.topics as topics

    # A fit on a 20-document sample, the other documents assigned by the workers (here, in chunks).
    monkeypatch.setitem(topics.TopicModel.__init__.__kwdefaults__, "max_fit_documents", 20)
    monkeypatch.setattr(dask_engine, "_PART_RECORDS", 10)
    inputs = _corpus(tmp_path)
    local = run_build(inputs, tmp_path / "local", today=TODAY, n_clusters=3)
    dask = build_on_dask(inputs, tmp_path / "dask", scheduler=scheduler, today=TODAY, n_clusters=3)
    _same_build(local, dask)
    assert len(dask.documents) > 40 and (dask.documents["cluster_id"] >= 0).sum() > 20


def test_a_dask_build_is_updated_without_refit_as_a_local_build_of_everything(tmp_path, scheduler):
    # The Dask build saves its topic model (topic_model.npz), so `update` assigns the new documents to its
    # clusters: the same documents and mentions as a local build of both folders at once, and the same
    # clusters as the update of a local build of the first folder (up to renumbering).
    from analysis.update import run_update

    (tmp_path / "in").mkdir()
    a, b = _corpus(tmp_path / "in")
    dask = build_on_dask([a], tmp_path / "dask", scheduler=scheduler, today=TODAY, n_clusters=3)
    assert (tmp_path / "dask" / "topic_model.npz").is_file()
    assert dask.manifest["topics"]["model_file"] == "topic_model.npz"
    updated, entry = run_update(tmp_path / "dask", [b], workers=1, today=TODAY)
    assert entry["refit"] is False and entry["written"] is True and entry["added"] == 9  # 8 posts, 1 note
    full = run_build([a, b], tmp_path / "full", workers=1, today=TODAY)
    columns = [c for c in full.documents.columns if c not in ("cluster_id", "x", "y")]
    pd.testing.assert_frame_equal(updated.documents[columns], full.documents[columns])
    pd.testing.assert_frame_equal(updated.mentions, full.mentions)
    assert {k: updated.report[k] for k in ("files", "totals")} == {k: full.report[k] for k in ("files", "totals")}
    assert updated.manifest["engine"]["name"] == "dask"  # the build it was made from

    run_build([a], tmp_path / "local", workers=1, today=TODAY, n_clusters=3)
    local, _ = run_update(tmp_path / "local", [b], workers=1, today=TODAY)
    pairs = set(zip(local.documents["cluster_id"], updated.documents["cluster_id"], strict=True))
    assert len({x for x, _ in pairs}) == len({y for _, y in pairs}) == len(pairs) >= 3
    kept = updated.documents.set_index("doc_id").loc[dask.documents["doc_id"], "cluster_id"]
    assert kept.tolist() == dask.documents["cluster_id"].tolist()  # the Dask build's clusters are kept


def _dashboard_metrics(build: Path, monkeypatch) -> list[str]:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DT_DATA", str(build))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [f"{m.label}: {m.value}" for m in at.get("metric")]


def test_the_dashboard_opens_a_dask_build_as_it_opens_a_local_one(sample_builds, monkeypatch):
    _, _, root = sample_builds
    metrics = _dashboard_metrics(root / "dask", monkeypatch)
    assert metrics == _dashboard_metrics(root / "local", monkeypatch)
    assert any(m.startswith("Documents") and "23" in m for m in metrics), metrics  # 24, one a duplicate


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_nobody_listens_on_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_engine, "_CONNECT_SECONDS", 1)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(SchedulerError, match=r"Cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:\d+' "
                                             r"\(Timed out .*\)\. Start one with `dask scheduler`"):
        build_on_dask([SAMPLE], tmp_path / "out", scheduler=address)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.tmp-dask-*")), "the staging folder is removed"


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:{port}"],
     r"^error: Cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:\d+' \(Timed out"),
    (["--engine", "dask", "--scheduler", "nonsense::"],
     r"^error: Cannot reach the Dask scheduler at 'nonsense::' \(invalid address"),
    (["--scheduler", "tcp://127.0.0.1:8786"],
     r"^error: --scheduler tcp://127\.0\.0\.1:8786 is for the Dask engine; add --engine dask\."),
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"],
     r"^error: --workers sizes the local Dask cluster; a cluster at --scheduler has its own workers"),
])
def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path, monkeypatch, capsys, args, message):
    from analysis.__main__ import main

    monkeypatch.setattr(dask_engine, "_CONNECT_SECONDS", 1)
    args = [a.format(port=_free_port()) for a in args]
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()


def test_the_command_line_builds_on_its_own_local_cluster(tmp_path, capsys):
    from analysis.__main__ import main

    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--engine", "dask", "--workers", "2"]) == 0
    assert "Built 24 documents" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    engine = manifest["engine"]
    assert engine["name"] == "dask" and engine["workers"] == 2 and engine["scheduler"].startswith("tcp://127.0.0.1:")
    assert len(engine["worker_peak_rss_mb"]) == 2
    assert all(0 < mb < 2048 for mb in engine["worker_peak_rss_mb"].values())
