"""softmax / log_softmax against scipy.special (float64 truth)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from conftest import (F64, INT_DTYPES, WIDE_DTYPES, assert_close, assert_prob_close, dtype_id,
                      magnitude, quiet, tols, to_float64_truth)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import log_softmax as sp_log_softmax
from scipy.special import softmax as sp_softmax

import infonative as inf


def _ref_soft(x, axis):
    with quiet():
        return sp_softmax(to_float64_truth(x), axis=axis)


def _ref_log(x, axis):
    with quiet():
        return sp_log_softmax(to_float64_truth(x), axis=axis)


def _axis_sum_one(p, axis, dtype):
    s = np.sum(to_float64_truth(p), axis=axis)
    n = p.size if axis is None else np.prod([p.shape[i] for i in np.atleast_1d(axis)])
    # each entry has a relative error of a few eps: the sum stays within n * eps-ish
    np.testing.assert_allclose(s, 1.0, rtol=0, atol=max(16, n) * np.finfo(dtype).eps)


AXES = [None, 0, 1, -1, (0, 1), (0, 2), 2, -2]


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_softmax_matches_scipy(dtype, axis):
    rng = np.random.default_rng(201)
    x = (rng.standard_normal((6, 40, 3)) * 6).astype(dtype)
    got = inf.softmax(x, axis=axis)
    assert got.shape == x.shape and got.dtype == dtype
    assert_prob_close(got, _ref_log(x, axis), dtype)
    _axis_sum_one(got, axis, dtype)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_log_softmax_matches_scipy(dtype, axis):
    rng = np.random.default_rng(202)
    x = (rng.standard_normal((6, 40, 3)) * 6).astype(dtype)
    got = inf.log_softmax(x, axis=axis)
    assert got.shape == x.shape and got.dtype == dtype
    rtol, atol = tols(dtype)
    assert_close(got, _ref_log(x, axis), rtol=rtol, atol=atol * magnitude(x))
    # exp(log_softmax) is a distribution
    _axis_sum_one(np.exp(to_float64_truth(got)), axis, dtype)


def test_default_axis_is_none():
    rng = np.random.default_rng(203)
    x = rng.standard_normal((4, 5))
    assert_close(inf.softmax(x), sp_softmax(x), rtol=1e-13)
    assert_close(inf.log_softmax(x), sp_log_softmax(x), rtol=1e-13, atol=1e-13 * magnitude(x))


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=dtype_id)
def test_int_inputs_give_float64(dtype):
    x = np.arange(12).reshape(3, 4).astype(dtype) % (2 if dtype == np.bool_ else 7)
    x = x.astype(dtype)
    got = inf.softmax(x, axis=1)
    assert got.dtype == np.float64
    assert_close(got, _ref_soft(x, 1), rtol=1e-13)
    got = inf.log_softmax(x, axis=1)
    assert got.dtype == np.float64
    assert_close(got, _ref_log(x, 1), rtol=1e-13, atol=1e-13 * 7)


def _mp_log_softmax(row):
    mpmath.mp.dps = 50
    r = [mpmath.mpf(float(v)) for v in row]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in r))
    return [float(v - lse) for v in r]


@pytest.mark.parametrize("row", [
    [0.0, -40.0, -50.0],
    [100.0, 60.0, 50.0],
    [0.0, 0.0, -700.0],
    [-1000.0, -1001.0, -1002.0],
    [1e-20, -1e-20, 0.0],
    [700.0, 700.0, -700.0],
])
def test_log_softmax_relative_accuracy_against_mpmath(row):
    x = np.array(row)
    truth = np.array(_mp_log_softmax(row))
    got = inf.log_softmax(x)
    # the near-zero entry -log1p(tiny) must be accurate relative to itself
    np.testing.assert_allclose(got, truth, rtol=1e-14, atol=0)
    # exp turns the rounding of log p (half an ulp of |log p|) into a relative error
    assert_prob_close(inf.softmax(x), truth, F64, c=2.0)


@pytest.mark.parametrize("row", [
    [-np.inf, 0.0, 1.0],
    [-np.inf, -np.inf, 3.0],
    [-np.inf, -np.inf],
    [np.nan, 1.0, 2.0],
    [1e308, 1e308, 0.0],
    [-1e308, -1e308],
], ids=str)
def test_special_values_match_scipy(row):
    x = np.array(row)
    assert_close(inf.softmax(x), _ref_soft(x, None), rtol=1e-15)
    assert_close(inf.log_softmax(x), _ref_log(x, None), rtol=1e-15)
    batch = np.stack([x, np.zeros_like(x)])
    assert_close(inf.softmax(batch, axis=1), _ref_soft(batch, 1), rtol=1e-15)
    assert_close(inf.log_softmax(batch, axis=1), _ref_log(batch, 1), rtol=1e-15)


@pytest.mark.parametrize("row", [[np.inf, 1.0], [np.inf, np.inf, 0.0], [np.inf, -np.inf],
                                 [np.inf, np.nan]], ids=str)
def test_positive_infinity_matches_scipy(row):
    # scipy: x - max gives NaN at +inf entries (inf - inf); softmax divides by a NaN sum
    x = np.array(row)
    assert_close(inf.softmax(x), _ref_soft(x, None), rtol=1e-15)
    assert_close(inf.log_softmax(x), _ref_log(x, None), rtol=1e-15)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_large_rows(dtype):
    rng = np.random.default_rng(204)
    x = (rng.standard_normal((3, 120_001)) * 5).astype(dtype)
    got = inf.log_softmax(x, axis=1)
    rtol, atol = tols(dtype)
    assert_close(got, _ref_log(x, 1), rtol=rtol, atol=atol * magnitude(x))
    p = inf.softmax(x, axis=1)
    assert_prob_close(p, _ref_log(x, 1), dtype)
    x1 = x[0]
    assert_prob_close(inf.softmax(x1), _ref_log(x1, None), dtype)


def test_does_not_modify_input():
    rng = np.random.default_rng(205)
    x = rng.standard_normal((5, 7))
    x0 = x.copy()
    inf.softmax(x, axis=1)
    inf.log_softmax(x, axis=0)
    np.testing.assert_array_equal(x, x0)


def test_zero_dim_input():
    assert float(inf.softmax(np.float64(3.0))) == 1.0
    assert float(inf.log_softmax(np.float64(3.0))) == 0.0


_elem = st.one_of(st.floats(-60, 60), st.floats(-1e300, 1e300),
                  st.sampled_from([-np.inf, 0.0, 1e-300, -745.0, 709.0]))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_property_matches_scipy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    x = data.draw(hnp.arrays(np.float64, shape, elements=_elem))
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    got = inf.log_softmax(x, axis=axis)
    assert_close(got, _ref_log(x, axis), rtol=1e-13, atol=1e-13 * magnitude(x))
    got = inf.softmax(x, axis=axis)
    assert got.dtype == F64
    np.testing.assert_array_equal(np.isnan(got), np.isnan(_ref_soft(x, axis)))
    assert_prob_close(got, _ref_log(x, axis), F64)


def _ulp_err_vs_mpmath(got, x, dtype):
    """Error of softmax([0, -x])[1] in ulps of the dtype (subnormal spacing below tiny)."""
    mpmath.mp.dps = 40
    xx = mpmath.mpf(float(x))
    t = mpmath.exp(-xx) / (1 + mpmath.exp(-xx))
    tf = float(np.asarray(float(t)).astype(dtype))
    spacing = float(np.spacing(np.asarray(tf, dtype=dtype)))
    return abs(float(got) - float(t)) / spacing


@pytest.mark.parametrize("dtype,lo,hi", [(np.float64, 700.0, 745.3), (np.float32, 80.0, 104.0)],
                         ids=["float64", "float32"])
def test_softmax_across_the_underflow_boundary(dtype, lo, hi):
    # probabilities that are normal, subnormal and 0: within an ulp of the exact value
    xs = np.linspace(lo, hi, 157).astype(dtype)
    rows = np.zeros((xs.size, 3), dtype=dtype)
    rows[:, 1] = -xs
    rows[:, 2] = -np.inf
    got = inf.softmax(rows, axis=1)
    assert np.all(got[:, 2] == 0)
    errs = [_ulp_err_vs_mpmath(g, x, dtype) for g, x in zip(got[:, 1], xs)]
    assert max(errs) <= 1.0, max(errs)
    # a whole row mixing all regimes at once (the row minimum decides the fast path)
    row = np.concatenate([[0.0], -xs]).astype(dtype)
    got = inf.softmax(row)
    ref = inf.softmax(rows, axis=1)[:, 1]
    # the normaliser is 1 + (tiny terms): identical to the 2-element rows up to one rounding
    np.testing.assert_allclose(got[1:], ref, rtol=2 * np.finfo(dtype).eps,
                               atol=float(np.finfo(dtype).smallest_subnormal))


# softmax of float32/float64 stores exp(x - block max) per 16 KiB block, then scales each block
# by exp(block max - row max - log sum): blocks far below the row max must still be accurate.
@pytest.mark.parametrize("dtype,offsets", [
    (np.float32, [0.0, -60.0, -95.0, -101.0, -200.0]),
    (np.float64, [0.0, -300.0, -700.0, -735.0, -800.0]),
], ids=["float32", "float64"])
def test_softmax_blocks_far_below_the_row_max(dtype, offsets):
    rng = np.random.default_rng(206)
    block = 16384 // np.dtype(dtype).itemsize
    parts = [off + rng.standard_normal(block + 37) for off in offsets]  # straddle blocks
    x = np.concatenate(parts).astype(dtype)
    got = inf.softmax(x)
    # entries of log-probability l are accurate to about eps (|l| + 2) relative, underflow aside
    assert_prob_close(got, _ref_log(x, None), dtype)
    assert np.count_nonzero(got) > block  # the far blocks are not all flushed to zero


@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf], ids=str)
def test_softmax_special_value_in_a_later_piece(special):
    # rows longer than a piece (32768 columns) are computed piece by piece in parallel
    rng = np.random.default_rng(207)
    x = rng.standard_normal((2, 70_001))
    x[0, 50_000] = special
    x[1, 40_000:45_000] = -np.inf  # a whole block of -inf in an ordinary row
    for dtype in WIDE_DTYPES:
        xd = x.astype(dtype)
        got = inf.softmax(xd, axis=1)
        ref = _ref_soft(xd, 1)
        if special == -np.inf:
            assert_prob_close(got, _ref_log(xd, 1), dtype)
        else:
            assert_close(got[0], ref[0], rtol=0)  # all NaN, as scipy
        assert np.all(got[1, 40_000:45_000] == 0)
        assert_prob_close(got[1], _ref_log(xd, 1)[1], dtype)
