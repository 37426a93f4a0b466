"""The brute-force kNN references (knn_reference.py) checked on their own, without infonative:
against scipy's cdist / cKDTree, sklearn's KSG and Ross implementations, values worked out by
hand, exact identities, and closed forms (statistically, tolerances from the batch spread)."""

from __future__ import annotations

import math

import knn_reference as ref
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.signal import lfilter
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from scipy.special import digamma
from sklearn.feature_selection._mutual_info import _compute_mi_cc, _compute_mi_cd

PSI = {n: float(digamma(n)) for n in range(1, 10)}
P_VALUES = [1.0, 2.0, 3.0, math.inf]
P_IDS = ["p1", "p2", "p3", "pinf"]
# The references sum per-point terms in a different order from sklearn (np.mean of each term
# separately): results agree to a few ulp of the O(1)..O(10) terms.
SUM_RTOL = 1e-12


# --- distances ---------------------------------------------------------------------------------

@pytest.mark.parametrize("p", P_VALUES, ids=P_IDS)
@pytest.mark.parametrize("d", [1, 2, 4])
def test_pairwise_distances_match_cdist(p, d):
    rng = np.random.default_rng(1001 + d)
    a, b = rng.standard_normal((40, d)), rng.standard_normal((25, d)) * 3
    metric = {1.0: "cityblock", 2.0: "euclidean", math.inf: "chebyshev"}.get(p, "minkowski")
    kw = {"p": p} if metric == "minkowski" else {}
    # only the order of the (at most 4) terms of a norm differs from scipy's
    np.testing.assert_allclose(ref.pairwise_distances(a, b, p), cdist(a, b, metric, **kw),
                               rtol=1e-14, atol=0)
    s = ref.self_distances(a, p)
    assert np.all(np.diag(s) == np.inf)
    np.testing.assert_allclose(s[~np.eye(40, dtype=bool)],
                               cdist(a, a, metric, **kw)[~np.eye(40, dtype=bool)], rtol=1e-14)


