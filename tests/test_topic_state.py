"""Tests for analysis.topic_state: a fitted topic model saved, checked on load, and assigning new texts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.topic_state import FORMAT, TopicState, TopicStateError
from analysis.topics import TopicModel

THEMES = (
    ("rocket", "orbit", "satellite", "launch", "lunar", "station"),
    ("bread", "oven", "garlic", "tomato", "soup", "recipe"),
    ("tariff", "market", "trade", "export", "growth", "economy"),
)


def _documents(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    texts = [" ".join(rng.choice(THEMES[i % 3], 10)) + " and the news" for i in range(n)]
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": texts, "language": "en"})


@pytest.fixture(scope="module")
def fitted():
    docs = _documents(90)
    return docs, TopicModel(max_fit_documents=45).fit(docs)


def test_assign_gives_what_fit_gave_the_documents_it_was_not_fitted_on(fitted, tmp_path):
    docs, model = fitted
    state = TopicState.load(TopicState.from_model(model).save(tmp_path / "topic_model.npz"))
    labels, coords = state.assign(docs)
    rest = np.setdiff1d(np.arange(len(docs)), model.fit_rows_)
    assert len(rest) == 45 and model.n_clusters_ == 3
    np.testing.assert_array_equal(labels[rest], model.labels_[rest])
    np.testing.assert_allclose(coords[rest], model.coords_[rest])


def test_a_new_text_goes_to_the_cluster_of_its_theme(fitted):
    docs, model = fitted
    state = TopicState.from_model(model)
    new = pd.DataFrame({"text": ["The rocket launch put a satellite in lunar orbit", "SCO", ""]})
    labels, coords = state.assign(new)
    rocket = model.labels_[0]  # document 0 is about rockets
    assert labels.tolist() == [rocket, -1, -1]  # too few known terms: in no cluster, off the map
    assert np.isfinite(coords[0]).all() and np.isnan(coords[1:]).all()


@pytest.mark.parametrize("texts, clusters", [
    ([], 0),  # an empty corpus: no cluster
    (["only numbers 2024 1999"] * 3, 0),
    (["rocket orbit launch", "rocket orbit satellite"], 1),  # one cluster: no centroids
])
def test_degenerate_models_round_trip(texts, clusters, tmp_path):
    docs = pd.DataFrame({"doc_id": [str(i) for i in range(len(texts))], "text": texts, "language": "en"})
    model = TopicModel().fit(docs)
    assert model.n_clusters_ == clusters
    state = TopicState.load(TopicState.from_model(model).save(tmp_path / "m.npz"))
    labels, _ = state.assign(docs)
    np.testing.assert_array_equal(labels, model.labels_)


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


def _arrays(model) -> dict:
    state = TopicState.from_model(model)
    out = {"format": np.array(FORMAT), "n_clusters": np.array(state.n_clusters),
           "terms": np.frombuffer("\n".join(state.terms).encode(), dtype=np.uint8)}
    for name in ("idf", "components", "centroids", "map_mean", "map_axes"):
        out[name] = getattr(state, name)
    return out


@pytest.mark.parametrize("change, match", [
    (lambda a: a.pop("terms"), r"has no 'terms' array"),
    (lambda a: a.update(format=np.array(FORMAT + 1)), r"of format 2; this version reads format 1"),
    (lambda a: a.update(idf=a["idf"][:-1]), r"idf must have one weight per term"),
    (lambda a: a.update(centroids=a["centroids"][:2]), r"centroids must be \(3, "),
    (lambda a: a.update(map_mean=np.full_like(a["map_mean"], np.nan)), r"'map_mean' holds values that are not finite"),
    (lambda a: a.update(idf=a["idf"].astype(np.int64)), r"'idf' must hold floats; got int64"),
    (lambda a: a.update(extra=np.zeros(2)), r"holds unknown arrays \['extra'\]"),
    (lambda a: a.update(n_clusters=np.array([3, 3])), r"'n_clusters' must be one integer"),
])
def test_a_damaged_file_is_refused_with_what_is_wrong(fitted, tmp_path, change, match):
    arrays = _arrays(fitted[1])
    change(arrays)
    with pytest.raises(TopicStateError, match=match):
        TopicState.load(_write(tmp_path / "m.npz", **arrays))


def test_object_arrays_are_never_unpickled(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, format=np.array(FORMAT), n_clusters=np.array(0), terms=np.array([{"a": 1}], dtype=object))
    with pytest.raises(TopicStateError, match="cannot be read as a topic model .*allow_pickle"):
        TopicState.load(path)


def test_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"not an archive")
    with pytest.raises(TopicStateError, match="is not a readable topic model file"):
        TopicState.load(path)


def test_from_model_needs_a_fitted_model():
    with pytest.raises(TypeError, match="expects a fitted TopicModel"):
        TopicState.from_model(TopicModel())
