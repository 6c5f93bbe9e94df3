"""Topic clusters of documents: TF-IDF, KMeans on an SVD-reduced space, c-TF-IDF labels and a 2-D map."""

from __future__ import annotations

import functools
import numbers
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

# scikit-learn (about 1 s to import, most of it scipy.stats) is imported where a model is fitted or a stop
# word looked up, not with this module: the dashboard imports it for TermCounts and reads no model.

__all__ = [
    "BOILERPLATE_WORDS", "RUSSIAN_STOP_WORDS", "TOKEN_PATTERN", "TermCounts", "TopicModel", "count_terms", "stop_words",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common Russian function words (pronouns, prepositions, conjunctions, particles, auxiliaries).
RUSSIAN_STOP_WORDS = _words(
    """
    а авось ага без более больше будем будет будете будешь буду будут будучи будь бы был была были было быть
    в вам вами вас ваш ваша ваше ваши вдруг ведь во вот впрочем все всё всего всех всю вся всё вы где да даже
    для до его ее её ей ему если есть еще ещё же за зато здесь и из или им ими их к как какая какие каким
    какой каких когда кого кое кой который которая которое которые которых котором которой ком кто куда ли
    либо лишь меж между меня мне мной много может можно мой моя мое моё мои мы на над надо наш наша наше наши
    не него нее неё ней нельзя нем нём нет ни нибудь никогда ним ними них ничего но ну о об однако он она
    они оно от очень по под после потом потому почти при про раз разве с сам сама сами само свое своё свои
    свой своя себе себя сейчас со совсем так также такая такие такой там те тебе тебя тем теперь то тогда
    того тоже той только том тот ту ты у уже хоть хотя чего чей чем через что чтоб чтобы чуть эта эти этим
    этих это этого этой этом этот эту я является являются бывает именно кроме около пока поэтому причем
    притом сквозь среди ради вокруг вне вместо внутри сверх напротив вслед всегда иногда нужно будто словно
    точно якобы итак также тоже еще уж вон пусть пускай даже лишь вообще свою своей своих своим своими
    """
)
# Words that channel pages, reposts and media captions add to nearly every post.
BOILERPLATE_WORDS = _words(
    """
    read full forwarded forward telegram view views media subscribers subscriber subscribe photo photos
    video videos channel join link links click post posts reply replies pinned message messages share
    comments comment http https www com ru org html
    читать полностью подписаться подписчики подписчиков подпишитесь канал канала фото видео переслано
    пересланное источник смотреть ссылка ссылке
    """
)


@functools.cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words, :data:`RUSSIAN_STOP_WORDS` and :data:`BOILERPLATE_WORDS`: the words
    no topic label, surge word or stored term count keeps (``STOP_WORDS``, made on first use)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | RUSSIAN_STOP_WORDS | BOILERPLATE_WORDS


def __getattr__(name: str):
    if name == "STOP_WORDS":  # made on first use: it needs scikit-learn
        return stop_words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Runs of two or more letters of any script: numbers ("2024") and underscores are dropped, and a token
# mixing letters and digits keeps only its letters ("covid19" -> "covid").
# Words of two or more characters that start with a letter: "G20" and "covid19" are terms, "2024" is not.
TOKEN_PATTERN = r"(?u)[^\W\d_][^\W_]+"

_SMALL_CORPUS = 20  # below this many documents, keep terms that occur in a single document
_MIN_TERMS = 2  # a document with fewer distinct terms (after stop words) is in no cluster
_SILHOUETTE_SAMPLE = 2000
_N_INIT = 3
_N_INIT_SMALL = 10
_SMALL_FOR_KMEANS = 1000
_MAX_DIMENSIONS = 100
# The vocabulary, IDF, SVD, KMeans and map axes are fitted on a fixed-seed sample of at most this many
# documents; the others are assigned in chunks, so a larger archive costs one tokenising pass more, not a
# larger fit. Why 20,000: it gives each of at most 20 clusters about 1,000 members on average in a space of
# 100 dimensions, where KMeans' centroids and the silhouette's choice of k (itself made on 2,000 rows) are
# long stable; a term that a sample this size sees fewer than twice is too rare to lead a cluster's label
# (labels are computed over every document, not the sample); and it holds every corpus this project has
# met whole (the UN General Debate has 10,952 speeches), which are then clustered exactly as before.
_FIT_DOCUMENTS = 20_000
_CHUNK = 5_000  # documents assigned at a time (bounds the memory of the assignment pass)
# Silhouette on TF-IDF favours the fewest clusters; on a large corpus two or three clusters say little, so
# the automatic search starts higher as the corpus grows: (documents below, k_range).
_AUTO_K_RANGES = ((200, (2, 12)), (2000, (4, 16)), (None, (6, 20)))
_TOKEN = re.compile(TOKEN_PATTERN)


def _auto_k_range(n_docs: int) -> tuple[int, int]:
    for limit, k_range in _AUTO_K_RANGES:
        if limit is None or n_docs < limit:
            return k_range
    raise AssertionError("unreachable")


_CLUSTER_COLUMNS = ("cluster_id", "label", "top_terms", "size")


def _check_int(name: str, value, low: int, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        expected = f"an integer >= {low}" + (" or None" if allow_none else "")
        raise ValueError(f"The {name!r} parameter of TopicModel must be {expected}; got {value!r} instead.")


def _empty_clusters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster_id": pd.Series([], dtype="int64"),
            "label": pd.Series([], dtype="str"),
            "top_terms": pd.Series([], dtype=object),
            "size": pd.Series([], dtype="int64"),
        }
    )


