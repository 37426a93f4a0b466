"""cross_entropy_loss against torch.nn.functional.cross_entropy (run in float64)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (HALF_DTYPES, WIDE_DTYPES, assert_close, assert_within_ulp, dtype_id,
                      magnitude, tols, to_float64_truth)

import infonative as inf

torch = pytest.importorskip("torch")
F = torch.nn.functional

N, C = 37, 11


def ref_ce(logits, target, weight=None, ignore_index=-100, reduction="mean",
           label_smoothing=0.0):
    """torch's cross_entropy on the float64 values of the inputs."""
    x = torch.from_numpy(to_float64_truth(logits))
    t = np.asarray(target)
    t = torch.from_numpy(t.astype(np.int64)) if t.dtype.kind in "iu" else torch.from_numpy(
        to_float64_truth(t))
    w = None if weight is None else torch.from_numpy(to_float64_truth(weight))
    out = F.cross_entropy(x, t, weight=w, ignore_index=ignore_index, reduction=reduction,
                          label_smoothing=label_smoothing)
    return out.numpy()


def _data(dtype, seed, n=N, c=C):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * 2).astype(dtype)
    target = rng.integers(0, c, n)
    weight = rng.uniform(0.2, 2.0, c).astype(dtype)
    probs = rng.dirichlet(np.ones(c), n).astype(dtype)
    return rng, logits, target, weight, probs


def _check(got, exp, logits, dtype, reduction):
    got = np.asarray(got)
    assert got.dtype == dtype
    assert got.shape == ((len(logits),) if reduction == "none" and np.ndim(logits) == 2 else ())
    rtol, atol = tols(dtype)
    assert_close(got, exp, rtol=rtol, atol=atol * magnitude(logits))


REDUCTIONS = ["none", "sum", "mean"]


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tdtype", [np.int64, np.int32, np.uint8], ids=str)
def test_class_targets(dtype, reduction, tdtype):
    _, logits, target, _, _ = _data(dtype, 501)
    target = target.astype(tdtype)
    got = inf.cross_entropy_loss(logits, target, reduction=reduction)
    _check(got, ref_ce(logits, target, reduction=reduction), logits, dtype, reduction)


def test_default_reduction_is_mean():
    _, logits, target, _, _ = _data(np.float64, 502)
    got = inf.cross_entropy_loss(logits, target)
    assert np.shape(got) == ()
    assert_close(got, ref_ce(logits, target), rtol=1e-13)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_weights(dtype, reduction):
    _, logits, target, weight, _ = _data(dtype, 503)
    got = inf.cross_entropy_loss(logits, target, weight=weight, reduction=reduction)
    _check(got, ref_ce(logits, target, weight=weight, reduction=reduction), logits, dtype,
           reduction)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 3, -1])
