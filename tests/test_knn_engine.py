"""The kNN engine through ``infonative._core`` against O(N^2) numpy brute force.

The brute force below evaluates the FORMULAS.md definitions literally: all pairwise distances,
the point itself excluded by index (diagonal set to inf), neighbours ordered by a stable argsort
(ties at the k-th distance go to the lower index, as the engine does), strict counts as ``<``.
Agreement is exact up to the rounding of the final sums (rtol 1e-12 for float64).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma, gammaln

import infonative as inf
from infonative import _core

RTOL = 1e-12
INF = np.inf


# ---- brute force -------------------------------------------------------------------------------


def pairwise(a, b=None, p=INF):
    b = a if b is None else b
    diff = np.abs(a[:, None, :] - b[None, :, :])
    if p == INF:
        return diff.max(axis=-1)
    if p == 2:
        return np.sqrt((diff * diff).sum(axis=-1))
    if p == 1:
        return diff.sum(axis=-1)
    return (diff**p).sum(axis=-1) ** (1 / p)


def own_distances(x, p=INF):
    d = pairwise(x, p=p)
    np.fill_diagonal(d, INF)
    return d


def log_ball(d, p):
    if p == INF:
        return d * np.log(2.0)
    return d * (np.log(2.0) + gammaln(1 + 1 / p)) - gammaln(1 + d / p)


def brute_entropy(x, k, p):
    n, d = x.shape
    rho = np.sort(own_distances(x, p), axis=1)[:, k - 1]
    return digamma(n) - digamma(k) + log_ball(d, p) + d * np.mean(np.log(rho.astype(np.float64)))


def brute_ksg(variables, k, algorithm):
    n, m = len(variables[0]), len(variables)
    dj = own_distances(np.hstack(variables))
    nearest = np.argsort(dj, axis=1, kind="stable")[:, :k]
    eps = np.take_along_axis(dj, nearest[:, -1:], axis=1)
    total = np.zeros(n)
    for v in variables:
        dv = own_distances(v)
        if algorithm == 1:
            total += digamma((dv < eps).sum(axis=1) + 1)
        else:
            eps_v = np.take_along_axis(dv, nearest, axis=1).max(axis=1, keepdims=True)
            total += digamma((dv <= eps_v).sum(axis=1))
    if algorithm == 1:
        return digamma(k) + (m - 1) * digamma(n) - np.mean(total)
    return digamma(k) - (m - 1) / k + (m - 1) * digamma(n) - np.mean(total)


def brute_cmi(x, y, z, k):
    eps = np.sort(own_distances(np.hstack([x, y, z])), axis=1)[:, k - 1 : k]

    def strict(a):
        return (own_distances(a) < eps).sum(axis=1)

    terms = (digamma(strict(np.hstack([x, z])) + 1) + digamma(strict(np.hstack([y, z])) + 1)
             - digamma(strict(z) + 1))
    return digamma(k) - np.mean(terms)


def brute_kl(x, y, k, p):
    n, d = x.shape
    rho = np.sort(own_distances(x, p), axis=1)[:, k - 1]
    nu = np.sort(pairwise(x, y, p), axis=1)[:, k - 1]
    return d * np.mean(np.log(nu / rho)) + np.log(len(y) / (n - 1))


def brute_mixed(x, labels, k):
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    size = counts[inverse]
    keep = size > 1
    x, labels, size = x[keep], labels[keep], size[keep]
    n = len(x)
    d = own_distances(x)
    radius = np.empty(n)
    k_all = np.empty(n)
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        kk = min(k, len(idx) - 1)
        radius[idx] = np.sort(d[np.ix_(idx, idx)], axis=1)[:, kk - 1]
        k_all[idx] = kk
    m = (d < radius[:, None]).sum(axis=1)
    return digamma(n) + np.mean(digamma(k_all)) - np.mean(digamma(size)) - np.mean(digamma(m + 1))


# ---- helpers -----------------------------------------------------------------------------------


def gaussian(rng, n, d, dtype=np.float64):
    return np.ascontiguousarray(rng.standard_normal((n, d)), dtype=dtype)


def correlated(rng, n, dx, dy, rho=0.6):
    x = rng.standard_normal((n, dx))
    y = rho * x[:, :1] + np.sqrt(1 - rho**2) * rng.standard_normal((n, dy))
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


@pytest.fixture
def threads():
    before = inf.get_num_threads()
    yield
    inf.set_num_threads(before)


# ---- estimators against brute force ------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("p", [INF, 2.0, 1.0, 3.5])
@pytest.mark.parametrize("k", [1, 4])
def test_entropy_matches_brute_force(d, p, k):
    x = gaussian(np.random.default_rng(d * 10 + k), 300, d)
    assert _core.knn_entropy(x, k, p) == pytest.approx(brute_entropy(x, k, p), rel=RTOL)


def test_entropy_float32_uses_float32_distances():
    x = gaussian(np.random.default_rng(3), 250, 3, np.float32)
    for p in (INF, 2.0):
        assert _core.knn_entropy(x, 3, p) == pytest.approx(brute_entropy(x, 3, p), rel=1e-6)


def test_entropy_duplicates_give_minus_inf():
    x = np.concatenate([np.zeros(4), np.arange(1.0, 20.0)])[:, None]
    assert _core.knn_entropy(x, 3, INF) == -INF
    assert np.isfinite(_core.knn_entropy(x, 4, INF))


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (1, 3), (4, 4), (1, 1, 1), (2, 1, 2)])
@pytest.mark.parametrize("k", [1, 3])
def test_mutual_info_matches_brute_force(algorithm, dims, k):
    rng = np.random.default_rng(sum(dims) * 7 + k)
    n = 400
    base = rng.standard_normal((n, 1))
    variables = [np.ascontiguousarray(0.7 * base + rng.standard_normal((n, d))) for d in dims]
    got = _core.knn_mutual_info(variables, k, algorithm)
    assert got == pytest.approx(brute_ksg(variables, k, algorithm), rel=RTOL)


@pytest.mark.parametrize("algorithm", [1, 2])
def test_mutual_info_exact_ties(algorithm):
    # small integers: many distances tie exactly with the k-th joint distance (and duplicates):
    # strict (< eps) and non-strict (<= eps_v) counts must be exactly right
    rng = np.random.default_rng(11)
    x = rng.integers(0, 6, (300, 1)).astype(np.float64)
    y = (x + rng.integers(0, 4, (300, 1))).astype(np.float64)
    for k in (1, 3, 5):
        assert _core.knn_mutual_info([x, y], k, algorithm) == pytest.approx(
            brute_ksg([x, y], k, algorithm), rel=RTOL)


def test_strict_count_differs_from_non_strict():
    # every point has neighbours at exactly the joint radius in the marginals: the strict
    # algorithm-1 count must leave them out (a "<=" count would give another value)
    x = np.repeat(np.arange(10.0), 3)[:, None]
    y = np.tile(np.arange(3.0), 10)[:, None]
    got = _core.knn_mutual_info([x, y], 2, 1)
    assert got == pytest.approx(brute_ksg([x, y], 2, 1), rel=RTOL)
    n = len(x)
    dj = own_distances(np.hstack([x, y]))
    eps = np.sort(dj, axis=1)[:, 1:2]
    loose = sum(digamma((own_distances(v) <= eps).sum(axis=1) + 1) for v in (x, y))
    assert got != pytest.approx(digamma(2) + digamma(n) - np.mean(loose), rel=1e-6)


@pytest.mark.parametrize("dims", [(1, 1, 1), (2, 1, 1), (1, 2, 3)])
def test_conditional_mutual_info_matches_brute_force(dims):
    rng = np.random.default_rng(sum(dims))
    n = 350
    z = rng.standard_normal((n, dims[2]))
    x = np.ascontiguousarray(z[:, :1] + rng.standard_normal((n, dims[0])))
    y = np.ascontiguousarray(z[:, :1] + 0.5 * x[:, :1] + rng.standard_normal((n, dims[1])))
    for k in (1, 4):
        assert _core.knn_conditional_mutual_info(x, y, z, k) == pytest.approx(
            brute_cmi(x, y, z, k), rel=RTOL)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("p", [2.0, INF, 1.5])
def test_kl_divergence_matches_brute_force(d, p):
    rng = np.random.default_rng(d)
    x = gaussian(rng, 300, d)
    y = np.ascontiguousarray(gaussian(rng, 250, d) * 1.5 + 0.5)
    for k in (1, 3):
        assert _core.knn_kl_divergence(x, y, k, p) == pytest.approx(brute_kl(x, y, k, p), rel=RTOL)


@pytest.mark.parametrize("d", [1, 2])
def test_mixed_mutual_info_matches_brute_force(d):
    rng = np.random.default_rng(d)
    n = 300
    labels = rng.integers(0, 4, n).astype(np.int64)
    labels[:3] = [100, 101, 102]  # labels that occur once: dropped
    x = np.ascontiguousarray(labels[:, None] * 0.5 + rng.standard_normal((n, d)))
    for k in (1, 3):
        assert _core.knn_mutual_info_mixed(x, labels, k) == pytest.approx(
            brute_mixed(x, labels, k), rel=RTOL)


def test_mixed_small_group_uses_its_size():
    # a label with 2 samples: k_i = min(k, 1)
    rng = np.random.default_rng(5)
    labels = np.array([0] * 40 + [1] * 2 + [2] * 30, dtype=np.int64)
    x = np.ascontiguousarray(rng.standard_normal((len(labels), 1)))
    assert _core.knn_mutual_info_mixed(x, labels, 3) == pytest.approx(
        brute_mixed(x, labels, 3), rel=RTOL)


# ---- determinism and surrogates ----------------------------------------------------------------


def test_thread_count_invariance(threads):
    rng = np.random.default_rng(21)
    x, y = correlated(rng, 20000, 1, 1)
    z = gaussian(rng, 20000, 2)
    labels = rng.integers(0, 3, 20000).astype(np.int64)
    calls = [
        lambda: _core.knn_mutual_info([x, y], 3, 1),
        lambda: _core.knn_mutual_info([x, y, z], 3, 2),
        lambda: _core.knn_entropy(z, 3, 2.0),
        lambda: _core.knn_entropy(x, 3, INF),
        lambda: _core.knn_conditional_mutual_info(x, y, z, 3),
        lambda: _core.knn_kl_divergence(z, np.ascontiguousarray(z[::-1] * 1.1), 2, INF),
        lambda: _core.knn_mutual_info_mixed(z, labels, 3),
    ]
    for call in calls:
        inf.set_num_threads(1)
        one = call()
        inf.set_num_threads(2)
        assert call() == one  # bitwise


@pytest.mark.parametrize("dims", [(1, 1), (2, 3), (1, 1, 2)])
@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("count", [1, 3])
def test_mutual_info_surrogates_equal_direct_calls(dims, algorithm, count, threads):
    inf.set_num_threads(2)
    rng = np.random.default_rng(len(dims) + algorithm)
    n = 500
    variables = [gaussian(rng, n, d) for d in dims]
    perms = np.stack([rng.permutation(n) for _ in range(count)]).astype(np.int64)
    got = _core.knn_mutual_info_surrogates(variables, 3, algorithm, perms)
    assert got.shape == (count,) and got.dtype == np.float64
    for r in range(count):
        permuted = variables[:-1] + [np.ascontiguousarray(variables[-1][perms[r]])]
        assert got[r] == _core.knn_mutual_info(permuted, 3, algorithm)


@pytest.mark.parametrize("count", [1, 4])
def test_conditional_mutual_info_surrogates_equal_direct_calls(count, threads):
    inf.set_num_threads(2)
    rng = np.random.default_rng(8)
    n = 400
    x, y, z = gaussian(rng, n, 1), gaussian(rng, n, 2), gaussian(rng, n, 1)
    perms = np.stack([rng.permutation(n) for _ in range(count)]).astype(np.int64)
    got = _core.knn_conditional_mutual_info_surrogates(x, y, z, 3, perms)
    for r in range(count):
        assert got[r] == _core.knn_conditional_mutual_info(x, np.ascontiguousarray(y[perms[r]]), z, 3)


def test_no_permutations_give_an_empty_result():
    x = gaussian(np.random.default_rng(0), 50, 1)
    out = _core.knn_mutual_info_surrogates([x, x], 3, 1, np.empty((0, 50), dtype=np.int64))
    assert out.shape == (0,)


# ---- bad input ---------------------------------------------------------------------------------


def _bad_calls():
    x = gaussian(np.random.default_rng(0), 20, 2)
    y = gaussian(np.random.default_rng(1), 20, 1)
    labels = np.zeros(20, dtype=np.int64)
    perm = np.arange(20, dtype=np.int64)[None]
    nan = x.copy()
    nan[3, 1] = np.nan
    return {
        "1-D samples": lambda: _core.knn_entropy(x[:, 0], 3, INF),
        "integer dtype": lambda: _core.knn_entropy(x.astype(np.int64), 3, INF),
        "float16": lambda: _core.knn_entropy(x.astype(np.float16), 3, INF),
        "non-contiguous": lambda: _core.knn_entropy(x[::2], 3, INF),
        "k = 0": lambda: _core.knn_entropy(x, 0, INF),
        "k = n": lambda: _core.knn_entropy(x, 20, INF),
        "p < 1": lambda: _core.knn_entropy(x, 3, 0.5),
        "p nan": lambda: _core.knn_entropy(x, 3, np.nan),
        "nan data": lambda: _core.knn_entropy(nan, 3, INF),
        "inf data": lambda: _core.knn_mutual_info([np.where(np.isnan(nan), INF, nan), y], 3, 1),
        "one variable": lambda: _core.knn_mutual_info([x], 3, 1),
        "mismatched n": lambda: _core.knn_mutual_info([x, y[:10]], 3, 1),
        "mixed dtypes": lambda: _core.knn_mutual_info([x, y.astype(np.float32)], 3, 1),
        "algorithm 3": lambda: _core.knn_mutual_info([x, y], 3, 3),
        "cmi mismatched n": lambda: _core.knn_conditional_mutual_info(x, y, y[:5], 3),
        "kl dims": lambda: _core.knn_kl_divergence(x, y, 3, 2.0),
        "kl k > m": lambda: _core.knn_kl_divergence(x, x[:2], 3, 2.0),
        "labels float": lambda: _core.knn_mutual_info_mixed(y, labels.astype(float), 3),
        "labels length": lambda: _core.knn_mutual_info_mixed(y, labels[:5], 3),
        "labels all unique": lambda: _core.knn_mutual_info_mixed(y, np.arange(20), 3),
        "mixed k too large": lambda: _core.knn_mutual_info_mixed(y, labels, 20),
        "perm not a permutation": lambda: _core.knn_mutual_info_surrogates(
            [x, y], 3, 1, np.zeros((1, 20), dtype=np.int64)),
        "perm out of range": lambda: _core.knn_mutual_info_surrogates(
            [x, y], 3, 1, perm + 1),
        "perm shape": lambda: _core.knn_conditional_mutual_info_surrogates(
            x, y, y, 3, perm[:, :10]),
        "perm dtype": lambda: _core.knn_mutual_info_surrogates(
            [x, y], 3, 1, perm.astype(np.int32)),
    }


@pytest.mark.parametrize("case", sorted(_bad_calls()))
def test_bad_input_raises_value_error(case):
    with pytest.raises(ValueError):
        _bad_calls()[case]()