def _token_counts(text: str) -> Counter:
    # Counter over findall's list counts in C: several times faster than CountVectorizer's per-token loop.
    return Counter(_TOKEN.findall(text.lower()))


class TermCounts(NamedTuple):
    """The term counts of a batch of texts, as :func:`count_terms` makes them (picklable, so that another
    process can count): ``terms`` the batch's own terms in first-seen order, and per text the CSR parts
    ``indices`` (into ``terms``), ``values`` (counts) and ``indptr`` (``len(texts) + 1`` offsets)."""

    terms: list[str]
    indices: np.ndarray
    values: np.ndarray
    indptr: np.ndarray


def count_terms(texts: list[str]) -> TermCounts:
    """Count the tokens of ``texts`` (lower-cased, ``TOKEN_PATTERN``, stop words kept): the work of the fit's
    tokenising pass, which may run in another process on any batch of the sample; ``fit_sample(counts=…)``
    merges the batches, with the same result as ``fit_sample(texts)``."""
    local: defaultdict[str, int] = defaultdict()
    local.default_factory = local.__len__  # a new term gets the next index, all in C
    indices, values, indptr = [], [], [0]
    for text in texts:
        counts = _token_counts(text)
        indices.append(np.fromiter(map(local.__getitem__, counts), dtype=np.int32, count=len(counts)))
        values.append(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        indptr.append(indptr[-1] + len(counts))
    return TermCounts(
        list(local),
        np.concatenate(indices) if indices else np.zeros(0, np.int32),
        np.concatenate(values) if values else np.zeros(0, np.float32),
        np.asarray(indptr, dtype=np.int64),
    )


def _learn_counts(texts: list[str], *, min_df: int, max_df: float, max_features: int):
    """Term counts of ``texts`` and their vocabulary, the way ``CountVectorizer(lowercase=True,
    token_pattern=TOKEN_PATTERN, min_df=min_df, max_df=max_df)`` finds them, then without stop words and
    cut to the ``max_features`` most frequent terms (see :func:`_learn_from_batches`)."""
    return _learn_from_batches([count_terms(texts)], min_df=min_df, max_df=max_df, max_features=max_features)


def _learn_from_batches(batches: Iterable[TermCounts], *, min_df: int, max_df: float, max_features: int):
    """:func:`_learn_counts` of the texts that ``batches`` (from :func:`count_terms`, in order) counted.

    The result does not depend on how the texts were cut into batches: the vocabulary is sorted, and the
    counts of each text are the same whatever index a term had while counting.

    Returns:
        (terms, counts): the vocabulary sorted (array of str) and a float32 CSR matrix (documents x terms),
        or (None, None) when no term is left.
    """
    provisional: defaultdict[str, int] = defaultdict()
    provisional.default_factory = provisional.__len__
    indices, values, indptr, offset = [], [], [np.zeros(1, np.int64)], 0
    for batch in batches:
        ids = np.fromiter(map(provisional.__getitem__, batch.terms), dtype=np.int32, count=len(batch.terms))
        indices.append(ids[batch.indices])
        values.append(batch.values)
        indptr.append(batch.indptr[1:] + offset)
        offset += int(batch.indptr[-1])
    if not provisional:
        return None, None
    indptr = np.concatenate(indptr)
    n_docs = len(indptr) - 1
    all_indices = np.concatenate(indices)
    counts = sparse.csr_matrix(
        (np.concatenate(values), all_indices, indptr),
        shape=(n_docs, len(provisional)),
    )
    names = np.array(list(provisional), dtype=object)  # in index order
    document_frequency = np.bincount(all_indices, minlength=len(names))
    keep = (document_frequency >= min_df) & (document_frequency <= max_df * n_docs)
    stop = stop_words()
    keep &= np.fromiter((name not in stop for name in names), dtype=bool, count=len(names))
    keep = np.flatnonzero(keep)
    keep = keep[np.argsort(names[keep], kind="stable")]  # alphabetical, as CountVectorizer's vocabulary
    if len(keep) > max_features:  # the most frequent; ties keep the alphabetical order
        frequency = np.asarray(counts[:, keep].sum(axis=0), dtype=np.float64).ravel()
        keep = np.sort(keep[np.argsort(-frequency, kind="stable")[:max_features]])
        keep = keep[np.argsort(names[keep], kind="stable")]
    if len(keep) == 0:
        return None, None
    counts = counts[:, keep].tocsr()
    counts.sort_indices()
    return names[keep], counts


def _fixed_counts(texts: list[str], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """Term counts of ``texts`` over a fixed vocabulary (terms outside it are dropped)."""
    indices, values, indptr = [], [], [0]
    for text in texts:
        counts = _token_counts(text)
        found = np.fromiter(map(vocabulary.get, counts, repeat(-1)), dtype=np.int64, count=len(counts))
        known = found >= 0
        indices.append(found[known])
        values.append(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))[known])
        indptr.append(indptr[-1] + int(known.sum()))
    matrix = sparse.csr_matrix(
        (np.concatenate(values) if values else np.zeros(0, np.float32),
         np.concatenate(indices) if indices else np.zeros(0, np.int64),
         np.asarray(indptr, dtype=np.int64)),
        shape=(len(texts), len(vocabulary)),
    )
    matrix.sort_indices()
    return matrix


