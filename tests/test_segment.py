"""Tests for analysis.segment: chrome removal and splitting dumps into posts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.segment import Post, clean_chrome, split_posts, split_posts_detailed

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
DUMP = SAMPLE / "003_8822cdba48cf6688.txt"


# ---------------------------------------------------------------------------------------------------------
# clean_chrome
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "removed"),
    [
        ("Read in full", True),
        ("  read in full  ", True),
        ("Read\u00a0in full", True),
        ("Media is too big", True),
        ("VIEW IN TELEGRAM", True),
        ("Please open Telegram to view this post", True),
        ("Download Telegram", True),
        ("2", True),
        ("👍41", True),
        ("1👍1", True),
        ("👏21", True),
        ("👍2", True),
        ("🔥 1.2K", True),
        ("2.95K subscribers", True),
        ("4.1K photos", True),
        ("747 videos", True),
        ("9 files", True),
        ("3.13K links", True),
        ("All news", True),
        ('HomeLatest NewsSergei Lavrov: "United Russia" strengthens international ties...', True),
        ("Home › World › Europe", True),
        ("hit tracker", True),
        ("  • en-GB1 ru-RU1", True),
        ("en-GB | ru-RU", True),
        # real content stays
        ("He asked the committee to read in full the report of the Secretary-General.", False),
        ("Read in full the statement below:", False),
        ("747 videos were shown at the festival.", False),
        ("All news agencies reported the talks.", False),
        ("Home affairs ministers met in Minsk.", False),
        ("Homeland security was discussed.", False),
        ("2024", False),
        ("1.", False),
        ("🇷🇺 Russia leads the global factchecking vanguard.", False),
        ("#SCO", False),
        ("Key talking points:", False),
        ("Question:", False),
        ("en", False),
        ("Saturday, June 22, 2024", False),
        ("📍 Astana, May 21", False),
        ("Forwarded from Russian MFA 🇷🇺", False),
    ],
)
def test_clean_chrome_lines(line, removed):
    text = f"Before.\n{line}\nAfter."
    expected = "Before.\nAfter." if removed else text
    assert clean_chrome(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\n\nb", "a\n\nb"),
        ("a\n\n\nb", "a\n\nb"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("a\n \n\t\n\u00a0\nb", "a\n\nb"),
        ("a\nRead in full\n\n\nb", "a\n\nb"),
        ("", ""),
    ],
)
def test_clean_chrome_collapses_blank_lines(text, expected):
    assert clean_chrome(text) == expected


# ---------------------------------------------------------------------------------------------------------
# split_posts on the sample corpus
# ---------------------------------------------------------------------------------------------------------


def test_sample_dump_splits_into_20_posts():
    text = DUMP.read_text(encoding="utf-8")
    posts = split_posts(text)
    assert len(posts) == 20
    assert posts[0].startswith("🇷🇺🇨🇳 Russia's President Vladimir Putin and President of China Xi Jinping")
    assert posts[15].startswith("April 2 marks International Fact-Checking Day!")
    assert posts[17].startswith("#Announcement")
    assert posts[16] == posts[18]  # the Trofimov article, posted twice
    assert len(set(posts)) == 19
    for post in posts:
        assert post == post.strip() and post
        lines = post.split("\n")
        assert "Read in full" not in lines
        assert "VIEW IN TELEGRAM" not in lines
        assert not any(line.startswith("Forwarded") for line in lines)
        assert "\n\n\n" not in post
    # the channel's title, counters and description before the first header are not a post
    assert not any("subscribers" in p or "Russian Embassy in Lebanon" in p for p in posts)


def test_sample_dump_detailed_keeps_the_headers():
    posts = split_posts_detailed(DUMP.read_text(encoding="utf-8"))
    assert len(posts) == 20
    assert all(isinstance(p, Post) for p in posts)
    assert {p.header for p in posts} == {"Forwarded from Russian MFA 🇷🇺"}
    assert [p.text for p in posts] == split_posts(DUMP.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    ["000_ddb62feacabeceba.txt", "001_dda07da35933ed2a.txt", "002_98360eca84a13427.txt", "004_f62852831b2a3d99.txt"],
)
def test_sample_documents_are_not_dumps(name):
    text = (SAMPLE / name).read_text(encoding="utf-8")
    posts = split_posts_detailed(text)
    assert len(posts) == 1
    assert posts[0].header is None
    assert posts[0].text == clean_chrome(text).strip()


# ---------------------------------------------------------------------------------------------------------
# split_posts on synthetic dumps and non-dumps
# ---------------------------------------------------------------------------------------------------------

BODIES = [
    "Foreign Minister Sergey Lavrov met his counterpart in Astana to discuss the SCO agenda.",
    "The Ministry comments on the situation in the Middle East and calls for restraint.",
    "Deputy Minister held consultations on BRICS cooperation with colleagues from India.",
]


def test_telegram_desktop_copy_with_varying_timestamps():
    text = "\n\n".join(
        f"Russian MFA, [{ts}]\n{body}"
        for ts, body in zip(["12.05.24 14:33", "13.05.24 09:01", "02.06.24 18:45"], BODIES, strict=True)
    )
    posts = split_posts_detailed(text)
    assert [p.text for p in posts] == BODIES
    assert [p.header for p in posts] == [
        "Russian MFA, [12.05.24 14:33]",
        "Russian MFA, [13.05.24 09:01]",
        "Russian MFA, [02.06.24 18:45]",
    ]


def test_telegram_web_copy_with_text_after_the_colon():
    stamps = ["12.05.2024 14:33", "13.05.2024 9:01", "2.06.2024 18:45"]
    text = "\n".join(f"[{ts}] Russian MFA: {body}\n👍 12" for ts, body in zip(stamps, BODIES, strict=True))
    posts = split_posts_detailed(text)
    assert [p.text for p in posts] == BODIES
    assert posts[1].header == "[13.05.2024 9:01] Russian MFA:"


def test_header_lines_that_vary_only_in_their_digits():
    stamps = ["12.05.2024 14:33", "13.05.2024 09:01", "02.06.2024 18:45"]
    text = "TASS feed\n" + "\n".join(f"TASS | {ts}\n{body}" for ts, body in zip(stamps, BODIES, strict=True))
    assert split_posts(text) == BODIES


def test_identical_channel_lines_heading_each_post():
    text = "Embassy channel\n2.95K subscribers\n\n" + "\n".join(f"Russian Embassy in Lebanon\n{b}" for b in BODIES)
    assert split_posts(text) == BODIES


def test_two_forwarded_posts_are_a_dump():
    text = "Forwarded from\u00a0TASS\nFirst post about the SCO summit in Astana.\n" \
        "Forwarded from Russian MFA\nSecond post about the BRICS summit in Kazan."  # fmt: skip
    posts = split_posts_detailed(text)
    assert [p.header for p in posts] == ["Forwarded from TASS", "Forwarded from Russian MFA"]
    assert [p.text for p in posts] == [
        "First post about the SCO summit in Astana.",
        "Second post about the BRICS summit in Kazan.",
    ]


QA_INLINE = """Foreign Minister Sergey Lavrov's interview (3 July 2024, Astana)

