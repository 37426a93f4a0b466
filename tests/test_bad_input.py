"""Bad input raises a Python exception (TypeError / ValueError), never crashes."""

from __future__ import annotations

import numpy as np
import pytest

import infonative as inf

AXIS_ERRORS = (ValueError, IndexError)  # numpy.exceptions.AxisError subclasses both

GOOD = np.array([[0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])

BAD_ARRAYS = {
    "complex128": GOOD.astype(np.complex128),
    "complex64": GOOD.astype(np.complex64),
    "object": GOOD.astype(object),
    "str": np.array([["a", "b", "c"], ["d", "e", "f"]]),
    "bytes": np.array([[b"a", b"b", b"c"], [b"d", b"e", b"f"]]),
    "datetime64": np.array([["2020-01-01"] * 3] * 2, dtype="datetime64[D]"),
    "timedelta64": np.ones((2, 3), dtype="timedelta64[s]"),
}

ONE_ARG = {
    "logsumexp": lambda x: inf.logsumexp(x, axis=1),
    "softmax": lambda x: inf.softmax(x, axis=1),
    "log_softmax": lambda x: inf.log_softmax(x, axis=1),
    "entropy": lambda x: inf.entropy(x, axis=1),
    "entropy_qk": lambda x: inf.entropy(GOOD, x, axis=1),
    "entropy_from_logits": lambda x: inf.entropy_from_logits(x),
    "kl_p": lambda x: inf.kl_divergence_from_logits(x, GOOD),
    "kl_q": lambda x: inf.kl_divergence_from_logits(GOOD, x),
    "logsumexp_b": lambda x: inf.logsumexp(GOOD, axis=1, b=x),
    "cross_entropy_logits": lambda x: inf.cross_entropy_loss(x, np.array([0, 2])),
    "cross_entropy_prob_target": lambda x: inf.cross_entropy_loss(GOOD, x),
    "cross_entropy_weight": lambda x: inf.cross_entropy_loss(GOOD, np.array([0, 2]),
                                                             weight=x[0]),
}


@pytest.mark.parametrize("kind", list(BAD_ARRAYS))
@pytest.mark.parametrize("func", list(ONE_ARG))
def test_unsupported_dtypes_raise_type_error(func, kind):
    with pytest.raises(TypeError):
        ONE_ARG[func](BAD_ARRAYS[kind])


@pytest.mark.parametrize("func", ["logsumexp", "softmax", "log_softmax", "entropy_from_logits"])
def test_python_list_of_strings_raises_type_error(func):
    with pytest.raises(TypeError):
        getattr(inf, func)(["a", "b"])


AXIS_FUNCS = {
    "logsumexp": lambda x, ax: inf.logsumexp(x, axis=ax),
    "logsumexp_keepdims": lambda x, ax: inf.logsumexp(x, axis=ax, keepdims=True),
    "softmax": lambda x, ax: inf.softmax(x, axis=ax),
    "log_softmax": lambda x, ax: inf.log_softmax(x, axis=ax),
    "entropy": lambda x, ax: inf.entropy(x, axis=ax),
    "entropy_qk": lambda x, ax: inf.entropy(x, x, axis=ax),
    "entropy_from_logits": lambda x, ax: inf.entropy_from_logits(x, axis=ax),
    "kl": lambda x, ax: inf.kl_divergence_from_logits(x, x, axis=ax),
}


@pytest.mark.parametrize("axis", [2, -3, 100, -100], ids=str)
@pytest.mark.parametrize("func", list(AXIS_FUNCS))
def test_axis_out_of_range(func, axis):
    with pytest.raises(AXIS_ERRORS):
        AXIS_FUNCS[func](GOOD, axis)


@pytest.mark.parametrize("axis", [(0, 2), (0, 0), (1, -1)], ids=str)
def test_bad_axis_tuples_logsumexp(axis):
    with pytest.raises(AXIS_ERRORS):
        inf.logsumexp(GOOD, axis=axis)


def test_axis_on_zero_dim_input():
    with pytest.raises(AXIS_ERRORS):
        inf.logsumexp(np.float64(1.0), axis=1)
    with pytest.raises(AXIS_ERRORS):
        inf.entropy_from_logits(np.float64(1.0), axis=-1)


def test_non_integer_axis():
    with pytest.raises((TypeError, ValueError)):
        inf.logsumexp(GOOD, axis=1.5)
    with pytest.raises((TypeError, ValueError)):
        inf.entropy_from_logits(GOOD, axis="last")


def test_logsumexp_weights_not_broadcastable():
    with pytest.raises(ValueError):
        inf.logsumexp(GOOD, axis=1, b=np.ones(4))
    with pytest.raises(ValueError):
        inf.logsumexp(GOOD, axis=1, b=np.ones((3, 3)))


@pytest.mark.parametrize("qshape", [(2, 4), (3,), (3, 3), (4, 2, 3)], ids=str)
def test_kl_from_logits_shape_mismatch(qshape):
    with pytest.raises(ValueError):
        inf.kl_divergence_from_logits(GOOD, np.zeros(qshape))


def test_kl_from_logits_requires_equal_shapes_even_if_broadcastable():
    # the contract says "same shape" (no broadcasting)
    with pytest.raises(ValueError):
        inf.kl_divergence_from_logits(GOOD, np.zeros((1, 3)))


@pytest.mark.parametrize("qshape", [(2, 4), (4,), (3, 2)], ids=str)
def test_entropy_qk_not_broadcastable(qshape):
    with pytest.raises(ValueError):
        inf.entropy(GOOD, np.ones(qshape), axis=1)


def test_entropy_negative_probabilities():
    with pytest.raises(ValueError):
        inf.entropy([0.5, -0.1, 0.6])
    with pytest.raises(ValueError):
        inf.entropy([0.5, 0.5], [0.5, -0.5])
    with pytest.raises(ValueError):
        inf.entropy(np.array([[0.5, 0.5], [1.0, -1e-300]]), axis=1)
    with pytest.raises(ValueError):
        inf.entropy(np.array([0.5, -np.inf, 1.0]))


def test_entropy_bad_nan_policy():
    with pytest.raises(NotImplementedError):
        inf.entropy([0.5, 0.5], nan_policy="omit")
    with pytest.raises(ValueError):
        inf.entropy([0.5, 0.5], nan_policy="ignore-please")


N, C = 4, 5
LOGITS = np.random.default_rng(801).standard_normal((N, C))


@pytest.mark.parametrize("target", [[0, 1, 2, 5], [0, -1, 2, 3], [0, 1, 2, 10**6],
                                    [0, 1, -101, 2], [0, 1, 2, np.iinfo(np.int64).min]],
                         ids=str)
def test_cross_entropy_target_out_of_range(target):
    for reduction in ("none", "sum", "mean"):
        with pytest.raises(ValueError):
            inf.cross_entropy_loss(LOGITS, np.array(target, dtype=np.int64), reduction=reduction)


def test_cross_entropy_target_out_of_range_with_custom_ignore_index():
    # -100 is only special when it is the ignore_index
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.array([0, -100, 1, 2]), ignore_index=7)
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, 5 * np.ones(N, dtype=np.int64), ignore_index=-100)