@pytest.mark.parametrize("p", P_VALUES, ids=P_IDS)
@pytest.mark.parametrize("d", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_kth_neighbour_distance_matches_ckdtree(p, d, k):
    rng = np.random.default_rng(1100 + 10 * d + k)
    x = rng.standard_normal((120, d))
    x[7] = x[3]  # one duplicate: a neighbour at distance 0 (self is excluded by index only)
    got = ref.kth_smallest(ref.self_distances(x, p), k)
    # cKDTree's (k+1)-th neighbour of x in x counts the point itself (a distance 0) first
    exp = cKDTree(x).query(x, k=k + 1, p=p)[0][:, k]
    np.testing.assert_allclose(got, exp, rtol=1e-14, atol=0)
    assert got[3] == 0.0 if k == 1 else got[3] > 0.0
    y = rng.standard_normal((90, d)) + 0.5
    got = ref.kth_smallest(ref.pairwise_distances(x, y, p), k)
    exp = cKDTree(y).query(x, k=[k], p=p)[0][:, 0]
    np.testing.assert_allclose(got, exp, rtol=1e-14, atol=0)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_property_kth_distance_with_ties(data):
    # small integer coordinates: many tied distances and duplicate points
    n = data.draw(st.integers(2, 30))
    d = data.draw(st.integers(1, 3))
    x = data.draw(hnp.arrays(np.float64, (n, d), elements=st.integers(-3, 3).map(float)))
    k = data.draw(st.integers(1, n - 1))
    p = data.draw(st.sampled_from(P_VALUES))
    got = ref.kth_smallest(ref.self_distances(x, p), k)
    exp = cKDTree(x).query(x, k=k + 1, p=p)[0][:, k]
    np.testing.assert_allclose(got, exp, rtol=1e-14, atol=0)
    # joint_neighbours: the first k of a stable argsort (lower index first among ties)
    dist = ref.self_distances(x, p)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    mask = np.zeros_like(dist, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    np.testing.assert_array_equal(ref.joint_neighbours(dist, k), mask)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_unit_ball_volumes(d):
    lv = ref.log_unit_ball_volume
    assert lv(d, math.inf) == pytest.approx(d * math.log(2), rel=1e-15)
    # cross-polytope (p = 1, the general-p branch): 2^d / d!
    assert lv(d, 1.0) == pytest.approx(d * math.log(2) - math.lgamma(d + 1), rel=1e-14, abs=1e-15)
    euclid = {1: 2.0, 2: math.pi, 3: 4 * math.pi / 3, 5: 8 * math.pi ** 2 / 15}[d]
    assert lv(d, 2.0) == pytest.approx(math.log(euclid), rel=1e-14)
    # any p: the 1-D ball [-1, 1]; p -> inf approaches the cube (2 Gamma(1+1/p))^d -> 2^d
    assert lv(1, 3.7) == pytest.approx(math.log(2), rel=1e-14)
    assert lv(d, 1e9) == pytest.approx(d * math.log(2), abs=1e-8)


# --- worked by hand ----------------------------------------------------------------------------

def test_entropy_by_hand():
    x = [0.0, 1.0, 3.0]
    # k = 1, max-norm: rho = (1, 1, 2), V_1 = 2
    assert ref.entropy(x, 1) == pytest.approx(
        PSI[3] - PSI[1] + math.log(2) + math.log(2) / 3, rel=1e-15)
    # k = 2: rho = (3, 2, 3); every norm is |.| in one dimension
    for p in P_VALUES:
        assert ref.entropy(x, 2, p) == pytest.approx(
            PSI[3] - PSI[2] + math.log(2) + (2 * math.log(3) + math.log(2)) / 3, rel=1e-15)
    # 2-D, k = 1, Euclidean: three corners of a 3-4-5 triangle: rho = (3, 3, 4)
    pts = [[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]]
    assert ref.entropy(pts, 1, 2.0) == pytest.approx(
        PSI[3] - PSI[1] + math.log(math.pi) + 2 * (2 * math.log(3) + math.log(4)) / 3, rel=1e-15)
    # Manhattan: rho = (3, 3, 4) as well (|0-3| + 0, ...), V_2 = 2
    assert ref.entropy(pts, 1, 1.0) == pytest.approx(
        PSI[3] - PSI[1] + math.log(2) + 2 * (2 * math.log(3) + math.log(4)) / 3, rel=1e-15)


def test_ksg1_by_hand_strict_counts():
    # points (0,0) (1,2) (3,1) (4,5); joint eps (k=1) = (2, 2, 2, 3).  For point 0 the y-distance
    # to point 1 is exactly eps = 2 and must NOT be counted (strict).
    x, y = [0.0, 1.0, 3.0, 4.0], [0.0, 2.0, 1.0, 5.0]
    value, (nx, ny) = ref.mutual_info([x, y], 1, 1, return_counts=True)
    np.testing.assert_array_equal(nx, [1, 1, 1, 1])
    np.testing.assert_array_equal(ny, [1, 1, 2, 0])
    exp = PSI[1] + PSI[4] - (6 * PSI[2] + PSI[3] + PSI[1]) / 4
    assert value == pytest.approx(exp, rel=1e-15)


def test_ksg2_by_hand():
    # points (0,0) (1,2.5) (4,1) (6,7), k = 1, no ties among joint distances; joint neighbours:
    # 0->1, 1->0, 2->1, 3->1; eps_x = (1, 1, 3, 5), eps_y = (2.5, 2.5, 1.5, 4.5); counts <=
    x, y = [0.0, 1.0, 4.0, 6.0], [0.0, 2.5, 1.0, 7.0]
    value, (nx, ny) = ref.mutual_info([x, y], 1, 2, return_counts=True)
    np.testing.assert_array_equal(nx, [1, 1, 2, 2])
    np.testing.assert_array_equal(ny, [2, 2, 2, 1])
    exp = PSI[1] - 1 + PSI[4] - (3 * PSI[1] + 5 * PSI[2]) / 4
    assert value == pytest.approx(exp, rel=1e-15)


def test_mixed_by_hand_small_class_and_singleton():
    # label c occurs once (dropped); class b has 2 samples so k_i = min(2, 1) = 1.
    # kept x = (0, 1, 3 | 10, 11): r = (3, 2, 3 | 1, 1), m_i = (1, 1, 1 | 0, 0)
    x = [0.0, 1.0, 3.0, 10.0, 11.0, 20.0]
    labels = ["a", "a", "a", "b", "b", "c"]
    exp = PSI[5] + (3 * PSI[2] + 2 * PSI[1]) / 5 - (3 * PSI[3] + 2 * PSI[2]) / 5 \
        - (3 * PSI[2] + 2 * PSI[1]) / 5
    assert ref.mutual_info_mixed(x, labels, 2) == pytest.approx(exp, rel=1e-14)


def test_kl_divergence_by_hand():
    # x = (0, 1, 3), y = (0.5, 5), k = 1: rho = (1, 1, 2), nu = (0.5, 0.5, 2)
    got = ref.kl_divergence([0.0, 1.0, 3.0], [0.5, 5.0], 1)
    assert got == pytest.approx(-2 * math.log(2) / 3 + math.log(2 / 2), rel=1e-15)


@pytest.mark.parametrize("history,lag", [(1, 1), (2, 1), (1, 3), (3, 2)])
def test_te_embeddings_by_loop(history, lag):
    n = 12
    src = np.arange(n, dtype=float) + 100
    tgt = np.arange(n, dtype=float) + 200
    y_t, x_past, y_past = ref.te_embeddings(src, tgt, history, lag)
    t0 = max(history, lag + history - 1)
    rows = range(t0, n)
    np.testing.assert_array_equal(y_t[:, 0], [tgt[t] for t in rows])
    np.testing.assert_array_equal(y_past, [[tgt[t - j] for j in range(1, history + 1)]
                                           for t in rows])
    np.testing.assert_array_equal(x_past, [[src[t - lag - j] for j in range(history)]
                                           for t in rows])
    assert x_past.min() == 100  # the earliest source value is used: no row was left out


# --- sklearn ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_ksg1_matches_sklearn_compute_mi_cc(seed, k):
    # sklearn: chebyshev kNN radius, nextafter(radius, 0), counts <= radius, clipped at 0
    rng = np.random.default_rng(1200 + seed)
    n = int(rng.integers(30, 400))
    x = rng.standard_normal(n) * rng.uniform(0.1, 10)
    y = x * rng.uniform(-2, 2) + rng.standard_normal(n)
    got = ref.mutual_info([x, y], k, 1)
    assert max(got, 0.0) == pytest.approx(_compute_mi_cc(x, y, k), rel=SUM_RTOL, abs=0)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_mixed_matches_sklearn_compute_mi_cd(seed, k):
    rng = np.random.default_rng(1300 + seed)
    n = int(rng.integers(80, 400))
    labels = rng.integers(0, 4, n)
    labels[0] = 17  # a label that occurs once: dropped
    _, counts = np.unique(labels, return_counts=True)
    # sklearn fits classes with n_neighbors >= size // 2 by brute force on the expanded
    # |a|^2 - 2ab + |b|^2 form, whose radius is off by an ulp (then the k-th neighbour itself
    # passes the strict count): compare only where it uses its exact kd-tree
    assert np.all((counts == 1) | (counts >= 2 * k + 2))
    c = rng.standard_normal(n) * 2 + labels % 5
    got = ref.mutual_info_mixed(c, labels, k)
    assert max(got, 0.0) == pytest.approx(_compute_mi_cd(c, labels, k), rel=SUM_RTOL, abs=0)


# --- exact identities --------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 3])
def test_cmi_with_constant_z_is_ksg1(k):
    # z constant: every z-distance is 0, so n_z = N - 1, n_xz = n_x, n_yz = n_y and FP reduces
    # to KSG algorithm 1 (psi(N) = psi(n_z + 1))
    rng = np.random.default_rng(1400 + k)
    x = rng.standard_normal((150, 2))
    y = x[:, :1] + rng.standard_normal((150, 1))
    got = ref.conditional_mutual_info(x, y, np.zeros(150), k)
    assert got == pytest.approx(ref.mutual_info([x, y], k, 1), rel=1e-13)


@pytest.mark.parametrize("p", P_VALUES, ids=P_IDS)
def test_entropy_scaling_and_translation(p):
    # scaling by a power of two scales every distance exactly: h(2^s x) = h(x) + d s log 2;
    # integer data shifted by an integer keeps every difference exact
    rng = np.random.default_rng(1500)
    x = rng.integers(-1000, 1000, (200, 3)).astype(float)
    h = ref.entropy(x, 3, p)
    assert ref.entropy(x * 8, 3, p) == pytest.approx(h + 3 * 3 * math.log(2), rel=1e-14)
    assert ref.entropy(x + 12345, 3, p) == pytest.approx(h, rel=1e-14)


@pytest.mark.parametrize("algorithm", [1, 2])
def test_mi_invariances(algorithm):
    rng = np.random.default_rng(1600 + algorithm)
    x = rng.standard_normal((200, 2))
    y = x[:, 0] - x[:, 1] + rng.standard_normal(200)
    z = rng.standard_normal(200) + y
    v = ref.mutual_info([x, y, z], 3, algorithm)
    perm = rng.permutation(200)
    # same samples in another order, variables in another order, all variables scaled by 2^-3
    # (the max-norm joint space is NOT invariant under scaling one variable alone)
    assert ref.mutual_info([x[perm], y[perm], z[perm]], 3, algorithm) == pytest.approx(v, rel=1e-13)
    assert ref.mutual_info([z, x, y], 3, algorithm) == pytest.approx(v, rel=1e-13)
    assert ref.mutual_info([x / 8, y / 8, z / 8], 3, algorithm) == pytest.approx(v, rel=1e-13)


def test_duplicates_give_minus_inf_entropy_only_with_k_copies():
    x = np.array([0.0, 1.0, 1.0, 2.5, 4.0, 4.5])
    assert ref.entropy(x, 1) == -math.inf  # a point with one duplicate: rho_1 = 0
    assert math.isfinite(ref.entropy(x, 2))  # rho_2 > 0 for every point
    x3 = np.array([0.0, 1.0, 1.0, 1.0, 2.5, 4.0])
    assert ref.entropy(x3, 2) == -math.inf
    # KSG counts stay finite with duplicated points
    assert math.isfinite(ref.mutual_info([x3, x3[::-1].copy()], 2, 1))


# --- closed forms (statistical) ----------------------------------------------------------------
# N = 2048 samples in 16 batches of 128: the reference is O(N^2), so a few hundred ms per case.

N_STAT, B_STAT = 2048, 16


def _check(estimator, arrays, truth, what):
    full = estimator(*arrays)
    parts = [estimator(*b) for b in ref.batches(arrays, B_STAT)]
    ref.assert_statistically_close(full, parts, truth, what=what)


def gaussian_entropy(cov):
    cov = np.atleast_2d(cov)
    d = cov.shape[0]
    return 0.5 * (d * math.log(2 * math.pi * math.e) + math.log(np.linalg.det(cov)))


@pytest.mark.parametrize("p", [2.0, math.inf], ids=["p2", "pinf"])
@pytest.mark.parametrize("d,k", [(1, 1), (1, 3), (2, 3), (3, 1)])
def test_entropy_gaussian(p, d, k):
    rng = np.random.default_rng(1700 + 10 * d + k)
    sd = np.array([1.0, 2.5, 0.4])[:d]
    x = rng.standard_normal((N_STAT, d)) * sd
    _check(lambda a: ref.entropy(a, k, p), [x], gaussian_entropy(np.diag(sd ** 2)),
           f"Gaussian entropy d={d} k={k} p={p}")


def test_entropy_uniform_and_exponential():
    rng = np.random.default_rng(1800)
    _check(lambda a: ref.entropy(a, 3, 3.0), [rng.uniform(-1.0, 2.5, N_STAT)],
           math.log(3.5), "uniform[-1, 2.5]")
    _check(lambda a: ref.entropy(a, 1, 1.0), [rng.uniform(0.0, 2.0, (N_STAT, 2))],
           2 * math.log(2.0), "uniform square, Manhattan")
    rate = 2.5
    _check(lambda a: ref.entropy(a, 3), [rng.exponential(1 / rate, N_STAT)],
           1 - math.log(rate), "exponential")


def correlated_gaussians(rng, n, cov):
    z = rng.standard_normal((n, len(cov))) @ np.linalg.cholesky(cov).T
    return [z[:, i] for i in range(len(cov))]


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.9])
@pytest.mark.parametrize("algorithm", [1, 2])
def test_mi_bivariate_gaussian(rho, algorithm):
    rng = np.random.default_rng(1900 + int(10 * rho) + algorithm)
    xy = correlated_gaussians(rng, N_STAT, np.array([[1.0, rho], [rho, 1.0]]))
    _check(lambda x, y: ref.mutual_info([x, y], 3, algorithm), xy, -0.5 * math.log(1 - rho ** 2),
           f"bivariate Gaussian rho={rho} alg={algorithm}")


