"""logsumexp against scipy.special.logsumexp (float64 truth) and mpmath."""

from __future__ import annotations

import math

import ml_dtypes
import mpmath
import numpy as np
import pytest
from conftest import (F64, HALF_DTYPES, INT_DTYPES, WIDE_DTYPES, assert_close, assert_within_ulp,
                      dtype_id, magnitude, quiet, tols, to_float64_truth)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import logsumexp as sp_lse

import infonative as inf

AXES_2D = [None, 0, 1, -1, -2, (0, 1), (1, 0), (-1,)]
AXES_3D = [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1, 2), (-3, -1)]


def _ref(a, **kw):
    with quiet():
        return sp_lse(to_float64_truth(a), **kw)


def _check(a, got, expected, dtype):
    rtol, atol = tols(dtype)
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype)
    assert_close(got, expected, rtol=rtol, atol=atol * magnitude(a))


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("axis", AXES_2D, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_2d_axes_keepdims(dtype, axis, keepdims):
    rng = np.random.default_rng(101)
    a = (rng.standard_normal((37, 53)) * 4).astype(dtype)
    got = inf.logsumexp(a, axis=axis, keepdims=keepdims)
    expected = _ref(a, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(expected)
    _check(a, got, expected, dtype)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("axis", AXES_3D, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_3d_axes(dtype, axis, keepdims):
    rng = np.random.default_rng(102)
    a = (rng.standard_normal((5, 17, 9)) * 10 - 3).astype(dtype)
    got = inf.logsumexp(a, axis=axis, keepdims=keepdims)
    expected = _ref(a, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(expected)
    _check(a, got, expected, dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=dtype_id)
def test_int_and_bool_inputs_give_float64(dtype):
    rng = np.random.default_rng(103)
    a = rng.integers(0, 2 if dtype == np.bool_ else 20, size=(6, 11)).astype(dtype)
    for axis in (None, 0, 1):
        got = np.asarray(inf.logsumexp(a, axis=axis))
        assert got.dtype == np.float64
        expected = sp_lse(a, axis=axis)
        assert_close(got, expected, rtol=1e-13, atol=1e-13 * magnitude(a))


def test_python_list_and_scalar():
    assert_close(inf.logsumexp([1.0, 2.0, 3.0]), sp_lse([1.0, 2.0, 3.0]), rtol=1e-15)
    got = inf.logsumexp(3.5)
    assert np.shape(got) == ()
    assert float(got) == 3.5
    got = inf.logsumexp(np.float32(-2.0))
    assert np.asarray(got).dtype == np.float32
    assert float(got) == -2.0


def test_small_correction_is_not_lost():
    # log(1 + e^-40): the accurate form keeps the tiny correction (FORMULAS.md)
    got = inf.logsumexp(np.array([0.0, -40.0]))
    assert_close(got, 4.248354255291589e-18, rtol=1e-15)
    got = inf.logsumexp(np.array([-40.0, 0.0]))
    assert_close(got, 4.248354255291589e-18, rtol=1e-15)


def _mp_lse(row, b=None):
    mpmath.mp.dps = 50
    if b is None:
        b = [1.0] * len(row)
    s = mpmath.fsum(mpmath.mpf(float(w)) * mpmath.exp(mpmath.mpf(float(x)))
                    for x, w in zip(row, b))
    return float(mpmath.log(s))


@pytest.mark.parametrize("row", [
    [0.0, -40.0, -50.0],
    [0.0, -30.0, -30.0, -60.0],
    [700.0, 690.0, 650.0],
    [-745.0, -746.0, -800.0],
    [1e-300, -1e-300, 5e-324],
    [0.0, 0.0, 0.0, -36.0],
    [3.0, -33.0],
    list(np.linspace(-50, 0, 97)),
])
def test_float64_relative_accuracy_against_mpmath(row):
    a = np.array(row, dtype=np.float64)
    truth = _mp_lse(row)
    got = float(inf.logsumexp(a))
    assert got == pytest.approx(truth, rel=1e-14, abs=0.0)


@pytest.mark.parametrize("row", [
    [0.0, -20.0],
    [0.0, -15.0, -17.0],
    [88.0, 87.0, 80.0],
    [-100.0, -103.0, -200.0],
])
def test_float32_relative_accuracy_against_mpmath(row):
    a = np.array(row, dtype=np.float32)
    truth = _mp_lse(a.astype(np.float64))
    got = inf.logsumexp(a)
    assert np.asarray(got).dtype == np.float32
    # a few float32 ulps of the (possibly tiny) result
    assert float(got) == pytest.approx(truth, rel=8 * float(np.finfo(np.float32).eps), abs=0.0)


def _f32_ulps(got, a):
    """Error of a float32 result in ulps of the float64 truth (exact sum in long double)."""
    a64 = a.astype(np.float64)
    m = a64.max()
    truth = float(m + np.log(np.sum(np.exp(np.longdouble(a64 - m)))))
    return abs(float(got) - truth) / float(np.spacing(np.float32(abs(truth))))


_NEXT_TO_MINUS_10 = float(np.nextafter(np.float32(-10), np.float32(0)))


# Many (nearly) equal terms over many blocks: float lanes that add a whole block up one term at a
# time drift by a few ulps here, where numpy's pairwise sum (scipy) stays within one.
@pytest.mark.parametrize("row", [
    [0.0] + [-10.0] * 100_000,
    [0.0] + [-20.0] * 50_000,
    [0.0] + [-10.0, _NEXT_TO_MINUS_10] * 50_000,
    [0.0] + [-3.0] * 200_000,
], ids=["0,-10x1e5", "0,-20x5e4", "0,-10/next x1e5", "0,-3x2e5"])
def test_float32_many_equal_terms_within_an_ulp(row):
    a = np.array(row, dtype=np.float32)
    assert _f32_ulps(inf.logsumexp(a), a) <= 1.0
    # and where the maximum comes last, so every earlier block is summed against another one
    b = a[::-1].copy()
    assert _f32_ulps(inf.logsumexp(b), b) <= 1.0


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_blocks_below_and_at_the_running_maximum(dtype):
    # Blocks after the first are summed against the maximum seen so far; the entries equal to
    # it (ties in later blocks) must still be counted apart, and blocks far below it (exp
    # underflows, the careful exp) or holding -inf must add their share.
    rng = np.random.default_rng(7)
    n = 100_003
    a = (rng.standard_normal(n) * 3).astype(dtype)
    a[5] = 20
    a[n // 3] = 20          # a tie in a later block
    a[n // 2: n // 2 + 9000] = -200   # blocks far below the maximum
    a[n - 7000:] = -np.inf
    _check(a, inf.logsumexp(a), _ref(a), dtype)
    rows = np.stack([a, a[::-1]])
    _check(rows, inf.logsumexp(rows, axis=1), _ref(rows, axis=1), dtype)


ONE_PASS_STOPS = {
    "new maximum": 25.0, "tie with the maximum": 20.0, "minus infinity": -np.inf,
    "far below the maximum": -100.0, "huge and negative": None,  # -max / 2 of the dtype
}


@pytest.mark.parametrize("dtype", WIDE_DTYPES + HALF_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("stop", list(ONE_PASS_STOPS), ids=str)
def test_one_pass_stops_inside_a_block(dtype, stop):
    def check(a, got, expected):
        if dtype in HALF_DTYPES:
            assert np.asarray(got).dtype == dtype
            assert_within_ulp(got, expected, dtype)
        else:
            _check(a, got, expected, dtype)

    # On AVX-512, blocks below the running maximum are summed in the pass that finds their
    # range, run by run; a run holding a new maximum, a tie with it, -inf or an entry beyond the
    # fast exp's reach is dropped and the rest of its block gets the two passes. Stops land
    # mid-block and mid-run, in the middle of a piece and in its last block.
    rng = np.random.default_rng(11)
    n = 3 * 32768 + 1001
    for where in (5 * 4096 + 1000, 32768 + 7 * 4096 + 77, 2 * 32768 + 4096 + 300, n - 5):
        a = (rng.standard_normal(n) * 3).astype(dtype)
        a[::32768] = 20       # every piece has its maximum in its first block
        value = ONE_PASS_STOPS[stop]
        if value is None:
            value = -float(ml_dtypes.finfo(dtype).max) / 2
        a[where] = value
        a[where + 3] = value
        check(a, inf.logsumexp(a), _ref(a))
        rows = a[: 4 * 8191].reshape(4, 8191)  # rows that are one piece each
        check(rows, inf.logsumexp(rows, axis=1), _ref(rows, axis=1))


@pytest.mark.parametrize("dtype", WIDE_DTYPES + HALF_DTYPES, ids=dtype_id)
def test_one_pass_passes_nan_and_inf_of_later_blocks(dtype):
    a = (np.random.default_rng(12).standard_normal(50_000) * 3).astype(dtype)
    for special, expected in ((np.nan, np.nan), (np.inf, np.inf)):
        b = a.copy()
        b[6 * 4096 + 123] = special
        np.testing.assert_equal(float(inf.logsumexp(b)), expected)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_dominant_maximum_in_a_later_block_keeps_the_log1p_accuracy(dtype):
    # Every term but one is e^-60 of the maximum, which comes mid-run in a late block: the sum
    # must keep it apart (the accurate form), not add the small terms to it relative to an
    # earlier, lower reference, where they would vanish.
    n = 30_000
    a = np.full(n, -60.0, dtype=dtype)
    a[6 * 4096 + 1234] = 0
    expected = math.log1p((n - 1) * math.exp(-60.0))
    got = float(inf.logsumexp(a))
    assert abs(got - expected) <= 4 * np.finfo(dtype).eps * expected


NINF, PINF, NAN = -np.inf, np.inf, np.nan
ADVERSARIAL = [
    [NINF, NINF],
    [NINF],
    [PINF],
    [NAN],
    [PINF, NINF],
    [PINF, PINF],
    [PINF, NAN],
    [NINF, NAN],
    [NAN, 1.0, 2.0],
    [1.0, NINF, 2.0],
    [1e300, 1e300],
    [1e300, -1e300],
    [-1e300, -1e300],
    [1e308, 1e308, 1e308],
    [-1e308, 0.0],
    [5e-324, -5e-324],
    [2.0, 2.0, 2.0],
    [-0.0, 0.0],
    [1e-300, 1e-310],
    [PINF, 1e300, NINF],
    [NINF, -1e300],
]


@pytest.mark.parametrize("row", ADVERSARIAL, ids=str)
def test_special_values_match_scipy(row):
    a = np.array(row, dtype=np.float64)
    expected = _ref(a)
    got = inf.logsumexp(a)
    assert_close(got, expected, rtol=1e-15)
    # the same row embedded in a batch (a row-wise kernel path) and in float32
    batch = np.stack([a, np.zeros_like(a), a[::-1].copy()])
    assert_close(inf.logsumexp(batch, axis=1), _ref(batch, axis=1), rtol=1e-15)
    assert_close(inf.logsumexp(batch.T, axis=0), _ref(batch.T, axis=0), rtol=1e-15)


@pytest.mark.parametrize("row", [
    [NINF, NINF], [NINF], [PINF], [NAN], [PINF, NINF], [PINF, PINF], [PINF, NAN], [NINF, NAN],
    [NAN, 1.0, 2.0], [1.0, NINF, 2.0], [3e38, 3e38], [3e38, -3e38], [-3e38, -3e38],
    [1e-45, -1e-45], [2.0, 2.0, 2.0], [-0.0, 0.0], [PINF, 3e38, NINF], [NINF, -3e38],
], ids=str)
def test_special_values_match_scipy_float32(row):
    a = np.array(row, dtype=np.float32)
    expected = _ref(a)
    got = inf.logsumexp(a)
    assert np.asarray(got).dtype == np.float32
    assert_close(got, expected, rtol=1e-6, atol=1e-6 * magnitude(a))


def test_empty_output_of_non_empty_reduction():
    # reducing the non-empty axis of a (0, 3) array: an empty result, as scipy gives
    got = inf.logsumexp(np.zeros((0, 3)), axis=1)
    assert got.shape == (0,)
    got = inf.logsumexp(np.zeros((0, 3)), axis=1, keepdims=True)
    assert got.shape == (0, 1)


def test_empty_reductions():
    assert float(inf.logsumexp(np.array([]))) == -np.inf
    z = np.zeros((0, 3))
    got = inf.logsumexp(z, axis=0)
    assert got.shape == (3,)
    assert np.all(got == -np.inf)
    got = inf.logsumexp(z, axis=0, keepdims=True)
    assert got.shape == (1, 3) and np.all(got == -np.inf)
    # (scipy 1.17 raises IndexError for axis=None on an empty 2-D array; the contract: -inf)
    got = inf.logsumexp(np.zeros((0, 3), dtype=np.float32))
    assert np.asarray(got).dtype == np.float32 and float(got) == -np.inf


# ---------------------------------------------------------------- weights b and return_sign

@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_positive_and_zero_weights(dtype, axis):
    rng = np.random.default_rng(104)
    a = (rng.standard_normal((8, 33)) * 5).astype(dtype)
    b = rng.uniform(0, 3, size=a.shape).astype(dtype)
    b[rng.random(a.shape) < 0.3] = 0
    b[2] = 0  # a row entirely weighted 0 -> -inf
    got = inf.logsumexp(a, axis=axis, b=b)
    expected = _ref(a, axis=axis, b=to_float64_truth(b))
    _check(a, got, expected, dtype)


def test_zero_weight_ignores_inf_and_nan():
    a = np.array([np.nan, np.inf, 1.0, -np.inf, 2.0])
    b = np.array([0.0, 0.0, 1.0, 0.0, 2.0])
    expected = _ref(a, b=b)
    assert np.isfinite(expected)
    assert_close(inf.logsumexp(a, b=b), expected, rtol=1e-15)
    # (scipy 1.17 itself returns NaN when the result is not finite and a zero-weighted entry is
    # +inf/NaN -- e.g. all weights 0 -- a corner where docs/api.md and scipy disagree; untested)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
def test_negative_weights_return_sign(dtype):
    rng = np.random.default_rng(105)
    a = (rng.standard_normal((20, 9)) * 2).astype(dtype)
    b = rng.uniform(-2, 2, size=a.shape).astype(dtype)
    got, sgn = inf.logsumexp(a, axis=1, b=b, return_sign=True)
    exp, esgn = _ref(a, axis=1, b=to_float64_truth(b), return_sign=True)
    assert np.asarray(got).dtype == dtype
    assert np.any(esgn < 0) and np.any(esgn > 0)
    np.testing.assert_array_equal(to_float64_truth(sgn), esgn)
    rtol, atol = tols(dtype)
    # cancellation in sum(b * exp(a)) amplifies the rounding of the inputs: scale atol by it
    with np.errstate(divide="ignore"):
        cond = (np.log(np.sum(np.abs(to_float64_truth(b)) * np.exp(to_float64_truth(a)), axis=1))
                - exp)
    amp = np.exp(np.clip(cond, 0, 30))
    np.testing.assert_allclose(to_float64_truth(got), exp, rtol=rtol,
                               atol=0.0 + atol * magnitude(a) * amp.max())


@pytest.mark.parametrize("a,b", [
    ([-1.0, 0.0], [1.0, 5e-324]),    # subnormal weight on the maximum
    ([-1.0, 0.0], [1.0, 1e-310]),
    ([3.0, 1.0], [1e-320, 1.0]),
    ([0.0, -1.0, -2.0], [1e-300, 1.0, 1.0]),
    ([0.0, 0.0], [1e-310, 1e-310]),
    ([0.0], [5e-324]),
], ids=str)
def test_tiny_weight_on_the_maximum(a, b):
    # the maximum's weight c is tiny: sum(others) / c overflows in the naive accurate form
    a, b = np.array(a), np.array(b)
    exp = _ref(a, b=b)
    assert np.isfinite(exp)
    assert_close(inf.logsumexp(a, b=b), exp, rtol=1e-14)
    got, sgn = inf.logsumexp(a, b=b, return_sign=True)
    assert_close(got, exp, rtol=1e-14)
    assert float(sgn) == 1.0


def test_negative_sum_without_sign_is_nan():
    a = np.array([1.0, 2.0])
    b = np.array([1.0, -2.0])
    assert np.isnan(_ref(a, b=b))
    assert np.isnan(inf.logsumexp(a, b=b))
    res, sgn = inf.logsumexp(a, b=b, return_sign=True)
    exp, esgn = _ref(a, b=b, return_sign=True)
    assert float(sgn) == float(esgn) == -1.0
    assert_close(res, exp, rtol=1e-15)


@pytest.mark.parametrize("a,b", [
    ([1.0, 1.0], [1.0, -1.0]),          # exact cancellation -> -inf, sign 0
    ([np.inf, np.inf], [1.0, -1.0]),    # inf of both signs -> nan
    ([np.inf, 1.0], [1.0, -1.0]),
    ([np.inf, 1.0], [-1.0, 5.0]),
    ([1.0, 1.0], [0.0, 0.0]),
    ([np.nan, 1.0], [0.0, -1.0]),
    ([-np.inf, -np.inf], [1.0, -1.0]),
    ([3.0, 3.0, 0.0], [2.0, -1.0, -1.0]),
    ([0.0, -40.0], [1.0, -1.0]),
], ids=str)
def test_signed_special_values_match_scipy(a, b):
    a = np.array(a)
    b = np.array(b)
    exp, esgn = _ref(a, b=b, return_sign=True)
    got, sgn = inf.logsumexp(a, b=b, return_sign=True)
    assert_close(got, exp, rtol=1e-15)
    assert_close(sgn, esgn, rtol=0)
    assert_close(inf.logsumexp(a, b=b), _ref(a, b=b), rtol=1e-15)


@pytest.mark.parametrize("bshape", [(1, 13), (7, 1), (13,), (), (1, 1)], ids=str)
def test_broadcast_weights(bshape):
    rng = np.random.default_rng(106)
    a = rng.standard_normal((7, 13)) * 3
    b = rng.uniform(0.1, 2.0, size=bshape)
    for axis in (None, 0, 1):
        got = inf.logsumexp(a, axis=axis, b=b)
        expected = _ref(a, axis=axis, b=b)
        _check(a, got, expected, F64)


def test_weights_broadcast_over_a():
    # scipy broadcasts a and b together: a (13,) with b (4, 13) reduces over the broadcast shape
    rng = np.random.default_rng(107)
    a = rng.standard_normal(13)
    b = rng.uniform(0.1, 2.0, size=(4, 13))
    got = inf.logsumexp(a, axis=-1, b=b)
    expected = _ref(a, axis=-1, b=b)
    assert np.shape(got) == (4,)
    _check(a, got, expected, F64)


@pytest.mark.parametrize("adt,bdt", [(np.float32, np.float64), (np.float64, np.float32),
                                      (np.float32, np.float16), (np.int32, np.float32),
                                      (np.float16, np.float32)], ids=str)
def test_result_dtype_is_result_type_of_a_and_b(adt, bdt):
    a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]).astype(adt)
    b = np.array([1.0, 0.5, 2.0]).astype(bdt)
    got = np.asarray(inf.logsumexp(a, axis=1, b=b))
    expected_dtype = np.result_type(np.float64 if np.dtype(adt).kind in "iub" else adt, bdt)
    assert got.dtype == expected_dtype
    ref = _ref(a, axis=1, b=to_float64_truth(b))
    assert_close(got, ref, rtol=2e-3 if expected_dtype == np.float16 else 1e-6)


# ---------------------------------------------------------------- large inputs

@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("n", [300_001, 2 ** 18, 65_537])
def test_large_1d(dtype, n):
    rng = np.random.default_rng(108)
    a = (rng.standard_normal(n) * 6).astype(dtype)
    got = inf.logsumexp(a)
    _check(a, got, _ref(a), dtype)
    # a maximum late in the array: every parallel piece must rescale when merged
    a2 = a.copy()
    a2[-3] = 80
    _check(a2, inf.logsumexp(a2), _ref(a2), dtype)
    a3 = a.copy()
    a3[n // 2 + 1] = np.nan
    assert np.isnan(inf.logsumexp(a3))
    a4 = a.copy()
    a4[7] = np.inf
    assert float(inf.logsumexp(a4)) == np.inf


def test_large_1d_with_weights():
    rng = np.random.default_rng(109)
    a = rng.standard_normal(300_000) * 6
    b = rng.uniform(0, 1, a.size)
    b[::5] = 0
    _check(a, inf.logsumexp(a, b=b), _ref(a, b=b), F64)


def test_does_not_modify_input():
    rng = np.random.default_rng(110)
    a = rng.standard_normal((5, 7))
    b = rng.uniform(-1, 1, (5, 7))
    a0, b0 = a.copy(), b.copy()
    inf.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


# ---------------------------------------------------------------- property tests

_special = st.sampled_from([np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-300, 0.0, 5e-324, 700.0,
                            -745.0])
_elem = st.one_of(st.floats(-50, 50), st.floats(-1e308, 1e308), _special)


@st.composite
def array_and_axis(draw, elements=_elem, max_dims=3):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=6))
    a = draw(hnp.arrays(np.float64, shape, elements=elements))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    ))
    return a, axis


@settings(max_examples=80, deadline=None)
@given(array_and_axis(), st.booleans())
def test_property_matches_scipy(data, keepdims):
    a, axis = data
    expected = _ref(a, axis=axis, keepdims=keepdims)
    got = inf.logsumexp(a, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(expected)
    assert_close(got, expected, rtol=1e-13, atol=1e-13 * magnitude(a))


@settings(max_examples=60, deadline=None)
@given(array_and_axis(elements=st.one_of(st.floats(-30, 30), _special)),
       st.data())
def test_property_weights_and_sign_match_scipy(data, draw):
    a, axis = data
    b = draw.draw(hnp.arrays(np.float64, a.shape,
                             elements=st.one_of(st.just(0.0), st.floats(-3, 3))))
    exp, esgn = _ref(a, axis=axis, b=b, return_sign=True)
    got, sgn = inf.logsumexp(a, axis=axis, b=b, return_sign=True)
    assert np.shape(got) == np.shape(exp)
    # signs must agree wherever the result is not dominated by cancellation
    exp64 = np.asarray(exp, dtype=np.float64)
    with quiet():
        bulk = np.asarray(_ref(a, axis=axis, b=np.abs(b)), dtype=np.float64)
        wellcond = ~np.isfinite(exp64) | ~np.isfinite(bulk) | (exp64 > bulk - 10)
    # scipy quirk: a non-finite result is recomputed as log(sum(b * exp(a))), where 0 * inf and
    # 0 * nan give NaN although zero-weighted entries are documented as ignored: skip those.
    # (exp(a) overflowing to inf counts: 0 * exp(1e300) is NaN there too)
    with quiet():
        bad = (b == 0) & (np.isnan(a) | (np.exp(a) == np.inf))
    # Likewise a finite entry whose exp overflows ([inf, 1e300] with b = [1, -1]: inf - inf in
    # scipy's fallback, while only the +inf entry attains the maximum: +inf by FORMULAS.md).
    with quiet():
        big = (b != 0) & np.isfinite(a) & (np.exp(a) == np.inf)
    quirk = np.any(bad, axis=axis) | np.any(big, axis=axis)
    wellcond = np.broadcast_to(wellcond & ~(quirk & ~np.isfinite(exp64)), np.shape(exp))
    g, e = to_float64_truth(got)[wellcond], exp64[wellcond]
    gs, es = to_float64_truth(sgn)[wellcond], np.asarray(esgn, dtype=np.float64)[wellcond]
    np.testing.assert_array_equal(gs, es)
    np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-9 * magnitude(a), equal_nan=True)


@settings(max_examples=50, deadline=None)
@given(array_and_axis(elements=st.one_of(st.floats(-80, 80, width=32), _special.filter(
    lambda x: not np.isfinite(x) or abs(x) < 1e30))))
def test_property_float32_matches_float64_truth(data):
    a, axis = data
    a32 = a.astype(np.float32)
    expected = _ref(a32, axis=axis)
    got = inf.logsumexp(a32, axis=axis)
    assert np.asarray(got).dtype == np.float32
    assert_close(got, expected, rtol=1e-5, atol=2e-6 * magnitude(a32))
