"""Tests for the command line (analysis.__main__): build and export, exit codes and messages."""

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def test_build_the_sample_as_a_user_would(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "build", str(SAMPLE), "--out", str(tmp_path / "x")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Built 24 documents" in proc.stderr
    for name in ("documents.parquet", "mentions.parquet", "clusters.parquet", "ingest_report.json", "manifest.json"):
        assert (tmp_path / "x" / name).exists()


def test_quiet_prints_nothing(tmp_path, capsys):
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "x"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    ("make_args", "code", "message"),
    [
        (lambda p: ["build", str(p / "nope"), "--out", str(p / "o")], 2, "does not exist"),
        (lambda p: ["build", str(p / "empty"), "--out", str(p / "o")], 1, "No documents could be built"),
        (lambda p: ["build", str(SAMPLE), "--out", str(p / "o"), "--themes", str(p / "bad.toml")], 2, "line"),
        (lambda p: ["export", str(p / "nobuild"), "--what", "timeline", "--out", str(p / "t.csv")], 2, "No build at"),
    ],
)
def test_errors_say_what_to_do(tmp_path, capsys, make_args, code, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "blank.txt").write_text("")
    (tmp_path / "bad.toml").write_text('[[theme]]\nkey = "x"\nlabel = \n')
    assert main(make_args(tmp_path)) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "build"
    assert main(["build", str(SAMPLE), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize(
    ("what", "extra", "columns"),
    [
        ("timeline", ["--kind", "theme", "--granularity", "month"], {"period", "key", "share_pct", "documents_total"}),
        ("timeline", ["--kind", "organisation", "--key", "SCO", "--by", "source"], {"period", "key", "source"}),
        ("mentions", ["--org", "SCO"], {"doc_id", "kind", "key", "surface", "start", "end"}),
        ("documents", ["--start", "2024-01-01", "--end", "2024-12-31"], {"doc_id", "date", "text"}),
        ("clusters", [], {"cluster_id", "label", "top_terms", "size"}),
        ("concordance", ["--kind", "organisation", "--key", "NATO"], {"left", "match", "right"}),
        ("ranking", ["--kind", "organisation"], {"key", "documents_mentioning"}),
    ],
)
def test_export(built, tmp_path, what, extra, columns):
    out = tmp_path / f"{what}.csv"
    assert main(["export", str(built), "--what", what, *extra, "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert columns <= set(table.columns)
    assert len(table) > 0


def test_export_filters_apply(built, tmp_path):
    out = tmp_path / "docs.csv"
    assert main(["export", str(built), "--what", "documents", "--start", "2024-01-01", "--end", "2024-12-31",
                 "--out", str(out)]) == 0
    dates = pd.to_datetime(pd.read_csv(out, encoding="utf-8-sig")["date"])
    assert dates.between("2024-01-01", "2024-12-31").all()


def test_export_surges_words_passages_and_events_are_what_the_page_draws(surge_build, tmp_path):
    from analysis import explain as ex
    from analysis.export import to_csv_bytes
    from analysis.store import read_build

    build = read_build(surge_build)
    out = tmp_path / "surges.csv"
    assert main(["export", str(surge_build), "--what", "surges", "--granularity", "year", "--out", str(out)]) == 0
    expected = ex.surge_table(build.documents, build.mentions, granularity="year",
                              events_file=surge_build / "events.toml")
    assert out.read_bytes() == to_csv_bytes(expected)
    surges = pd.read_csv(out, encoding="utf-8-sig")
    burst = surges[surges["method"] == "burst"].iloc[0]
    assert (burst["key"], burst["start"], burst["end"], burst["peak_events"]) == (
        "grain", "2016-01-01", "2017-12-31", "Grain summit, Astana")
    window = ["--key", "grain", "--start", "2016-01-01", "--end", "2017-12-31"]
    assert main(["export", str(surge_build), "--what", "distinctive", *window, "--out", str(tmp_path / "w.csv")]) == 0
    words = pd.read_csv(tmp_path / "w.csv", encoding="utf-8-sig")
    assert words[words["side"] == "surge"]["term"].iloc[0] in {"wheat", "grain", "harvests", "exports"}
    assert main(["export", str(surge_build), "--what", "passages", *window, "--out", str(tmp_path / "p.csv")]) == 0
    assert set(pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")["match"]) == {"grain"}
    assert main(["export", str(surge_build), "--what", "events", "--start", "2016-01-01", "--out",
                 str(tmp_path / "e.csv")]) == 0
    assert pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")["key"].tolist() == ["summit-2016"]


@pytest.mark.parametrize("extra", [[], ["--key", "grain"], ["--key", "grain", "--start", "2016-01-01"]])
def test_export_distinctive_needs_one_key_and_a_window(surge_build, tmp_path, capsys, extra):
    code = main(["export", str(surge_build), "--what", "distinctive", *extra, "--out", str(tmp_path / "w.csv")])
    assert code == 2
    assert "give one --key and its window as --start and --end" in capsys.readouterr().err


def test_export_comparison_and_lead_lag_are_what_the_page_draws(two_source_build, tmp_path):
    from analysis.compare import compare_two, lead_lag
    from analysis.export import to_csv_bytes
    from analysis.store import read_build

    build = read_build(two_source_build)
    args = ["--key", "grain", "--by", "source", "--pair", "a.txt", "b.txt", "--granularity", "year"]
    assert main(["export", str(two_source_build), "--what", "comparison", *args, "--out", str(tmp_path / "c.csv")]) == 0
    expected = compare_two(build.documents, build.mentions, key="grain", by="source", a="a.txt", b="b.txt",
                           granularity="year")
    assert (tmp_path / "c.csv").read_bytes() == to_csv_bytes(expected)
    assert main(["export", str(two_source_build), "--what", "lead-lag", *args, "--out", str(tmp_path / "l.csv")]) == 0
    assert (tmp_path / "l.csv").read_bytes() == to_csv_bytes(lead_lag(expected))


def test_export_comparison_needs_a_key_a_by_and_a_pair(two_source_build, tmp_path, capsys):
    code = main(["export", str(two_source_build), "--what", "comparison", "--key", "grain", "--out", str(tmp_path / "c.csv")])
    assert code == 2 and "give one --key, --by source (or language) and --pair A B" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- --panel
def test_list_panels_names_every_panel_with_its_view_and_options(capsys):
    from analysis.panels import PANELS

    assert main(["export", "--list-panels"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert listed == list(PANELS)
    first = lines.index(next(line for line in lines if line.startswith("surge-words ")))
    assert lines[first].split()[1] == "Themes"
    assert [line.split()[0] for line in lines[first + 1:first + 4]] == ["--key", "--window", "--kind"]
    assert "(required)" in lines[first + 1] and "(default: theme)" in lines[first + 3]


def test_export_panel_writes_the_panel_table(built, tmp_path):
    from analysis import panels as pn
    from analysis.export import to_csv_bytes
    from analysis.query import Corpus
    from analysis.timeline import Filters

    out = tmp_path / "c.csv"
    assert main(["export", str(built), "--panel", "concordance", "--key", "SCO", "--kind", "organisation",
                 "--start", "2018-01-01", "--limit", "3", "--out", str(out)]) == 0
    corpus = Corpus.open(built)
    expected = pn.concordance(corpus, Filters(start="2018-01-01"), key="SCO", kind="organisation", limit=3)
    assert out.read_bytes() == to_csv_bytes(expected.table) and len(expected.table) == 3
    # The period length is the dashboard's "auto" unless one is given.
    assert main(["export", str(built), "--panel", "theme-heatmap", "--out", str(tmp_path / "h.csv")]) == 0
    auto = pn.theme_heatmap(corpus, Filters(), granularity=corpus.choose_granularity(Filters()))
    assert (tmp_path / "h.csv").read_bytes() == to_csv_bytes(auto.table)
    assert main(["export", str(built), "--panel", "documents", "--limit", "all", "--include-duplicates",
                 "--out", "-"]) == 0


def test_export_under_a_chart_selection_from_the_doc_ids_of_its_csv(built, tmp_path):
    """A chart selection narrows the Documents view to some doc_ids; --doc-ids FILE (that view's CSV, or one
    doc_id a line) or --doc-id ID narrows an export the same way, so any CSV drawn under it can be remade."""
    from analysis import panels as pn
    from analysis.export import to_csv_bytes
    from analysis.query import Corpus
    from analysis.timeline import Filters

    corpus = Corpus.open(built)
    chosen = tuple(pn.documents(corpus, Filters(), limit=None).table["doc_id"].astype(str)[[0, 3, 5]])
    expected = to_csv_bytes(pn.documents(corpus, Filters(doc_ids=chosen), limit=None).table)
    selection = tmp_path / "selection.csv"
    selection.write_bytes(expected)  # the Documents CSV downloaded under the selection
    listed = tmp_path / "ids.txt"
    listed.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    for how in (["--doc-ids", str(selection)], ["--doc-ids", str(listed)],
                [arg for d in chosen for arg in ("--doc-id", d)]):
        out = tmp_path / "out.csv"
        assert main(["export", str(built), "--panel", "documents", "--limit", "all", *how, "--out", str(out)]) == 0
        assert out.read_bytes() == expected
    timeline = pn.overview_timeline(corpus, Filters(doc_ids=chosen), granularity="year", measure="share")
    assert main(["export", str(built), "--panel", "overview-timeline", "--granularity", "year", "--doc-ids",
                 str(listed), "--out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_bytes() == to_csv_bytes(timeline.table)


@pytest.mark.parametrize(("content", "message"), [
    (None, "--doc-ids '{path}' does not exist: pass a file of doc_ids"),
    ("title,source\nA,a.txt\n", "is a CSV without a doc_id column (its columns: title, source)"),
    ("\n\n", "lists no doc_id; pass a file with one doc_id a line."),
])
def test_export_doc_ids_file_refused_with_what_is_wrong(built, tmp_path, capsys, content, message):
    path = tmp_path / "ids.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["export", str(built), "--panel", "documents", "--doc-ids", str(path), "--out", "-"]) == 2
    assert message.format(path=path) in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "message"), [
    (["--panel", "nope"], "error: Unknown panel 'nope'; the panels are: overview-timeline, top-organisations, "),
    (["--panel", "clusters", "--top", "3"], "error: --panel clusters takes no options; got --top."),
    (["--panel", "theme-surfaces", "--key", "ngos", "--by", "source"],
     "error: --panel theme-surfaces takes --key, --kind, --top; got --by."),
    (["--panel", "theme-surfaces"], "error: --panel theme-surfaces needs --key;"),
    (["--panel", "surge-words"], "error: --panel surge-words needs --key, --window START END;"),
    (["--panel", "compare", "--key", "SCO", "--key", "NATO"], "draws one key; got --key SCO --key NATO. Give one."),
    (["--panel", "compare", "--key", "SCO", "--kind", "cluster"],
     "option 'kind' must be one of ['theme', 'organisation']; got 'cluster'."),
])  # fmt: skip
def test_export_panel_refuses_bad_panels_and_options_naming_the_choices(built, tmp_path, capsys, extra, message):
    assert main(["export", str(built), *extra, "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["export", "--panel", "clusters", "--out", "x.csv"], "export needs the build folder DIR"),
    (["export", "{build}", "--panel", "clusters"], "export needs --out FILE.csv"),
])  # fmt: skip
def test_export_panel_needs_a_build_and_an_out(built, capsys, args, message):
    assert main([a.format(build=built) for a in args]) == 2
    assert message in capsys.readouterr().err


def test_export_takes_what_or_panel_not_both(built, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", str(built), "--what", "clusters", "--panel", "clusters", "--out", str(tmp_path / "x.csv")])
    assert "not allowed with argument" in capsys.readouterr().err


def test_set_raises_or_lowers_a_reading_limit_for_one_build(tmp_path, capsys):
    import json

    out = tmp_path / "b"
    assert main(["build", str(SAMPLE), "--out", str(out), "--quiet", "--set", "max_text_chars=1_000_000_000",
                 "--set", "chunk_rows=500"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["limits"] == {"max_text_chars": 1_000_000_000, "chunk_rows": 500}
    # Lowered below the sample's size: every file is skipped with the limit named, and the build fails.
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "c"), "--quiet", "--set", "max_text_chars=1000"]) == 1
    assert "more than max_text_chars (1,000 characters of text)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("max_text=5", r"--set: expected NAME=VALUE with NAME one of max_zip_members, .*chunk_rows; got 'max_text=5'"),
        ("max_text_chars", r"--set: expected NAME=VALUE with NAME one of"),
        ("file_seconds=0", r"--set: file_seconds must be a positive whole number \(1 or more\); got 0"),
        ("chunk_rows=many", r"--set: chunk_rows must be a positive whole number; got 'many'"),
    ],
)
def test_set_refuses_an_unknown_limit_or_a_bad_value(tmp_path, capsys, value, message):
    import re

    with pytest.raises(SystemExit) as exit_info:
        main(["build", str(SAMPLE), "--out", str(tmp_path / "x"), "--set", value])
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)