C3 = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])


@pytest.mark.parametrize("algorithm", [1, 2])
def test_multi_information_three_gaussians(algorithm):
    # total correlation sum_i h(X_i) - h(X) = -(1/2) log det(correlation matrix)
    rng = np.random.default_rng(2000 + algorithm)
    _check(lambda x, y, z: ref.mutual_info([x, y, z], 3, algorithm),
           correlated_gaussians(rng, N_STAT, C3), -0.5 * math.log(np.linalg.det(C3)),
           f"3-variable multi-information alg={algorithm}")


def test_cmi_gaussian():
    # I(X;Y|Z) = -(1/2) log(1 - r^2), r the partial correlation of x and y given z
    r = (C3[0, 1] - C3[0, 2] * C3[1, 2]) / math.sqrt((1 - C3[0, 2] ** 2) * (1 - C3[1, 2] ** 2))
    rng = np.random.default_rng(2100)
    _check(lambda x, y, z: ref.conditional_mutual_info(x, y, z, 3),
           correlated_gaussians(rng, N_STAT, C3), -0.5 * math.log(1 - r ** 2), "Gaussian CMI")


def gaussian_kl(m1, s1, m2, s2):
    s2i = np.linalg.inv(s2)
    dm = m2 - m1
    return 0.5 * (np.trace(s2i @ s1) + dm @ s2i @ dm - len(m1)
                  + math.log(np.linalg.det(s2) / np.linalg.det(s1)))