def test_ignore_index(dtype, reduction, use_weight, ignore_index):
    rng, logits, target, weight, _ = _data(dtype, 504)
    target[rng.random(N) < 0.3] = ignore_index
    w = weight if use_weight else None
    got = inf.cross_entropy_loss(logits, target, weight=w, ignore_index=ignore_index,
                                 reduction=reduction)
    exp = ref_ce(logits, target, weight=w, ignore_index=ignore_index, reduction=reduction)
    _check(got, exp, logits, dtype, reduction)
    if reduction == "none":
        np.testing.assert_array_equal(np.asarray(got)[target == ignore_index], 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_all_rows_ignored(reduction, use_weight):
    _, logits, target, weight, _ = _data(np.float64, 505)
    target[:] = -100
    w = weight if use_weight else None
    exp = ref_ce(logits, target, weight=w, reduction=reduction)
    got = inf.cross_entropy_loss(logits, target, weight=w, reduction=reduction)
    if reduction == "mean":
        assert np.isnan(exp)  # torch: 0 / 0
    assert_close(got, exp, rtol=0)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("eps", [0.1, 0.5, 1.0])
def test_label_smoothing(dtype, reduction, use_weight, eps):
    rng, logits, target, weight, _ = _data(dtype, 506)
    target[rng.random(N) < 0.2] = -100
    w = weight if use_weight else None
    got = inf.cross_entropy_loss(logits, target, weight=w, reduction=reduction,
                                 label_smoothing=eps)
    exp = ref_ce(logits, target, weight=w, reduction=reduction, label_smoothing=eps)
    _check(got, exp, logits, dtype, reduction)


@pytest.mark.parametrize("dtype", WIDE_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_probability_targets(dtype, reduction, use_weight, eps):
    _, logits, _, weight, probs = _data(dtype, 507)
    probs[0] = 0
    probs[0, 4] = 1  # a one-hot row
    w = weight if use_weight else None
    got = inf.cross_entropy_loss(logits, probs, weight=w, reduction=reduction,
                                 label_smoothing=eps)
    exp = ref_ce(logits, probs, weight=w, reduction=reduction, label_smoothing=eps)
    _check(got, exp, logits, dtype, reduction)


def test_one_hot_probabilities_equal_class_targets():
    _, logits, target, weight, _ = _data(np.float64, 508)
    onehot = np.eye(C)[target]
    a = inf.cross_entropy_loss(logits, onehot, reduction="none")
    b = inf.cross_entropy_loss(logits, target, reduction="none")
    assert_close(a, b, rtol=1e-13, atol=1e-13 * magnitude(logits))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_single_sample_1d_logits(reduction):
    rng = np.random.default_rng(509)
    logits = rng.standard_normal(C) * 3
    got = inf.cross_entropy_loss(logits, np.int64(4), reduction=reduction)
    exp = ref_ce(logits, np.array(4), reduction=reduction)
    assert np.shape(got) == ()
    assert_close(got, exp, rtol=1e-13, atol=1e-13 * magnitude(logits))
    got = inf.cross_entropy_loss(logits, 4, reduction=reduction)
    assert_close(got, exp, rtol=1e-13, atol=1e-13 * magnitude(logits))


def test_extreme_logits():
    # a dominant wrong class: loss ~ 1000; a dominant right class: loss ~ e^-40 (relative)
    logits = np.array([[1000.0, 0.0, -5.0], [0.0, -40.0, -50.0], [-np.inf, 0.0, 1.0]])
    target = np.array([1, 0, 2])
    exp = ref_ce(logits, target, reduction="none")
    got = inf.cross_entropy_loss(logits, target, reduction="none")
    # (torch rounds log(1 + e^-40) to 0: row 1 is checked against the analytic value instead)
    assert_close(got[[0, 2]], exp[[0, 2]], rtol=1e-13)
    assert got[1] == pytest.approx(4.248354255291589e-18 + np.exp(-50.0), rel=1e-13)


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_half_precision_logits(dtype, reduction):
    rng, logits, target, weight, probs = _data(dtype, 510, n=64, c=4000)
    logits = (rng.uniform(20, 60, (64, 4000))).astype(dtype)  # exp overflows float16 here
    target[::9] = -100
    got = inf.cross_entropy_loss(logits, target, reduction=reduction)
    # truth: torch on the exact (float64) values of the half inputs, rounded once
    exp = ref_ce(logits, target, reduction=reduction)
    assert np.asarray(got).dtype == dtype
    assert_within_ulp(np.asarray(got), exp, dtype)


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=dtype_id)
def test_half_precision_logits_with_weight_and_smoothing(dtype):
    rng, logits, target, weight, probs = _data(dtype, 511, n=50, c=300)
    got = inf.cross_entropy_loss(logits, target, weight=weight, label_smoothing=0.1,
                                 reduction="none")
    exp = ref_ce(logits, target, weight=weight, label_smoothing=0.1, reduction="none")
    assert_within_ulp(np.asarray(got), exp, dtype)


def test_large_batch():
    rng = np.random.default_rng(512)
    logits = rng.standard_normal((20_000, 50)) * 3
    target = rng.integers(0, 50, 20_000)
    weight = rng.uniform(0.5, 1.5, 50)
    for reduction in REDUCTIONS:
        got = inf.cross_entropy_loss(logits, target, weight=weight, reduction=reduction)
        exp = ref_ce(logits, target, weight=weight, reduction=reduction)
        assert_close(got, exp, rtol=1e-12, atol=1e-13 * magnitude(logits))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_zero_total_weight(reduction, eps):
    # the targets' classes all have weight 0: torch's mean divides 0 by 0 (NaN), also with
    # label smoothing (NaN + eps * finite / 0)
    rng = np.random.default_rng(513)
    logits = rng.standard_normal((4, 4))
    target = np.array([0, 1, 0, 1])
    weight = np.array([0.0, 0.0, 1.0, 1.0])
    exp = ref_ce(logits, target, weight=weight, reduction=reduction, label_smoothing=eps)
    got = inf.cross_entropy_loss(logits, target, weight=weight, reduction=reduction,
                                 label_smoothing=eps)
    assert_close(got, exp, rtol=1e-13)


def test_negative_class_weights():
    rng = np.random.default_rng(514)
    logits = rng.standard_normal((6, 4))
    target = np.array([0, 1, 0, 1, 2, -100])
    weight = np.array([1.0, -1.0, 2.0, 0.5])
    for reduction in REDUCTIONS:
        for eps in (0.0, 0.2):
            exp = ref_ce(logits, target, weight=weight, reduction=reduction,
                         label_smoothing=eps)
            got = inf.cross_entropy_loss(logits, target, weight=weight, reduction=reduction,
                                         label_smoothing=eps)
            assert_close(got, exp, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("classes", [3, 8, 17, 64])
def test_zero_weight_on_minus_infinity_logit_matches_torch_anywhere(classes):
    # label smoothing sums w_c log_softmax_c: 0 * -inf is NaN in torch, wherever the class sits
    for masked in (0, classes - 1):
        logits = np.full((1, classes), 0.5, dtype=np.float32)
        logits[0, 1] = 2.0
        logits[0, masked] = -np.inf
        weight = np.ones(classes)
        weight[masked] = 0.0
        target = np.array([1])
        got = inf.cross_entropy_loss(logits, target, weight=weight, label_smoothing=0.1)
        want = torch.nn.functional.cross_entropy(
            torch.from_numpy(logits), torch.from_numpy(target), weight=torch.from_numpy(weight).float(),
            label_smoothing=0.1)
        assert np.isnan(float(got)) == bool(torch.isnan(want)), (masked, float(got), float(want))