Question: How were the talks with President of China?

Sergey Lavrov: Excellent. We share a complete understanding.

Question: What issues were discussed first?

Sergey Lavrov: The entire range of issues on our bilateral agenda and of our cooperation.

Question: Was the peace plan discussed?

Sergey Lavrov: These positions are well known. China firmly supports a peaceful settlement.
"""

QA_LABEL_LINES = "Interview with the Minister\n\n" + "".join(
    f"Question:\n{q}\nSergey Lavrov:\n{a}\n"
    for q, a in [
        ("How were the talks with the President of China, and what came first?", "Excellent, we agreed on all."),
        ("What issues were discussed in the first round of the consultations?", "The entire range of issues."),
        ("Was the Ukrainian settlement process discussed at the talks today?", "These positions are known."),
    ]
)

QA_BARE_LABELS = "Interview with the Minister\n" + "".join(
    f"Question\n{q}\nSergey Lavrov\n{a}\n"
    for q, a in [
        ("How were the talks with the President of China, and what came first?", "Excellent, we agreed on all."),
        ("What issues were discussed in the first round of the consultations?", "The entire range of issues."),
        ("Was the Ukrainian settlement process discussed at the talks today?", "These positions are known."),
    ]
)

TALKING_POINTS = "\n\n".join(
    f"Statement {i}\n\nKey talking points:\n\n• {b}\n• More detail on the matter at hand." for i, b in enumerate(BODIES)
)

REFRAIN = "\n\n".join(
    f"{b} And so we say again, together, to all who listen.\n\nWe will not forget" for b in BODIES
) + "\n\nThank you."

SHORT_ROWS = "Results\n" + "\n".join(f"{n}\nN/A" for n in ["Lebanon", "Syria", "Iraq", "Jordan"])


@pytest.mark.parametrize(
    "text", [QA_INLINE, QA_LABEL_LINES, QA_BARE_LABELS, TALKING_POINTS, REFRAIN, SHORT_ROWS],
    ids=["qa-inline", "qa-label-lines", "qa-bare-labels", "talking-points", "refrain", "short-rows"],
)
def test_documents_with_repeated_lines_are_not_split(text):
    posts = split_posts_detailed(text)
    assert posts == [Post(clean_chrome(text).strip(), None)]


@pytest.mark.parametrize("text", ["", "\n\n", "Read in full\n2\n👍41"])
def test_empty_after_cleaning_gives_no_post(text):
    assert split_posts(text) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Forwarded from X", "Question:", "Chan, [12.05.24 14:33]", "Read in full",
                                 "👍2", "", "Some content line here.", "Channel", "\u00a0"]), max_size=30)
       .map("\n".join))  # fmt: skip
def test_split_posts_never_fails_and_drops_empty_posts(text):
    posts = split_posts(text)
    assert all(p and p == p.strip() for p in posts)


SPEECH_VOCATIVES = "\n".join(
    f"Mr. President\n{b} We count on the General Assembly to act on this together." for b in BODIES
)
SPEECH_MARKDOWN = "**Mr President of the General Assembly,**\n\n" + "\n\n".join(
    f"**Mr President,**  \n{b}" for b in BODIES
)
PROSE_PREAMBLE = ("Opening remarks. " * 25).strip() + "\n" + "\n".join(f"Russian Embassy\n{b}" for b in BODIES)


@pytest.mark.parametrize(
    "text", [SPEECH_VOCATIVES, SPEECH_MARKDOWN, PROSE_PREAMBLE], ids=["vocatives", "markdown", "prose-preamble"]
)
def test_speeches_are_not_split(text):
    assert split_posts(text) == [clean_chrome(text).strip()]


def test_many_repeated_header_shapes_split_in_linear_time():
    # Thousands of header-like lines of different digit shapes ("aaa 1:00", "aab 1:00", …), each shape a
    # candidate kind of dump tried over the rest of the text, all refused at the end by a long first line:
    # 108 KB took 33 s to split before the kinds tried were capped.
    import itertools
    import string
    import time

    names = ["".join(p) for p in itertools.islice(itertools.product(string.ascii_lowercase, repeat=3), 4_000)]
    text = "x" * 301 + "\n" + "\n".join(f"{name} {rep + 1}:00" for rep in range(3) for name in names)
    start = time.perf_counter()
    posts = split_posts_detailed(text)
    assert time.perf_counter() - start < 3
    assert [p.header for p in posts] == [None]