@pytest.mark.parametrize("d,k,p", [(1, 1, 2.0), (2, 1, 2.0), (2, 3, math.inf)])
def test_kl_divergence_gaussians(d, k, p):
    rng = np.random.default_rng(2200 + d + k)
    m2 = np.array([0.5, -0.3])[:d]
    s2 = np.array([[1.5, 0.3], [0.3, 0.8]])[:d, :d]
    x = rng.standard_normal((N_STAT, d))
    y = m2 + rng.standard_normal((N_STAT, d)) @ np.linalg.cholesky(s2).T
    _check(lambda a, b: ref.kl_divergence(a, b, k, p), [x, y],
           gaussian_kl(np.zeros(d), np.eye(d), m2, s2), f"KL d={d} k={k} p={p}")


def test_mixed_disjoint_classes():
    # classes on disjoint intervals: the label is a function of x, I = H(label)
    rng = np.random.default_rng(2300)
    probs = np.array([0.25, 0.25, 0.5])
    lab = rng.choice(3, N_STAT, p=probs)
    lo, hi = np.array([0.0, 2.0, 4.0]), np.array([1.0, 3.0, 6.0])
    x = rng.uniform(lo[lab], hi[lab])
    _check(lambda a, b: ref.mutual_info_mixed(a, b, 3), [x, lab],
           float(-np.sum(probs * np.log(probs))), "mixed, disjoint classes")


def ar_pair(rng, n, a=0.5, b=0.8, noise_sd=0.6, burn=100):
    """x iid N(0,1); y_t = a y_{t-1} + b x_{t-1} + e_t: TE x->y = (1/2) log(1 + b^2/sd^2), since
    x_{t-1} is independent of y_{t-1}; TE y->x = 0."""
    x = rng.standard_normal(n + burn)
    e = rng.standard_normal(n + burn) * noise_sd
    y = lfilter([0.0, b], [1.0, -a], x) + lfilter([1.0], [1.0, -a], e)
    return x[burn:], y[burn:], 0.5 * math.log(1 + b * b / noise_sd ** 2)


def test_transfer_entropy_ar_process():
    # consecutive batches of an AR(1) with a = 0.5 are practically independent
    x, y, te = ar_pair(np.random.default_rng(2400), N_STAT)
    _check(lambda s, t: ref.transfer_entropy(s, t, 3), [x, y], te, "TE x->y")
    _check(lambda s, t: ref.transfer_entropy(s, t, 3), [y, x], 0.0, "TE y->x")
