"""Tests for analysis.topics: TopicModel clusters, labels, map coordinates and edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from analysis.topics import (
    BOILERPLATE_WORDS,
    RUSSIAN_STOP_WORDS,
    STOP_WORDS,
    TopicModel,
    _c_tf_idf,
    stop_words,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"

SPACE = [
    "The rocket launch carried a satellite into orbit around the planet.",
    "Astronauts aboard the orbital station repaired the satellite antenna.",
    "A new rocket engine was tested before the launch to orbit.",
    "The space agency plans a crewed mission to the lunar orbit.",
    "Satellite images from orbit show the planet's polar ice.",
    "The lunar lander and its rocket reached orbit after launch.",
]
FOOD = [
    "Bake the bread dough in a hot oven until the crust is golden.",
    "The soup recipe needs fresh tomatoes, garlic and olive oil.",
    "Knead the dough, let the bread rise, then bake it in the oven.",
    "Add garlic and basil to the tomato sauce and simmer the soup.",
    "The baker sells fresh bread and pastry from a wood oven.",
    "Olive oil, garlic and tomatoes make a simple pasta sauce recipe.",
]
RUSSIAN = [
    "Саммит ШОС в Астане обсудил вопросы безопасности и сотрудничества в Евразии.",
    "Министры иностранных дел ШОС обсудили безопасность и сотрудничество в регионе.",
    "На саммите ШОС лидеры подписали декларацию о безопасности в Евразии.",
    "Урожай пшеницы в этом году вырос, фермеры собрали зерно раньше срока.",
    "Фермеры продают зерно и пшеницу на экспорт после богатого урожая.",
    "Урожай зерна и пшеницы позволил фермерам увеличить экспорт.",
]


def make_docs(texts: list[str], language: str = "en") -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts, "language": language})


def fitted(texts, **kwargs) -> TopicModel:
    return TopicModel(**kwargs).fit(make_docs(texts))


def test_two_obvious_topics_are_separated_and_labelled():
    model = fitted(SPACE + FOOD, n_clusters=2)
    labels = model.labels_
    assert len(set(labels[:6])) == 1 and len(set(labels[6:])) == 1
    assert labels[0] != labels[6]
    assert model.n_clusters_ == 2
    terms = dict(zip(model.clusters_["cluster_id"], model.clusters_["top_terms"], strict=True))
    assert {"orbit", "rocket", "satellite", "launch"} & set(terms[labels[0]][:3])
    assert {"bread", "oven", "garlic", "dough"} & set(terms[labels[6]][:3])
    assert model.silhouette_ is not None and -1 <= model.silhouette_ <= 1


def test_outputs_have_the_documented_shapes_and_types():
    model = fitted(SPACE + FOOD, n_clusters=2, n_terms=4)
    assert model.labels_.shape == (12,) and model.labels_.dtype == np.int64
    assert model.coords_.shape == (12, 2) and np.isfinite(model.coords_).all()
    assert list(model.clusters_.columns) == ["cluster_id", "label", "top_terms", "size"]
    assert model.clusters_["cluster_id"].tolist() == [0, 1]
    assert model.clusters_["size"].sum() == 12
    for label, terms in zip(model.clusters_["label"], model.clusters_["top_terms"], strict=True):
        assert len(terms) == 4
        assert label == " · ".join(terms[:3])


def test_cluster_ids_are_ordered_by_size():
    model = fitted(SPACE + FOOD[0:6:2], n_clusters=2)  # the bread-and-oven recipes
    sizes = model.clusters_["size"].tolist()
    assert sizes == sorted(sizes, reverse=True)
    assert sizes == [6, 3]
    assert (model.labels_[:6] == 0).all()


def test_fitting_twice_gives_identical_results():
    docs = make_docs(SPACE + FOOD + RUSSIAN)
    first, second = TopicModel(random_state=3).fit(docs), TopicModel(random_state=3).fit(docs)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    np.testing.assert_array_equal(first.coords_, second.coords_)
    pd.testing.assert_frame_equal(first.clusters_, second.clusters_)
    assert first.n_clusters_ == second.n_clusters_
    assert first.silhouette_ == second.silhouette_


@pytest.mark.parametrize("n_clusters", [1, 2, 3, 5])
def test_n_clusters_override(n_clusters):
    model = fitted(SPACE + FOOD, n_clusters=n_clusters)
    assert model.n_clusters_ == n_clusters
    assert sorted(set(model.labels_)) == list(range(n_clusters))
    assert len(model.clusters_) == n_clusters
    assert (model.silhouette_ is None) == (n_clusters == 1)


def test_n_clusters_larger_than_corpus_is_capped():
    model = fitted(SPACE[:3], n_clusters=10)
    assert model.n_clusters_ == 3


def test_automatic_k_stays_within_k_range():
    model = fitted(SPACE + FOOD + RUSSIAN, k_range=(2, 4))
    assert 2 <= model.n_clusters_ <= 4


@pytest.mark.parametrize(
    ("texts", "n_clusters", "labels"),
    [
        ([], None, []),
        (["The rocket reached orbit with a satellite."], None, [0]),
        (["The rocket reached orbit with a satellite.", "Bake bread dough in the oven."], None, [0, 0]),
        (["The rocket reached orbit with a satellite.", "Bake bread dough in the oven."], 2, None),
        (["", "   ", "2024 10 05"], None, [-1, -1, -1]),
        (["The rocket reached orbit.", "", "Photo"], None, [0, -1, -1]),
        (["the and of", "и в на"], None, [-1, -1]),
    ],
)
def test_tiny_and_empty_corpora(texts, n_clusters, labels):
    model = fitted(texts, n_clusters=n_clusters)
    assert model.labels_.shape == (len(texts),)
    assert model.coords_.shape == (len(texts), 2)
    if labels is not None:
        assert model.labels_.tolist() == labels
    else:
        assert sorted(model.labels_.tolist()) == [0, 1]
    assert model.n_clusters_ == len(set(model.labels_) - {-1})
    assert len(model.clusters_) == model.n_clusters_
    assert model.clusters_["size"].sum() == (model.labels_ >= 0).sum()
    assert np.isnan(model.coords_[model.labels_ == -1]).all()
    assert np.isfinite(model.coords_[model.labels_ >= 0]).all()


def test_empty_corpus_gives_empty_outputs_with_columns():
    model = TopicModel().fit(make_docs([]))
    assert model.n_clusters_ == 0 and model.silhouette_ is None
    assert list(model.clusters_.columns) == ["cluster_id", "label", "top_terms", "size"]
    assert model.coords_.shape == (0, 2)


def test_stop_words_numbers_and_boilerplate_never_become_terms():
    texts = [
        f"{text} Forwarded from the channel. Read full text. Photo, video, 100500 subscribers, 2024. "
        "Это было и будет так, что мы все здесь."
        for text in SPACE + FOOD
    ]
    model = fitted(texts, n_clusters=2, n_terms=20)
    terms = {t for terms in model.clusters_["top_terms"] for t in terms}
    assert not terms & STOP_WORDS
    assert not {t for t in terms if t[0].isdigit()}
    assert not terms & {"forwarded", "read", "full", "photo", "video", "subscribers", "channel"}


def test_russian_clusters_have_russian_content_terms():
    model = fitted(RUSSIAN, n_clusters=2)
    terms = {t for terms in model.clusters_["top_terms"] for t in terms}
    assert terms & {"шос", "безопасности", "пшеницы", "урожай", "зерно", "фермеры"}
    assert not terms & RUSSIAN_STOP_WORDS
    assert (model.labels_[:3] == model.labels_[0]).all() and (model.labels_[3:] == model.labels_[3]).all()


def test_stop_word_lists_have_the_expected_size():
    assert len(RUSSIAN_STOP_WORDS) >= 150
    assert {"the", "and", "и", "telegram"} <= STOP_WORDS and STOP_WORDS is stop_words()
    assert {"telegram", "forwarded", "subscribers", "view", "media"} <= BOILERPLATE_WORDS


def test_c_tf_idf_prefers_distinctive_terms_over_frequent_ones():
    # Columns: report, orbit, bread. "report" is the most frequent term of both clusters.
    counts = sparse.csr_matrix(np.array([[2, 1, 0], [2, 2, 0], [2, 0, 1], [2, 0, 2]], dtype=np.float32))
    scores = _c_tf_idf(counts, np.array([0, 0, 1, 1]), 2)
    assert scores.shape == (2, 3)
    assert scores[0].argmax() == 1 and scores[1].argmax() == 2
    # BERTopic's formula, by hand for cluster 0: tf / words * log(1 + A / f).
    average = (7 + 7) / 2
    assert scores[0, 0] == pytest.approx(4 / 7 * np.log1p(average / 8))
    assert scores[0, 1] == pytest.approx(3 / 7 * np.log1p(average / 3))
    assert scores[0, 2] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"n_clusters": 0},
            r"The 'n_clusters' parameter of TopicModel must be an integer >= 1 or None; got 0",
        ),
        ({"n_clusters": 2.5}, r"The 'n_clusters' parameter of TopicModel must be an integer >= 1 or None"),
        (
            {"k_range": (1, 5)},
            r"The 'k_range' parameter of TopicModel must be a pair of integers \(low, high\)",
        ),
        ({"k_range": (6, 3)}, r"2 <= low <= high; got \(6, 3\) instead"),
        ({"n_terms": 0}, r"The 'n_terms' parameter of TopicModel must be an integer >= 1; got 0"),
        ({"min_df": -1}, r"The 'min_df' parameter of TopicModel must be an integer >= 1; got -1"),
    ],
)
def test_bad_parameters_are_rejected_at_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TopicModel(**kwargs).fit(make_docs(SPACE))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"TopicModel.fit needs the columns .*\['language'\] are missing"):
        TopicModel().fit(pd.DataFrame({"doc_id": ["a"], "text": ["x"]}))


@pytest.mark.corpora
def test_clusters_follow_the_source_on_un_speeches_and_kremlin_news():
    ungdc = CORPORA / "ungdc" / "txt"
    kremlin = CORPORA / "kremlin_en" / "kremlin_putin_en.csv"
    if not ungdc.is_dir() or not kremlin.is_file():
        pytest.skip(f"../shared/corpora not found: expected {ungdc} and {kremlin}")
    from sklearn.metrics import adjusted_rand_score

    speeches = sorted(
        p for p in ungdc.glob("*/*.txt") if p.name[:4] in {"RUS_", "USA_", "GBR_", "FRA_", "CHN_"}
    )
    speeches = speeches[:: max(1, len(speeches) // 150)][:150]
    news = pd.read_csv(kremlin).dropna(subset=["body"]).head(150)["body"].tolist()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in speeches] + news
    truth = [0] * len(speeches) + [1] * len(news)
    model = TopicModel(n_clusters=2).fit(make_docs(texts))
    assert adjusted_rand_score(truth, model.labels_) >= 0.8


@pytest.mark.parametrize(("n_docs", "expected"), [(1, (2, 12)), (199, (2, 12)), (200, (4, 16)), (11000, (6, 20))])
def test_automatic_k_range_grows_with_the_corpus(n_docs, expected):
    from analysis.topics import _auto_k_range

    assert _auto_k_range(n_docs) == expected


def test_a_word_frequent_in_every_cluster_does_not_lead_the_labels():
    texts = [t + " Development, development and development." for t in SPACE + FOOD]
    model = fitted(texts, n_clusters=2)
    for terms in model.clusters_["top_terms"]:
        assert "development" not in terms[:3]
    heads = [set(t[:3]) for t in model.clusters_["top_terms"]]
    space, food = {"rocket", "satellite", "orbit", "launch"}, {"bread", "dough", "oven", "bake"}
    assert sorted(bool(h & space) for h in heads) == [False, True]
    assert sorted(bool(h & food) for h in heads) == [False, True]


def test_terms_may_hold_digits_after_a_letter():
    texts = [t + " The G20 summit." for t in SPACE] + FOOD
    model = fitted(texts, n_clusters=2, n_terms=30)
    terms = {t for terms in model.clusters_["top_terms"] for t in terms}
    assert "g20" in terms


def _topic_texts(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """``n`` short texts drawn from two vocabularies (space, food), with the topic of each."""
    rng = np.random.RandomState(seed)
    words = [" ".join(SPACE).lower().split(), " ".join(FOOD).lower().split()]
    topics = rng.randint(0, 2, size=n).tolist()
    return [" ".join(rng.choice(words[t], size=12)) for t in topics], topics


@pytest.mark.parametrize("texts", [SPACE + FOOD + RUSSIAN, _topic_texts(40)[0] + ["", "2024", "Photo video"]])
@pytest.mark.parametrize(("min_df", "max_df"), [(1, 1.0), (2, 0.95), (3, 0.5)])
def test_term_counts_match_count_vectorizer(texts, min_df, max_df):
    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.topics import TOKEN_PATTERN, _learn_counts

    terms, counts = _learn_counts(texts, min_df=min_df, max_df=max_df, max_features=50_000)
    vectorizer = CountVectorizer(token_pattern=TOKEN_PATTERN, min_df=min_df, max_df=max_df)
    expected = vectorizer.fit_transform(texts)
    names = vectorizer.get_feature_names_out()
    keep = [i for i, name in enumerate(names) if name not in STOP_WORDS]
    assert terms.tolist() == names[keep].tolist()
    np.testing.assert_array_equal(counts.toarray(), expected[:, keep].toarray())


def test_max_features_keeps_the_most_frequent_terms():
    from analysis.topics import _learn_counts

    texts = ["orbit orbit orbit rocket rocket bread", "orbit rocket rocket bread oven", "orbit oven"]
    terms, counts = _learn_counts(texts, min_df=1, max_df=1.0, max_features=2)
    assert terms.tolist() == ["orbit", "rocket"]  # 5 and 4 uses; "bread" and "oven" 2 each
    assert counts.toarray().tolist() == [[3, 2], [1, 2], [1, 0]]


@pytest.mark.parametrize(("n_docs", "fit_size"), [(30, 30), (30, 20), (61, 25), (200, 40)])
def test_documents_beyond_the_fitting_sample_are_assigned(n_docs, fit_size):
    texts, topics = _topic_texts(n_docs, seed=n_docs)
    model = fitted(texts, n_clusters=2, max_fit_documents=fit_size)
    assert len(model.fit_rows_) == min(n_docs, fit_size)
    assert (np.diff(model.fit_rows_) > 0).all()
    assert (model.labels_ >= 0).all() and np.isfinite(model.coords_).all()
    # Each topic's documents in one cluster, those outside the sample included.
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(topics, model.labels_) == 1.0
    assert model.clusters_["size"].tolist() == sorted(np.bincount(model.labels_).tolist(), reverse=True)


def test_an_assigned_document_lands_where_its_copy_in_the_sample_is():
    texts, _ = _topic_texts(120, seed=7)
    model = fitted(texts + texts, n_clusters=3, max_fit_documents=100)
    inside = set(model.fit_rows_.tolist())
    pairs = [(i, i + 120) for i in range(120) if (i in inside) != (i + 120 in inside)]
    assert pairs  # the sample holds one copy of some texts and not the other
    for a, b in pairs:
        assert model.labels_[a] == model.labels_[b]
        np.testing.assert_allclose(model.coords_[a], model.coords_[b], atol=1e-9)


def test_chunk_size_does_not_change_the_result(monkeypatch):
    import analysis.topics as topics

    texts, _ = _topic_texts(150, seed=3)
    first = fitted(texts, max_fit_documents=50)
    monkeypatch.setattr(topics, "_CHUNK", 7)
    second = fitted(texts, max_fit_documents=50)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    # The map coordinates are float32 products summed per chunk: the chunking moves them by ~1e-7 at most.
    np.testing.assert_allclose(first.coords_, second.coords_, rtol=1e-5, atol=1e-6)
    pd.testing.assert_frame_equal(first.clusters_, second.clusters_)


def test_the_fitting_sample_follows_the_seed():
    texts, _ = _topic_texts(100, seed=1)
    a, b, c = (fitted(texts, max_fit_documents=30, random_state=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.fit_rows_, b.fit_rows_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.fit_rows_.tolist() != c.fit_rows_.tolist()


def test_max_fit_documents_below_the_small_corpus_size_is_rejected():
    with pytest.raises(ValueError, match=r"The 'max_fit_documents' parameter of TopicModel must be an integer >= 20"):
        TopicModel(max_fit_documents=5).fit(make_docs(SPACE))


def test_the_dashboard_and_the_query_layer_import_without_scikit_learn():
    # scikit-learn takes about a second to import; the dashboard's first load must not pay it (a fitted model
    # is only read, and its stop words are needed by the first surge's words, imported then).
    import subprocess
    import sys

    code = ("import sys, analysis.topics, analysis.term_store, analysis.topic_state, analysis.panels, dashboard.app; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
