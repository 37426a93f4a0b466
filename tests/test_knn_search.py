"""The two neighbour searches of the kNN engine: brute force (SIMD kernels, small N) and the
kd-tree (sorted copies in 1-D).  Every estimator runs with each search forced through the private
``_core._set_knn_search`` (tests and benchmarks only; ``"auto"`` picks brute force below a
measured N, see cpp/src/knn/brute_force.hpp).  Both must give the reference value
(knn_reference.py, RTOL 1e-10 as in test_knn_estimators.py) and the same bits as each other:
they compute the same reduced distances with the same operations, the same tie rule and the
same strict/non-strict counts.  The suite runs under each INFONATIVE_ISA level, and so do these.
"""

from __future__ import annotations

import math

import knn_reference as ref
import numpy as np
import pytest

import infonative as inf
from infonative import _core, knn

RTOL, ATOL = 1e-10, 1e-11
OFF = {"noise": 0.0}
RAW = {"noise": 0.0, "standardize": False}
SEARCHES = ("kd_tree", "brute_force")


@pytest.fixture(autouse=True)
def automatic_search_afterwards():
    yield
    _core._set_knn_search("auto")


def by_search(fn):
    """fn() with each search forced, as {search: value}."""
    out = {}
    for search in SEARCHES:
        _core._set_knn_search(search)
        out[search] = fn()
    _core._set_knn_search("auto")
    return out


def assert_close(got, exp, what):
    if math.isinf(exp) or math.isnan(exp):
        assert got == exp or (math.isnan(got) and math.isnan(exp)), f"{what}: {got} != {exp}"
        return
    assert abs(got - exp) <= ATOL + RTOL * abs(exp), f"{what}: got {got!r}, reference {exp!r}"


def assert_both(fn, exp, what):
    """Each search against the reference, and the two searches bitwise equal."""
    got = by_search(fn)
    for search, value in got.items():
        assert_close(value, exp, f"{what} [{search}]")
    tree, brute = (np.float64(got[s]).tobytes() for s in SEARCHES)
    assert tree == brute, (
        f"{what}: kd-tree {got['kd_tree']!r} != brute force {got['brute_force']!r}")


def normal(rng, n, d, scale=1.0):
    return rng.standard_normal((n, d)) * scale


def test_private_switch():
    assert _core._knn_search() == "auto"
    for search in SEARCHES + ("auto",):
        _core._set_knn_search(search)
        assert _core._knn_search() == search
    with pytest.raises(ValueError, match="_set_knn_search"):
        _core._set_knn_search("fast")
    assert _core._knn_search() == "auto"


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean", "manhattan", 3.0], ids=str)
@pytest.mark.parametrize("d", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("k", [1, 4])
def test_entropy(metric, d, k):
    rng = np.random.default_rng(7000 + 10 * d + k)
    x = normal(rng, 173, d)
    x[9] = x[4]  # a duplicate: a neighbour at distance 0
    assert_both(lambda: knn.entropy(x, k=k, metric=metric, **OFF),
                ref.entropy(x, k, ref.metric_to_p(metric)), f"entropy d={d} k={k} {metric}")


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean", "manhattan"], ids=str)
@pytest.mark.parametrize("d", [2, 7, 70])
@pytest.mark.parametrize("k", [2, 7, 10])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda t: t.__name__)
def test_entropy_leaf_search(metric, d, k, dtype):
    """The kd-tree's leaf search (simd/knn_leaf_search.inl): queries in groups of four, the last
    group of a leaf padded; an own-leaf bound for k < 7, none from k = 7; a compile-time
    dimension (2), a run-time one (7) and, past 64, the per-query search instead. Clusters of
    three equal points put k-th distances at 0 and ties everywhere."""
    rng = np.random.default_rng(7050 + d + k)
    x = normal(rng, 181, d)
    x[20:23] = x[5]
    x[40:42] = x[41]
    x = x.astype(dtype)
    x64 = x.astype(np.float64)
    got = by_search(lambda: knn.entropy(x, k=k, metric=metric, **OFF))
    assert got["kd_tree"] == got["brute_force"], f"d={d} k={k} {metric}"
    if dtype is np.float64:
        assert_close(got["kd_tree"], ref.entropy(x64, k, ref.metric_to_p(metric)),
                     f"entropy d={d} k={k} {metric}")


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean", "manhattan", 3.0], ids=str)
@pytest.mark.parametrize("d", [1, 2, 4, 7])
def test_kl_divergence(metric, d):
    rng = np.random.default_rng(7100 + d)
    x, y = normal(rng, 143, d), normal(rng, 171, d, 1.7) + 0.4
    assert_both(lambda: knn.kl_divergence(x, y, k=3, metric=metric, **OFF),
                ref.kl_divergence(x, y, 3, ref.metric_to_p(metric)), f"KL d={d} {metric}")


