"""Any strides are accepted: non-contiguous, negative, Fortran, transposed, broadcast, unaligned."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (F16, F32, F64, assert_close, assert_within_ulp, dtype_id, magnitude,
                      quiet, tols, to_float64_truth)
from scipy.special import log_softmax as sp_log_softmax
from scipy.special import logsumexp as sp_lse
from scipy.special import softmax as sp_softmax
from scipy.stats import entropy as sp_entropy

import infonative as inf


def _base(dtype, seed, shape=(30, 91)):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 5).astype(dtype)


def _unaligned(a):
    """A copy of `a` whose data pointer is not aligned to its itemsize."""
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = buf[1:].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


VIEWS = {
    "every_third_column": lambda a: a[:, ::3],
    "reversed_rows": lambda a: a[::-1],
    "reversed_both_step2": lambda a: a[::-2, ::-1],
    "fortran": lambda a: np.asfortranarray(a),
    "transposed": lambda a: a.T,
    "broadcast_row": lambda a: np.broadcast_to(a[3], (17, a.shape[1])),
    "broadcast_col": lambda a: np.broadcast_to(a[:, 5:6], (a.shape[0], 40)),
    "offset_slice": lambda a: a[1:, 2:-3],
    "unaligned": _unaligned,
    # same values stored big-endian on a little-endian machine (or vice versa)
    "byteswapped": lambda a: a.astype(a.dtype.newbyteorder()),
}


def _ref_lse(v, axis):
    return sp_lse(to_float64_truth(v), axis=axis)


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
@pytest.mark.parametrize("view", list(VIEWS), ids=str)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_logsumexp_views(dtype, view, axis):
    v = VIEWS[view](_base(dtype, 701))
    rtol, atol = tols(dtype)
    got = inf.logsumexp(v, axis=axis)
    assert_close(got, _ref_lse(v, axis), rtol=rtol, atol=atol * magnitude(v))
    # strided weights as well
    b = VIEWS[view](np.abs(_base(dtype, 702)))
    got = inf.logsumexp(v, axis=axis, b=b)
    exp = sp_lse(to_float64_truth(v), axis=axis, b=to_float64_truth(b))
    assert_close(got, exp, rtol=rtol, atol=atol * magnitude(v))


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
@pytest.mark.parametrize("view", list(VIEWS), ids=str)
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_views(dtype, view, axis):
    v = VIEWS[view](_base(dtype, 703))
    rtol, atol = tols(dtype)
    got = inf.log_softmax(v, axis=axis)
    assert got.shape == v.shape
    exp = sp_log_softmax(to_float64_truth(v), axis=axis)
    assert_close(got, exp, rtol=rtol, atol=atol * magnitude(v))
    got = inf.softmax(v, axis=axis)
    assert got.shape == v.shape
    exp = sp_softmax(to_float64_truth(v), axis=axis)
    # |log p| <= ~70 here: relative accuracy ~ eps * 70
    assert_close(got, exp, rtol=100 * np.finfo(dtype).eps, atol=1e-30)


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
@pytest.mark.parametrize("view", list(VIEWS), ids=str)
@pytest.mark.parametrize("axis", [0, -1])
def test_logits_views(dtype, view, axis):
    a = VIEWS[view](_base(dtype, 704))
    c = VIEWS[view](_base(dtype, 705))
    rtol, atol = tols(dtype)
    a64, c64 = to_float64_truth(a), to_float64_truth(c)
    p = sp_softmax(a64, axis=axis)
    h = sp_entropy(p, axis=axis)
    assert_close(inf.entropy_from_logits(a, axis=axis), h, rtol=rtol, atol=atol * magnitude(a))
    kl = np.sum(p * (sp_log_softmax(a64, axis=axis) - sp_log_softmax(c64, axis=axis)),
                axis=axis)
    assert_close(inf.kl_divergence_from_logits(a, c, axis=axis), kl, rtol=rtol,
                 atol=atol * magnitude(a))


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
@pytest.mark.parametrize("view", list(VIEWS), ids=str)
@pytest.mark.parametrize("axis", [0, 1, None])
def test_entropy_views(dtype, view, axis):
    pk = VIEWS[view](np.abs(_base(dtype, 706)))
    qk = VIEWS[view](np.abs(_base(dtype, 707)) + dtype.type(0.1))
    rtol = 1e-13 if dtype == F64 else 2 * np.finfo(dtype).eps
    with quiet():
        exp = sp_entropy(to_float64_truth(pk), axis=axis)
    assert_close(inf.entropy(pk, axis=axis), exp, rtol=rtol)
    exp = sp_entropy(to_float64_truth(pk), to_float64_truth(qk), axis=axis)
    assert_close(inf.entropy(pk, qk, axis=axis), exp, rtol=rtol,
                 atol=10 * np.finfo(dtype).eps)


@pytest.mark.parametrize("view", list(VIEWS), ids=str)
def test_cross_entropy_views(view):
    torch = pytest.importorskip("torch")
    logits = VIEWS[view](_base(F64, 708))
    rng = np.random.default_rng(709)
    target_full = rng.integers(0, logits.shape[1], 2 * logits.shape[0])
    target = target_full[::2]  # strided integer target
    weight = rng.uniform(0.5, 2, 3 * logits.shape[1])[::3]
    exp = torch.nn.functional.cross_entropy(
        torch.from_numpy(to_float64_truth(logits)), torch.from_numpy(target.copy()),
        weight=torch.from_numpy(weight.copy()), reduction="none").numpy()
    got = inf.cross_entropy_loss(logits, target, weight=weight, reduction="none")
    assert_close(got, exp, rtol=1e-13, atol=1e-13 * magnitude(logits))
    probs = VIEWS[view](rng.dirichlet(np.ones(91), 30))
    exp = torch.nn.functional.cross_entropy(
        torch.from_numpy(to_float64_truth(logits)),
        torch.from_numpy(to_float64_truth(probs)), reduction="none").numpy()
    got = inf.cross_entropy_loss(logits, probs, reduction="none")
    assert_close(got, exp, rtol=1e-13, atol=1e-13 * magnitude(logits))


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
@pytest.mark.parametrize("sl", [np.s_[:, :, :], np.s_[:, ::2, :], np.s_[::-1, ::-3, 1:],
                                np.s_[1:3, :, ::2]], ids=str)
def test_3d_middle_axis(dtype, sl):
    rng = np.random.default_rng(710)
    a = (rng.standard_normal((4, 57, 6)) * 5).astype(dtype)[sl]
    c = (rng.standard_normal((4, 57, 6)) * 5).astype(dtype)[sl]
    rtol, atol = tols(dtype)
    a64, c64 = to_float64_truth(a), to_float64_truth(c)
    m = magnitude(a)
    for keepdims in (False, True):
        got = inf.logsumexp(a, axis=1, keepdims=keepdims)
        assert_close(got, sp_lse(a64, axis=1, keepdims=keepdims), rtol=rtol, atol=atol * m)
    assert_close(inf.log_softmax(a, axis=1), sp_log_softmax(a64, axis=1), rtol=rtol,
                 atol=atol * m)
    assert_close(inf.softmax(a, axis=1), sp_softmax(a64, axis=1),
                 rtol=100 * np.finfo(dtype).eps, atol=1e-30)
    p = sp_softmax(a64, axis=1)
    assert_close(inf.entropy_from_logits(a, axis=1), sp_entropy(p, axis=1), rtol=rtol,
                 atol=atol * m)
    kl = np.sum(p * (sp_log_softmax(a64, axis=1) - sp_log_softmax(c64, axis=1)), axis=1)
    assert_close(inf.kl_divergence_from_logits(a, c, axis=1), kl, rtol=rtol, atol=atol * m)
    pk = np.abs(a)
    assert_close(inf.entropy(pk, axis=1), sp_entropy(to_float64_truth(pk), axis=1),
                 rtol=1e-13 if dtype == F64 else 2 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [F32, F64], ids=dtype_id)
def test_large_strided_rows(dtype):
    rng = np.random.default_rng(711)
    big = (rng.standard_normal((4, 600_000)) * 4).astype(dtype)
    v = big[::-1, ::-2]  # 300k elements per row, negative strides
    rtol, atol = tols(dtype)
    assert_close(inf.logsumexp(v, axis=1), _ref_lse(v, 1), rtol=rtol, atol=atol * magnitude(v))
    col = big[:, ::-3].T  # axis 0 of a transposed, strided view
    assert_close(inf.logsumexp(col, axis=0), _ref_lse(col, 0), rtol=rtol,
                 atol=atol * magnitude(col))
    one = big[2, ::2]
    assert_close(inf.logsumexp(one), _ref_lse(one, None), rtol=rtol, atol=atol * magnitude(one))


def test_half_precision_strided():
    rng = np.random.default_rng(712)
    a = rng.uniform(20, 60, (64, 8000)).astype(F16)
    v = a[::-1, ::2]
    assert_within_ulp(inf.logsumexp(v, axis=-1), sp_lse(to_float64_truth(v), axis=-1), F16)
    t = np.asfortranarray(a[:, :500])
    assert_within_ulp(inf.logsumexp(t, axis=1), sp_lse(to_float64_truth(t), axis=1), F16)


@pytest.mark.parametrize("dtype", [F16, F32, F64], ids=dtype_id)
def test_non_native_byte_order_all_functions(dtype):
    rng = np.random.default_rng(714)
    a = (rng.standard_normal((5, 7)) * 3).astype(dtype)
    c = (rng.standard_normal((5, 7)) * 3).astype(dtype)
    sw, csw = a.astype(a.dtype.newbyteorder()), c.astype(c.dtype.newbyteorder())
    assert not sw.dtype.isnative
    # same values, so the results must equal those on the native-order copy
    for f in (lambda x, y: inf.logsumexp(x, axis=1), lambda x, y: inf.softmax(x, axis=1),
              lambda x, y: inf.log_softmax(x, axis=0), lambda x, y: inf.entropy_from_logits(x),
              lambda x, y: inf.kl_divergence_from_logits(x, y),
              lambda x, y: inf.entropy(np.abs(x), np.abs(y), axis=1),
              lambda x, y: inf.logsumexp(x, b=np.abs(y), axis=0),
              lambda x, y: inf.cross_entropy_loss(x, np.arange(5), reduction="none")):
        np.testing.assert_array_equal(to_float64_truth(f(sw, csw)), to_float64_truth(f(a, c)))


def test_readonly_inputs():
    a = _base(F64, 713)
    a.flags.writeable = False
    got = inf.logsumexp(a, axis=1)
    assert_close(got, _ref_lse(a, 1), rtol=1e-13, atol=1e-13 * magnitude(a))
    assert inf.softmax(a, axis=1).flags.writeable
