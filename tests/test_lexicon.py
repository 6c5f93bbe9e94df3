"""Tests for analysis.lexicon: the bundled dictionaries and the validation of user files."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from analysis.lexicon import CATEGORIES, DATA_DIR, Lexicon, LexiconError, load_lexicon, validate_pattern

REQUIRED_THEMES = ["multipolarity", "eurasian_security", "ngos"]
REQUIRED_ORGANISATIONS = [
    "SCO", "BRICS", "CSTO", "CIS", "EAEU", "UN", "OSCE", "NATO", "EU", "ASEAN", "UNESCO", "ECOSOC", "CICA",
    "GCC", "CELAC", "AU", "Union State", "G20", "G7", "OPEC", "WHO", "WTO", "IAEA", "OPCW", "UNSC", "UNGA",
    "Council of Europe", "OIC", "Arab League", "APEC", "IMF", "World Bank", "NDB", "ICC", "UNHRC", "OHCHR",
    "FAO", "UNICEF", "UNHCR", "UNRWA", "ICRC", "UNAOC", "EurAsEC", "Interpol", "SCO RATS",
]  # fmt: skip

THEME_OK = """
[[theme]]
key = "alpha"
label = "Alpha"
description = "The first theme."
en = ["alpha*"]
"""


@pytest.fixture(scope="module")
def bundled() -> Lexicon:
    return load_lexicon()


def _write(tmp_path, text, name="themes.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------- the bundled files


def test_bundled_sizes(bundled):
    assert len(bundled.themes) >= 15
    assert len(bundled.organisations) >= 40


def test_bundled_files_live_in_the_data_folder():
    assert (DATA_DIR / "themes.toml").is_file()
    assert (DATA_DIR / "organisations.toml").is_file()
    assert DATA_DIR.name == "data"


@pytest.mark.parametrize("key", REQUIRED_THEMES)
def test_required_themes(bundled, key):
    assert key in {e.key for e in bundled.themes}


@pytest.mark.parametrize("key", REQUIRED_ORGANISATIONS)
def test_required_organisations(bundled, key):
    assert key in {e.key for e in bundled.organisations}


def test_bundled_entries_are_well_formed(bundled):
    for entry in bundled.organisations:
        assert entry.category in CATEGORIES, entry.key
        assert entry.kind == "organisation"
    for entry in bundled.themes:
        assert entry.kind == "theme"
        assert entry.description and "\n" not in entry.description
        assert entry.en and entry.ru, f"theme {entry.key} needs English and Russian patterns"
    for entry in bundled.entries:
        assert entry.line is not None and entry.line > 0


def test_entities_table(bundled):
    table = bundled.entities()
    assert list(table.columns) == ["kind", "key", "label", "category", "description"]
    assert len(table) == len(bundled.themes) + len(bundled.organisations)
    sco = table[table["key"] == "SCO"].iloc[0]
    assert (sco["kind"], sco["label"], sco["category"]) == (
        "organisation",
        "Shanghai Cooperation Organisation",
        "security",
    )
    assert set(table.loc[table["kind"] == "theme", "category"].isna()) == {True}


def test_fingerprint_is_stable_and_follows_content(tmp_path, bundled):
    assert bundled.fingerprint() == load_lexicon().fingerprint()
    assert len(bundled.fingerprint()) == 64
    a = load_lexicon(_write(tmp_path, THEME_OK, "a.toml"))
    # Same content at other lines and in another file: same fingerprint.
    b = load_lexicon(_write(tmp_path, "\n\n" + THEME_OK, "b.toml"))
    c = load_lexicon(_write(tmp_path, THEME_OK.replace('"alpha*"', '"alpha*", "beta"'), "c.toml"))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_fingerprint_ignores_what_is_only_shown(tmp_path, bundled):
    """Labels, descriptions and categories name an entry; they find no mention: a relabelled dictionary
    keeps its fingerprint (an update of a build made with the other is not refused)."""
    a = load_lexicon(_write(tmp_path, THEME_OK, "a.toml"))
    relabelled = THEME_OK.replace('label = "', 'label = "Renamed ', 1).replace('description = "', 'description = "New ', 1)
    assert relabelled != THEME_OK
    assert load_lexicon(_write(tmp_path, relabelled, "b.toml")).fingerprint() == a.fingerprint()


def test_users_own_themes_file_replaces_the_bundled_one(tmp_path, bundled):
    lexicon = load_lexicon(themes_path=_write(tmp_path, THEME_OK))
    assert [e.key for e in lexicon.themes] == ["alpha"]
    assert lexicon.themes[0].line == 2  # the `key = ...` line
    assert lexicon.organisations == bundled.organisations


# ------------------------------------------------------------------------------- errors


def test_malformed_toml_names_file_and_line(tmp_path):
    path = _write(
        tmp_path,
        """
        [[theme]]
        key = "alpha"
        label = "Alpha"
        description "missing equals sign"
        en = ["alpha"]
        """,
    )
    with pytest.raises(LexiconError, match=r"themes file '.*themes\.toml' is not valid TOML: .*line 4"):
        load_lexicon(themes_path=path)


def test_lexicon_error_is_a_value_error():
    assert issubclass(LexiconError, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(LexiconError, match=r"organisations file '.*nope\.toml' does not exist"):
        load_lexicon(organisations_path=tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # missing label: the entry's key and line are named
            """
            [[theme]]
            key = "alpha"
            label = "Alpha"
            description = "A."
            en = ["alpha"]

            [[theme]]
            key = "beta"
            description = "B."
            en = ["beta"]
            """,
            r"theme #2 \(key 'beta'\) at line 8: the field 'label' is missing or empty",
        ),
        (  # missing key: the [[theme]] header's line
            """
            [[theme]]
            label = "Alpha"
            description = "A."
            en = ["alpha"]
            """,
            r"theme #1 at line 1: the field 'key' is missing or empty",
        ),
        (
            THEME_OK + THEME_OK.replace('"Alpha"', '"Alpha again"'),
            r"key 'alpha'\) at line 2: duplicate key 'alpha' \(first defined at line 2\)",
        ),
        (
            THEME_OK.replace('en = ["alpha*"]', 'en = ["alpha*"]\npatterns = ["x"]'),
            r"key 'alpha'\) at line 2: unknown field\(s\) \['patterns'\]",
        ),
        (
            THEME_OK.replace('en = ["alpha*"]', "en = []\nru = []"),
            r"key 'alpha'\) at line 2: no patterns",
        ),
        (THEME_OK.replace('en = ["alpha*"]', ""), r"no patterns"),
        (THEME_OK.replace('"alpha*"', '""'), r"in 'en', a pattern must not be empty"),
        (THEME_OK.replace('"alpha*"', '"al*pha"'), r"in 'en', pattern 'al\*pha' is not valid"),
        (
            THEME_OK.replace('"alpha*"', '"alpha"', 1).replace('en = ["alpha"]', 'en = "alpha"'),
            r"must be a list of strings",
        ),
        (THEME_OK.replace('"alpha*"', "1"), r"a pattern must be a string"),
        ('title = "x"\n' + THEME_OK, r"must hold only \[\[theme\]\] tables; got top-level \['title'\]"),
        ('title = "x"\n', r"must hold only \[\[theme\]\] tables"),
        ("", r"has no \[\[theme\]\] entries"),
    ],
)
def test_schema_errors(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(LexiconError, match=message) as info:
        load_lexicon(themes_path=path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('category = "military"', r"the 'category' must be one of \['security', .*got 'military' instead"),
        ('category = "security"\nhashtags = ["ZZ"]', r"every hashtag must start with '#'"),
    ],
)
def test_organisation_schema_errors(tmp_path, extra, message):
    path = _write(
        tmp_path,
        f"""
        [[organisation]]
        key = "ZZ"
        label = "Zed Zed"
        acronyms = ["ZZ"]
        {extra}
        """,
        "orgs.toml",
    )
    with pytest.raises(LexiconError, match=message):
        load_lexicon(organisations_path=path)


def test_organisation_needs_a_category(tmp_path):
    path = _write(tmp_path, '[[organisation]]\nkey = "ZZ"\nlabel = "Zed"\nacronyms = ["ZZ"]\n', "orgs.toml")
    with pytest.raises(LexiconError, match=r"organisation #1 \(key 'ZZ'\) at line 2: the field 'category'"):
        load_lexicon(organisations_path=path)


def test_themes_may_not_carry_hashtags(tmp_path):
    path = _write(tmp_path, THEME_OK + 'hashtags = ["#alpha"]\n')
    with pytest.raises(LexiconError, match=r"unknown field\(s\) \['hashtags'\]"):
        load_lexicon(themes_path=path)


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("multipolar*", True),
        ("multipolar world order", True),
        ("non?governmental", True),
        ("neo-Nazi*", True),
        ("#UnionState", True),
        ("U.N.", True),
        ("Children's Fund", True),
        ("Шанхайск* организаци* сотрудничеств*", True),
        ("OPEC+", True),
        ("", False),
        ("   ", False),
        (" leading", False),
        ("multi*polar", False),
        ("*polar", False),
        ("a#b", False),
        ("x", False),  # a 1-character start would make the scan slow
        ("a (b)", False),
        ("two  spaces", True),
    ],
)
def test_validate_pattern(pattern, ok):
    assert (validate_pattern(pattern) is None) is ok


# ------------------------------------------------------------------------------- context tables and date ranges


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[theme.context]]\nen = ["beta"]\n', r"context table #1, it sets no condition"),
        ('[[theme.context]]\ncues = ["xy"]\n', r"context table #1, no patterns"),
        ('[[theme.context]]\nen = ["beta"]\ncues = ["xy"]\nwindow = 0\n', r"'window' must be a whole number of words from 1 to 50; got 0"),
        ('[[theme.context]]\nen = ["beta"]\ncues = ["xy"]\nwindow = true\n', r"'window' must be a whole number"),
        ('[[theme.context]]\nen = ["beta"]\nnot_after_name = "yes"\n', r"'not_after_name' must be true or false; got 'yes'"),
        ('[[theme.context]]\nen = ["beta"]\ncues = ["xy"]\nnear = ["y"]\n', r"unknown field\(s\) \['near'\]"),
        ('[[theme.context]]\nen = ["beta"]\ncues = ["x*y"]\n', r"in context table #1, in 'cues', pattern 'x\*y' is not valid"),
        ('[[theme.context]]\nen = ["beta"]\nunless = "xy"\n', r"the field 'unless' must be a list of strings"),
        ('context = ["x"]\n', r"'context' must be a list of tables"),
        ('from = "soon"\n', r"'from' must be a year \(1997\) or a date \(1997-06-20\); got 'soon'"),
        ('from = 2001\nuntil = 1999\n', r"'from' \(2001-01-01\) is after 'until' \(1999-12-31\)"),
        ('until = true\n', r"'until' must be a year"),
    ],
)  # fmt: skip
def test_context_and_date_errors(tmp_path, extra, message):
    # The extra lines go after the entry's own fields (a TOML sub-table must come last).
    path = _write(tmp_path, THEME_OK.replace('en = ["alpha*"]', 'en = ["alpha*"]\n' + extra))
    with pytest.raises(LexiconError, match=message) as info:
        load_lexicon(themes_path=path)
    assert "key 'alpha'" in str(info.value)


@pytest.mark.parametrize(
    ("fields", "date_from", "date_until"),
    [
        ("from = 1997", dt.date(1997, 1, 1), None),
        ("until = 1990", None, dt.date(1990, 12, 31)),
        ("from = 1988-06-01\nuntil = 1990-12-31", dt.date(1988, 6, 1), dt.date(1990, 12, 31)),
        ('from = "1999-09-26"', dt.date(1999, 9, 26), None),
    ],
)
def test_date_ranges(tmp_path, fields, date_from, date_until):
    path = _write(tmp_path, THEME_OK + fields + "\n")
    entry = load_lexicon(themes_path=path).themes[0]
    assert (entry.date_from, entry.date_until) == (date_from, date_until)


def test_a_context_table_is_enough_and_its_patterns_count(tmp_path):
    text = THEME_OK.replace('en = ["alpha*"]', "") + '[[theme.context]]\nen = ["beta"]\ncues = ["gamma"]\nwindow = 4\n'
    entry = load_lexicon(themes_path=_write(tmp_path, text)).themes[0]
    assert entry.en == () and entry.patterns == ("beta",)
    assert entry.contexts[0].cues == ("gamma",) and entry.contexts[0].window == 4


def test_bundled_dictionaries_use_contexts_and_date_ranges(bundled):
    by_key = {e.key: e for e in bundled.entries}
    assert by_key["G8"].date_from == dt.date(1997, 1, 1)
    assert by_key["G20"].date_from == dt.date(1999, 1, 1)
    assert any("Security Council" in c.acronyms and c.not_after_name for c in by_key["UNSC"].contexts)
    assert "energy" not in by_key["energy"].en  # bare "energy" only in context
