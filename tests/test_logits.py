"""entropy_from_logits and kl_divergence_from_logits against float64 scipy formulas and mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from conftest import (F64, INT_DTYPES, WIDE_DTYPES, assert_close, dtype_id, magnitude, quiet,
                      tols, to_float64_truth)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import log_softmax, softmax
from scipy.stats import entropy as sp_entropy

import infonative as inf


def ref_entropy(a, axis=-1, base=None):
    """H(softmax(a)) in float64 via scipy (0 log 0 = 0)."""
    a = to_float64_truth(a)
    with quiet():
        p = softmax(a, axis=axis)
        h = sp_entropy(p, axis=axis)
    return h / np.log(base) if base is not None else h


def ref_kl(a, c, axis=-1, base=None):
    """sum p (log_softmax(a) - log_softmax(c)) in float64 (term 0 where p == 0)."""
    a, c = to_float64_truth(a), to_float64_truth(c)
    with quiet():
        p = softmax(a, axis=axis)
        terms = np.where(p > 0, p * (log_softmax(a, axis=axis) - log_softmax(c, axis=axis)), 0.0)
        kl = np.sum(terms, axis=axis)
    return kl / np.log(base) if base is not None else kl


def _kl_atol(a, c, dtype):
    # KL is a difference of O(|logits|) terms: absolute error ~ eps * magnitude
    _, atol = tols(dtype)
    return atol * max(magnitude(a), magnitude(c))


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,axis", [((50,), -1), ((50,), 0), ((7, 33), -1), ((7, 33), 0),
                                        ((7, 33), 1), ((4, 9, 5), 1), ((4, 9, 5), -1),
                                        ((4, 9, 5), 0), ((3, 1000), -1)], ids=str)
@pytest.mark.parametrize("base", [None, 2])
def test_entropy_from_logits(dtype, shape, axis, base):
    rng = np.random.default_rng(401)
    a = (rng.standard_normal(shape) * 4).astype(dtype)
    got = inf.entropy_from_logits(a, axis=axis, base=base)
    exp = ref_entropy(a, axis=axis, base=base)
    expected_shape = tuple(s for i, s in enumerate(shape) if i != axis % len(shape))
    assert np.shape(got) == expected_shape
    assert np.asarray(got).dtype == dtype
    rtol, atol = tols(dtype)
    assert_close(got, exp, rtol=rtol, atol=atol * magnitude(a))


def test_default_axis_is_last():
    rng = np.random.default_rng(402)
    a = rng.standard_normal((5, 8))
    assert_close(inf.entropy_from_logits(a), ref_entropy(a, axis=-1), rtol=1e-13)
    c = rng.standard_normal((5, 8))
    assert_close(inf.kl_divergence_from_logits(a, c), ref_kl(a, c, axis=-1), rtol=1e-12,
                 atol=1e-14)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,axis", [((50,), -1), ((7, 33), -1), ((7, 33), 0),
                                        ((4, 9, 5), 1), ((3, 1000), -1)], ids=str)
@pytest.mark.parametrize("base", [None, 2])
def test_kl_from_logits(dtype, shape, axis, base):
    rng = np.random.default_rng(403)
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    c = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    got = inf.kl_divergence_from_logits(a, c, axis=axis, base=base)
    exp = ref_kl(a, c, axis=axis, base=base)
    assert np.shape(got) == np.shape(exp)
    assert np.asarray(got).dtype == dtype
    rtol, _ = tols(dtype)
    assert_close(got, exp, rtol=rtol, atol=_kl_atol(a, c, dtype))
    assert np.all(to_float64_truth(got) >= -_kl_atol(a, c, dtype))


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_kl_of_identical_inputs_is_zero(dtype):
    rng = np.random.default_rng(404)
    a = (rng.standard_normal((9, 257)) * 5).astype(dtype)
    got = inf.kl_divergence_from_logits(a, a.copy())
    np.testing.assert_array_equal(to_float64_truth(got), np.zeros(9))
    # a shift of the logits does not change the distribution
    got = inf.kl_divergence_from_logits(a, a + dtype.type(8))
    assert_close(got, np.zeros(9), rtol=0, atol=_kl_atol(a, a + 8, dtype))


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=dtype_id)
def test_int_inputs(dtype):
    a = (np.arange(24).reshape(4, 6) % (2 if dtype == np.bool_ else 5)).astype(dtype)
    c = a[::-1].copy()
    got = inf.entropy_from_logits(a)
    assert np.asarray(got).dtype == np.float64
    assert_close(got, ref_entropy(a), rtol=1e-13)
    got = inf.kl_divergence_from_logits(a, c)
    assert np.asarray(got).dtype == np.float64
    assert_close(got, ref_kl(a, c), rtol=1e-12, atol=1e-14)


def test_uniform_logits_give_log_n():
    # absolute error of LSE(a) - sum p a is a few eps times |a| + log n
    eps = np.finfo(np.float64).eps
    for n in (1, 2, 7, 4096):
        a = np.full(n, 3.25)
        tol = 8 * eps * (3.25 + np.log(n))
        assert float(inf.entropy_from_logits(a)) == pytest.approx(np.log(n), rel=0, abs=tol)
        assert float(inf.entropy_from_logits(a, base=2)) == pytest.approx(np.log2(n), rel=0,
                                                                          abs=tol / np.log(2))


def _mp_entropy(row):
    mpmath.mp.dps = 50
    r = [mpmath.mpf(float(v)) for v in row]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in r))
    return float(-mpmath.fsum(mpmath.exp(v - lse) * (v - lse) for v in r))


def _mp_kl(a, c):
    mpmath.mp.dps = 50
    a = [mpmath.mpf(float(v)) for v in a]
    c = [mpmath.mpf(float(v)) for v in c]
    la = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in a))
    lc = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in c))
    return float(mpmath.fsum(mpmath.exp(x - la) * ((x - la) - (y - lc)) for x, y in zip(a, c)))


DOMINANT = [
    [0.0, -40.0, -50.0],
    [0.0, -30.0, -35.0, -36.0],
    [0.0, -20.0],
    [-5.0, -45.0, -55.0, -60.0, -70.0],
    [0.0] + [-25.0] * 100,
]


@pytest.mark.parametrize("row", DOMINANT, ids=str)
def test_entropy_dominant_logit_relative_accuracy(row):
    a = np.array(row)
    truth = _mp_entropy(row)
    assert 0 < truth < 1e-6
    got = float(inf.entropy_from_logits(a))
    assert got == pytest.approx(truth, rel=1e-12)
    # also inside a batch along either axis
    batch = np.stack([a, a - 3.0, np.zeros_like(a)])
    got = inf.entropy_from_logits(batch, axis=1)
    assert float(got[0]) == pytest.approx(truth, rel=1e-12)
    got = inf.entropy_from_logits(batch.T.copy(), axis=0)
    assert float(got[0]) == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize("row", DOMINANT, ids=str)
def test_entropy_dominant_logit_shifted_relative_accuracy(row):
    # the same distribution with a large maximum logit: the shift by the max is exact, so the
    # result must keep its relative accuracy (H = log1p(s) - sum p (a - max))
    a = np.array(row) + 100.0
    truth = _mp_entropy(a)
    got = float(inf.entropy_from_logits(a))
    assert got == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize("row", [[0.0, -20.0], [0.0, -15.0, -17.0], [30.0, 10.0, 5.0],
                                 [0.0] + [-12.0] * 50, [5.0, -10.0, -12.5]], ids=str)
def test_float32_dominant_logit_relative_accuracy(row):
    # computed in float32: a few float32 ulps of the (tiny) result, not of the logits
    a = np.array(row, dtype=np.float32)
    truth = _mp_entropy(a.astype(np.float64))
    got = inf.entropy_from_logits(a)
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(truth, rel=8 * float(np.finfo(np.float32).eps))
    mpmath.mp.dps = 50
    r = [mpmath.mpf(float(v)) for v in a]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in r))
    ls_truth = np.array([float(v - lse) for v in r])
    np.testing.assert_allclose(inf.log_softmax(a).astype(np.float64), ls_truth,
                               rtol=8 * np.finfo(np.float32).eps, atol=0)


@pytest.mark.parametrize("a,c", [
    ([0.0, -40.0, -50.0], [0.0, -30.0, -45.0]),
    ([0.0, -30.0, -30.0], [0.0, -31.0, -29.0]),
    ([0.0, -25.0], [0.0, -24.0]),
    ([10.0, -30.0, -40.0], [10.0, -20.0, -35.0]),
], ids=str)
def test_kl_dominant_logit_relative_accuracy(a, c):
    truth = _mp_kl(a, c)
    assert 0 < truth < 1e-6
    got = float(inf.kl_divergence_from_logits(np.array(a), np.array(c)))
    assert got == pytest.approx(truth, rel=1e-12)


def test_minus_infinity_logits_are_zero_probability():
    a = np.array([0.0, -np.inf, 1.0, -np.inf])
    exp = ref_entropy(a)
    assert_close(inf.entropy_from_logits(a), exp, rtol=1e-14)
    assert_close(inf.entropy_from_logits(np.array([-np.inf, 2.0])), 0.0, rtol=0)
    c = np.array([0.5, -np.inf, 1.0, 3.0])
    # p == 0 where a == -inf: those terms vanish even though c is finite
    assert_close(inf.kl_divergence_from_logits(a, c), ref_kl(a, c), rtol=1e-13, atol=1e-15)
    # q == 0 where p > 0: infinite divergence
    c2 = np.array([0.5, 1.0, -np.inf, 3.0])
    assert float(inf.kl_divergence_from_logits(a, c2)) == np.inf


def test_nan_propagates():
    a = np.array([[0.0, np.nan, 1.0], [0.0, 1.0, 2.0]])
    got = inf.entropy_from_logits(a)
    assert np.isnan(got[0]) and np.isfinite(got[1])
    got = inf.kl_divergence_from_logits(a, np.zeros_like(a))
    assert np.isnan(got[0]) and np.isfinite(got[1])
    got = inf.kl_divergence_from_logits(np.zeros_like(a), a)
    assert np.isnan(got[0]) and np.isfinite(got[1])


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_large_rows(dtype):
    rng = np.random.default_rng(405)
    a = (rng.standard_normal((2, 300_001)) * 4).astype(dtype)
    c = (rng.standard_normal((2, 300_001)) * 4).astype(dtype)
    rtol, atol = tols(dtype)
    assert_close(inf.entropy_from_logits(a), ref_entropy(a), rtol=rtol,
                 atol=atol * magnitude(a))
    assert_close(inf.kl_divergence_from_logits(a, c), ref_kl(a, c), rtol=rtol,
                 atol=_kl_atol(a, c, dtype))
    assert_close(inf.entropy_from_logits(a[1]), ref_entropy(a[1]), rtol=rtol,
                 atol=atol * magnitude(a))


_elem = st.one_of(st.floats(-40, 40), st.floats(-1e6, 1e6),
                  st.sampled_from([-np.inf, 0.0, -745.0, 709.0]))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_property_matches_reference(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7))
    a = data.draw(hnp.arrays(np.float64, shape, elements=_elem))
    c = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-40, 40)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    # slices whose logits are all -inf have no distribution: not specified, not compared
    valid = np.any(np.isfinite(a), axis=axis)
    exp = ref_entropy(a, axis=axis)
    got = inf.entropy_from_logits(a, axis=axis)
    assert np.asarray(got).dtype == F64
    assert np.shape(got) == np.shape(exp)
    assert_close(np.asarray(got)[valid], np.asarray(exp)[valid], rtol=1e-12,
                 atol=1e-13 * magnitude(a))
    exp = ref_kl(a, c, axis=axis)
    got = inf.kl_divergence_from_logits(a, c, axis=axis)
    assert np.shape(got) == np.shape(exp)
    assert_close(np.asarray(got)[valid], np.asarray(exp)[valid], rtol=1e-12,
                 atol=1e-13 * max(magnitude(a), magnitude(c)))