def _over_vocabulary(batch: TermCounts, vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """The counts of a :func:`count_terms` batch over a fixed vocabulary (terms outside it dropped): the
    matrix :func:`_fixed_counts` makes of the same texts."""
    n_texts = len(batch.indptr) - 1
    columns = np.fromiter(map(vocabulary.get, batch.terms, repeat(-1)), dtype=np.int64, count=len(batch.terms))
    found = columns[batch.indices] if len(batch.indices) else np.zeros(0, np.int64)
    known = found >= 0
    kept_before = np.concatenate([[0], np.cumsum(known)])
    indptr = kept_before[batch.indptr].astype(np.int64)
    matrix = sparse.csr_matrix((batch.values[known], found[known], indptr), shape=(n_texts, len(vocabulary)))
    matrix.sort_indices()
    return matrix


def _per_cluster(counts: sparse.csr_matrix, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Summed term counts of each cluster's documents: a dense (n_clusters, n_terms) float64 array."""
    membership = sparse.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(n_clusters, counts.shape[0])
    )
    return np.asarray((membership @ counts).todense(), dtype=np.float64)


def _c_tf_idf_of(per_cluster: np.ndarray) -> np.ndarray:
    words_per_cluster = per_cluster.sum(axis=1)
    term_totals = per_cluster.sum(axis=0)
    average = words_per_cluster.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        idf = np.where(term_totals > 0, np.log1p(average / np.maximum(term_totals, 1e-12)), 0.0)
        tf = per_cluster / np.maximum(words_per_cluster, 1e-12)[:, None]
    return tf * idf[None, :]


def _c_tf_idf(counts: sparse.csr_matrix, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Class-based TF-IDF (BERTopic): the term frequency within each cluster's concatenated documents,
    L1-normalised, times ``log(1 + A / f_t)`` with A the average number of words per cluster and f_t the
    term's frequency over all clusters. Returns a dense (n_clusters, n_terms) array."""
    return _c_tf_idf_of(_per_cluster(counts, labels, n_clusters))


def _distinctiveness_of(per_cluster: np.ndarray) -> np.ndarray:
    """c-TF-IDF weighted by how much more often the cluster uses a term than the corpus does:
    ``c_tf_idf * log(1 + max(0, lift - 1))`` with ``lift = tf_cluster / tf_corpus``. Plain c-TF-IDF lets a
    word that is frequent everywhere ("development" in UN speeches) lead many labels; a term the cluster
    uses no more than the corpus scores 0 here."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tf = per_cluster / np.maximum(per_cluster.sum(axis=1, keepdims=True), 1e-12)
        corpus = per_cluster.sum(axis=0) / max(per_cluster.sum(), 1e-12)
        lift = np.where(corpus > 0, tf / np.maximum(corpus, 1e-12), 0.0)
    return _c_tf_idf_of(per_cluster) * np.log1p(np.maximum(lift - 1.0, 0.0))


def _flip_signs(vectors: np.ndarray) -> np.ndarray:
    """Make the largest-magnitude entry of each column positive, so results do not flip between runs."""
    largest = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[largest, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def _svd_components(
    X: sparse.csr_matrix, n_components: int, random_state: int, *, n_iter: int = 2, fit_rows: int = 2000
) -> np.ndarray:
    """Term-space components (n_terms, k) of a randomized truncated SVD of a sparse matrix (Halko et al.);
    a document's coordinates are its row times them.

    Like sklearn's ``TruncatedSVD(algorithm="randomized")``, with two shortcuts that keep it cheap next to
    the TF-IDF itself: the components are fitted on a fixed sample of at most ``fit_rows`` documents (every
    document is then projected on them: one sparse product); and the small SVD at the end is the
    eigendecomposition of a (k x k) Gram matrix instead of LAPACK's SVD of a (k x n_terms) matrix, the
    slowest step on wide vocabularies.
    """
    rng = np.random.RandomState(random_state)
    n_rows = X.shape[0]
    fit = X if n_rows <= fit_rows else X[np.sort(rng.choice(n_rows, fit_rows, replace=False))]
    size = min(n_components + 10, min(fit.shape))
    Q = fit @ rng.standard_normal((fit.shape[1], size)).astype(fit.dtype)
    for _ in range(n_iter):  # power iterations, re-orthonormalised, sharpen the spectrum
        Q, _ = np.linalg.qr(Q)
        Q = fit @ (fit.T @ Q)
    Q, _ = np.linalg.qr(Q)
    projected = np.asarray(fit.T @ Q)  # (n_terms, size): fit ≈ Q @ projected.T
    eigenvalues, vectors = np.linalg.eigh(projected.T @ projected)
    order = np.argsort(eigenvalues)[::-1][:n_components]
    singular = np.sqrt(np.clip(eigenvalues[order], 0.0, None))
    vectors = _flip_signs(vectors[:, order])
    # Term-space components V (n_terms, k): projected = V S U_small^T, so V = projected U_small / S.
    keep = singular > singular[0] * 1e-10 if len(singular) else singular > 0
    return (projected @ vectors[:, keep]) / singular[keep]


def _reduce(tfidf: sparse.csr_matrix, components: np.ndarray | None) -> np.ndarray:
    """TF-IDF rows in the reduced, L2-normalised space (the SVD's when there is one)."""
    from sklearn.preprocessing import normalize

    return normalize(np.asarray(tfidf @ components) if components is not None else tfidf.toarray())


class _Assigner:
    """A fitted model's state for assigning texts outside its sample (see ``TopicModel.assigner``)."""

    def __init__(self, vocabulary, idf, components, kmeans, mean, axes, n_clusters: int) -> None:
        self.vocabulary, self.idf, self.components, self.kmeans = vocabulary, idf, components, kmeans
        self.mean, self.axes, self.n_clusters = mean, axes, n_clusters

    @classmethod
    def empty(cls) -> _Assigner:
        return cls(None, None, None, None, None, None, 0)

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return self.counted(count_terms(texts))

    def counted(self, batch: TermCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """What calling it on the texts that ``batch`` (:func:`count_terms`) counted returns."""
        n_texts = len(batch.indptr) - 1
        labels = np.full(n_texts, -1, dtype=np.int64)
        coords = np.full((n_texts, 2), np.nan)
        if self.vocabulary is None:
            return labels, coords, None
        with threadpool_limits(limits=1):
            chunk = _over_vocabulary(batch, self.vocabulary)
            keep = np.flatnonzero(np.diff(chunk.indptr) >= _MIN_TERMS)
            if len(keep) == 0:
                return labels, coords, None
            chunk = chunk[keep]
            reduced = _reduce(self.idf.transform(chunk), self.components)
            assigned = (self.kmeans.predict(reduced).astype(np.int64) if self.kmeans is not None
                        else np.zeros(len(keep), dtype=np.int64))
            labels[keep] = assigned
            coords[keep] = TopicModel._map(reduced, self.mean, self.axes)
            return labels, coords, _per_cluster(chunk, assigned, self.n_clusters)


class TopicModel:
    """Groups documents into topic clusters and labels each cluster by its most distinctive terms.

    TF-IDF (sublinear) over the texts with English and Russian stop words and channel boilerplate removed,
    reduced by TruncatedSVD to at most 100 dimensions and L2-normalised, clustered by KMeans with a fixed
    seed. Without ``n_clusters`` the number of clusters is the one in ``k_range`` with the best silhouette
    (on a fixed sample of at most 2,000 documents). Labels come from class-based TF-IDF (BERTopic's
    c-TF-IDF) weighted by each term's lift over the corpus, so they name what sets a cluster apart rather
    than what is merely frequent everywhere.

    At scale: the vocabulary, IDF, SVD, KMeans and the map's axes are fitted on a fixed-seed sample of at
    most ``max_fit_documents`` documents (all of them when there are fewer); every other document is then
    counted over that vocabulary, projected and assigned to its nearest centroid in chunks, so a million
    documents cost one pass of tokenising more than the fit, in bounded memory. Cluster sizes, ids and
    labels count every document.

    The same fit can be run in parts when the texts are elsewhere (another process, a cluster): ``start``,
    ``fit_sample``, ``assigner`` (picklable), ``add_assigned``, ``finish``; ``fit`` is those steps here.

    Arguments:
        n_clusters: the number of clusters, or None to choose it within ``k_range``.
        k_range: (smallest, largest) number of clusters to try; capped at the number of documents minus 1.
            None (the default) scales with the corpus: (2, 12) under 200 documents, (4, 16) under 2,000,
            (6, 20) above.
        random_state: seed for the fitting sample, the SVD, KMeans and the silhouette sample.
        max_features: the largest vocabulary kept (most frequent terms).
        n_terms: number of ``top_terms`` per cluster.
        min_df: a term must occur in at least this many documents of the fitting sample (1 for corpora
            under 20 documents).
        max_fit_documents: the most documents the model is fitted on (20,000 by default); the rest are
            assigned.

    Attributes (after ``fit``):
        labels_: cluster id per document row (int, -1 for an empty or too-short text).
        clusters_: DataFrame ``cluster_id``, ``label`` (top 3 terms joined by " · "), ``top_terms`` (list of
            str, best first), ``size``; ids ordered by size, 0 = largest.
        coords_: (n_docs, 2) float array of document-map coordinates (NaN for documents in no cluster).
        n_clusters_: the number of clusters found.
        silhouette_: silhouette of the chosen clustering (on the fitting sample), or None when it is
            undefined (fewer than 2 clusters).
        terms_: the vocabulary (array of str).
        fit_rows_: row numbers of the documents the model was fitted on (sorted; every row when the corpus
            has at most ``max_fit_documents`` documents).
        idf_, components_, centroids_, map_mean_, map_axes_: what assigning another text needs (the IDF
            weights, the SVD's term-space components, the centroids in ``cluster_id`` order, the map's
            origin and axes; None when no cluster was found, no centroids with one cluster);
            ``analysis.topic_state.TopicState`` saves them in a build and assigns new documents.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        *,
        k_range: tuple[int, int] | None = None,
        random_state: int = 0,
        max_features: int = 50_000,
        n_terms: int = 10,
        min_df: int = 2,
        max_fit_documents: int = _FIT_DOCUMENTS,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.random_state = random_state
        self.max_features = max_features
        self.n_terms = n_terms
        self.min_df = min_df
        self.max_fit_documents = max_fit_documents

    def _validate(self) -> None:
        _check_int("n_clusters", self.n_clusters, 1, allow_none=True)
        _check_int("max_features", self.max_features, 1)
        _check_int("n_terms", self.n_terms, 1)
        _check_int("min_df", self.min_df, 1)
        _check_int("random_state", self.random_state, 0)
        _check_int("max_fit_documents", self.max_fit_documents, _SMALL_CORPUS)
        k_range = self.k_range
        if k_range is not None and (
            not isinstance(k_range, (tuple, list))
            or len(k_range) != 2
            or not all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in k_range)
            or not 2 <= k_range[0] <= k_range[1]
        ):
            raise ValueError(
                "The 'k_range' parameter of TopicModel must be a pair of integers (low, high) with "
                f"2 <= low <= high; got {k_range!r} instead."
            )

    def _set_empty(self, n_docs: int) -> TopicModel:
        self.labels_ = np.full(n_docs, -1, dtype=np.int64)
        self.clusters_ = _empty_clusters()
        self.coords_ = np.full((n_docs, 2), np.nan)
        self.n_clusters_ = 0
        self.silhouette_ = None
        # What assigning a new text needs (see analysis.topic_state): None until a fit finds clusters.
        self.idf_ = self.components_ = self.centroids_ = self.map_mean_ = self.map_axes_ = None
        return self

    def fit(self, documents: pd.DataFrame, *,
            on_counts: Callable[[np.ndarray, TermCounts], None] | None = None) -> TopicModel:
        """Cluster the documents.

        Arguments:
            documents: a DataFrame with ``doc_id``, ``text`` and ``language`` columns (one row per
                document; rows keep their order in ``labels_`` and ``coords_``).
            on_counts: called with ``(rows, counts)`` for every batch of texts the fit tokenises (each row
                once, counts from :func:`count_terms`), so a caller can keep the word counts without a
                second pass over the texts (the build's ``term_counts.npz``).

        Returns:
            self, with ``labels_``, ``clusters_``, ``coords_``, ``n_clusters_``, ``silhouette_``, ``terms_``
            and ``fit_rows_`` set.
        """
        self._validate()
        # One thread for BLAS and OpenMP: the matrices are small, and multithreaded OpenBLAS spins (up to
        # 100x slower) on a machine busy with other work, such as a dashboard rebuilding.
        with threadpool_limits(limits=1):
            return self._fit(documents, on_counts)

    def _fit(self, documents: pd.DataFrame, on_counts=None) -> TopicModel:
        if not isinstance(documents, pd.DataFrame):
            raise TypeError(
                f"TopicModel.fit expects the documents DataFrame; got {type(documents).__name__} instead."
            )
        missing = [c for c in ("doc_id", "text", "language") if c not in documents.columns]
        if missing:
            raise ValueError(
                f"TopicModel.fit needs the columns ['doc_id', 'text', 'language']; {missing} are missing. "
                "Pass the documents table built by analysis.documents.build_documents."
            )
        n_docs = len(documents)
        fit_rows = self.start(n_docs)
        if n_docs == 0:
            return self
        column = documents["text"]

        def texts(rows: np.ndarray) -> list[str]:
            # Only the rows asked for become Python strings: a million posts are never all copied at once.
            return [t if isinstance(t, str) else "" for t in column.iloc[rows].tolist()]

        sample = count_terms(texts(fit_rows))
        if on_counts is not None:
            on_counts(fit_rows, sample)
        self.fit_sample(counts=[sample])
        assign = self.assigner()
        rest = np.setdiff1d(np.arange(n_docs), fit_rows, assume_unique=True)
        for start in range(0, len(rest), _CHUNK):
            rows = rest[start : start + _CHUNK]
            batch = count_terms(texts(rows))
            if on_counts is not None:
                on_counts(rows, batch)
            self.add_assigned(rows, *assign.counted(batch))
        return self.finish()

    # The fit in parts, for an engine that holds the texts elsewhere (analysis/dask_engine.py): ``start``
    # says which rows the fit samples, ``fit_sample`` fits on their texts, ``assigner()`` is a small
    # picklable function that assigns other texts (on another process or machine), ``add_assigned`` takes
    # its results back and ``finish`` numbers the clusters by size and labels them. ``fit`` is these steps
    # in this process, so both give the same model.

    def start(self, n_docs: int) -> np.ndarray:
        """Begin a fit in parts on ``n_docs`` documents; returns ``fit_rows_``, the rows whose texts
        :meth:`fit_sample` needs (in this order). Validates the parameters."""
        self._validate()
        self.terms_ = np.array([], dtype=object)
        self.fit_rows_ = self._fit_rows(n_docs)
        self._set_empty(n_docs)
        self._assigner = None
        self._per_cluster_sum = None
        return self.fit_rows_

    def fit_sample(self, texts: list[str] | None = None, *, counts: Sequence[TermCounts] | None = None
                   ) -> TopicModel:
        """Fit the vocabulary, IDF, SVD, KMeans and map axes on the texts of ``fit_rows_`` (in order) and
        label those rows; the other rows are assigned by :meth:`assigner` and :meth:`add_assigned`.

        Give either ``texts`` or ``counts``: the :func:`count_terms` of those texts in consecutive batches,
        in order (counted on other processes, say); both give the same model."""
        fit_rows = self.fit_rows_
        if (texts is None) == (counts is None):
            raise ValueError("TopicModel.fit_sample takes either the texts of fit_rows_ or their counts "
                             "(counts=[count_terms(batch), ...]), not both nor neither.")
        batches = [count_terms(texts)] if texts is not None else list(counts)
        n_texts = sum(len(b.indptr) - 1 for b in batches)
        if n_texts != len(fit_rows):
            raise ValueError(f"TopicModel.fit_sample expects the {len(fit_rows)} texts of fit_rows_; got "
                             f"{n_texts}.")
        from sklearn.feature_extraction.text import TfidfTransformer

        with threadpool_limits(limits=1):
            small = len(fit_rows) < _SMALL_CORPUS
            terms, counts = _learn_from_batches(
                batches,
                min_df=1 if small else self.min_df,
                max_df=1.0 if small else 0.95,
                max_features=self.max_features,
            )
            if terms is None:  # only numbers, punctuation, stop words or nothing at all
                return self
            self.terms_ = terms
            idf = TfidfTransformer(sublinear_tf=True).fit(counts)

            valid = np.flatnonzero(np.diff(counts.indptr) >= _MIN_TERMS)
            n_valid = len(valid)
            if n_valid == 0:
                return self
            X = idf.transform(counts[valid])

            # Reduced, L2-normalised space for KMeans, the silhouette and the map.
            n_dims = min(_MAX_DIMENSIONS, n_valid - 1, X.shape[1] - 1)
            components = _svd_components(X, n_dims, self.random_state) if n_dims >= 2 else None
            reduced = _reduce(X, components)
            local, kmeans = self._cluster(reduced, n_valid)
            n_clusters = int(local.max()) + 1
            if n_clusters >= 2:
                self.silhouette_ = self._silhouette(reduced, local)
            mean, axes = self._map_axes(reduced)
            self._per_cluster_sum = _per_cluster(counts[valid], local, n_clusters)
            self.labels_[fit_rows[valid]] = local
            self.coords_[fit_rows[valid]] = self._map(reduced, mean, axes)
            vocabulary = {str(term): i for i, term in enumerate(terms)}
            self._assigner = _Assigner(vocabulary, idf, components, kmeans, mean, axes, n_clusters)
        return self

    def assigner(self) -> _Assigner:
        """The function ``texts -> (labels, coords, per_cluster)`` that assigns texts outside the sample to
        the fitted clusters (labels before :meth:`finish` numbers them; -1 and NaN coordinates for a text
        in none; ``per_cluster`` their summed term counts per cluster, None when the model found none).
        It holds only the fitted state and can be pickled to another process."""
        return self._assigner if self._assigner is not None else _Assigner.empty()

    def add_assigned(self, rows: np.ndarray, labels: np.ndarray, coords: np.ndarray,
                     per_cluster: np.ndarray | None) -> None:
        """Record an assigner's result for the document rows ``rows``."""
        self.labels_[rows] = labels
        self.coords_[rows] = coords
        if per_cluster is not None and self._per_cluster_sum is not None:
            self._per_cluster_sum += per_cluster

    def finish(self) -> TopicModel:
        """Number the clusters by size over every document (largest first) and label them; returns self."""
        if self._assigner is None:  # no terms, or no text long enough: no cluster
            return self
        n_clusters = self._assigner.n_clusters
        labels = self.labels_
        # Ids by size over every document, largest first; equal sizes keep KMeans' (seeded) order.
        sizes = np.bincount(labels[labels >= 0], minlength=n_clusters)
        order = np.lexsort((np.arange(n_clusters), -sizes))
        remap = np.empty(n_clusters, dtype=np.int64)
        remap[order] = np.arange(n_clusters)
        labels[labels >= 0] = remap[labels[labels >= 0]]
        per_cluster = self._per_cluster_sum[order]
        self.n_clusters_ = n_clusters
        fitted = self._assigner
        self.idf_, self.components_ = fitted.idf.idf_, fitted.components
        self.centroids_ = fitted.kmeans.cluster_centers_[order] if fitted.kmeans is not None else None
        self.map_mean_, self.map_axes_ = fitted.mean, fitted.axes

        # With one cluster there is nothing to stand out from: its own c-TF-IDF ranks its terms.
        scores = _distinctiveness_of(per_cluster) if n_clusters > 1 else _c_tf_idf_of(per_cluster)
        rows = []
        for cluster in range(n_clusters):
            ranked = np.argsort(-scores[cluster], kind="stable")
            ranked = ranked[scores[cluster][ranked] > 0][: self.n_terms]
            top = [str(t) for t in self.terms_[ranked]]
            rows.append((cluster, " · ".join(top[:3]) or f"Cluster {cluster}", top, int(sizes[order][cluster])))
        self.clusters_ = pd.DataFrame(rows, columns=list(_CLUSTER_COLUMNS)).astype(
            {"cluster_id": "int64", "size": "int64", "label": "str"}
        )
        self._assigner = self._per_cluster_sum = None
        return self

    def _fit_rows(self, n_docs: int) -> np.ndarray:
        """The rows the model is fitted on: all of them, or a fixed-seed sample of ``max_fit_documents``."""
        if n_docs <= self.max_fit_documents:
            return np.arange(n_docs)
        rng = np.random.RandomState(self.random_state)
        return np.sort(rng.choice(n_docs, self.max_fit_documents, replace=False))

    def _cluster(self, reduced: np.ndarray, n_valid: int):
        """KMeans labels (0..k-1) of the reduced rows, k fixed or chosen by silhouette, and the fitted
        KMeans that assigns other reduced rows to the nearest of the k centroids (None: one cluster).

        The search for k runs on a fixed sample of at most 2,000 rows with one KMeans initialisation per
        k; only the chosen k is then fitted on every row, with several initialisations."""
        from sklearn.cluster import KMeans

        if n_valid == 1:
            return np.zeros(len(reduced), dtype=np.int64), None
        if self.n_clusters is not None:
            k = min(self.n_clusters, n_valid)
        else:
            low, high = self.k_range or _auto_k_range(n_valid)
            candidates = list(range(low, min(high, n_valid - 1) + 1))
            if not candidates:
                return np.zeros(len(reduced), dtype=np.int64), None
            sample = self._sample(n_valid)
            best_k, best_score = candidates[0], -np.inf
            for k in candidates if len(candidates) > 1 else ():
                labels = KMeans(n_clusters=k, n_init=1, random_state=self.random_state).fit_predict(
                    reduced[sample]
                )
                score = self._silhouette(reduced[sample], labels, sampled=True)
                if score is not None and score > best_score:
                    best_k, best_score = k, score
            k = best_k
        if k == 1:
            return np.zeros(len(reduced), dtype=np.int64), None
        # Small corpora are cheap to cluster and sensitive to a bad start: try more initialisations.
        n_init = _N_INIT_SMALL if n_valid < _SMALL_FOR_KMEANS else _N_INIT
        model = KMeans(n_clusters=k, n_init=n_init, random_state=self.random_state)
        labels = model.fit_predict(reduced).astype(np.int64)
        return labels, model

    def _sample(self, n: int) -> np.ndarray:
        """A fixed-seed sample of at most 2,000 row numbers (all rows when there are fewer)."""
        if n <= _SILHOUETTE_SAMPLE:
            return np.arange(n)
        return np.sort(np.random.RandomState(self.random_state).choice(n, _SILHOUETTE_SAMPLE, replace=False))

    def _silhouette(self, reduced: np.ndarray, labels: np.ndarray, *, sampled: bool = False) -> float | None:
        if not sampled:
            sample = self._sample(len(labels))
            reduced, labels = reduced[sample], labels[sample]
        n_labels = len(np.unique(labels))
        if not 2 <= n_labels <= len(labels) - 1:
            return None
        from sklearn.metrics import silhouette_score

        return float(silhouette_score(reduced, labels, metric="euclidean"))

    @staticmethod
    def _map_axes(reduced: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The map's origin and axes: the mean and first two principal components (centred SVD) of the
        fitted rows of the reduced space (no axes with fewer than 2 rows: every point at 0, 0).

        Centring matters: the rows are L2-normalised, so an uncentred first component would be almost
        the same for every document."""
        mean = reduced.mean(axis=0)
        if reduced.shape[0] < 2:
            return mean, None
        centred = reduced - mean
        n = min(2, centred.shape[1])
        _, vectors = np.linalg.eigh(centred.T @ centred)
        return mean, _flip_signs(vectors[:, ::-1][:, :n])

    @staticmethod
    def _map(reduced: np.ndarray, mean: np.ndarray, axes: np.ndarray | None) -> np.ndarray:
        """2-D coordinates of reduced rows on the map's axes."""
        coords = np.zeros((reduced.shape[0], 2))
        if axes is not None:
            coords[:, : axes.shape[1]] = (reduced - mean) @ axes
        return coords