@pytest.mark.parametrize("algorithm", [1, 2])
@pytest.mark.parametrize("dims", [(1, 1), (2, 1), (2, 3), (4, 4), (1, 2, 2)], ids=str)
@pytest.mark.parametrize("k", [1, 3])
def test_mutual_info(algorithm, dims, k):
    rng = np.random.default_rng(7200 + 10 * k + algorithm + len(dims))
    common = rng.standard_normal((211, 1))
    vs = [normal(rng, 211, d) + common for d in dims]
    assert_both(lambda: knn.mutual_info(*vs, k=k, algorithm=algorithm, **RAW),
                ref.mutual_info(vs, k, algorithm), f"MI {dims} k={k} alg={algorithm}")


@pytest.mark.parametrize("n, dims", [(400, (1, 1)), (2000, (1, 3)), (2000, (3, 3, 1))],
                         ids=str)
@pytest.mark.parametrize("algorithm", [1, 2])
def test_mutual_info_with_the_joint_tree_and_brute_marginals(n, dims, algorithm):
    """Between the two crossovers ("auto"): the joint space is searched by the kd-tree or the
    1-D pair grid while small marginal spaces count by brute force, in one estimate."""
    rng = np.random.default_rng(7300 + n + algorithm)
    common = rng.standard_normal((n, 1))
    vs = [normal(rng, n, d) + common for d in dims]
    auto = knn.mutual_info(*vs, algorithm=algorithm, **RAW)
    assert_close(auto, ref.mutual_info(vs, 3, algorithm), f"MI {dims} n={n} [auto]")
    _core._set_knn_search("kd_tree")
    assert np.float64(auto).tobytes() == np.float64(
        knn.mutual_info(*vs, algorithm=algorithm, **RAW)).tobytes()


@pytest.mark.parametrize("dims", [(1, 1, 1), (2, 1, 2), (3, 3, 1)], ids=str)
def test_conditional_mutual_info(dims):
    rng = np.random.default_rng(7300 + sum(dims))
    z = normal(rng, 203, dims[2])
    x = normal(rng, 203, dims[0]) + z[:, :1]
    y = normal(rng, 203, dims[1]) + z[:, :1]
    assert_both(lambda: knn.conditional_mutual_info(x, y, z, k=3, **RAW),
                ref.conditional_mutual_info(x, y, z, 3), f"CMI {dims}")


@pytest.mark.parametrize("d", [1, 2, 3])
def test_mutual_info_mixed(d):
    rng = np.random.default_rng(7400 + d)
    lab = rng.integers(0, 3, 180)
    lab[:6] = [7, 8, 8, 9, 9, 9]  # a class occurring once (dropped), classes smaller than k
    x = normal(rng, 180, d) + lab[:, None] * 0.5
    assert_both(lambda: knn.mutual_info_mixed(x, lab, k=3, **RAW),
                ref.mutual_info_mixed(x, lab, 3), f"mixed d={d}")


