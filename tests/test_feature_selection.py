"""infonative.feature_selection against scikit-learn's mutual_info_regression/classif.

With an int random_state both draw the same noise from the same RandomState stream, so the
estimators see bitwise identical inputs and the results agree to rounding (our psi table and
summation order against scipy's digamma and np.mean). The discrete-discrete path repeats
sklearn.metrics.mutual_info_score's operations and agrees exactly."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import infonative.feature_selection as fs
import infonative.knn as knn

sk_fs = pytest.importorskip("sklearn.feature_selection")
sk_metrics = pytest.importorskip("sklearn.metrics")

RTOL = 1e-12  # psi and mean rounding: a few ulps of O(1) values
ATOL = 1e-13


def regression_data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 4))
    X[:, 2] = rng.randint(0, 4, n)  # a discrete feature
    X[:, 3] *= 100.0  # scale must not matter
    y = X[:, 0] + 0.5 * X[:, 2] + 0.01 * X[:, 3] + 0.5 * rng.standard_normal(n)
    return X, y


def assert_same(ours, theirs):
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float64
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- agreement with sklearn

@pytest.mark.parametrize("discrete_features", ["auto", False, [2], [-2], np.array([2]),
                                               np.array([False, False, True, False])])
@pytest.mark.parametrize("n_neighbors", [1, 3, 7])
def test_regression_matches_sklearn(discrete_features, n_neighbors):
    X, y = regression_data()
    ours = fs.mutual_info_regression(X, y, discrete_features=discrete_features,
                                     n_neighbors=n_neighbors, random_state=3)
    theirs = sk_fs.mutual_info_regression(X, y, discrete_features=discrete_features,
                                          n_neighbors=n_neighbors, random_state=3)
    assert_same(ours, theirs)


@pytest.mark.parametrize("discrete_features", ["auto", [2], [3, 2]])
@pytest.mark.parametrize("n_neighbors", [1, 3, 5])
def test_classif_matches_sklearn(discrete_features, n_neighbors):
    X, y = regression_data(seed=1)
    labels = np.digitize(y, [-1.0, 0.0, 1.5])  # 4 classes
    X[:, 3] = np.round(X[:, 3] / 50.0)  # another discrete feature (ties)
    ours = fs.mutual_info_classif(X, labels, discrete_features=discrete_features,
                                  n_neighbors=n_neighbors, random_state=4)
    theirs = sk_fs.mutual_info_classif(X, labels, discrete_features=discrete_features,
                                       n_neighbors=n_neighbors, random_state=4)
    assert_same(ours, theirs)


def test_classif_string_labels_and_singleton_class():
    X, y = regression_data(n=120, seed=2)
    labels = np.where(y > 0, "pos", "neg").astype(object)
    labels[0] = "alone"  # dropped by the continuous-discrete estimator
    ours = fs.mutual_info_classif(X[:, :2], labels, random_state=0)
    theirs = sk_fs.mutual_info_classif(X[:, :2], labels, random_state=0)
    assert_same(ours, theirs)


def test_random_state_kinds_match_sklearn():
    X, y = regression_data(n=150, seed=3)
    # RandomState instance: same stream
    ours = fs.mutual_info_regression(X, y, random_state=np.random.RandomState(7))
    theirs = sk_fs.mutual_info_regression(X, y, random_state=np.random.RandomState(7))
    assert_same(ours, theirs)
    # None: numpy's global RandomState, as sklearn
    np.random.seed(11)
    ours = fs.mutual_info_regression(X, y)
    np.random.seed(11)
    theirs = sk_fs.mutual_info_regression(X, y)
    assert_same(ours, theirs)


def test_generator_random_state_is_accepted():
    """Another noise stream: on data without ties the 1e-10 noise changes no neighbour."""
    X, y = regression_data(n=150, seed=4)
    X = X[:, [0, 1, 3]]  # column 2 has ties: there the noise decides
    ours = fs.mutual_info_regression(X, y, random_state=np.random.default_rng(0))
    theirs = sk_fs.mutual_info_regression(X, y, random_state=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_float32_and_integer_inputs_match_sklearn():
    X, y = regression_data(n=150, seed=5)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    assert_same(fs.mutual_info_regression(X32, y32, random_state=1),
                sk_fs.mutual_info_regression(X32, y32, random_state=1))
    Xi = np.round(X * 10).astype(np.int64)
    yi = np.round(y * 10).astype(np.int32)
    assert_same(fs.mutual_info_regression(Xi, yi, random_state=1),
                sk_fs.mutual_info_regression(Xi, yi, random_state=1))


def test_statistically_equal_on_tied_data():
    """Heavy ties: the noise decides the neighbours, so single values differ with the stream;
    over seeds the two implementations estimate the same thing."""
    rng = np.random.RandomState(6)
    X = np.round(rng.standard_normal((300, 2)), 1)
    y = np.round(X[:, 0] + rng.standard_normal(300), 1)
    ours = np.array([fs.mutual_info_regression(X, y, random_state=np.random.default_rng(s))
                     for s in range(8)])
    theirs = np.array([sk_fs.mutual_info_regression(X, y, random_state=s) for s in range(8)])
    spread = ours.std(axis=0) + theirs.std(axis=0) + 1e-3
    assert np.all(np.abs(ours.mean(axis=0) - theirs.mean(axis=0)) < 3 * spread)


# ---------------------------------------------------------------- discrete-discrete path

@pytest.mark.parametrize("seed", range(5))
def test_contingency_mi_equals_mutual_info_score_exactly(seed):
    rng = np.random.RandomState(seed)
    n = rng.randint(5, 400)
    a = rng.randint(0, rng.randint(1, 8), n)
    b = (a + rng.randint(0, rng.randint(1, 4), n)) % 5
    assert fs._contingency_mi(a, b) == sk_metrics.mutual_info_score(a, b)
    assert fs._contingency_mi(b.astype(str), a) == sk_metrics.mutual_info_score(b.astype(str), a)


def test_contingency_mi_constant_and_perfect():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert fs._contingency_mi(a, np.zeros(6)) == 0.0 == sk_metrics.mutual_info_score(a, np.zeros(6))
    assert fs._contingency_mi(a, a) == sk_metrics.mutual_info_score(a, a)
    assert fs._contingency_mi(a, a) == pytest.approx(np.log(3), rel=1e-15)


def test_classif_all_discrete_matches_exactly():
    rng = np.random.RandomState(8)
    X = rng.randint(0, 3, (100, 4))
    y = rng.randint(0, 3, 100)
    X[:, 1] = y
    ours = fs.mutual_info_classif(X, y, discrete_features=True)
    theirs = sk_fs.mutual_info_classif(X, y, discrete_features=True)
    np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------- sparse input

@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_discrete_features(fmt):
    rng = np.random.RandomState(9)
    dense = rng.randint(0, 3, (80, 3)) * (rng.rand(80, 3) > 0.5)
    y = (dense[:, 0] + rng.randint(0, 2, 80)) % 3
    S = sp.csr_matrix(dense).asformat(fmt)
    np.testing.assert_array_equal(fs.mutual_info_classif(S, y),
                                  sk_fs.mutual_info_classif(S, y))
    yc = dense[:, 1] + 0.3 * rng.standard_normal(80)
    assert_same(fs.mutual_info_regression(S, yc, random_state=0),
                sk_fs.mutual_info_regression(S, yc, random_state=0))


def test_sparse_with_continuous_features_is_an_error():
    S = sp.csr_matrix(np.eye(10))
    with pytest.raises(ValueError, match="Sparse matrix `X` can't have continuous features"):
        fs.mutual_info_regression(S, np.arange(10.0), discrete_features=False)


# ---------------------------------------------------------------- copy, clipping, shapes

@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size", [0, 1, 2, 3, 1001, (500, 3), 20001])
@pytest.mark.parametrize("drawn_before", [0, 1, 4])
def test_native_legacy_normals_are_randomstates(size, drawn_before, threads, restore_threads):
    # the wrappers' noise: RandomState.standard_normal's numbers, bit for bit, and the state it
    # leaves (cached second normal included: odd counts leave one), for any thread count
    import infonative

    infonative.set_num_threads(threads)
    for seed in (0, 7, 123456789):
        theirs, ours = np.random.RandomState(seed), np.random.RandomState(seed)
        theirs.standard_normal(drawn_before)
        ours.standard_normal(drawn_before)
        expected = theirs.standard_normal(size)
        got = fs._standard_normal(ours, size)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        mine, numpys = ours.get_state(legacy=False), theirs.get_state(legacy=False)
        np.testing.assert_array_equal(mine["state"]["key"], numpys["state"]["key"])
        assert (mine["state"]["pos"], mine["has_gauss"], mine["gauss"]) == (
            numpys["state"]["pos"], numpys["has_gauss"], numpys["gauss"])
        np.testing.assert_array_equal(ours.standard_normal(3), theirs.standard_normal(3))
        assert ours.random_sample() == theirs.random_sample()
    generator = np.random.default_rng(1)
    np.testing.assert_array_equal(fs._standard_normal(generator, 5),
                                  np.random.default_rng(1).standard_normal(5))


@pytest.mark.parametrize("words_before", [1, 3, 310 * 2 + 3, 623])
def test_native_legacy_normals_from_any_key_position(words_before):
    # an MT19937 RandomState's normals are drawn from a copy of its key: any position, odd ones
    # too (a 53-bit double then takes the key's last word and the next key's first), and the
    # state afterwards, as numpy leaves it
    for seed in (0, 5):
        theirs, ours = np.random.RandomState(seed), np.random.RandomState(seed)
        for rs in (theirs, ours):
            rs.randint(0, 2**32, size=words_before, dtype=np.uint32)  # one 32-bit word each
        assert ours.get_state()[2] % 2 == words_before % 2
        for size in (1, 2, 301, 1001):
            np.testing.assert_array_equal(fs._standard_normal(ours, size),
                                          theirs.standard_normal(size))
            mine, numpys = ours.get_state(), theirs.get_state()
            np.testing.assert_array_equal(mine[1], numpys[1])
            assert mine[2:] == numpys[2:]


@pytest.mark.parametrize("layout", ["C", "F", "one column"])
def test_scaled_noisy_inputs_are_sklearns_in_every_layout(layout):
    # the wrapper scales and adds noise in place where sklearn's X[:, mask] copy would have
    # X's layout (reductions sum in a layout-dependent order): the bits must not change
    X, y = regression_data(n=300, seed=12)
    X = X[:, :1].copy() if layout == "one column" else np.asarray(X, order=layout)
    ours, theirs = X.copy(order="K"), X.copy(order="K")
    mi_ours = fs.mutual_info_regression(ours, y, copy=False, random_state=3)
    mi_theirs = sk_fs.mutual_info_regression(theirs, y, copy=False, random_state=3)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(mi_ours, mi_theirs, rtol=RTOL, atol=ATOL)


def test_copy_semantics_match_sklearn():
    X, y = regression_data(n=100, seed=10)
    X_before = X.copy()
    fs.mutual_info_regression(X, y, random_state=0)
    np.testing.assert_array_equal(X, X_before)  # copy=True: untouched
    ours, theirs = X.copy(), X.copy()
    fs.mutual_info_regression(ours, y, copy=False, random_state=0)
    sk_fs.mutual_info_regression(theirs, y, copy=False, random_state=0)
    assert not np.array_equal(ours, X_before)  # scaled and noisy in place, as sklearn
    np.testing.assert_array_equal(ours, theirs)
    Xi = np.round(X_before).astype(np.int64)  # not float64: a converted copy is used
    Xi_before = Xi.copy()
    fs.mutual_info_regression(Xi, y, copy=False, random_state=0)
    np.testing.assert_array_equal(Xi, Xi_before)
    y_before = y.copy()
    fs.mutual_info_regression(X_before, y, copy=False, random_state=0)
    np.testing.assert_array_equal(y, y_before)  # y is never written


def test_negative_estimates_are_clipped():
    rng = np.random.RandomState(11)
    X = rng.standard_normal((60, 6))
    y = rng.standard_normal(60)
    raw = [knn.mutual_info(X[:, j], y, noise=0) for j in range(6)]
    assert min(raw) < 0  # KSG on independent data: some raw estimates are negative
    mi = fs.mutual_info_regression(X, y, random_state=0)
    assert np.all(mi >= 0) and np.any(mi == 0)
    np.testing.assert_allclose(mi, np.maximum(raw, 0), rtol=1e-9, atol=1e-12)


def test_shapes_and_column_vector_target():
    X, y = regression_data(n=50, seed=12)
    assert fs.mutual_info_regression(X[:, :1], y, random_state=0).shape == (1,)
    with pytest.warns(UserWarning, match="column-vector y"):
        col = fs.mutual_info_regression(X, y[:, None], random_state=0)
    assert_same(col, fs.mutual_info_regression(X, y, random_state=0))


def test_n_jobs_is_accepted_and_changes_nothing():
    X, y = regression_data(n=80, seed=13)
    ref = fs.mutual_info_regression(X, y, random_state=0)
    for n_jobs in (None, 1, 2, -1):
        np.testing.assert_array_equal(
            fs.mutual_info_regression(X, y, random_state=0, n_jobs=n_jobs), ref)


# ---------------------------------------------------------------- bad input

X_BAD, Y_BAD = regression_data(n=30, seed=14)


@pytest.mark.parametrize("func", [fs.mutual_info_regression, fs.mutual_info_classif])
@pytest.mark.parametrize("kwargs", [dict(n_neighbors=0), dict(n_neighbors=2.0),
                                    dict(n_neighbors=True), dict(copy="yes"),
                                    dict(n_jobs=1.5), dict(random_state=-1),
                                    dict(random_state="seed")])
def test_invalid_parameters_are_value_and_type_errors(func, kwargs):
    y = np.round(Y_BAD) if func is fs.mutual_info_classif else Y_BAD
    with pytest.raises(fs.InvalidParameterError) as info:
        func(X_BAD, y, **kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize("discrete_features, match", [
    ("yes", "Invalid string value"),
    (np.array([True, False]), "boolean mask has 2 entries for 4 features"),
    ([4], "out of range"),
    ([-5], "out of range"),
    ([0.5], "integers"),
    (np.zeros((2, 2), dtype=int), "shape"),
])
def test_bad_discrete_features(discrete_features, match):
    with pytest.raises(ValueError, match=match):
        fs.mutual_info_regression(X_BAD, Y_BAD, discrete_features=discrete_features)


def test_bad_data():
    with pytest.raises(ValueError, match="Expected 2D array"):
        fs.mutual_info_regression(X_BAD[:, 0], Y_BAD)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fs.mutual_info_regression(X_BAD, Y_BAD[:-1])
    bad = X_BAD.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        fs.mutual_info_regression(bad, Y_BAD)
    with pytest.raises(ValueError, match="NaN or infinity"):
        fs.mutual_info_regression(X_BAD, np.r_[Y_BAD[:-1], np.inf])
    with pytest.raises(ValueError, match="Complex"):
        fs.mutual_info_regression(X_BAD + 1j, Y_BAD)
    with pytest.raises(ValueError, match="y must be numeric"):
        fs.mutual_info_regression(X_BAD, Y_BAD.astype(str))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        fs.mutual_info_classif(X_BAD, Y_BAD)
    with pytest.raises(ValueError, match="n_neighbors"):
        fs.mutual_info_regression(X_BAD, Y_BAD, n_neighbors=30)
    with pytest.raises(ValueError, match="occurs once"):  # every label unique
        fs.mutual_info_classif(X_BAD, np.arange(30))