def test_cross_entropy_scalar_target_out_of_range():
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS[0], C)
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS[0], -3)


@pytest.mark.parametrize("n", [0, 3, 5, 8])
def test_cross_entropy_target_length_mismatch(n):
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.zeros(n, dtype=np.int64))


@pytest.mark.parametrize("shape", [(N, C + 1), (N + 1, C), (C,), (N, C, 1)], ids=str)
def test_cross_entropy_probability_target_shape_mismatch(shape):
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.full(shape, 1.0 / C))


@pytest.mark.parametrize("wlen", [0, C - 1, C + 1])
def test_cross_entropy_weight_length(wlen):
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.zeros(N, dtype=np.int64), weight=np.ones(wlen))
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.full((N, C), 1.0 / C), weight=np.ones(wlen))


def test_cross_entropy_bad_reduction():
    with pytest.raises(ValueError):
        inf.cross_entropy_loss(LOGITS, np.zeros(N, dtype=np.int64), reduction="average")


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        inf.logsumexp(GOOD, axes=1)
    with pytest.raises(TypeError):
        inf.entropy_from_logits(GOOD, dim=1)


@pytest.mark.parametrize("n", [0, -1, -8])
def test_set_num_threads_rejects_non_positive(n):
    before = inf.get_num_threads()
    try:
        with pytest.raises(ValueError):
            inf.set_num_threads(n)
        assert inf.get_num_threads() == before
    finally:
        inf.set_num_threads(before)


def _unaligned(values, dtype):
    """A view of `values` whose items sit off their natural alignment (a packed field)."""
    packed = np.dtype([("pad", "u1"), ("v", dtype)], align=False)
    record = np.zeros(len(values), dtype=packed)
    record["v"] = values
    view = record["v"]
    assert not view.flags.aligned
    return view


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unaligned_inputs_give_the_aligned_results(dtype):
    # the kernels read whole items: misaligned views are copied first, never read in place
    values = np.random.default_rng(11).random(37).astype(dtype)
    view = _unaligned(values, dtype)
    assert inf.logsumexp(view) == inf.logsumexp(values)
    np.testing.assert_array_equal(inf.softmax(view), inf.softmax(values))
    assert inf.entropy(view) == inf.entropy(values)
    assert inf.entropy(view, view[::-1]) == inf.entropy(values, values[::-1])
    assert inf.knn.entropy(view, noise=0) == inf.knn.entropy(values, noise=0)


def test_negative_zero_probability_is_zero():
    # scipy: -0.0 is not negative and contributes 0 log 0 = 0
    assert inf.entropy([-0.0, 1.0]) == 0.0
    assert inf.entropy([-0.0, 1.0], [1.0, 1.0]) == pytest.approx(np.log(2.0), rel=1e-15)