@pytest.mark.parametrize("d", [1, 2, 3])
def test_ties_on_an_integer_grid(d):
    """Small integer coordinates: exact ties at the k-th distance and at every count radius."""
    rng = np.random.default_rng(7500 + d)
    x = rng.integers(0, 5, (160, d)).astype(np.float64)
    y = rng.integers(0, 4, (160, 2)).astype(np.float64)
    z = rng.integers(0, 3, (160, 1)).astype(np.float64)
    for k in (2, 5):
        for metric in ("chebyshev", "euclidean", "manhattan"):
            assert_both(lambda: knn.entropy(x, k=k, metric=metric, **OFF),
                        ref.entropy(x, k, ref.metric_to_p(metric)), f"grid entropy {metric}")
        for algorithm in (1, 2):
            assert_both(lambda: knn.mutual_info(x, y, k=k, algorithm=algorithm, **RAW),
                        ref.mutual_info([x, y], k, algorithm), f"grid MI k={k} a={algorithm}")
        assert_both(lambda: knn.conditional_mutual_info(x, y, z, k=k, **RAW),
                    ref.conditional_mutual_info(x, y, z, k), f"grid CMI k={k}")


def test_float32_on_dyadic_data():
    """float32 values k 2^-12: every difference and distance is exact, so the float64 reference
    holds exactly; the searches must agree bit for bit."""
    rng = np.random.default_rng(7600)

    def dyadic(shape):
        return (rng.integers(-2 ** 20, 2 ** 20, shape) * 2.0 ** -12).astype(np.float32)

    x, y, z = dyadic((150, 3)), dyadic((150, 2)), dyadic((150, 1))
    y += x[:, :1]
    x64, y64, z64 = (a.astype(np.float64) for a in (x, y, z))
    for algorithm in (1, 2):
        assert_both(lambda: knn.mutual_info(x, y, k=3, algorithm=algorithm, **RAW),
                    ref.mutual_info([x64, y64], 3, algorithm), f"f32 MI a={algorithm}")
    assert_both(lambda: knn.conditional_mutual_info(x, y, z, k=3, **RAW),
                ref.conditional_mutual_info(x64, y64, z64, 3), "f32 CMI")
    assert_both(lambda: knn.mutual_info_mixed(x, (y64[:, 0] > 0).astype(int), k=3, **RAW),
                ref.mutual_info_mixed(x64, (y64[:, 0] > 0).astype(int), 3), "f32 mixed")
    # entropy and KL on float32 round differently from a float64 reference: same bits only
    for metric in ("chebyshev", "euclidean", "manhattan", 3.0):
        got = by_search(lambda: knn.entropy(x, metric=metric, **OFF))
        assert got["kd_tree"] == got["brute_force"], metric
        got = by_search(lambda: knn.kl_divergence(x, y64[:, :1].repeat(3, 1).astype(np.float32),
                                                  metric=metric, **OFF))
        assert got["kd_tree"] == got["brute_force"], metric


@pytest.mark.parametrize("estimator", ["mutual_info", "conditional_mutual_info"])
def test_permutation_surrogates(estimator):
    """The surrogate batches: the same null distribution, bit for bit."""
    rng = np.random.default_rng(7700)
    x, y, z = normal(rng, 150, 2), normal(rng, 150, 1), normal(rng, 150, 1)
    args = (x, y) if estimator == "mutual_info" else (x, y, z)
    got = by_search(lambda: knn.permutation_test(estimator, *args, n_resamples=20,
                                                 random_state=3))
    tree, brute = got["kd_tree"], got["brute_force"]
    assert tree.statistic == brute.statistic
    assert np.array_equal(tree.null_distribution, brute.null_distribution)


def test_same_bits_for_any_thread_count(restore_threads):
    """Brute force forced at N above the size where queries go parallel."""
    rng = np.random.default_rng(7800)
    x, y = normal(rng, 5000, 2), normal(rng, 5000, 1)
    _core._set_knn_search("brute_force")
    out = []
    for n in (1, 2, 3):
        inf.set_num_threads(n)
        out.append((knn.entropy(x, **OFF), knn.mutual_info(x, y, **RAW)))
    assert out[0] == out[1] == out[2]
