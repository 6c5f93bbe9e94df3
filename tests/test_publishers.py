"""Who published each document: one small input per rule, read the way a build reads it."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.documents import document_rows
from analysis.formats import publisher_name, url_domain
from analysis.ingest import read_inputs
from analysis.pipeline import publisher_counts, run_build

_BODY = "<p>" + "The ministers discussed the situation in the region and the talks that follow. " * 6 + "</p>"


def _page(head: str) -> str:
    return f"<html><head><title>Talks in Moscow</title>{head}</head><body><article>{_BODY}</article></body></html>"


def _dump(channel_lines: list[str], posts: list[tuple[str, str]]) -> str:
    """A scraped channel page: its heading lines, then one "Forwarded from X" header and text per post."""
    out = list(channel_lines)
    for forwarded, text in posts:
        out += [f"Forwarded from {forwarded}", text, ""]
    return "\n".join(out)


_POST = "The Foreign Minister held talks with his counterpart on the settlement and regional security. {}"
_TELEGRAM = {
    "name": "Russian Embassy in Lebanon",
    "type": "public_channel",
    "id": 1,
    "messages": [
        {"id": 1, "type": "message", "date": "2024-05-16T10:00:00", "text": "Our own post about the embassy's work."},
        {"id": 2, "type": "message", "date": "2024-05-17T10:00:00", "forwarded_from": "Russian MFA 🇷🇺",
         "text": "A statement of the ministry, forwarded here."},
        {"id": 3, "type": "service", "date": "2024-05-18T10:00:00", "action": "pin_message", "text": ""},
    ],
}


def _rows(inputs, **options) -> list[tuple]:
    result = read_inputs(inputs, **options)
    rows = [row for record in result.records for row in document_rows(record)]
    return [(row["source"], row["publisher"], row["publisher_method"], row["forwarded_by"]) for row in rows]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # HTML: the site's name from og:site_name ...
        ("a.html", _page('<meta property="og:site_name" content="The Kremlin">'
                         '<link rel="canonical" href="http://en.kremlin.ru/events/1">'),
         [("a.html", "The Kremlin", "metadata", None)]),
        # ... or the publisher of its JSON-LD ...
        ("b.html", _page('<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
                         '"NewsArticle", "publisher": {"@type": "Organization", "name": "TASS"}}</script>'),
         [("b.html", "TASS", "metadata", None)]),
        # ... else the domain of its canonical URL.
        ("c.html", _page('<link rel="canonical" href="https://www.mid.ru/en/foreign_policy/news/1/">'),
         [("c.html", "mid.ru", "url-domain", None)]),
        # Telegram export: the channel; a forwarded message: the channel it came from, and who forwarded it.
        ("result.json", json.dumps(_TELEGRAM),
         [("result.json", "Russian Embassy in Lebanon", "channel", None),
          ("result.json", "Russian MFA", "forwarded", "Russian Embassy in Lebanon")]),
        # A dump with posts forwarded from two channels, headed by the dumping channel.
        ("dump.txt", _dump(["Russian Embassy in Lebanon", "2.95K subscribers", "4.1K photos"],
                           [("Russian MFA 🇷🇺", _POST.format(1)), ("MFA Russia 🇷🇺", _POST.format(2)),
                            ("Russian MFA 🇷🇺", _POST.format(3))]),
         [("dump.txt", "Russian MFA", "forwarded", "Russian Embassy in Lebanon"),
          ("dump.txt", "MFA Russia", "forwarded", "Russian Embassy in Lebanon"),
          ("dump.txt", "Russian MFA", "forwarded", "Russian Embassy in Lebanon")]),
        # A dump without a heading: the forwarding channel is the file's.
        ("nohead.txt", _dump([], [("TASS", _POST.format(1)), ("RT", _POST.format(2))]),
         [("nohead.txt", "TASS", "forwarded", "nohead.txt"), ("nohead.txt", "RT", "forwarded", "nohead.txt")]),
        # Posts copied from Telegram Desktop or the web name their channel in their headers.
        ("copy.txt", "\n".join(["Russian MFA, [16.05.24 10:00]", _POST.format(1), "",
                                 "Kremlin News, [17.05.24 11:00]", _POST.format(2), ""]),
         [("copy.txt", "Russian MFA", "text", None), ("copy.txt", "Kremlin News", "text", None)]),
        ("web.txt", "\n".join(["[16.05.2024 10:00] MFA Russia 🇷🇺:", _POST.format(1), "",
                                "[17.05.2024 11:00] MFA Russia 🇷🇺:", _POST.format(2), ""]),
         [("web.txt", "MFA Russia", "text", None), ("web.txt", "MFA Russia", "text", None)]),
        # A table with a channel column (any case), a row without one falling back to its URL, then the file.
        ("t.csv", "text,Channel,url\nFirst post text,mfa_russia,\nSecond post text,,https://t.me/s/x/2\n"
                  "Third post text,,\n",
         [("t.csv", "mfa_russia", "column", None), ("t.csv", "t.me", "url-domain", None),
          ("t.csv", "t.csv", "file", None)]),
        # A table with only a URL column.
        ("u.csv", "text,url\nFirst post text,https://www.mid.ru/ru/1\nSecond post text,http://en.kremlin.ru/2\n",
         [("u.csv", "mid.ru", "url-domain", None), ("u.csv", "en.kremlin.ru", "url-domain", None)]),
        # A text file whose dateline names the agency; one that names none keeps its file's name.
        ("tass.txt", "Talks in Moscow\n\nMOSCOW, October 26. /TASS/. Russia will strengthen cooperation.",
         [("tass.txt", "TASS", "text", None)]),
        ("plain.txt", "Talks in Moscow\n\nRussia will strengthen cooperation, a photo by Ivan Petrov/TASS shows.",
         [("plain.txt", "plain.txt", "file", None)]),
        # Two agencies in datelines: ambiguous, so the file's name.
        ("two.txt", "MOSCOW, May 1. /TASS/. One.\nMOSCOW, May 1 - RIA Novosti. Two.",
         [("two.txt", "two.txt", "file", None)]),
    ],
)
def test_each_rule_finds_the_publisher(tmp_path, name, content, expected):
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert _rows([tmp_path / name]) == expected


def test_text_files_take_their_folder_when_several_inputs_are_given(tmp_path):
    for folder in ("mfa", "kremlin"):
        (tmp_path / folder).mkdir()
        for i in range(2):
            (tmp_path / folder / f"{i}.txt").write_text(f"A statement number {i} of the {folder}.", encoding="utf-8")
    rows = _rows([tmp_path / "mfa", tmp_path / "kremlin"])
    assert {(publisher, method) for _, publisher, method, _ in rows} == {("mfa", "folder"), ("kremlin", "folder")}
    assert [publisher for _, publisher, _, _ in rows] == ["mfa", "mfa", "kremlin", "kremlin"]
    # One input: the file's name, since one folder says nothing about who published which file.
    assert {(publisher, method) for _, publisher, method, _ in _rows([tmp_path / "mfa"])} == {
        ("0.txt", "file"), ("1.txt", "file")}


def test_the_override_names_every_document(tmp_path):
    (tmp_path / "dump.txt").write_text(
        _dump([], [("TASS", _POST.format(1)), ("RT", _POST.format(2))]), encoding="utf-8")
    (tmp_path / "a.html").write_text(_page('<meta property="og:site_name" content="The Kremlin">'), encoding="utf-8")
    rows = _rows([tmp_path], publisher="  My   archive ")
    assert len(rows) == 3 and {row[1:] for row in rows} == {("My archive", "override", None)}


@pytest.mark.parametrize("bad", ["", "   ", 3])
def test_an_empty_override_is_refused(tmp_path, bad):
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    with pytest.raises(ValueError, match=r"The 'publisher' parameter must be a publisher's name"):
        read_inputs([tmp_path], publisher=bad)


def test_a_folder_of_pages_from_one_site_is_one_publisher(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    topics = ("energy and oil prices", "grain exports to Africa", "the nuclear treaty", "visas for students")
    for i, topic in enumerate(topics):
        text = _page(f'<link rel="canonical" href="https://www.mid.ru/en/news/{i}/">').replace(
            "Talks in Moscow", f"Talks on {topic}").replace("the situation in the region", topic)
        (pages / f"{i}.html").write_text(text, encoding="utf-8")
    build = run_build([pages], tmp_path / "build", today=None)
    assert build.report["totals"]["publishers"] == 1
    assert build.report["totals"]["publisher_methods"] == {"url-domain": 1}
    assert build.manifest["counts"]["publishers"] == 1
    assert set(build.documents["publisher"]) == {"mid.ru"}


def test_publisher_counts_count_publishers_per_method():
    import pandas as pd

    docs = pd.DataFrame({"publisher": ["TASS", "TASS", "a.txt", "RT"],
                         "publisher_method": ["text", "forwarded", "file", "forwarded"]})
    assert publisher_counts(docs) == {"publishers": 3, "publisher_methods": {"forwarded": 2, "file": 1, "text": 1}}
    assert publisher_counts(docs.iloc[:0]) == {"publishers": 0, "publisher_methods": {}}
    assert publisher_counts(pd.DataFrame({"source": ["a"]})) == {}


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://www.mid.ru/ru/x", "mid.ru"), ("en.kremlin.ru/events/1", "en.kremlin.ru"), ("HTTP://TASS.COM", "tass.com"),
     ("not a url", None), ("", None), (None, None), ("http://[::1", None), ("mailto:someone", None)],
)
def test_url_domain(url, expected):
    assert url_domain(url) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Russian MFA 🇷🇺", "Russian MFA"), ("🇷🇺 Посольство России  в Ливане", "Посольство России в Ливане"),
     ("«RT»", "RT"), ("🇷🇺", None), ("", None), (None, None)],
)
def test_publisher_name(name, expected):
    assert publisher_name(name) == expected


@settings(deadline=500, max_examples=200)
@given(st.text(max_size=300))
def test_names_and_domains_never_fail(value):
    from analysis.documents import _text_publisher
    from analysis.segment import forwarded_from, header_channel, heading_channel

    for found in (_text_publisher(value), forwarded_from(value), header_channel(value), heading_channel(value)):
        assert found is None or (isinstance(found, str) and found.strip() == found and found)
    name = publisher_name(value)
    assert name is None or (name == name.strip() and 0 < len(name) <= 120)
    domain = url_domain(value)
    assert domain is None or ("." in domain and domain == domain.lower())


def test_the_command_line_overrides_filters_and_splits_by_publisher(tmp_path, capsys):
    import csv

    from analysis.__main__ import main

    sample = tmp_path / "in"
    sample.mkdir()
    (sample / "dump.txt").write_text(
        _dump(["Russian Embassy in Lebanon", "2.95K subscribers"],
              [("Russian MFA", _POST.format("BRICS and NATO (Moscow, May 16, 2024)")),
               ("TASS", _POST.format("BRICS (Moscow, May 17, 2024)")),
               ("Russian MFA", _POST.format("The SCO (Moscow, May 18, 2024)"))]), encoding="utf-8")
    assert main(["build", str(sample), "--out", str(tmp_path / "b")]) == 0
    assert "Publishers: 2 (2 by forwarded)" in capsys.readouterr().err
    out = tmp_path / "docs.csv"
    assert main(["export", str(tmp_path / "b"), "--what", "documents", "--publisher", "TASS", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [(r["publisher"], r["forwarded_by"]) for r in rows] == [("TASS", "Russian Embassy in Lebanon")]
    assert main(["export", str(tmp_path / "b"), "--what", "timeline", "--kind", "organisation", "--by", "publisher",
                 "--out", str(out)]) == 0
    assert {r["publisher"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))} == {"Russian MFA", "TASS"}
    assert main(["build", str(sample), "--out", str(tmp_path / "c"), "--publisher", "My archive", "--quiet"]) == 0
    from analysis.store import read_build

    assert set(read_build(tmp_path / "c").documents["publisher"]) == {"My archive"}
    with pytest.raises(SystemExit):
        main(["build", str(sample), "--out", str(tmp_path / "d"), "--publisher", "  "])
    assert "expected a publisher's name" in capsys.readouterr().err


def test_a_publisher_map_names_the_sources_its_patterns_match(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "mfa").mkdir(parents=True)
    (corpus / "mfa" / "a.txt").write_text("MOSCOW, May 1. /TASS/. A statement of the ministry.", encoding="utf-8")
    (corpus / "b_tass.txt").write_text("A news item without a dateline.", encoding="utf-8")
    (corpus / "c.txt").write_text("Another text.", encoding="utf-8")
    mapping = tmp_path / "publishers.toml"
    mapping.write_text('[publishers]\n"corpus/mfa/*" = "Russian  MFA"\n"*tass*" = "TASS"\n"*" = "Everyone"\n',
                       encoding="utf-8")
    from analysis.ingest import load_publisher_map

    pairs = load_publisher_map(mapping)
    assert pairs == [("corpus/mfa/*", "Russian MFA"), ("*tass*", "TASS"), ("*", "Everyone")]
    # The map outranks what the text names (the TASS dateline of mfa/a.txt); the first pattern that matches wins.
    assert _rows([corpus], publisher_map=pairs) == [
        ("b_tass.txt", "TASS", "override", None), ("c.txt", "Everyone", "override", None),
        ("mfa/a.txt", "Russian MFA", "override", None)]
    assert _rows([corpus], publisher_map=pairs[:1])[1:] == [
        ("c.txt", "c.txt", "file", None), ("mfa/a.txt", "Russian MFA", "override", None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[publishers", r"(?s)is not valid TOML .*write it as.*\[publishers\]"),
        ("[other]\nx = 1\n", r"has no \[publishers\] table of patterns"),
        ("[publishers]\n", r"has no \[publishers\] table of patterns"),
        ('[publishers]\n"a*" = 3\n', r"gives 'a\*' the value 3; expected a publisher's name"),
        ('[publishers]\n"a*" = "  "\n', r"gives 'a\*' the value '  '; expected a publisher's name"),
    ],
)
def test_a_malformed_publisher_map_is_refused_before_anything_is_read(tmp_path, capsys, content, message):
    from analysis.__main__ import main
    from analysis.ingest import PublisherMapError, load_publisher_map

    mapping = tmp_path / "map.toml"
    mapping.write_text(content, encoding="utf-8")
    with pytest.raises(PublisherMapError, match=message):
        load_publisher_map(mapping)
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    assert main(["build", str(tmp_path / "a.txt"), "--out", str(tmp_path / "b"), "--publisher-map", str(mapping)]) == 2
    assert "publisher map" in capsys.readouterr().err and not (tmp_path / "b").exists()
