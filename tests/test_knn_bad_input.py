"""infonative.knn on bad or degenerate input: a ValueError / TypeError with a message that names
the problem, or the documented result (knn_spec.md) -- never a crash or a hang."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import knn_reference as ref
import numpy as np
import pytest

from infonative import knn

RNG = np.random.default_rng(6000)
X = RNG.standard_normal((40, 2))
Y = RNG.standard_normal(40)
Z = RNG.standard_normal((40, 1))
LAB = RNG.integers(0, 3, 40)

# every estimator as a function of one data argument (the others good), per argument position
DATA_ARGS = {
    "entropy": lambda a: knn.entropy(a),
    "mi_x": lambda a: knn.mutual_info(a, Y),
    "mi_y": lambda a: knn.mutual_info(X, a),
    "mi_third": lambda a: knn.mutual_info(X, Y, a),
    "cmi_x": lambda a: knn.conditional_mutual_info(a, Y, Z),
    "cmi_y": lambda a: knn.conditional_mutual_info(X, a, Z),
    "cmi_z": lambda a: knn.conditional_mutual_info(X, Y, a),
    "kl_x": lambda a: knn.kl_divergence(a, X),
    "kl_y": lambda a: knn.kl_divergence(X, a),
    "mixed_x": lambda a: knn.mutual_info_mixed(a, LAB),
    "te_source": lambda a: knn.transfer_entropy(a, Y),
    "te_target": lambda a: knn.transfer_entropy(X, a),
}

NAN_MSG = r"(?i)nan|finite|inf"
LEN_MSG = r"(?i)sample|length|rows|shape|same|match|size"
K_MSG = r"(?i)\bk\b|neighbo"


def _like(fn_name, shape=None):
    """A good array of the right width for an argument position."""
    n = 40 if shape is None else shape
    return X[:n].copy() if fn_name in ("entropy", "mi_x", "cmi_x", "kl_x", "kl_y",
                                       "mixed_x", "te_source") else Y[:n].copy()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("fn", list(DATA_ARGS))
def test_nan_or_inf_raises(fn, bad):
    a = _like(fn)
    a.flat[7] = bad
    with pytest.raises(ValueError, match=NAN_MSG):
        DATA_ARGS[fn](a)
    with pytest.raises(ValueError, match=NAN_MSG):
        DATA_ARGS[fn](a.astype(np.float32))


def test_nan_raises_even_with_noise_off_and_no_standardize():
    x = X.copy()
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=NAN_MSG):
        knn.entropy(x, noise=0.0)
    with pytest.raises(ValueError, match=NAN_MSG):
        knn.mutual_info(x, Y, noise=0.0, standardize=False)


@pytest.mark.parametrize("fn", [f for f in DATA_ARGS if f not in ("entropy", "kl_x", "kl_y")])
def test_mismatched_lengths_raise(fn):
    with pytest.raises(ValueError, match=LEN_MSG):
        DATA_ARGS[fn](_like(fn, 39))


def test_mutual_info_needs_two_variables():
    with pytest.raises(TypeError):
        knn.mutual_info(X)


def test_kl_divergence_needs_the_same_dimension():
    with pytest.raises(ValueError):
        knn.kl_divergence(X, RNG.standard_normal((40, 3)))
    with pytest.raises(ValueError):
        knn.kl_divergence(X, Y)  # (40, 2) vs (40,) == (40, 1)


def test_labels_of_wrong_length_or_shape():
    with pytest.raises(ValueError, match=LEN_MSG):
        knn.mutual_info_mixed(X, LAB[:-1])
    with pytest.raises(ValueError):
        knn.mutual_info_mixed(X, LAB.reshape(20, 2))
    with pytest.raises(ValueError):
        knn.mutual_info_mixed(X, np.array([]))


@pytest.mark.parametrize("k", [0, -1, -5])
def test_k_below_one_raises(k):
    for call in (lambda: knn.entropy(X, k=k), lambda: knn.mutual_info(X, Y, k=k),
                 lambda: knn.conditional_mutual_info(X, Y, Z, k=k),
                 lambda: knn.kl_divergence(X, X[::-1], k=k),
                 lambda: knn.mutual_info_mixed(X, LAB, k=k),
                 lambda: knn.transfer_entropy(Y, Y[::-1], k=k)):
        with pytest.raises(ValueError, match=K_MSG):
            call()


@pytest.mark.parametrize("k", [2.5, 3.0, "3", None, [3]], ids=repr)
def test_non_integer_k_raises(k):
    for call in (lambda: knn.entropy(X, k=k), lambda: knn.mutual_info(X, Y, k=k),
                 lambda: knn.conditional_mutual_info(X, Y, Z, k=k),
                 lambda: knn.kl_divergence(X, X[::-1], k=k),
                 lambda: knn.mutual_info_mixed(X, LAB, k=k),
                 lambda: knn.transfer_entropy(Y, Y[::-1], k=k)):
        with pytest.raises((TypeError, ValueError)):
            call()


def test_numpy_integer_k_is_an_int():
    got = knn.entropy(X, k=np.int64(4), noise=0.0)
    assert got == knn.entropy(X, k=4, noise=0.0)
    assert got == pytest.approx(ref.entropy(X, 4), rel=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_n_not_above_k_raises(n):
    # k must satisfy 1 <= k < N: N = k is an error, N = k + 1 the smallest valid size
    k = 3
    x, y, z = X[:n], Y[:n], Z[:n]
    calls = {
        "entropy": lambda: knn.entropy(x, k=k, noise=0.0),
        "mi": lambda: knn.mutual_info(x, y, k=k, noise=0.0, standardize=False),
        "cmi": lambda: knn.conditional_mutual_info(x, y, z, k=k, noise=0.0, standardize=False),
        "kl": lambda: knn.kl_divergence(x, X, k=k, noise=0.0),
    }
    refs = {
        "entropy": lambda: ref.entropy(x, k),
        "mi": lambda: ref.mutual_info([x, y], k, 1),
        "cmi": lambda: ref.conditional_mutual_info(x, y, z, k),
        "kl": lambda: ref.kl_divergence(x, X, k),
    }
    for name, call in calls.items():
        if n <= k:
            with pytest.raises(ValueError, match=K_MSG):
                call()
        else:
            assert call() == pytest.approx(refs[name](), rel=1e-10, abs=1e-11), name


def test_kl_divergence_needs_k_samples_of_q():
    # nu_k needs k points of y: m >= k (the engine documents k <= m)
    with pytest.raises(ValueError, match=K_MSG):
        knn.kl_divergence(X, X[:2], k=3)
    got = knn.kl_divergence(X, X[:3] + 0.1, k=3, noise=0.0)
    assert got == pytest.approx(ref.kl_divergence(X, X[:3] + 0.1, 3), rel=1e-10)


def test_mixed_k_counts_after_dropping_singleton_labels():
    # 6 samples whose label occurs once are dropped: N' = 4, so k <= 3
    x = np.arange(10.0) ** 1.5
    lab = np.array([0, 0, 1, 1, 2, 3, 4, 5, 6, 7])
    with pytest.raises(ValueError, match=K_MSG):
        knn.mutual_info_mixed(x, lab, k=4, noise=0.0, standardize=False)
    assert knn.mutual_info_mixed(x, lab, k=3, noise=0.0, standardize=False) == pytest.approx(
        ref.mutual_info_mixed(x, lab, 3), rel=1e-10, abs=1e-11)
    with pytest.raises(ValueError):  # every label unique: nothing left
        knn.mutual_info_mixed(x, np.arange(10), k=1)


@pytest.mark.parametrize("shape", [(), (40, 2, 1), (2, 20, 2)], ids=str)
def test_wrong_ndim_raises(shape):
    a = np.ones(shape) if shape else np.float64(1.0)
    for name, fn in DATA_ARGS.items():
        with pytest.raises(ValueError):
            fn(a)


@pytest.mark.parametrize("shape", [(0,), (0, 2), (40, 0)], ids=str)
def test_empty_raises(shape):
    a = np.empty(shape)
    for name in ("entropy", "mi_x", "mi_y", "cmi_z", "kl_x", "kl_y", "te_source"):
        with pytest.raises(ValueError):
            DATA_ARGS[name](a)


BAD_DTYPES = {
    "complex128": lambda a: a.astype(np.complex128),
    "complex64": lambda a: a.astype(np.complex64),
    "object": lambda a: a.astype(object),
    "str": lambda a: a.astype(str),
    "datetime64": lambda a: np.zeros(a.shape, dtype="datetime64[s]"),
    "timedelta64": lambda a: np.ones(a.shape, dtype="timedelta64[s]"),
}


@pytest.mark.parametrize("kind", list(BAD_DTYPES))
@pytest.mark.parametrize("fn", list(DATA_ARGS))
def test_unsupported_dtypes_raise_type_error(fn, kind):
    with pytest.raises(TypeError):
        DATA_ARGS[fn](BAD_DTYPES[kind](_like(fn)))


@pytest.mark.parametrize("metric", ["cosine", "minkowski", "", 0.5, 0, -2.0, math.nan, None],
                         ids=repr)
def test_bad_metric_raises(metric):
    with pytest.raises((TypeError, ValueError)):
        knn.entropy(X, metric=metric)
    with pytest.raises((TypeError, ValueError)):
        knn.kl_divergence(X, X[::-1], metric=metric)


@pytest.mark.parametrize("algorithm", [0, 3, -1, "ksg1", 1.5, None], ids=repr)
def test_bad_algorithm_raises(algorithm):
    with pytest.raises((TypeError, ValueError)):
        knn.mutual_info(X, Y, algorithm=algorithm)


def test_bad_random_state_raises():
    with pytest.raises((TypeError, ValueError)):
        knn.mutual_info(X, Y, random_state="seed")
    with pytest.raises((TypeError, ValueError)):
        knn.entropy(X, random_state=1.5)


@pytest.mark.parametrize("history,lag", [(0, 1), (1, 0), (-1, 1), (1, -2)], ids=str)
def test_transfer_entropy_history_and_lag_below_one_raise(history, lag):
    with pytest.raises(ValueError, match=r"(?i)history|lag"):
        knn.transfer_entropy(Y, Y[::-1], history=history, lag=lag)


@pytest.mark.parametrize("history,lag", [(1.5, 1), (1, 2.5), ("2", 1), (1, None)], ids=str)
def test_transfer_entropy_non_integer_history_or_lag_raise(history, lag):
    with pytest.raises((TypeError, ValueError)):
        knn.transfer_entropy(Y, Y[::-1], history=history, lag=lag)


def test_transfer_entropy_series_too_short_for_the_embedding():
    # N = 10, history 3, lag 5: t0 = max(3, 5 + 3 - 1) = 7 -> 3 embedded samples; k = 3 needs 4
    s, t = np.arange(10.0) ** 1.3, np.arange(10.0) ** 0.7
    with pytest.raises(ValueError):
        knn.transfer_entropy(s, t, k=3, history=3, lag=5, noise=0.0, standardize=False)
    assert knn.transfer_entropy(s, t, k=2, history=3, lag=5, noise=0.0,
                                standardize=False) == pytest.approx(
        ref.transfer_entropy(s, t, 2, 3, 5), rel=1e-10, abs=1e-11)
    with pytest.raises(ValueError):  # the lags leave no sample at all
        knn.transfer_entropy(s, t, k=1, history=4, lag=8)


def test_kl_divergence_zero_distances_documented():
    # noise=0: a duplicated x point gives rho_k = 0 and +inf; an x point that also occurs in y
    # gives nu_k = 0 and -inf (both documented); both at once: inf - inf = nan (the formula;
    # not documented).  No RuntimeWarning escapes (filterwarnings = error).
    x = np.array([0.0, 0.0, 1.0, 2.0, 3.5])
    y = np.array([0.5, 1.7, 2.2, 4.0])
    assert knn.kl_divergence(x, y, k=1, noise=0.0) == math.inf == ref.kl_divergence(x, y, 1)
    x2 = np.array([0.0, 0.6, 1.0, 2.0, 3.5])
    y2 = np.array([0.0, 1.7, 2.2, 4.0])
    assert knn.kl_divergence(x2, y2, k=1, noise=0.0) == -math.inf == ref.kl_divergence(x2, y2, 1)
    assert math.isnan(knn.kl_divergence(x, y2, k=1, noise=0.0))
    assert math.isnan(ref.kl_divergence(x, y2, 1))
    # with the default noise every distance is positive: finite
    assert math.isfinite(knn.kl_divergence(x, y2, k=1, random_state=0))


# --- degenerate data: documented results, run in a subprocess (a crash or a hang fails) ------

DEGENERATE = textwrap.dedent("""
    import json, math, numpy as np
    from infonative import knn
    rng = np.random.default_rng(6100)
    n = 3000
    x = rng.standard_normal(n)
    c = np.full(n, 5.0)
    same = np.zeros((n, 2))
    dup = np.repeat(rng.standard_normal(n // 4), 4)
    raw = dict(noise=0.0, standardize=False)
    out = {
      "entropy_const": knn.entropy(c, noise=0.0),
      "entropy_same_2d": knn.entropy(same, noise=0.0, metric="euclidean"),
      "entropy_dup": knn.entropy(dup, k=3, noise=0.0),
      "entropy_dup_k4": knn.entropy(dup, k=4, noise=0.0),
      "entropy_const_noise": knn.entropy(c, random_state=0),
      "mi_const": knn.mutual_info(x, c, **raw),
      "mi_const_std": knn.mutual_info(x, c, noise=0.0),
      "mi_const_alg2": knn.mutual_info(x, c, algorithm=2, **raw),
      "mi_same": knn.mutual_info(same, same[:, 0], **raw),
      "mi_same_alg2": knn.mutual_info(same, same[:, 0], algorithm=2, **raw),
      "mi_dup": knn.mutual_info(dup, dup[::-1].copy(), **raw),
      "cmi_const_z": knn.conditional_mutual_info(x, x ** 3, c, **raw),
      "cmi_same": knn.conditional_mutual_info(same, same, same, **raw),
      "mixed_const": knn.mutual_info_mixed(c, rng.integers(0, 3, n), **raw),
      "mixed_one_class": knn.mutual_info_mixed(x, np.zeros(n, int), **raw),
      "te_const": knn.transfer_entropy(c, x, **raw),
      "kl_same_sets": knn.kl_divergence(x, x.copy(), k=2, noise=0.0),
    }
    print(json.dumps({k: repr(float(v)) for k, v in out.items()}))
""")


def _degenerate_reference():
    rng = np.random.default_rng(6100)
    n = 3000
    x = rng.standard_normal(n)
    c = np.full(n, 5.0)
    same = np.zeros((n, 2))
    dup = np.repeat(rng.standard_normal(n // 4), 4)
    return {
        "entropy_const": -math.inf,  # every rho_k = 0
        "entropy_same_2d": -math.inf,
        "entropy_dup": -math.inf,  # 3 copies of every point: rho_3 = 0
        "entropy_dup_k4": ref.entropy(dup, 4),  # rho_4 > 0: finite
        "entropy_const_noise": None,  # finite (noise separates the points), value not fixed
        "mi_const": ref.mutual_info([x, c], 3, 1),  # = 0 exactly: n_c = N - 1, n_x = k - 1
        "mi_const_std": ref.mutual_info([ref.standardize(x), c], 3, 1),  # c stays as is
        "mi_const_alg2": ref.mutual_info([x, c], 3, 2),
        "mi_same": ref.mutual_info([same, same[:, 0]], 3, 1),
        "mi_same_alg2": ref.mutual_info([same, same[:, 0]], 3, 2),
        "mi_dup": ref.mutual_info([dup, dup[::-1].copy()], 3, 1),
        "cmi_const_z": ref.conditional_mutual_info(x, x ** 3, c, 3),
        "cmi_same": ref.conditional_mutual_info(same, same, same, 3),
        "mixed_const": ref.mutual_info_mixed(c, rng.integers(0, 3, n), 3),
        "mixed_one_class": ref.mutual_info_mixed(x, np.zeros(n, int), 3),
        "te_const": ref.transfer_entropy(c, x, 3),
        "kl_same_sets": ref.kl_divergence(x, x.copy(), 2),
    }


def test_degenerate_data_documented_results_no_crash_no_hang():
    proc = subprocess.run([sys.executable, "-c", DEGENERATE], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"crashed or raised (rc {proc.returncode}):\n{proc.stderr}"
    got = {k: float(v) for k, v in json.loads(proc.stdout).items()}
    exp = _degenerate_reference()
    assert got.keys() == exp.keys()
    bad = []
    for key, e in exp.items():
        g = got[key]
        if e is None:
            ok = math.isfinite(g)
        elif math.isinf(e):
            ok = g == e
        else:
            ok = math.isfinite(g) and abs(g - e) <= 1e-11 + 1e-10 * abs(e)
        if not ok:
            bad.append(f"{key}: got {g!r}, expected {e!r}")
    assert not bad, "\n".join(bad)
    assert got["mi_const"] == 0.0 or abs(got["mi_const"]) < 1e-12


ALL_DUPLICATES = textwrap.dedent("""
    import time, numpy as np
    from infonative import knn
    n = 60000
    same, c = np.zeros((n, 2)), np.full(n, 5.0)
    labels = np.arange(n) % 3
    raw = dict(noise=0.0, standardize=False)
    for name, f in [("entropy", lambda: knn.entropy(same, noise=0.0)),
                    ("mi1", lambda: knn.mutual_info(c, c, **raw)),
                    ("mi2", lambda: knn.mutual_info(same, c, algorithm=2, **raw)),
                    ("kl", lambda: knn.kl_divergence(same, same, noise=0.0)),
                    ("mixed", lambda: knn.mutual_info_mixed(same, labels, **raw))]:
        t = time.perf_counter()
        f()
        print(name, round(time.perf_counter() - t, 3), flush=True)
""")


def test_all_duplicate_points_take_no_quadratic_time():
    """N = 60000 copies of ONE point, noise off: the k-th neighbour distance is 0 for every
    point.  An N log N engine needs well under a second for each of these five calls (random
    data of this size takes ~0.1 s); a search that cannot prune tied subtrees visits every
    point per query, O(N^2): 25-45 s per call on the development machine (6-11 s at N = 30000),
    which this timeout (30 s for all five, > 50x the expected time) catches as the hang it
    becomes at N = 1e6."""
    try:
        proc = subprocess.run([sys.executable, "-c", ALL_DUPLICATES], capture_output=True,
                              text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        pytest.fail(f"all-duplicate data took > 30 s; finished (name, seconds): {done!r}")
    assert proc.returncode == 0, proc.stderr
